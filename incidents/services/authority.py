"""The notice to the Autoriteit Persoonsgegevens: its answers, its versions, its filing and what comes after.

Every version of the notice is rendered once and kept (authority-notice-v<N>.<lang>.<html|txt> beside a
NoticeRow with that version): the first notice the flow prepares, the notice as filed late (with the reasons
for the delay), each follow-up and a withdrawal. A draft (authority-notice-draft.*) is a preview and is not kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from incidents.authority_notice import (
    AnswerSet,
    Check,
    Filing,
    NoticeFacts,
    Purpose,
    SentText,
    Severity,
    answer_set,
    filing_verdict,
    open_answers,
)
from incidents.deadlines import notified_late
from incidents.edpb import EdpbAnswers, template_answers
from incidents.errors import FieldError, InvalidInput, InvalidTransition
from incidents.notify.email import Address, Attachment, EmailBackend, Message, Recipient
from incidents.notify.render import (
    LANGUAGES,  # the languages the templates speak
    render,
    render_email,
)
from incidents.profile import Profile
from incidents.reasons import reason_problem
from incidents.register.tables import AuthorityFilingRow, IncidentRow, NoticeRow, RecommendationRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.services.common import Outcome, claim_notice, location_of, send, sender_of
from incidents.tracks import AuthorityState, require_authority
from incidents.views import ClockView, incident_view

KIND = "authority_notice"
MAIL_KIND = "authority_mail"  # the internal e-mail to the privacy contact with the notice attached
REFERENCE_MAX = 100  # the register's column


@dataclass(frozen=True)
class NoticeVersion:
    """One kept version of the notice, with the filing it records (if any)."""

    version: int
    made_at: datetime
    location: str | None
    filing: Filing | None


@dataclass(frozen=True)
class Filed:
    """What a filing, follow-up or withdrawal recorded: ids and paths, no personal data."""

    incident_id: str
    filing_id: int
    kind: Purpose
    version: int
    late: bool
    paths: list[Path] = field(default_factory=list)  # the version's files when it was rendered now
    reference: str = ""
    filed_at: datetime | None = None
    delay_reason: str | None = None

    def run_input(self) -> dict[str, object]:
        """What a response run waiting for the filing is resumed with (flows/inputs.py FilingInput)."""
        return {"reference": self.reference, "filed_at": self.filed_at.isoformat() if self.filed_at else None,
                "delay_reason": self.delay_reason}


@dataclass(frozen=True)
class AuthorityCheck:
    """`breach authority check` and the dashboard: the verdict, the open questions, the clock, the history."""

    check: Check
    clock: ClockView
    versions: list[NoticeVersion]

    @property
    def answers(self) -> AnswerSet:
        return self.check.answers


# --- reading the register ----------------------------------------------------------------------------------

def _filing_rows(uow: UnitOfWork, incident_id: str) -> list[AuthorityFilingRow]:
    return list(uow.session.scalars(select(AuthorityFilingRow).where(AuthorityFilingRow.incident_id == incident_id)
                                    .order_by(AuthorityFilingRow.id)))


def _version_rows(uow: UnitOfWork, incident_id: str) -> list[NoticeRow]:
    return list(uow.session.scalars(select(NoticeRow).where(NoticeRow.incident_id == incident_id,
                                                           NoticeRow.kind == KIND).order_by(NoticeRow.version)))


def _filing(row: AuthorityFilingRow, versions: dict[int, int]) -> Filing:
    return Filing(id=row.id, kind=row.kind, filed_at=row.filed_at, filed_by=row.filed_by,  # type: ignore[arg-type]
                  reference=row.reference, delay_reason=row.delay_reason, changes=row.changes,
                  withdrawal_reason=row.withdrawal_reason, previous_id=row.previous_id,
                  version=versions.get(row.notice_id))


def _history(uow: UnitOfWork, incident_id: str) -> list[Filing]:
    versions = {n.id: n.version for n in _version_rows(uow, incident_id)}
    return [_filing(f, versions) for f in _filing_rows(uow, incident_id)]


def _severity(uow: UnitOfWork, incident_id: str) -> Severity | None:
    """The recommendation's severity for the latest assessment, when the engine has computed one."""
    assessment = uow.latest_assessment(incident_id)
    if assessment is None:
        return None
    row = uow.session.scalars(select(RecommendationRow).where(
        RecommendationRow.incident_id == incident_id, RecommendationRow.assessment_id == assessment.id,
    ).order_by(RecommendationRow.id.desc())).first()
    return None if row is None else Severity(row.level, row.score)


