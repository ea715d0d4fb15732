"""The affected people: linking them from a CSV or a query, notifying them in batches (art. 34), or telling
them by a public communication when that is disproportionate (art. 34(3)(c))."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update

from incidents.errors import DispatchFailed, FieldError, InvalidInput, InvalidTransition
from incidents.lifecycle import Status
from incidents.notify.email import Address, EmailBackend, Message, Recipient
from incidents.notify.render import render, render_email
from incidents.profile import Profile
from incidents.register.tables import (
    DispatchBatchRow,
    NoticeRow,
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
from incidents.subjects import OTHER_CHANNEL, CsvSource, ReadReport, Source, notified, read_source
from incidents.views import incident_view, latest_recommendations

# Called as work advances: (people done so far, fraction done 0..1 or None when the total is unknown).
# Counts only: what crosses it may reach a terminal or a Prefect artifact.
Progress = Callable[[int, float | None], None]


@dataclass
class ImportResult:
    rows: int
    added: int
    already_linked: int
    duplicates: int
    unreachable: list[tuple[int, str]] = field(default_factory=list)


def import_subjects(uow: UnitOfWork, incident_id: str, source: Path | Source, actor: str, now: datetime,
                    progress: Progress | None = None) -> ImportResult:
    """Link the affected people of a CSV file (a path) or a query (incidents.subjects.SqlSource) to the
    incident, in one transaction: a bad file or a failing query writes nothing."""
    report = ReadReport()
    people: Source = CsvSource(source) if isinstance(source, Path) else source
    with uow:
        row = uow.incident(incident_id)
        if row.status in (Status.CLOSED, Status.DISMISSED):
            raise InvalidTransition(f"incident {row.id} is {row.status}; no people can be added")
        before = uow.session.scalar(select(func.count()).where(SubjectRow.incident_id == row.id)) or 0
        insert = insert_ignoring_conflicts(uow, SubjectRow.__table__, ["incident_id", "email_key"])
        for chunk in _chunks(read_source(people, report), SEND_BATCH):
            uow.session.execute(insert, [
                {"incident_id": row.id, "name": p.name, "email": p.email, "email_key": p.email_key,
                 "language": p.language, "status": "unreachable" if p.problem else "pending",
                 "problem": p.problem, "source_line": p.line} for p in chunk
            ])
            if progress is not None:
                progress(report.rows, people.fraction())
        after = uow.session.scalar(select(func.count()).where(SubjectRow.incident_id == row.id)) or 0
        distinct = report.rows - report.duplicates
        result = ImportResult(rows=report.rows, added=after - before, already_linked=distinct - (after - before),
                              duplicates=report.duplicates, unreachable=report.unreachable)
        uow.record(at=now, actor=actor, incident_id=row.id, action="subjects_imported", source=people.kind,
                   rows=result.rows, added=result.added, duplicates=result.duplicates,
                   unreachable=len(result.unreachable))
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
                    mail_from: str | None, now: datetime, progress: Progress | None = None) -> Outcome:
    """GDPR art. 34(1)-(2): tell each affected person, in their language, in batches; resumable after a crash.

    Each batch is claimed in the register ('sending') before it goes to the mail service and marked when the
    service accepted it, so a run that is killed at any moment and started again finishes the job: nobody is
    skipped, and the only people who can get the message twice are those of the one batch that was in flight
    at the crash. They are sent again, counted, and reported. `progress` hears after each batch how many of
    the people open at the start were handled.
    """
    with uow:
        row = uow.incident(incident_id)
        decision = uow.latest_decision(row.id)
        if decision is None or not decision.notify_subjects:
            return Outcome("subject_notice", False, detail="no decision to notify the people")
        counts = uow.subject_counts(row.id)
        if not counts:
            return Outcome("subject_notice", False, detail="waiting for the list of affected people")
        open_work = counts.get("pending", 0) + counts.get("sending", 0)
        if not open_work and (n := uow.notice(row.id, "subject_notice")) and n.status == "done":
            return Outcome("subject_notice", True, notified(counts), detail="already sent")
        claim_notice(uow, row.id, "subject_notice", mailer.name, now)
        view = incident_view(uow, row.id, now)
        uow.commit()
    context = {"incident": view, "organisation": profile.organisation, "privacy_contact": profile.privacy_contact,
               "categories": categories_of(profile, view.assessment.categories if view.assessment else [])}
    total = resent = handled = 0
    for language in LANGUAGES:
        rendered = render_email(templates, language, "subjects/notice", **context)
        message = Message(sender=sender_of(profile, mail_from), subject=rendered.subject, text=rendered.text,
                          html=rendered.html, kind="subject_notice", incident_id=row.id,
                          reply_to=Address(str(profile.privacy_contact.email), profile.privacy_contact.name))
        fallback = render(templates, language, "subjects/anonymous_name.txt.j2").strip()
        while (batch := _claim_batch(uow, row.id, language, now)) is not None:
            recipients = [Recipient(f"subject-{sid}", Address(email, name), {"name": name or fallback})
                          for sid, name, email in batch.people]
            try:
                accepted = send(uow, row.id, "subject_notice", mailer, message, recipients, now)
            except DispatchFailed as exc:
                _settle_batch(uow, batch, getattr(exc, "accepted", []), now, error=str(exc))
                raise
            total += _settle_batch(uow, batch, accepted, now)
            resent += len(batch.people) if batch.recovered else 0
            handled += len(batch.people)
            if progress is not None:
                progress(handled, min(1.0, handled / open_work) if open_work else None)
    with uow:
        notice = uow.notice(row.id, "subject_notice")
        assert notice is not None
        counts = uow.subject_counts(row.id)
        notice.status, notice.finished_at = "done", now
        notice.recipients = notified(counts)
        notice.location = location_of(mailer, Message(sender=Address(""), subject="", text="", html=None,
                                                      kind="subject_notice", incident_id=row.id))
        # every resend of a batch that was in flight when a run stopped, over all runs (attempts - 1 each)
        resent = int(uow.session.scalar(select(func.coalesce(func.sum(
            DispatchBatchRow.recipients * (DispatchBatchRow.attempts - 1)), 0)).where(
            DispatchBatchRow.incident_id == row.id, DispatchBatchRow.kind == "subject_notice")) or 0)
        uow.record(at=now, actor="response-flow", incident_id=row.id, action="subjects_notified", sent=total,
                   total_sent=notified(counts), unreachable=counts.get("unreachable", 0),
                   sent_again_after_crash=resent, backend=mailer.name)
        uow.commit()
    detail = f"{resent} sent again after an interruption (possible duplicates)" if resent else ""
    return Outcome("subject_notice", True, total, detail=detail)


LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class ClaimedBatch:
    incident_id: str
    key: str
    people: list[tuple[int, str, str]]  # (subject id, name, address): held in memory for one request only
    recovered: bool  # it was in flight when an earlier run stopped: its people may get the message twice


def _claim_batch(uow: UnitOfWork, incident_id: str, language: str, now: datetime) -> ClaimedBatch | None:
    """The next batch of people to send to: first one left 'sending' by an interrupted run, then new ones."""
    columns = (SubjectRow.id, SubjectRow.name, SubjectRow.email)
    with uow:
        where = (SubjectRow.incident_id == incident_id, SubjectRow.language == language)
        people = uow.session.execute(select(*columns).where(*where, SubjectRow.status == "sending")
                                     .order_by(SubjectRow.id).limit(SEND_BATCH)).all()
        recovered = bool(people)
        if not recovered:
            people = uow.session.execute(select(*columns).where(*where, SubjectRow.status == "pending")
                                         .order_by(SubjectRow.id).limit(SEND_BATCH)).all()
            if not people:
                return None
            # the batch is the first 1 000 pending ids of this language: an id range says it without 1 000
            # parameters (the run lock keeps anyone else from changing these rows meanwhile)
            uow.session.execute(update(SubjectRow).where(
                *where, SubjectRow.status == "pending", SubjectRow.id.between(people[0][0], people[-1][0]))
                .values(status="sending").execution_options(synchronize_session=False))
        key = f"{incident_id}:subject_notice:{language}:{people[0][0]}-{people[-1][0]}"
        batch = uow.session.scalars(select(DispatchBatchRow).where(
            DispatchBatchRow.incident_id == incident_id, DispatchBatchRow.batch_key == key)).first()
        if batch is None:
            batch = DispatchBatchRow(incident_id=incident_id, batch_key=key, kind="subject_notice",
                                     status="sending", recipients=len(people), attempts=0, started_at=now)
            uow.session.add(batch)
        batch.status, batch.attempts, batch.error = "sending", batch.attempts + 1, None
        uow.commit()
    return ClaimedBatch(incident_id, key, [tuple(p) for p in people], recovered)  # type: ignore[misc]


def _settle_batch(uow: UnitOfWork, batch: ClaimedBatch, accepted: list[str], now: datetime,
                  error: str | None = None) -> int:
    """Mark who the service accepted; on a refusal the others go back to pending for the next run.

    Only people still 'sending' change: a delivery event that came in first (incidents.services.deliveries)
    already moved a person on, and the stronger state it recorded stays.
    """
    ids = [int(key.removeprefix("subject-")) for key in accepted]
    with uow:
        if ids and len(ids) == len(batch.people):  # all of them: the batch's id range, as it was claimed
            first, last = batch.people[0][0], batch.people[-1][0]
            uow.session.execute(update(SubjectRow).where(
                SubjectRow.incident_id == batch.incident_id, SubjectRow.status == "sending",
                SubjectRow.id.between(first, last)).values(status="sent", notified_at=now)
                .execution_options(synchronize_session=False))
        elif ids:
            uow.session.execute(update(SubjectRow).where(SubjectRow.id.in_(ids), SubjectRow.status == "sending")
                                .values(status="sent", notified_at=now).execution_options(synchronize_session=False))
        if error is not None:
            rest = [p[0] for p in batch.people if p[0] not in set(ids)]
            uow.session.execute(update(SubjectRow).where(SubjectRow.id.in_(rest), SubjectRow.status == "sending")
                                .values(status="pending"))
        uow.session.execute(update(DispatchBatchRow).where(DispatchBatchRow.batch_key == batch.key).values(
            status="failed" if error else "accepted", finished_at=now, error=error))
        uow.commit()
    return len(ids)


def worklist(uow: UnitOfWork, incident_id: str) -> list[dict[str, object]]:
    """The people who need another channel (a letter, a phone call): no usable address, or SendGrid reported
    that the notice bounced or was dropped."""
    with uow:
        row = uow.incident(incident_id)
        people = uow.session.execute(
            select(SubjectRow.source_line, SubjectRow.name, SubjectRow.email, SubjectRow.language,
                   SubjectRow.status, SubjectRow.problem)
            .where(SubjectRow.incident_id == row.id, SubjectRow.status.in_(OTHER_CHANNEL))
            .order_by(SubjectRow.source_line)).all()
    return [{"line": line, "name": name, "email": email or "", "language": language, "status": status,
             "problem": problem or ""} for line, name, email, language, status, problem in people]


def dispatch_plan(uow: UnitOfWork, profile: Profile, templates: Path, incident_id: str) -> dict[str, int]:
    """A dry run: who would get the notice, per language, in how many requests; the templates are rendered
    once to prove they work, and nothing is sent or changed."""
    with uow:
        row = uow.incident(incident_id)
        view = incident_view(uow, row.id, datetime.now().astimezone())
        rows = uow.session.execute(select(SubjectRow.language, func.count()).where(
            SubjectRow.incident_id == row.id, SubjectRow.status.in_(("pending", "sending")))
            .group_by(SubjectRow.language)).all()
    context = {"incident": view, "organisation": profile.organisation, "privacy_contact": profile.privacy_contact,
               "categories": categories_of(profile, view.assessment.categories if view.assessment else [])}
    plan: dict[str, int] = {}
    for language, count in rows:
        render_email(templates, language, "subjects/notice", **context)
        plan[f"{language}_people"] = count
        plan[f"{language}_requests"] = -(-count // SEND_BATCH)
    return plan


# --- a public communication instead (art. 34(3)(c)) ---------------------------------------------------------

PUBLIC_KIND = "public_notice"
_URL = re.compile(r"https?://[^\s<>\"'\\\x00-\x1f\x7f]{1,300}")


@dataclass(frozen=True)
class PublicNotice:
    version: int
    paths: list[Path]  # per language: the web page (HTML, then plain text) and the short message; Dutch first


def public_communication_allowed(contact_effort: str, recommended_public: bool) -> bool:
    """GDPR art. 34(3)(c): telling each person would involve disproportionate effort, so a public communication
    (or a similar measure) informs them in an equally effective manner instead. The IT assessment says whether
    contacting them individually is disproportionate; the recommendation then advises the public communication."""
    return contact_effort == "disproportionate" or recommended_public


def public_notice_paths(notices_dir: Path, incident_id: str, version: int) -> list[tuple[str, str, Path]]:
    """(language, template, file) of one version of the public communication, Dutch first."""
    folder = notices_dir / incident_id
    return [(language, template, folder / f"{stem}-v{version}.{language}.{suffix}")
            for language in LANGUAGES
            for template, stem, suffix in (("public/notice.html.j2", "public-notice", "html"),
                                           ("public/notice.txt.j2", "public-notice", "txt"),
                                           ("public/message.txt.j2", "public-message", "txt"))]


def prepare_public_notice(uow: UnitOfWork, profile: Profile, templates: Path, notices_dir: Path, incident_id: str,
                          actor: str, now: datetime, url: str | None = None) -> PublicNotice:
    """Render the public communication of art. 34(3)(c): the text for a web page and a short message for social
    media or a banner on the website, in Dutch and English, as a new kept version (an earlier one stays).

    Allowed once the decision is recorded, when the assessment says contacting the people individually would
    take disproportionate effort (or the recommendation advises a public communication). `url` is where the
    page will be published (default: the organisation's website); the short message points there.
    """
    page_url = (url or "").strip() or profile.organisation.website.strip()
    if page_url and not _URL.fullmatch(page_url):
        raise InvalidInput("public communication", [FieldError("--url", "must be a web address starting with "
                                                                        "https:// (where the notice is published)")])
    with uow:
        row = uow.incident(incident_id)
        if row.status in (Status.CLOSED, Status.DISMISSED):
            raise InvalidTransition(f"incident {row.id} is {row.status}; no public communication can be prepared")
        assessment = uow.latest_assessment(row.id)
        if assessment is None:
            raise InvalidTransition(f"incident {row.id} has no IT assessment yet; record it first: "
                                    f"breach assess {row.id} FILE")
        if uow.latest_decision(row.id) is None:
            raise InvalidTransition(f"incident {row.id} has no decision yet; record it first: breach decide {row.id}")
        recommendations = latest_recommendations(uow, row.id)
        recommended = bool(recommendations and recommendations[0].assessment_id == assessment.id
                           and recommendations[0].public_communication)
        if not public_communication_allowed(assessment.contact_effort, recommended):
            raise InvalidTransition(
                f"the assessment of {row.id} says the people can be contacted individually, so they are told "
                f"each in person (breach subjects notify {row.id}); a public communication replaces that only "
                "when it would take disproportionate effort (GDPR art. 34(3)(c)): record an assessment with "
                "subjects.contact_effort: disproportionate")
        last = uow.session.scalar(select(func.max(NoticeRow.version)).where(
            NoticeRow.incident_id == row.id, NoticeRow.kind == PUBLIC_KIND)) or 0
        notice = NoticeRow(incident_id=row.id, kind=PUBLIC_KIND, version=last + 1, status="sending",
                           started_at=now, recipients=0, backend="file")
        uow.session.add(notice)
        uow.session.flush()  # a concurrent second writer of this version fails here, before writing files
        view = incident_view(uow, row.id, now)
        context = {"incident": view, "organisation": profile.organisation,
                   "privacy_contact": profile.privacy_contact, "page_url": page_url, "published_at": now,
                   "categories": categories_of(profile, view.assessment.categories if view.assessment else [])}
        written = []
        for language, template, path in public_notice_paths(notices_dir, row.id, notice.version):
            body = render(templates, language, template, **context)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(body, encoding="utf-8")
            tmp.replace(path)  # a crash leaves no half-written notice
            written.append(path)
        notice.status, notice.finished_at, notice.location = "done", now, str(written[0])
        version = notice.version
        uow.record(at=now, actor=actor, incident_id=row.id, action="public_notice_prepared",
                   version=version, files=len(written), recommended=recommended)
        uow.commit()
    return PublicNotice(version, written)
