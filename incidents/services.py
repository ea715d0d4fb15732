"""The service layer: the single entry point for every action, called alike by the CLI and the flow.

Each function takes plain values and a unit of work, loads through it, applies the domain rules and
commits once at the end; a failure anywhere leaves nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update

from incidents import lifecycle
from incidents.deadlines import authority_deadline
from incidents.errors import DispatchFailed, FieldError, InvalidInput, InvalidTransition
from incidents.lifecycle import Status
from incidents.model import VOCABULARY, AssessmentFacts, Decision, IncidentReport
from incidents.notify.email import Address, EmailBackend, Message, Recipient, batched
from incidents.notify.render import render, render_email
from incidents.profile import Profile
from incidents.register.tables import (
    AssessmentCategoryRow,
    AssessmentGroupRow,
    AssessmentRow,
    AuthorityFilingRow,
    DecisionRow,
    IdCounter,
    IncidentRow,
    IncidentSystemRow,
    NoticeRow,
    SubjectRow,
)
from incidents.register.unit_of_work import UnitOfWork
from incidents.subjects import ReadReport, read_people
from incidents.times import AMSTERDAM
from incidents.views import incident_view

SEND_BATCH = 1000  # a SendGrid request carries up to 1 000 personalizations


# --- helpers ----------------------------------------------------------------------------------------------

def _move(uow: UnitOfWork, row: IncidentRow, target: Status, actor: str, now: datetime, **details: object) -> None:
    lifecycle.check_transition(row.id, Status(row.status), target)
    previous = row.status
    row.status = target.value
    row.status_changed_at = now
    uow.record(at=now, actor=actor, incident_id=row.id, action="status_changed",
               **{"from": previous, "to": target.value, **details})


def _next_id(uow: UnitOfWork, now: datetime) -> str:
    """DL-<year>-<4 digits>, numbered per calendar year in Amsterdam."""
    year = now.astimezone(AMSTERDAM).year
    counter = uow.session.get(IdCounter, year, with_for_update=True)
    if counter is None:
        counter = IdCounter(year=year, last=0)
        uow.session.add(counter)
    counter.last += 1
    return f"DL-{year}-{counter.last:04d}"


# --- actions a person takes ------------------------------------------------------------------------------

def report_incident(uow: UnitOfWork, profile: Profile, report: IncidentReport, actor: str, now: datetime) -> str:
    """Record a reported breach; the AP clock starts at `aware_at` (GDPR art. 33(1), EDPB Guidelines 9/2022)."""
    problems = profile.check_source(report.source_processor) + profile.check_systems(report.systems)
    if problems:
        raise InvalidInput("incident report", problems)
    assert report.aware_at is not None  # set by the model
    with uow:
        incident_id = _next_id(uow, now)
        processor = profile.processor(report.source_processor) if report.source_processor else None
        row = IncidentRow(
            id=incident_id, title=report.title, description=report.description,
            source_kind=report.source_kind.value, source_processor=processor.name if processor else None,
            reported_by=report.reported_by, occurred_from=report.occurred_from,
            occurred_until=report.occurred_until, discovered_at=report.discovered_at, aware_at=report.aware_at,
            reported_at=now, authority_due_at=authority_deadline(report.aware_at),
            status=Status.DETECTED.value, status_changed_at=now,
            systems=[IncidentSystemRow(position=i, system=profile.system(name).name)  # type: ignore[union-attr]
                     for i, name in enumerate(report.systems)],
        )
        uow.session.add(row)
        uow.session.flush()
        uow.record(at=now, actor=actor, incident_id=incident_id, action="incident_reported",
                   status=Status.DETECTED.value, source=row.source_kind, systems=len(report.systems))
        uow.commit()
    return incident_id


def record_assessment(uow: UnitOfWork, profile: Profile, incident_id: str, facts: AssessmentFacts, actor: str,
                      now: datetime) -> None:
    """Record the IT expert's facts. A new assessment supersedes the previous one until a decision is acted on."""
    categories = []
    problems = []
    for i, name in enumerate(facts.data.categories):
        term = profile.vocabulary_of(name)
        if term is None:
            own = ", ".join(c.name for c in profile.data_categories)
            problems.append(FieldError(f"data.categories.{i}", f"{name!r} is neither in the assessment vocabulary "
                                       f"nor one of the organisation's categories ({own})"))
        else:
            categories.append(AssessmentCategoryRow(position=i, category=name, vocabulary=term))
    if problems:
        raise InvalidInput("assessment", problems)
    with uow:
        row = uow.incident(incident_id)
        lifecycle.require(row.id, Status(row.status),
                          {Status.DETECTED, Status.UNDER_ASSESSMENT, Status.ASSESSED}, "record an assessment")
        if row.status == Status.ASSESSED and uow.latest_decision(row.id) is not None:
            raise InvalidTransition(f"incident {row.id} has a decision already; a changed assessment after the "
                                    "decision needs a new decision round (not supported yet)")
        b, d, s, p, c = facts.breach, facts.data, facts.subjects, facts.protection, facts.containment
        assessment = AssessmentRow(
            incident_id=row.id, recorded_at=now, recorded_by=actor, summary=facts.summary,
            confidentiality=b.confidentiality, integrity=b.integrity, availability=b.availability,
            malicious=b.malicious, ease_of_identification=d.ease_of_identification,
            **d.context.model_dump(),
            count_min=s.count_min, count_max=s.count_max, contact_effort=s.contact_effort,
            encryption=p.encryption, key_compromised=p.key_compromised, hashing=p.hashing,
            backup_available=p.backup_available, exfiltration=c.exfiltration, recovered=c.recovered,
            recipient_trusted=c.recipient_trusted, restored_within_hours=c.restored_within_hours,
            measures_make_high_risk_unlikely=c.measures_make_high_risk_unlikely, measures=facts.measures,
            categories=categories,
            groups=[AssessmentGroupRow(position=i, group=g) for i, g in enumerate(s.groups)],
        )
        uow.session.add(assessment)
        uow.session.flush()
        if row.status == Status.DETECTED:
            _move(uow, row, Status.UNDER_ASSESSMENT, actor, now)
        _move(uow, row, Status.ASSESSED, actor, now, assessment=assessment.id)
        uow.record(at=now, actor=actor, incident_id=row.id, action="assessment_recorded",
                   assessment=assessment.id, count_min=s.count_min, count_max=s.count_max,
                   categories=len(categories))
        uow.commit()


