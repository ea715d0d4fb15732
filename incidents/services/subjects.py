"""The affected people: linking them from a CSV and notifying them in batches (art. 34)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update

from incidents.errors import DispatchFailed, InvalidTransition
from incidents.lifecycle import Status
from incidents.notify.email import Address, EmailBackend, Message, Recipient, batched
from incidents.notify.render import render, render_email
from incidents.profile import Profile
from incidents.register.tables import (
    SubjectRow,
)
from incidents.register.unit_of_work import UnitOfWork
from incidents.services.common import (
    SEND_BATCH,
    Outcome,
    categories_of,
    claim_notice,
    insert_ignoring_conflicts,
    location_of,
    send,
    sender_of,
)
from incidents.subjects import ReadReport, read_people
from incidents.views import incident_view


@dataclass
class ImportResult:
    rows: int
    added: int
    already_linked: int
    duplicates: int
    unreachable: list[tuple[int, str]] = field(default_factory=list)


def import_subjects(uow: UnitOfWork, incident_id: str, path: Path, actor: str, now: datetime) -> ImportResult:
    """Link the affected people in a CSV to the incident, in one transaction (a bad file writes nothing)."""
    report = ReadReport()
    with uow:
        row = uow.incident(incident_id)
        if row.status in (Status.CLOSED, Status.DISMISSED):
            raise InvalidTransition(f"incident {row.id} is {row.status}; no people can be added")
        before = uow.session.scalar(select(func.count()).where(SubjectRow.incident_id == row.id)) or 0
        insert = insert_ignoring_conflicts(uow, SubjectRow.__table__, ["incident_id", "email_key"])
        for chunk in _chunks(read_people(path, report), SEND_BATCH):
            uow.session.execute(insert, [
                {"incident_id": row.id, "name": p.name, "email": p.email, "email_key": p.email_key,
                 "language": p.language, "status": "unreachable" if p.problem else "pending",
                 "problem": p.problem, "source_line": p.line} for p in chunk
            ])
        after = uow.session.scalar(select(func.count()).where(SubjectRow.incident_id == row.id)) or 0
        distinct = report.rows - report.duplicates
        result = ImportResult(rows=report.rows, added=after - before, already_linked=distinct - (after - before),
                              duplicates=report.duplicates, unreachable=report.unreachable)
        uow.record(at=now, actor=actor, incident_id=row.id, action="subjects_imported", rows=result.rows,
                   added=result.added, duplicates=result.duplicates, unreachable=len(result.unreachable))
        uow.commit()
    return result


def _chunks(items, size):  # type: ignore[no-untyped-def]
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def notify_subjects(uow: UnitOfWork, profile: Profile, mailer: EmailBackend, templates: Path, incident_id: str,
                    mail_from: str | None, now: datetime) -> Outcome:
    """GDPR art. 34(1)-(2): tell each affected person, in their language, in batches; resumable per person."""
    with uow:
        row = uow.incident(incident_id)
        decision = uow.latest_decision(row.id)
        if decision is None or not decision.notify_subjects:
            return Outcome("subject_notice", False, detail="no decision to notify the people")
        counts = uow.subject_counts(row.id)
        if not counts:
            return Outcome("subject_notice", False, detail="waiting for the list of affected people")
        if counts.get("pending", 0) == 0 and (n := uow.notice(row.id, "subject_notice")) and n.status == "done":
            return Outcome("subject_notice", True, counts.get("sent", 0), detail="already sent")
        notice = claim_notice(uow, row.id, "subject_notice", mailer.name, now)
        view = incident_view(uow, row.id, now)
        uow.commit()
    context = {"incident": view, "organisation": profile.organisation, "privacy_contact": profile.privacy_contact,
                   "categories": categories_of(profile, view.assessment.categories if view.assessment else [])}
    fallback = {lang: render(templates, lang, "subjects/anonymous_name.txt.j2").strip() for lang in ("nl", "en")}
    total = 0
    for language in ("nl", "en"):
        rendered = render_email(templates, language, "subjects/notice", **context)
        message = Message(sender=sender_of(profile, mail_from), subject=rendered.subject, text=rendered.text,
                          html=rendered.html, kind="subject_notice", incident_id=row.id,
                          reply_to=Address(str(profile.privacy_contact.email), profile.privacy_contact.name))
        while True:
            with uow:
                # stream the pending people of this language a batch at a time: memory stays flat
                batch = uow.session.execute(
                    select(SubjectRow.id, SubjectRow.name, SubjectRow.email).where(
                        SubjectRow.incident_id == row.id, SubjectRow.status == "pending",
                        SubjectRow.language == language).order_by(SubjectRow.id).limit(SEND_BATCH)
                ).all()
            if not batch:
                break
            recipients = [Recipient(f"subject-{sid}", Address(email, name), {"name": name or fallback[language]})
                          for sid, name, email in batch]
            for chunk in batched(recipients, SEND_BATCH):
                try:
                    accepted = send(uow, row.id, "subject_notice", mailer, message, chunk, now)
                except DispatchFailed as exc:
                    _mark_sent(uow, getattr(exc, "accepted", []), now)  # who got it before the failure
                    raise
                total += _mark_sent(uow, accepted, now)
    with uow:
        notice = uow.notice(row.id, "subject_notice")
        assert notice is not None
        counts = uow.subject_counts(row.id)
        notice.status, notice.finished_at = "done", now
        notice.recipients = counts.get("sent", 0)
        notice.location = location_of(mailer, Message(sender=Address(""), subject="", text="", html=None,
                                                    kind="subject_notice", incident_id=row.id))
        uow.record(at=now, actor="response-flow", incident_id=row.id, action="subjects_notified", sent=total,
                   total_sent=counts.get("sent", 0), unreachable=counts.get("unreachable", 0), backend=mailer.name)
        uow.commit()
    return Outcome("subject_notice", True, total)


def _mark_sent(uow: UnitOfWork, keys: list[str], now: datetime) -> int:
    ids = [int(key.removeprefix("subject-")) for key in keys]
    if ids:
        with uow:
            uow.session.execute(update(SubjectRow).where(SubjectRow.id.in_(ids)).values(status="sent",
                                                                                      notified_at=now))
            uow.commit()
    return len(ids)
