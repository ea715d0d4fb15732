"""What a person records: the report, the IT assessment, the decision, dismissal and closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from incidents import lifecycle
from incidents.deadlines import authority_deadline
from incidents.errors import FieldError, InvalidInput, InvalidTransition
from incidents.lifecycle import Status
from incidents.model import AssessmentFacts, Decision, IncidentReport
from incidents.notify.render import render
from incidents.profile import Profile
from incidents.reasons import REASON_MIN, reason_problem
from incidents.register.tables import (
    AssessmentCategoryRow,
    AssessmentGroupRow,
    AssessmentRow,
    DecisionRow,
    IdCounter,
    IncidentRow,
    IncidentSystemRow,
    RecommendationRow,
)
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.services import progress
from incidents.services import recommendation as advice
from incidents.services.common import (
    insert_ignoring_conflicts,
    move_status,
)
from incidents.severity import resolve_categories
from incidents.times import AMSTERDAM
from incidents.tracks import closing_problem
from incidents.views import incident_view


@dataclass(frozen=True)
class Decided:
    """What decide() recorded, for the caller to show."""

    notify_authority: bool
    notify_subjects: bool
    follows_recommendation: bool | None  # None: there was no recommendation
    recommendation_id: int | None
    reason: str = ""  # as recorded: the justification given, or the advice's reasons in words

    def run_input(self) -> dict[str, object]:
        """What a response run waiting for the decision is resumed with (flows/inputs.py DecisionInput)."""
        return {"notify_authority": self.notify_authority, "notify_subjects": self.notify_subjects,
                "reason": self.reason}


def _next_id(uow: UnitOfWork, now: datetime) -> str:
    """DL-<year>-<4 digits>, numbered per calendar year in Amsterdam. The year's counter is made if missing
    (reports at once: the first makes it, the others wait for it) and then locked, so each gets its own number."""
    year = now.astimezone(AMSTERDAM).year
    uow.session.execute(insert_ignoring_conflicts(uow, IdCounter.__table__, ["year"]).values(year=year, last=0))
    counter = uow.session.get(IdCounter, year, with_for_update=True)
    assert counter is not None  # made above or before
    counter.last += 1
    return f"DL-{year}-{counter.last:04d}"


def report_incident(uow: UnitOfWork, profile: Profile, report: IncidentReport, actor: str, now: datetime, *,
                    organisation_id: int = 1, profile_version: int | None = None) -> str:
    """Record a reported breach of the organisation (`profile` is its profile, at `profile_version`); the AP
    clock starts at `aware_at`, by default the discovery (GDPR art. 33(1), EDPB Guidelines 9/2022;
    incidents.deadlines.awareness_unexplained)."""
    problems = profile.check_source(report.source_processor) + profile.check_systems(report.systems)
    if problems:
        raise InvalidInput("incident report", problems)
    assert report.aware_at is not None  # set by the model
    with uow:
        incident_id = _next_id(uow, now)
        processor = profile.processor(report.source_processor) if report.source_processor else None
        row = IncidentRow(
            id=incident_id, organisation_id=organisation_id, profile_version=profile_version,
            title=report.title, description=report.description,
            source_kind=report.source_kind.value, source_processor=processor.name if processor else None,
            reported_by=report.reported_by, occurred_from=report.occurred_from,
            occurred_until=report.occurred_until, discovered_at=report.discovered_at, aware_at=report.aware_at,
            awareness_reason=report.awareness_reason,
            reported_at=now, authority_due_at=authority_deadline(report.aware_at),
            status=Status.DETECTED.value, status_changed_at=now,
            systems=[IncidentSystemRow(position=i, system=profile.system(name).name)  # type: ignore[union-attr]
                     for i, name in enumerate(report.systems)],
        )
        uow.session.add(row)
        uow.session.flush()
        uow.record(at=now, actor=actor, incident_id=incident_id, action="incident_reported",
                   status=Status.DETECTED.value, source=row.source_kind, systems=len(report.systems),
                   **({"organisation": organisation_id} if organisation_id != 1 else {}))
        uow.commit()
    return incident_id


def record_assessment(uow: UnitOfWork, profile: Profile, incident_id: str, facts: AssessmentFacts, actor: str,
                      now: datetime) -> None:
    """Record the IT expert's facts and the recommendation computed from them (stored beside them). A new
    assessment supersedes the previous one until a decision is taken; a changed advice is flagged."""
    resolved = resolve_categories(facts.data.categories, profile)
    categories = [AssessmentCategoryRow(position=i, category=c.name, vocabulary=c.term) for i, c in enumerate(resolved)]
    with uow:
        row = uow.incident(incident_id)
        lifecycle.require(row.id, Status(row.status),
                          {Status.DETECTED, Status.UNDER_ASSESSMENT, Status.ASSESSED}, "record an assessment")
        if row.status == Status.ASSESSED and uow.latest_decision(row.id) is not None:
            raise InvalidTransition(Said("intake.assessment_after_decision", id=row.id))
        b, d, s, p, c = facts.breach, facts.data, facts.subjects, facts.protection, facts.containment
        assessment = AssessmentRow(
            incident_id=row.id, recorded_at=now, recorded_by=actor, summary=facts.summary,
            confidentiality=b.confidentiality, integrity=b.integrity, availability=b.availability,
            malicious=b.malicious, endangers_safety=b.endangers_safety, ease_of_identification=d.ease_of_identification,
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
            move_status(uow, row, Status.UNDER_ASSESSMENT, actor, now)
        move_status(uow, row, Status.ASSESSED, actor, now, assessment=assessment.id)
        uow.record(at=now, actor=actor, incident_id=row.id, action="assessment_recorded",
                   assessment=assessment.id, count_min=s.count_min, count_max=s.count_max,
                   categories=len(categories))
        advice.store(uow, row.id, assessment.id, facts, resolved, now)
        uow.commit()


def record_decision(uow: UnitOfWork, incident_id: str, decision: Decision, actor: str, now: datetime) -> None:
    """The privacy officer's decision on art. 33 (tell the AP) and art. 34 (tell the people), with reasons.

    Both answers are given; Decision's reason is the written justification when they differ from the
    recommendation. decide() is the form with the recommendation as default.
    """
    decide(uow, incident_id, actor, now, notify_authority=decision.notify_authority,
           notify_subjects=decision.notify_subjects, reason=decision.reason)


def decide(uow: UnitOfWork, incident_id: str, actor: str, now: datetime, *, notify_authority: bool | None = None,
           notify_subjects: bool | None = None, reason: str | None = None, templates: Path | None = None,
           language: str = "nl") -> Decided:
    """Record the decision on art. 33 and art. 34; each answer left out is the recommendation's.

    GDPR art. 5(2) (accountability): a decision that departs from the recommendation needs a written
    justification, kept as the decision's reason, marked follows_recommendation=False and entered in the audit
    trail. A decision that follows it may leave the reason out: the recommendation's reasons, in words from
    `templates` in `language`, become the reason in the register.
    """
    given = (reason or "").strip()
    with uow:
        row = uow.incident(incident_id)
        lifecycle.require(row.id, Status(row.status), {Status.ASSESSED}, "record a decision")
        assessment = uow.latest_assessment(row.id)
        assert assessment is not None  # ASSESSED implies one
        if uow.latest_decision(row.id) is not None:
            raise InvalidTransition(Said("intake.decided_already", id=row.id))
        recommended = advice.current_recommendation(uow, row.id, now)
        authority, subjects = _answers(recommended, notify_authority, notify_subjects)
        follows = None if recommended is None else (
            (authority, subjects) == (recommended.notify_authority, recommended.notify_subjects))
        if recommended is not None and not follows and len(given) < REASON_MIN:
            raise InvalidInput("decision", [FieldError("--reason", Said("intake.departs", minimum=REASON_MIN))])
        if not given:
            if recommended is None or templates is None:
                raise InvalidInput("decision", [FieldError("--reason", Said("intake.reason_for_the_register",
                                                                            problem=reason_problem(None)))])
            given = _reason_from(uow, row.id, templates, language)
        elif (problem := reason_problem(given)) is not None:
            raise InvalidInput("decision", [FieldError("--reason", problem)])
        decision = DecisionRow(
            incident_id=row.id, assessment_id=assessment.id, notify_authority=authority, notify_subjects=subjects,
            reason=given, decided_by=actor, decided_at=now,
            recommendation_id=recommended.id if recommended is not None else None, follows_recommendation=follows,
        )
        uow.session.add(decision)
        uow.session.flush()
        uow.record(at=now, actor=actor, incident_id=row.id, action="decision_recorded",
                   notify_authority=authority, notify_subjects=subjects, assessment=assessment.id,
                   recommendation=decision.recommendation_id, follows_recommendation=follows)
        if recommended is not None and not follows:
            uow.record(at=now, actor=actor, incident_id=row.id, action="decision_departs_from_recommendation",
                       decision=decision.id, recommendation=recommended.id,
                       recommended={"notify_authority": recommended.notify_authority,
                                    "notify_subjects": recommended.notify_subjects,
                                    "public_communication": recommended.public_communication},
                       decided={"notify_authority": authority, "notify_subjects": subjects})
        uow.commit()
        return Decided(authority, subjects, follows, decision.recommendation_id, given)


def _answers(recommended: RecommendationRow | None, authority: bool | None,
             subjects: bool | None) -> tuple[bool, bool]:
    """The decided answers: each one given, or else the recommendation's."""
    if recommended is None:
        missing = [FieldError(flag, Said("intake.no_recommendation_to_default_to"))
                   for flag, value in (("--authority", authority), ("--subjects", subjects)) if value is None]
        if missing:
            raise InvalidInput("decision", missing)
        assert authority is not None and subjects is not None
        return authority, subjects
    return (recommended.notify_authority if authority is None else authority,
            recommended.notify_subjects if subjects is None else subjects)