def record_decision(uow: UnitOfWork, incident_id: str, decision: Decision, actor: str, now: datetime) -> None:
    """The privacy officer's decision on art. 33 (tell the AP) and art. 34 (tell the people), with reasons."""
    with uow:
        row = uow.incident(incident_id)
        lifecycle.require(row.id, Status(row.status), {Status.ASSESSED}, "record a decision")
        assessment = uow.latest_assessment(row.id)
        assert assessment is not None  # ASSESSED implies one
        if uow.latest_decision(row.id) is not None:
            raise InvalidTransition(f"incident {row.id} has a decision already; it is being carried out")
        uow.session.add(DecisionRow(
            incident_id=row.id, assessment_id=assessment.id, notify_authority=decision.notify_authority,
            notify_subjects=decision.notify_subjects, reason=decision.reason, decided_by=actor, decided_at=now,
        ))
        uow.record(at=now, actor=actor, incident_id=row.id, action="decision_recorded",
                   notify_authority=decision.notify_authority, notify_subjects=decision.notify_subjects,
                   assessment=assessment.id)
        uow.commit()


def record_filing(uow: UnitOfWork, incident_id: str, reference: str, filed_at: datetime,
                  delay_reason: str | None, actor: str, now: datetime) -> None:
    """Record that the AP notice was filed through the AP's form, with the AP's reference (meldnummer).

    GDPR art. 33(1): a notification made later than 72 hours after awareness must give the reasons for the delay.
    """
    reference = reference.strip()
    if not reference:
        raise InvalidInput("filing", [FieldError("--reference", "give the AP's reference number (meldnummer)")])
    if filed_at > now:
        raise InvalidInput("filing", [FieldError("--at", "the filing time is in the future")])
    with uow:
        row = uow.incident(incident_id)
        notice = uow.notice(row.id, "authority_notice")
        if notice is None or notice.status != "done":
            raise InvalidTransition(f"incident {row.id} has no AP notice prepared yet; the response flow prepares "
                                    "it after a decision to notify the AP")
        if filed_at < row.aware_at:
            raise InvalidInput("filing", [FieldError("--at", "the filing time is before the incident's aware_at")])
        if uow.session.scalar(select(func.count()).where(AuthorityFilingRow.incident_id == row.id)):
            raise InvalidTransition(f"the AP notice of incident {row.id} is recorded as filed already")
        late = filed_at > row.authority_due_at
        if late and not (delay_reason and delay_reason.strip()):
            raise InvalidInput("filing", [FieldError(
                "--delay-reason", "the notice is filed more than 72 hours after awareness; GDPR art. 33(1) "
                "requires the reasons for the delay")])
        uow.session.add(AuthorityFilingRow(
            incident_id=row.id, notice_id=notice.id, kind="first", filed_at=filed_at, filed_by=actor,
            reference=reference, delay_reason=delay_reason.strip() if late and delay_reason else None,
            recorded_at=now,
        ))
        uow.record(at=now, actor=actor, incident_id=row.id, action="authority_notice_filed", late=late)
        uow.commit()