def _facts(uow: UnitOfWork, profile: Profile, row: IncidentRow, made_at: datetime, now: datetime, *,
           purpose: Purpose, history: list[Filing], filing: Filing | None = None, version: int | None = None,
           changes: str | None = None, withdrawal_reason: str | None = None) -> NoticeFacts:
    return NoticeFacts(
        incident=incident_view(uow, row.id, now), profile=profile, made_at=made_at, purpose=purpose,
        filing=filing, history=tuple(history), changes=changes, withdrawal_reason=withdrawal_reason,
        severity=_severity(uow, row.id), version=version, answers=open_answers(_recorded_answers(uow, row.id)),
        texts=_texts(uow, row.id),
    )


def _texts(uow: UnitOfWork, incident_id: str) -> tuple[SentText, ...]:
    from incidents.register.tables import MessageTextRow

    return tuple(SentText(t.kind, t.version, t.language, t.subject, t.text) for t in uow.session.scalars(
        select(MessageTextRow).where(MessageTextRow.incident_id == incident_id).order_by(MessageTextRow.id)))


def _recorded_answers(uow: UnitOfWork, incident_id: str) -> dict[str, list[str]]:
    import json

    from incidents.register.tables import AuthorityAnswerRow

    rows = uow.session.scalars(select(AuthorityAnswerRow).where(AuthorityAnswerRow.incident_id == incident_id)
                               .order_by(AuthorityAnswerRow.id))
    return {r.question: json.loads(r.value) for r in rows}  # a later answer replaces an earlier one


def record_authority_answer(uow: UnitOfWork, incident_id: str, question: str, values: list[str], actor: str,
                            now: datetime) -> list[str]:
    """Record a person's answer to an AP form question no other fact supplies; the next notice uses it."""
    import json

    from incidents.authority_notice import parse_open_answer
    from incidents.register.tables import AuthorityAnswerRow

    answer = parse_open_answer(question.strip(), values)
    with uow:
        row = uow.incident(incident_id)
        uow.session.add(AuthorityAnswerRow(incident_id=row.id, question=question.strip(),
                                           value=json.dumps(answer, ensure_ascii=False), recorded_by=actor,
                                           recorded_at=now))
        uow.record(at=now, actor=actor, incident_id=row.id, action="authority_answer_recorded",
                   question=question.strip(), items=len(answer))
        uow.commit()
    return answer


def _next_purpose(history: list[Filing]) -> Purpose:
    return "follow_up" if any(f.kind == "first" for f in history) else "first"


def _withdrawn(history: list[Filing]) -> bool:
    return any(f.kind == "withdrawal" for f in history)


# --- rendering and keeping versions ------------------------------------------------------------------------

def notice_paths(notices_dir: Path, incident_id: str, version: int | None) -> dict[tuple[str, str], Path]:
    """Where a version (None: the draft) of the notice lives, per (language, html|txt); Dutch HTML first."""
    stem = f"authority-notice-v{version}" if version is not None else "authority-notice-draft"
    folder = notices_dir / incident_id
    return {(lang, ext): folder / f"{stem}.{lang}.{ext}" for lang in LANGUAGES for ext in ("html", "txt")}


def _write(templates: Path, paths: dict[tuple[str, str], Path], answers: AnswerSet) -> list[Path]:
    written = []
    for (language, suffix), path in paths.items():
        body = render(templates, language, f"authority/notice.{suffix}.j2", answer_set=answers)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(path)  # a crash leaves no half-written notice
        written.append(path)
    return written


def _new_version(uow: UnitOfWork, incident_id: str, now: datetime) -> NoticeRow:
    """The next version's row, inserted before anything is written: the unique (incident, kind, version)
    makes a concurrent second writer fail here, before it could touch the first one's files."""
    last = uow.session.scalar(select(func.max(NoticeRow.version)).where(
        NoticeRow.incident_id == incident_id, NoticeRow.kind == KIND)) or 0
    notice = NoticeRow(incident_id=incident_id, kind=KIND, version=last + 1, status="sending", started_at=now,
                       recipients=0, backend="file")
    uow.session.add(notice)
    uow.session.flush()
    return notice