def _reason_from(uow: UnitOfWork, incident_id: str, templates: Path, language: str) -> str:
    """The register's reason for a decision that follows the recommendation: its reasons, in words."""
    described = advice.describe_latest(uow, incident_id, templates, language)
    return render(templates, language, "recommendation/decision_reason.txt.j2", r=described).strip()


def dismiss(uow: UnitOfWork, incident_id: str, reason: str, actor: str, now: datetime) -> None:
    """Not a personal-data breach after all; it stays in the register with the reason (art. 33(5))."""
    _finish(uow, incident_id, Status.DISMISSED, reason, actor, now)


def close(uow: UnitOfWork, incident_id: str, reason: str, actor: str, now: datetime, *, lessons: str | None,
          improvements: str | None, despite: str | None = None) -> None:
    """Close an incident once both duties are done (incidents.tracks.closing_problem): the AP notice filed,
    withdrawn or not required, and the people told or not required. With a duty still open it closes only
    `despite` it: the reason for closing anyway, kept in the register and the audit trail (GDPR art. 5(2),
    33(5)). The lifecycle is first moved as far as the recorded facts allow.

    Closing keeps an evaluation, as the register documents the remedial action (art. 33(5)): `lessons`, what
    the organisation learns from the breach, and `improvements`, what it changes so it does not happen again.
    """
    problems = [FieldError("--reason", p) for p in [reason_problem(reason)] if p]
    problems += [FieldError(option, p) for option, text, what in (
        ("--lessons", lessons, "lessons"), ("--improvements", improvements, "improvements"))
        if (p := reason_problem(text, what))]
    if despite is not None and (p := reason_problem(despite, "despite")):
        problems.append(FieldError("--despite", p))
    if problems:
        raise InvalidInput("closed", problems)
    with uow:
        row = uow.incident(incident_id)
        while (target := lifecycle.next_status(progress.progress(uow, row))) is not None:
            move_status(uow, row, target, actor, now)
        view = incident_view(uow, row.id, now)
        still_open = closing_problem(view.tracks)
        if still_open is not None and (despite is None or Status(row.status) not in lifecycle.CLOSABLE_DESPITE):
            raise InvalidTransition(Said("intake.cannot_close", id=row.id, still_open=still_open,
                                         despite=Status(row.status) in lifecycle.CLOSABLE_DESPITE))
        if still_open is not None:
            previous, row.status, row.status_changed_at = row.status, Status.CLOSED.value, now
            uow.record(at=now, actor=actor, incident_id=row.id, action="closed_despite_open_duty",
                       **{"from": previous, "authority": view.tracks.authority.state.value,
                          "people": view.tracks.people.state.value})
            row.closed_despite = (despite or "").strip()
        else:
            move_status(uow, row, Status.CLOSED, actor, now)
        row.closing_reason = reason.strip()
        row.lessons, row.improvements = (lessons or "").strip(), (improvements or "").strip()
        uow.commit()


def _finish(uow: UnitOfWork, incident_id: str, target: Status, reason: str, actor: str, now: datetime) -> None:
    if (problem := reason_problem(reason)) is not None:
        raise InvalidInput(Said("intake.finishing", status=target.value), [FieldError("--reason", problem)])
    with uow:
        row = uow.incident(incident_id)
        move_status(uow, row, target, actor, now)
        row.closing_reason = reason.strip()
        uow.commit()
