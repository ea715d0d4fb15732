"""The people's data of an incident deleted when their purpose ends (GDPR art. 5(1)(e)), the proof kept (5(2), 33(5)).

`run_retention` deletes, for every incident past its period (incidents.retention.purge_date), each person's name,
e-mail and postal address and the problem text SendGrid gave for them, and the outbox's e-mails to them. Each
person's row stays, with its status, language and dates, so every count, the register export, the AP notice and
the audit trail read as before; the key becomes a keyed hash of the address, for `lookup` (art. 15). One incident
is one transaction: interrupted anywhere, the list is either whole or gone, and a re-run finishes it.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import ColumnElement, Engine, Table, func, select, text, update

from incidents.errors import ConfigurationError, InvalidInput, InvalidTransition
from incidents.lifecycle import Status
from incidents.notify.email import EmailBackend
from incidents.profile import Profile
from incidents.register.tables import IncidentRow, ReminderRow, SubjectRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.retention import (
    PURGED_PREFIX,
    PurgeDate,
    RetentionRule,
    keyed_hash,
    posted_letter_due,
    purge_date,
    warning_due,
)
from incidents.said import Said

SECRET_ENV = "BREACH_RETENTION_SECRET"
SECRET_FILE = "retention.key"
CHUNK = 2000  # rows per UPDATE round trip inside the one transaction of an incident
ENDED = (Status.CLOSED.value, Status.DISMISSED.value)
POSTED = "posted"


def workspace_secret(home: Path, env: dict[str, str] | None = None) -> bytes:
    """The key of the hashes kept of purged addresses: BREACH_RETENTION_SECRET (at least 32 characters; the same on
    every machine that shares the register), else <workspace>/retention.key, made once (32 random bytes, 0600)."""
    chosen = (os.environ if env is None else env).get(SECRET_ENV, "")
    if chosen:
        if len(chosen) < 32:
            raise ConfigurationError(Said("retention.secret_too_short", name=SECRET_ENV, length=len(chosen)))
        return chosen.encode("utf-8")
    path = home / SECRET_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
    return path.read_bytes()


def closed_at(row: IncidentRow) -> datetime | None:
    """The moment the incident was closed or dismissed: the start of its retention period."""
    return row.status_changed_at if row.status in ENDED else None


def incident_purge_date(row: IncidentRow, rule: RetentionRule) -> PurgeDate:
    return purge_date(rule, closed_at=closed_at(row), postponed_until=row.purge_postponed_until,
                      postponed_reason=row.purge_postponed_reason)


@dataclass(frozen=True)
class Planned:
    """One incident whose people's data are (or will be) deleted: when, and how many people now."""

    incident_id: str
    due: PurgeDate
    people: int  # people whose data are still kept
    posted_early: int  # of them, told by a posted letter and past the profile's shorter period
    purged_at: datetime | None

    @property
    def whole_list_due(self) -> bool:
        return self.purged_at is None and self.due.due_at is not None


@dataclass
class RetentionReport:
    at: datetime
    dry_run: bool
    purged: list[dict[str, object]] = field(default_factory=list)  # per incident: id, people, counts
    waiting: list[Planned] = field(default_factory=list)  # not due yet
    files_deleted: int = 0


def plan(uow: UnitOfWork, rule: RetentionRule, now: datetime, organisation_id: int | None = None) -> list[Planned]:
    """Every incident with people's data kept (of one organisation when it is given: its rule), and when those
    are deleted (inside the caller's `with uow`)."""
    kept = dict(uow.session.execute(
        select(SubjectRow.incident_id, func.count()).where(SubjectRow.purged_at.is_(None))
        .group_by(SubjectRow.incident_id)).all())
    early: Counter[str] = Counter()
    if rule.posted_letters_days is not None:
        for incident_id, posted_at in uow.session.execute(
                select(SubjectRow.incident_id, SubjectRow.notified_at).where(
                    SubjectRow.purged_at.is_(None), SubjectRow.status == POSTED,
                    SubjectRow.notified_at.is_not(None))):
            due = posted_letter_due(rule, posted_at)
            if due is not None and due <= now:
                early[incident_id] += 1
    which: list[ColumnElement[bool]] = [IncidentRow.id.in_(list(kept))]
    if organisation_id is not None:
        which.append(IncidentRow.organisation_id == organisation_id)
    rows = uow.session.scalars(select(IncidentRow).where(*which).order_by(IncidentRow.id)).all()
    return [Planned(row.id, incident_purge_date(row, rule), int(kept[row.id]), early[row.id], row.people_purged_at)
            for row in rows]