def _keep(uow: UnitOfWork, templates: Path, notices_dir: Path, notice: NoticeRow, facts: NoticeFacts,
          now: datetime) -> list[Path]:
    written = _write(templates, notice_paths(notices_dir, notice.incident_id, notice.version), answer_set(facts))
    notice.status, notice.finished_at, notice.location = "done", now, str(written[0])
    return written


# --- the first notice --------------------------------------------------------------------------------------

def prepare_authority_notice(uow: UnitOfWork, profile: Profile, templates: Path, notices_dir: Path,
                             incident_id: str, now: datetime) -> Outcome:
    """Render the AP notice (Dutch, the form's language, plus an English reading copy) as version 1, once per
    incident; what is not known yet is marked and listed in it (GDPR art. 33(4): notify in phases)."""
    with uow:
        row = uow.incident(incident_id)
        decision = uow.latest_decision(row.id)
        if decision is None or not decision.notify_authority:
            return Outcome(KIND, False, detail="no decision to notify the AP")
        notice = claim_notice(uow, row.id, KIND, "file", now)
        if notice is None:
            return Outcome(KIND, True, detail="already prepared")
        facts = _facts(uow, profile, row, now, now, purpose="first", history=[], version=notice.version)
        written = _keep(uow, templates, notices_dir, notice, facts, now)
        answers = answer_set(facts)
        uow.record(at=now, actor="response-flow", incident_id=row.id, action="authority_notice_prepared",
                   version=notice.version, late=answers.late, unanswered=len(answers.unanswered))
        uow.commit()
    return Outcome(KIND, True, len(written), detail=str(written[0]))


def check_authority_notice(uow: UnitOfWork, profile: Profile, incident_id: str, now: datetime) -> AuthorityCheck:
    """The questions the next notice still leaves open and whether it can be filed now (read only)."""
    with uow:
        row = uow.incident(incident_id)
        history = _history(uow, row.id)
        facts = _facts(uow, profile, row, now, now, purpose=_next_purpose(history), history=history)
        answers = answer_set(facts)
        decision = facts.decision
        verdict = filing_verdict(answers, decided=decision is not None,
                                 notify_authority=bool(decision and decision.notify_authority),
                                 withdrawn=_withdrawn(history))
        by_notice = {f.version: f for f in history if f.version is not None}
        versions = [NoticeVersion(n.version, n.finished_at or n.started_at, n.location, by_notice.get(n.version))
                    for n in _version_rows(uow, row.id) if n.status == "done"]
        return AuthorityCheck(Check(verdict, answers), facts.incident.authority_clock, versions)


def draft_authority_notice(uow: UnitOfWork, profile: Profile, templates: Path, notices_dir: Path,
                           incident_id: str, now: datetime, changes: str | None = None) -> list[Path]:
    """Render the next notice as it stands now (a first notice, or a follow-up with `changes`) as a draft to
    copy from before filing; a draft is overwritten by the next one and is never a kept version."""
    with uow:
        row = uow.incident(incident_id)
        history = _history(uow, row.id)
        if _withdrawn(history):
            raise InvalidTransition(Said("authority.withdrawn_nothing_filed", id=row.id))
        purpose = _next_purpose(history)
        facts = _facts(uow, profile, row, now, now, purpose=purpose, history=history,
                       changes=changes.strip() if changes else None)
        return _write(templates, notice_paths(notices_dir, row.id, None), answer_set(facts))


def edpb_answers(uow: UnitOfWork, profile: Profile, incident_id: str, now: datetime) -> EdpbAnswers:
    """The notice in the EDPB's common EU template (incidents/edpb.py), from the same answers as the AP notice
    (read only): the next notice to file — a first notice, or a follow-up once the first is filed — or, once
    withdrawn, the withdrawal as it was filed."""
    with uow:
        row = uow.incident(incident_id)
        history = _history(uow, row.id)
        withdrawal = next((f for f in history if f.kind == "withdrawal"), None)
        if withdrawal is not None:
            before = [f for f in history if f.id < withdrawal.id]
            facts = _facts(uow, profile, row, withdrawal.filed_at, now, purpose="withdrawal", history=before,
                           filing=withdrawal, version=withdrawal.version)
        else:
            facts = _facts(uow, profile, row, now, now, purpose=_next_purpose(history), history=history)
        return template_answers(facts)


# --- filing and after --------------------------------------------------------------------------------------