def dismiss(uow: UnitOfWork, incident_id: str, reason: str, actor: str, now: datetime) -> None:
    """Not a personal-data breach after all; it stays in the register with the reason (art. 33(5))."""
    _finish(uow, incident_id, Status.DISMISSED, reason, actor, now)


def close(uow: UnitOfWork, incident_id: str, reason: str, actor: str, now: datetime) -> None:
    _finish(uow, incident_id, Status.CLOSED, reason, actor, now)


def _finish(uow: UnitOfWork, incident_id: str, target: Status, reason: str, actor: str, now: datetime) -> None:
    if len(reason.strip()) < 10:
        raise InvalidInput(target.value, [FieldError("--reason", "say why in a sentence (10 characters or more)")])
    with uow:
        row = uow.incident(incident_id)
        _move(uow, row, target, actor, now)
        row.closing_reason = reason.strip()
        uow.commit()


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
        insert = _insert_ignoring_duplicates(uow)
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


def _insert_ignoring_duplicates(uow: UnitOfWork):  # type: ignore[no-untyped-def]
    table = SubjectRow.__table__
    if uow.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing(index_elements=["incident_id", "email_key"])


# --- the stages the response flow runs; each is idempotent per incident -------------------------------

@dataclass(frozen=True)
class Outcome:
    """What a stage did, in ids and counts only (it crosses into Prefect)."""

    stage: str
    done: bool
    count: int = 0
    detail: str = ""


def _claim(uow: UnitOfWork, incident_id: str, kind: str, backend: str, now: datetime) -> NoticeRow | None:
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


def _sender(profile: Profile, mail_from: str | None) -> Address:
    return Address(mail_from or str(profile.privacy_contact.email), profile.organisation.name)