def run_retention(uow: UnitOfWork, rule: RetentionRule, secret: bytes, outbox: Path, now: datetime,
                  actor: str, dry_run: bool = False, organisation_id: int | None = None) -> RetentionReport:
    """Delete the people's data of every incident past its period (and of posted-letter people past theirs);
    with `dry_run`, only say what would be deleted. Safe to run late, twice, or after a crash mid-way."""
    report = RetentionReport(at=now, dry_run=dry_run)
    with uow:
        planned = plan(uow, rule, now, organisation_id)
    for p in planned:
        due = p.due.due_at is not None and p.due.due_at <= now
        if not due and not p.posted_early:
            report.waiting.append(p)
            continue
        if dry_run:
            report.purged.append({"incident": p.incident_id, "people": p.people if due else p.posted_early,
                                  "whole_list": due})
            continue
        counts = purge_people(uow, p.incident_id, secret, now, actor, rule=None if due else rule)
        report.purged.append({"incident": p.incident_id, "whole_list": due, **counts})
    if not dry_run:
        report.files_deleted = _delete_outbox_files(uow, outbox)
        if report.purged:
            _reclaim_space(uow)
    return report


def purge_people(uow: UnitOfWork, incident_id: str, secret: bytes, now: datetime, actor: str,
                 rule: RetentionRule | None = None) -> dict[str, object]:
    """Delete the names and addresses of the incident's people, in one transaction with its audit entry; only
    those told by a posted letter past the profile's shorter period when `rule` is given. Returns the counts."""
    with uow:
        row = uow.incident(incident_id)
        if uow.session.get_bind().dialect.name == "sqlite":
            uow.session.execute(text("PRAGMA secure_delete=ON"))  # deleted bytes are overwritten, not left free
        which = [SubjectRow.incident_id == row.id, SubjectRow.purged_at.is_(None)]
        if rule is not None:
            which += [SubjectRow.status == POSTED, SubjectRow.notified_at.is_not(None)]
        by_status: Counter[str] = Counter()
        by_language: Counter[str] = Counter()
        changes = []
        for sid, key, status, language, notified_at in uow.session.execute(
                select(SubjectRow.id, SubjectRow.email_key, SubjectRow.status, SubjectRow.language,
                       SubjectRow.notified_at).where(*which).order_by(SubjectRow.id)):
            if rule is not None:
                due = posted_letter_due(rule, notified_at)
                if due is None or due > now:
                    continue
            by_status[status] += 1
            by_language[language] += 1
            changes.append({"sid": sid, "key": key if key.startswith(PURGED_PREFIX) else keyed_hash(secret, key)})
        table = cast(Table, SubjectRow.__table__)
        statement = (update(table).where(table.c.id == _bind("sid"))
                     .values(name="", email=None, postal_address=None, problem=None, email_key=_bind("key"),
                             purged_at=now))
        for start in range(0, len(changes), CHUNK):
            uow.session.connection().execute(statement, changes[start:start + CHUNK])
        whole = rule is None
        if whole:
            row.people_purged_at = now
        counts: dict[str, object] = {"people": len(changes), "by_status": dict(sorted(by_status.items())),
                                     "by_language": dict(sorted(by_language.items()))}
        if changes or whole:
            uow.record(at=now, actor=actor, incident_id=row.id,
                       action="people_purged" if whole else "posted_letters_purged", **counts)
        uow.commit()
    return counts


def _bind(name: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import bindparam

    return bindparam(name)


def _delete_outbox_files(uow: UnitOfWork, outbox: Path) -> int:
    """The outbox's e-mails to the people of every purged incident (<outbox>/<id>/subject_*): removed after the
    register's purge, and again on every run, so a crash between the two leaves nothing behind for long."""
    with uow:
        purged = uow.session.scalars(select(IncidentRow.id).where(IncidentRow.people_purged_at.is_not(None))).all()
    deleted = 0
    for incident_id in purged:
        folder = outbox / incident_id
        if not folder.is_dir():
            continue
        for kind in sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith("subject_")):
            deleted += sum(1 for f in kind.rglob("*") if f.is_file())
            shutil.rmtree(kind)
    return deleted