def _reference(reference: str | None, option: str = "--reference") -> list[FieldError]:
    text = (reference or "").strip()
    if not text:
        return [FieldError(option, Said("authority.reference_missing"))]
    if len(text) > REFERENCE_MAX or re.search(r"[\x00-\x1f\x7f]", text):
        return [FieldError(option, Said("authority.reference_too_long", maximum=REFERENCE_MAX))]
    return []


def _text(value: str | None, option: str, what: str) -> list[FieldError]:
    """`what` the text must say, by its key in templates/<lang>/errors/reasons.j2."""
    problem = reason_problem(value, what)
    return [FieldError(option, problem)] if problem else []


def _when(row: IncidentRow, filed_at: datetime, now: datetime, after: Filing | None) -> list[FieldError]:
    if filed_at > now:
        return [FieldError("--at", Said("authority.filed_in_the_future"))]
    if filed_at < row.aware_at:
        return [FieldError("--at", Said("authority.filed_before_awareness"))]
    if after is not None and filed_at < after.filed_at:
        return [FieldError("--at", Said("authority.filed_before_previous"))]
    return []


def _changed_since(uow: UnitOfWork, profile: Profile, templates: Path, notices_dir: Path, row: IncidentRow,
                   prepared: NoticeRow, history: list[Filing], now: datetime) -> bool:
    """Whether the notice rendered from today's facts says something else than the prepared version did (its
    own date kept): then the notice is rendered afresh when it is filed."""
    path = notice_paths(notices_dir, row.id, prepared.version)[("nl", "txt")]
    if not path.exists():
        return True
    facts = _facts(uow, profile, row, prepared.started_at, now, purpose="first", history=history,
                   version=prepared.version)
    return render(templates, "nl", "authority/notice.txt.j2", answer_set=answer_set(facts)) != \
        path.read_text(encoding="utf-8")


def record_filing(uow: UnitOfWork, incident_id: str, reference: str, filed_at: datetime,
                  delay_reason: str | None, actor: str, now: datetime, *, profile: Profile | None = None,
                  templates: Path | None = None, notices_dir: Path | None = None) -> Filed:
    """Record that the first AP notice was filed through the AP's form: when, by whom, the meldnummer.

    GDPR art. 33(1): a notification made later than 72 hours after awareness must give the reasons for the
    delay; without them the filing is refused. The reasons must then appear in the notice: a late filing keeps
    a new version of the notice with the reasons under question 4.5, rendered with `profile`, `templates` and
    `notices_dir` (every door passes them; a late filing without them is a programming error, not a silent
    notice without its reasons). A filing in time records the latest prepared version, unless the facts changed
    since it was prepared (the people were told meanwhile, an answer was recorded): then the notice is rendered
    afresh as a new version, so what is kept is what the AP was told (10.1: how many, when, with what text).
    """
    problems = _reference(reference)
    with uow:
        row = uow.incident(incident_id)
        history = _history(uow, row.id)
        if any(f.kind == "first" for f in history):
            raise InvalidTransition(Said("authority.filed_already", id=row.id))
        require_authority(row.id, incident_view(uow, row.id, now).tracks.authority, {AuthorityState.TO_FILE},
                          "record an AP filing")
        versions = _version_rows(uow, row.id)
        if not versions or versions[-1].status != "done":
            raise InvalidTransition(Said("authority.no_notice_prepared", id=row.id))
        problems += _when(row, filed_at, now, None)
        late = notified_late(row.aware_at, filed_at)
        if late and reason_problem(delay_reason) is not None:
            problems.append(FieldError("--delay-reason", Said("authority.delay_reasons_required")))
        if problems:
            raise InvalidInput("filing", problems)
        if late and (profile is None or templates is None or notices_dir is None):
            raise TypeError("a late filing keeps a new notice version with the reasons for the delay: pass "
                            "profile, templates and notices_dir")
        # what happened since the notice was prepared (the people told, an answer recorded) is in what is filed
        changed = not late and profile is not None and templates is not None and notices_dir is not None and \
            _changed_since(uow, profile, templates, notices_dir, row, versions[-1], history, now)
        notice = _new_version(uow, row.id, now) if late or changed else versions[-1]
        filing_row = AuthorityFilingRow(
            incident_id=row.id, notice_id=notice.id, kind="first", filed_at=filed_at, filed_by=actor,
            reference=reference.strip(), delay_reason=delay_reason.strip() if late and delay_reason else None,
            recorded_at=now,
        )
        uow.session.add(filing_row)
        uow.session.flush()
        paths: list[Path] = []
        if profile is not None:
            filing = _filing(filing_row, {notice.id: notice.version})
            facts = _facts(uow, profile, row, filed_at, now, purpose="first", history=history, filing=filing,
                           version=notice.version)
            filing_row.open_questions = len(answer_set(facts).unanswered)
            if late or changed:
                assert templates is not None and notices_dir is not None
                paths = _keep(uow, templates, notices_dir, notice, facts, now)
        uow.record(at=now, actor=actor, incident_id=row.id, action="authority_notice_filed", late=late,
                   version=notice.version, filing=filing_row.id, rendered_again=changed)
        uow.commit()
        return Filed(row.id, filing_row.id, "first", notice.version, late, paths, filing_row.reference, filed_at,
                     filing_row.delay_reason)