def alert_team(uow: UnitOfWork, profile: Profile, mailer: EmailBackend, templates: Path, incident_id: str,
               mail_from: str | None, now: datetime) -> Outcome:
    """Tell the incident team on detection, once, and open the assessment."""
    with uow:
        row = uow.incident(incident_id)
        notice = _claim(uow, row.id, "team_alert", mailer.name, now)
        if notice is None:
            return Outcome("team_alert", True, detail="already sent")
        view = incident_view(uow, row.id, now)
        uow.commit()
    rendered = render_email(templates, profile.language, "team/alert", incident=view,
                            organisation=profile.organisation, privacy_contact=profile.privacy_contact,
                            clock=view.authority_clock)
    message = Message(sender=_sender(profile, mail_from), subject=rendered.subject, text=rendered.text,
                      html=rendered.html, kind="team_alert", incident_id=row.id)
    recipients = [Recipient(f"team-{i}", Address(str(m.email), m.name), {"name": m.name})
                  for i, m in enumerate(profile.incident_team)]
    sent = _send(uow, row.id, "team_alert", mailer, message, recipients, now)
    with uow:
        row = uow.incident(incident_id)
        notice = uow.notice(row.id, "team_alert")
        assert notice is not None
        notice.status, notice.finished_at = "done", now
        notice.recipients, notice.location = len(sent), _location(mailer, message)
        uow.record(at=now, actor="response-flow", incident_id=row.id, action="team_alerted",
                   recipients=len(sent), backend=mailer.name)
        if row.status == Status.DETECTED:
            _move(uow, row, Status.UNDER_ASSESSMENT, "response-flow", now)
        uow.commit()
    return Outcome("team_alert", True, len(sent))


def _location(mailer: EmailBackend, message: Message) -> str:
    folder = getattr(mailer, "folder", None)
    if isinstance(folder, Path):
        return str(folder / message.incident_id / message.kind)
    return mailer.name


def _send(uow: UnitOfWork, incident_id: str, kind: str, mailer: EmailBackend, message: Message,
          recipients: list[Recipient], now: datetime) -> list[str]:
    try:
        return mailer.send(message, recipients).accepted
    except DispatchFailed as exc:
        with uow:
            notice = uow.notice(incident_id, kind)
            if notice is not None:
                notice.status, notice.error = "failed", str(exc)
            uow.record(at=now, actor="response-flow", incident_id=incident_id, action="dispatch_failed", kind=kind)
            uow.commit()
        raise


def _categories(profile: Profile, names: list[str]) -> list[dict[str, str]]:
    result = []
    for name in names:
        term = profile.vocabulary_of(name) or name
        result.append({"name": name, "vocabulary": term, "enisa_class": VOCABULARY.get(term, "simple")})
    return result