def _reclaim_space(uow: UnitOfWork) -> None:
    """Leave no copy of the deleted bytes in the database's files: SQLite writes its WAL back and truncates it;
    PostgreSQL rewrites the people's table (VACUUM FULL; its own WAL and backups follow the server's retention)."""
    bind = uow.session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # outside a transaction (SQLAlchemy's BEGIN IMMEDIATE would block it)
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    elif engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM FULL subjects")


# --- postponing, asking, warning -----------------------------------------------------------------------------

def postpone(uow: UnitOfWork, rule: RetentionRule, incident_id: str, until: datetime, reason: str, actor: str,
             now: datetime) -> PurgeDate:
    """A person keeps the people's data of an incident longer, until a date, for a reason (a complaint or a
    court case that needs the list); recorded in the audit trail. Returns the new purge date."""
    reason = " ".join(reason.split())
    problems = []
    if not reason:
        problems.append(("--reason", Said("retention.reason_missing")))
    if until <= now:
        problems.append(("--until", Said("retention.until_not_future")))
    if problems:
        from incidents.errors import FieldError

        raise InvalidInput("postponement", [FieldError(f, s) for f, s in problems])
    with uow:
        row = uow.incident(incident_id)
        if row.people_purged_at is not None:
            raise InvalidTransition(Said("retention.already_purged", id=row.id, at=row.people_purged_at))
        before = incident_purge_date(row, rule).due_at
        row.purge_postponed_until, row.purge_postponed_reason = until, reason[:2000]
        uow.record(at=now, actor=actor, incident_id=row.id, action="purge_postponed", until=until.isoformat(),
                   before=before.isoformat() if before else None, reason=reason[:2000])
        result = incident_purge_date(row, rule)
        uow.commit()
    return result


@dataclass(frozen=True)
class LookupAnswer:
    """What the register says about one address on an incident's list (art. 15), with or without the address."""

    incident_id: str
    found: bool
    purged: bool = False
    status: str | None = None
    notified_at: datetime | None = None
    update_status: str | None = None
    update_sent_at: datetime | None = None
    language: str | None = None


def lookup(uow: UnitOfWork, incident_id: str, address: str, secret: bytes) -> LookupAnswer:
    """Was this address on the incident's list, and when was it told? Found by the address while it is kept,
    by its keyed hash after the purge."""
    from email_validator import EmailNotValidError

    from incidents.errors import FieldError
    from incidents.subjects import normalise_address

    try:
        key = normalise_address(address.strip()).lower()
    except EmailNotValidError as exc:
        raise InvalidInput("lookup", [FieldError("ADDRESS", Said("retention.not_an_address", problem=str(exc)))]) \
            from None
    with uow:
        row = uow.incident(incident_id)
        person = uow.session.scalars(select(SubjectRow).where(
            SubjectRow.incident_id == row.id,
            SubjectRow.email_key.in_([key, keyed_hash(secret, key)]))).first()
        if person is None:
            return LookupAnswer(row.id, False)
        return LookupAnswer(row.id, True, person.purged_at is not None, person.status, person.notified_at,
                            person.update_status, person.update_sent_at, person.language)


def exports(uow: UnitOfWork, incident_id: str) -> list[dict[str, object]]:
    """The copies of the people's data the tool wrote on request (worklists, letters): who, when, how many, so
    the privacy officer knows what to delete outside the tool."""
    from incidents.register.tables import AuditRow

    with uow:
        row = uow.incident(incident_id)
        entries = uow.session.scalars(select(AuditRow).where(
            AuditRow.incident_id == row.id, AuditRow.action.in_(["worklist_exported", "letters_written"]))
            .order_by(AuditRow.seq)).all()
        return [{"action": e.action, "actor": e.actor, "at": e.at, **_details(e)} for e in entries]


def _details(entry: object) -> dict[str, object]:
    import json

    raw = getattr(entry, "details", None)
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return dict(raw) if isinstance(raw, dict) else {}