def _after_first(uow: UnitOfWork, row: IncidentRow, kind: Purpose) -> list[Filing]:
    """The filings so far, refusing a `kind` (follow_up | withdrawal) of notice that cannot come after them."""
    history = _history(uow, row.id)
    if _withdrawn(history):
        raise InvalidTransition(Said("authority.withdrawn_already", id=row.id, kind=kind))
    if not any(f.kind == "first" for f in history):
        raise InvalidTransition(Said("authority.not_filed_yet", id=row.id, kind=kind))
    return history


def record_follow_up(uow: UnitOfWork, profile: Profile, templates: Path, notices_dir: Path, incident_id: str,
                     changes: str, reference: str | None, filed_at: datetime, actor: str, now: datetime) -> Filed:
    """Record a follow-up notice filed at the AP (GDPR art. 33(4): information in phases, without undue further
    delay) and keep it as a new version, linked to the filing it follows. `reference` is the meldnummer the AP
    gave the follow-up; without one, the follow-up is recorded under the meldnummer of the notice it follows."""
    problems = _text(changes, "--changes", "changes")
    if reference is not None:
        problems += _reference(reference)
    with uow:
        row = uow.incident(incident_id)
        history = _after_first(uow, row, "follow_up")
        previous = history[-1]
        problems += _when(row, filed_at, now, previous)
        if problems:
            raise InvalidInput("follow-up", problems)
        return _record_later(uow, profile, templates, notices_dir, row, history, actor, now, filed_at,
                             kind="follow_up", reference=(reference or previous.reference).strip(),
                             changes=changes.strip())


def record_withdrawal(uow: UnitOfWork, profile: Profile, templates: Path, notices_dir: Path, incident_id: str,
                      reason: str, reference: str | None, filed_at: datetime, actor: str, now: datetime) -> Filed:
    """Record that the AP notice was withdrawn at the AP, because it turned out not to be a breach that must be
    notified (GDPR art. 33(1): unlikely to result in a risk), with the reason; kept as a new version. The
    breach stays in the register with its whole history (art. 33(5))."""
    problems = _text(reason, "--reason", "not_a_breach")
    if reference is not None:
        problems += _reference(reference)
    with uow:
        row = uow.incident(incident_id)
        history = _after_first(uow, row, "withdrawal")
        previous = history[-1]
        problems += _when(row, filed_at, now, previous)
        if problems:
            raise InvalidInput("withdrawal", problems)
        return _record_later(uow, profile, templates, notices_dir, row, history, actor, now, filed_at,
                             kind="withdrawal", reference=(reference or previous.reference).strip(),
                             withdrawal_reason=reason.strip())


def _record_later(uow: UnitOfWork, profile: Profile, templates: Path, notices_dir: Path, row: IncidentRow,
                  history: list[Filing], actor: str, now: datetime, filed_at: datetime, *, kind: Purpose,
                  reference: str, changes: str | None = None, withdrawal_reason: str | None = None) -> Filed:
    notice = _new_version(uow, row.id, now)
    filing_row = AuthorityFilingRow(
        incident_id=row.id, notice_id=notice.id, kind=kind, filed_at=filed_at, filed_by=actor, reference=reference,
        recorded_at=now, changes=changes, withdrawal_reason=withdrawal_reason, previous_id=history[-1].id,
    )
    uow.session.add(filing_row)
    uow.session.flush()
    filing = _filing(filing_row, {notice.id: notice.version})
    facts = _facts(uow, profile, row, filed_at, now, purpose=kind, history=history, filing=filing,
                   version=notice.version)
    paths = _keep(uow, templates, notices_dir, notice, facts, now)
    filing_row.open_questions = len(answer_set(facts).unanswered) if kind == "follow_up" else None
    action = "authority_follow_up_filed" if kind == "follow_up" else "authority_notice_withdrawn"
    uow.record(at=now, actor=actor, incident_id=row.id, action=action, version=notice.version,
               filing=filing_row.id, previous=history[-1].id)
    uow.commit()
    first = next(f for f in history if f.kind == "first")
    return Filed(row.id, filing_row.id, kind, notice.version, notified_late(row.aware_at, first.filed_at), paths)