def prepare_authority_notice(uow: UnitOfWork, profile: Profile, templates: Path, notices_dir: Path,
                             incident_id: str, now: datetime) -> Outcome:
    """Render the AP notice (Dutch, the form's language, plus an English reading copy), once per incident."""
    with uow:
        row = uow.incident(incident_id)
        decision = uow.latest_decision(row.id)
        if decision is None or not decision.notify_authority:
            return Outcome("authority_notice", False, detail="no decision to notify the AP")
        notice = _claim(uow, row.id, "authority_notice", "file", now)
        if notice is None:
            return Outcome("authority_notice", True, detail="already prepared")
        view = incident_view(uow, row.id, now)
        counts = view.subjects
        context = {
            "incident": view, "profile": profile,
            "processor": profile.processor(row.source_processor) if row.source_processor else None,
            "categories": _categories(profile, view.assessment.categories if view.assessment else []),
            "subjects": {"total": sum(counts.values()), "unreachable": counts.get("unreachable", 0),
                      "reachable": sum(counts.values()) - counts.get("unreachable", 0)},
            "generated_at": now, "late": now > row.authority_due_at, "version": notice.version,
        }
        folder = notices_dir / row.id
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for language in ("nl", "en"):
            for suffix in ("html", "txt"):
                path = folder / f"authority-notice-v{notice.version}.{language}.{suffix}"
                body = render(templates, language, f"authority/notice.{suffix}.j2", **context)
                tmp = path.with_suffix(path.suffix + ".tmp")
                tmp.write_text(body, encoding="utf-8")
                tmp.replace(path)
                written.append(path)
        notice.status, notice.finished_at, notice.location = "done", now, str(written[0])
        uow.record(at=now, actor="response-flow", incident_id=row.id, action="authority_notice_prepared",
                   version=notice.version, late=context["late"])
        uow.commit()
    return Outcome("authority_notice", True, len(written), detail=str(written[0]))


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
        notice = _claim(uow, row.id, "subject_notice", mailer.name, now)
        view = incident_view(uow, row.id, now)
        uow.commit()
    context = {"incident": view, "organisation": profile.organisation, "privacy_contact": profile.privacy_contact,
                   "categories": _categories(profile, view.assessment.categories if view.assessment else [])}
    fallback = {lang: render(templates, lang, "subjects/anonymous_name.txt.j2").strip() for lang in ("nl", "en")}
    total = 0
    for language in ("nl", "en"):
        rendered = render_email(templates, language, "subjects/notice", **context)
        message = Message(sender=_sender(profile, mail_from), subject=rendered.subject, text=rendered.text,
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
                    accepted = _send(uow, row.id, "subject_notice", mailer, message, chunk, now)
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
        notice.location = _location(mailer, Message(sender=Address(""), subject="", text="", html=None,
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


def advance(uow: UnitOfWork, incident_id: str, now: datetime) -> list[str]:
    """Move the incident along its lifecycle as far as the recorded facts allow; return what it waits for.

    The steps are taken in the lifecycle's order, but the work does not wait on the order: the people are
    told as soon as the decision says so (art. 34(1): without undue delay), even while the AP filing is pending.
    """
    with uow:
        row = uow.incident(incident_id)
        status = Status(row.status)
        if status in (Status.CLOSED, Status.DISMISSED):
            return []
        if status == Status.DETECTED:
            return ["team_alert"]
        if status == Status.UNDER_ASSESSMENT:
            return ["assessment"]
        decision = uow.latest_decision(row.id)
        if decision is None:
            return ["decision"]
        waiting: list[str] = []
        if status == Status.ASSESSED:
            if not decision.notify_authority:
                _move(uow, row, Status.AUTHORITY_NOT_REQUIRED, "response-flow", now)
            elif uow.session.scalar(select(func.count()).where(AuthorityFilingRow.incident_id == row.id)):
                _move(uow, row, Status.AUTHORITY_NOTIFIED, "response-flow", now)
            else:
                notice = uow.notice(row.id, "authority_notice")
                waiting.append("authority_filing" if notice and notice.status == "done" else "authority_notice")
        subjects_done = not decision.notify_subjects
        if decision.notify_subjects:
            counts = uow.subject_counts(row.id)
            notice = uow.notice(row.id, "subject_notice")
            if not counts:
                waiting.append("subjects_list")
            elif counts.get("pending", 0) or notice is None or notice.status != "done":
                waiting.append("subject_notice")
            else:
                subjects_done = True
        if Status(row.status) in (Status.AUTHORITY_NOTIFIED, Status.AUTHORITY_NOT_REQUIRED) and subjects_done:
            target = Status.SUBJECTS_NOTIFIED if decision.notify_subjects else Status.SUBJECTS_NOT_REQUIRED
            _move(uow, row, target, "response-flow", now)
        if Status(row.status) in (Status.SUBJECTS_NOTIFIED, Status.SUBJECTS_NOT_REQUIRED):
            waiting.append("closing")
        uow.commit()
        return waiting


def decision_of(uow: UnitOfWork, incident_id: str) -> tuple[bool, bool] | None:
    """(notify_authority, notify_subjects) of the decision, or None while there is none."""
    with uow:
        decision = uow.latest_decision(uow.incident(incident_id).id)
        return None if decision is None else (decision.notify_authority, decision.notify_subjects)
