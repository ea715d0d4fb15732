"""Pieces the services share: moving the status, claiming a side effect once, sending, outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from incidents import lifecycle
from incidents.errors import DispatchFailed
from incidents.lifecycle import Status
from incidents.notify.email import Address, EmailBackend, Message, Recipient, Sent
from incidents.profile import Profile
from incidents.register.tables import (
    IncidentRow,
    NoticeRow,
)
from incidents.register.unit_of_work import UnitOfWork

SEND_BATCH = 1000  # a SendGrid request carries up to 1 000 personalizations


def _insert(uow: UnitOfWork, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL)."""
    if uow.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert(table)


def insert_ignoring_conflicts(uow: UnitOfWork, table: Any, columns: list[str]) -> Any:
    """INSERT ... ON CONFLICT (columns) DO NOTHING, on SQLite and PostgreSQL alike: the first writer wins."""
    return _insert(uow, table).on_conflict_do_nothing(index_elements=columns)


def upsert(uow: UnitOfWork, table: Any, columns: list[str], changes: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT (columns) DO UPDATE SET changes, on SQLite and PostgreSQL alike."""
    return _insert(uow, table).on_conflict_do_update(index_elements=columns, set_=changes)


def keep_text(uow: UnitOfWork, incident_id: str, kind: str, version: int, language: str, subject: str, text: str,
              now: datetime) -> None:
    """Keep the words a message said, once per (incident, kind, version, language): the first recorded stays."""
    from incidents.register.tables import MessageTextRow

    uow.session.execute(insert_ignoring_conflicts(uow, MessageTextRow.__table__,
                                                  ["incident_id", "kind", "version", "language"]),
                        {"incident_id": incident_id, "kind": kind, "version": version, "language": language,
                         "subject": subject, "text": text, "recorded_at": now})


def move_status(uow: UnitOfWork, row: IncidentRow, target: Status, actor: str, now: datetime, **details: object) -> None:
    lifecycle.check_transition(row.id, Status(row.status), target)
    previous = row.status
    row.status = target.value
    row.status_changed_at = now
    uow.record(at=now, actor=actor, incident_id=row.id, action="status_changed",
               **{"from": previous, "to": target.value, **details})


@dataclass(frozen=True)
class Outcome:
    """What a stage did, in ids and counts only (it crosses into Prefect)."""

    stage: str
    done: bool
    count: int = 0
    detail: str = ""  # in English, for a log
    more: bool = False  # stopped at its limit with work left: call it again
    why: str = ""  # the detail as a key, for the words a person reads (templates/<lang>/cli/lines.j2 `outcome`)
    again: int = 0  # with why="resent": how many were sent again after an interruption


def claim_notice(uow: UnitOfWork, incident_id: str, kind: str, backend: str, now: datetime) -> NoticeRow | None:
    """The notice row for this side effect, or None when it is done already. A row left 'sending' by an
    interrupted run is taken over: the run lock guarantees no other run is working on it."""
    notice = uow.notice(incident_id, kind)
    if notice is not None and notice.status == "done":
        return None
    if notice is None:
        notice = NoticeRow(incident_id=incident_id, kind=kind, version=1, status="sending", started_at=now,
                           recipients=0, backend=backend)
        uow.session.add(notice)
    else:
        notice.status, notice.error = "sending", None
    uow.session.flush()
    return notice


def sender_of(profile: Profile, mail_from: str | None) -> Address:
    """The organisation's own sender (its profile's sending.mail_from), else the installation's (BREACH_MAIL_FROM),
    else its privacy contact's address; named as the organisation."""
    own = profile.sending.mail_from
    return Address(str(own) if own else mail_from or str(profile.privacy_contact.email), profile.organisation.name)


def location_of(mailer: EmailBackend, message: Message) -> str:
    folder = getattr(mailer, "folder", None)
    if isinstance(folder, Path):
        return str(folder / message.incident_id / message.kind)
    return mailer.name


def send(uow: UnitOfWork, incident_id: str, kind: str, mailer: EmailBackend, message: Message,
          recipients: list[Recipient], now: datetime) -> Sent:
    try:
        return mailer.send(message, recipients)
    except DispatchFailed as exc:
        with uow:
            notice = uow.notice(incident_id, kind)
            if notice is not None:
                notice.status, notice.error = "failed", str(exc)
            uow.record(at=now, actor="response-flow", incident_id=incident_id, action="dispatch_failed", kind=kind)
            uow.commit()
        raise


def chunks(items, size):  # type: ignore[no-untyped-def]
    """Lists of `size` items (the last one shorter) from any iterable, read as it goes."""
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