def notice_versions(uow: UnitOfWork, incident_id: str) -> list[NoticeVersion]:
    """Every kept version of the notice, oldest first, each with the filing it records (for history views)."""
    with uow:
        row = uow.incident(incident_id)
        history = _history(uow, row.id)
        by_version = {f.version: f for f in history if f.version is not None}
        return [NoticeVersion(n.version, n.finished_at or n.started_at, n.location, by_version.get(n.version))
                for n in _version_rows(uow, row.id) if n.status == "done"]


# --- the internal e-mail -----------------------------------------------------------------------------------

def mail_authority_notice(uow: UnitOfWork, profile: Profile, mailer: EmailBackend, templates: Path,
                          notices_dir: Path, incident_id: str, mail_from: str | None, now: datetime) -> Outcome:
    """E-mail the privacy contact the prepared notice (attached: the printable Dutch HTML and the text per
    question) with the hours left until the AP deadline (GDPR art. 33(1)), once, while it is not filed."""
    with uow:
        row = uow.incident(incident_id)
        decision = uow.latest_decision(row.id)
        if decision is None or not decision.notify_authority:
            return Outcome(MAIL_KIND, False, detail="no decision to notify the AP")
        versions = [n for n in _version_rows(uow, row.id) if n.status == "done"]
        if not versions:
            return Outcome(MAIL_KIND, False, detail="no AP notice prepared yet")
        history = _history(uow, row.id)
        if history:
            return Outcome(MAIL_KIND, True, detail="the notice is filed already")
        mail = claim_notice(uow, row.id, MAIL_KIND, mailer.name, now)
        if mail is None:
            return Outcome(MAIL_KIND, True, detail="already sent")
        number, made_at = versions[-1].version, versions[-1].finished_at or now
        facts = _facts(uow, profile, row, made_at, now, purpose="first", history=[], version=number)
        answers = answer_set(facts)
        verdict = filing_verdict(answers, decided=True, notify_authority=True, withdrawn=False)
        clock = facts.incident.authority_clock
        uow.commit()
    paths = notice_paths(notices_dir, row.id, number)
    wanted = [("nl", "html"), ("nl", "txt")] + ([(profile.language, "html")] if profile.language != "nl" else [])
    attachments = tuple(
        Attachment(paths[key].name, paths[key].read_bytes(), "text/html" if key[1] == "html" else "text/plain",
                   charset="utf-8")
        for key in wanted
    )
    rendered = render_email(templates, profile.language, "authority/privacy_contact", answer_set=answers,
                            verdict=verdict, clock=clock, attachments=[a.filename for a in attachments],
                            contact=profile.privacy_contact)
    message = Message(sender=sender_of(profile, mail_from), subject=rendered.subject, text=rendered.text,
                      html=rendered.html, kind=MAIL_KIND, incident_id=row.id, attachments=attachments,
                      custom_args={"version": str(number)})
    contact = profile.privacy_contact
    recipients = [Recipient("privacy-contact", Address(str(contact.email), contact.name), {"name": contact.name})]
    sent = send(uow, row.id, MAIL_KIND, mailer, message, recipients, now).accepted
    with uow:
        notice = uow.notice(row.id, MAIL_KIND)
        assert notice is not None
        notice.status, notice.finished_at = "done", now
        notice.recipients, notice.location = len(sent), location_of(mailer, message)
        uow.record(at=now, actor="response-flow", incident_id=row.id, action="authority_notice_mailed",
                   version=number, recipients=len(sent), attachments=len(attachments),
                   backend=mailer.name)
        uow.commit()
    return Outcome(MAIL_KIND, True, len(sent))