def warnings_due(uow: UnitOfWork, rule: RetentionRule, now: datetime,
                 organisation_id: int | None = None) -> list[Planned]:
    """Incidents whose purge comes within the warning period and whose team was not yet warned of that date."""
    with uow:
        planned = [p for p in plan(uow, rule, now, organisation_id) if p.whole_list_due and p.due.due_at is not None
                   and warning_due(p.due.due_at) <= now < p.due.due_at]
        sent = set(uow.session.execute(select(ReminderRow.incident_id, ReminderRow.step)
                                       .where(ReminderRow.clock == "retention")))
    return [p for p in planned if (p.incident_id, warning_step(p)) not in sent]


def warning_step(p: Planned) -> str:
    """One warning per purge date: a postponement to a later date brings a new one."""
    assert p.due.due_at is not None
    return f"14d-{p.due.due_at:%Y%m%d}"


def send_retention_warnings(uow: UnitOfWork, profile: Profile, mailer: EmailBackend, templates: Path,
                            mail_from: str | None, now: datetime, organisation_id: int | None = None
                            ) -> dict[str, int]:
    """Remind the incident team once, WARNING_BEFORE a purge, with the way to postpone it; a reminder claimed
    in the register first, so two watches at once send it once."""
    from incidents.notify.email import Message
    from incidents.notify.render import render_email
    from incidents.services.common import insert_ignoring_conflicts, sender_of
    from incidents.services.team import team_recipients

    sent = 0
    for p in warnings_due(uow, profile.retention, now, organisation_id):
        step = warning_step(p)
        with uow:
            claimed = uow.session.execute(insert_ignoring_conflicts(
                uow, ReminderRow.__table__, ["incident_id", "clock", "step"]).values(
                incident_id=p.incident_id, clock="retention", step=step, status="sending", sent_at=now,
                recipients=0).returning(ReminderRow.__table__.c.id)).first() is not None
            uow.commit()
        if not claimed:
            continue
        rendered = render_email(templates, profile.language, "team/retention_warning", incident_id=p.incident_id,
                                organisation=profile.organisation,
                                due_at=p.due.due_at, people=p.people, closed_at=p.due.closed_at,
                                postponed_reason=p.due.postponed_reason)
        message = Message(sender=sender_of(profile, mail_from), subject=rendered.subject, text=rendered.text,
                          html=rendered.html, kind=f"reminder-retention-{step}", incident_id=p.incident_id)
        accepted = mailer.send(message, team_recipients(profile, privacy_contact_too=True)).accepted
        with uow:
            uow.session.execute(update(ReminderRow).where(
                ReminderRow.incident_id == p.incident_id, ReminderRow.clock == "retention",
                ReminderRow.step == step).values(status="sent", recipients=len(accepted)))
            uow.record(at=now, actor="deadline-watch", incident_id=p.incident_id, action="retention_warning_sent",
                       due_at=p.due.due_at.isoformat() if p.due.due_at else None, people=p.people,
                       recipients=len(accepted))
            uow.commit()
        sent += 1
    return {"warned": sent}


@dataclass(frozen=True)
class Keeping:
    """What `breach show` and the dashboard say of an incident's people's data: how many are kept, until when."""

    incident_id: str
    kept: int  # people whose name and addresses are still in the register
    deleted: int  # people whose data were deleted
    due: PurgeDate
    purged_at: datetime | None
    people_days: int


def keeping(uow: UnitOfWork, rule: RetentionRule, incident_id: str) -> Keeping | None:
    """None when the incident has no people on its list."""
    with uow:
        return keeping_in(uow, rule, incident_id)


def keeping_in(uow: UnitOfWork, rule: RetentionRule, incident_id: str) -> Keeping | None:
    """keeping() inside the caller's `with uow:`."""
    row = uow.incident(incident_id)
    counts = dict(uow.session.execute(
        select(SubjectRow.purged_at.is_(None), func.count()).where(SubjectRow.incident_id == row.id)
        .group_by(SubjectRow.purged_at.is_(None))).all())
    if not counts:
        return None
    return Keeping(row.id, int(counts.get(True, 0)), int(counts.get(False, 0)), incident_purge_date(row, rule),
                   row.people_purged_at, rule.people_days)
