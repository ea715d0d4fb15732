"""How far an incident can move along its lifecycle, and what it waits for."""

from __future__ import annotations

from datetime import datetime

from incidents import lifecycle
from incidents.errors import InvalidTransition
from incidents.lifecycle import Status
from incidents.register.tables import (
    IncidentRow,
)
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.services.common import (
    move_status,
)
from incidents.tracks import PeopleState, require_people
from incidents.views import (
    PUBLIC_KIND,
    IncidentView,
    incident_view,
    latest_recommendations,
    message_approval,
    public_notice_approved,
    published_public_notice,
)


def progress(uow: UnitOfWork, row: IncidentRow) -> lifecycle.Progress:
    decision = uow.latest_decision(row.id)
    notices = uow.notices(row.id)
    authority_notice = next((n for n in notices if n.kind == "authority_notice"), None)
    subject_notice = next((n for n in notices if n.kind == "subject_notice"), None)
    counts = uow.subject_counts(row.id)
    return lifecycle.Progress(
        status=Status(row.status),
        decision=None if decision is None else (decision.notify_authority, decision.notify_subjects),
        authority_notice_ready=authority_notice is not None and authority_notice.status == "done",
        authority_filed=uow.authority_filing(row.id) is not None,
        subjects_linked=sum(counts.values()),
        subjects_pending=counts.get("pending", 0) + counts.get("sending", 0),
        subject_notice_done=subject_notice is not None and subject_notice.status == "done",
        public_notice_prepared=any(n.kind == PUBLIC_KIND for n in notices),
        public_notice_published=published_public_notice(notices) is not None,
        public_notice_required=public_notice_advised(uow, row.id),
        subject_notice_approved=bool((approval := message_approval(uow, row.id)) and approval.approved),
        public_notice_approved=public_notice_approved(uow, row.id),
    )


def waiting_for_views(uow: UnitOfWork, views: list[IncidentView]) -> dict[str, list[lifecycle.Step]]:
    """waiting_for() of many incidents at once, from their views (incident_views) and one query: what each
    waits for, by incident id. Called inside the caller's `with uow:` (the one the views were read in)."""
    from sqlalchemy import func, select

    from incidents.register.tables import AssessmentRow
    from incidents.register.unit_of_work import any_of

    advised = [v.id for v in views if v.recommendation is not None and v.recommendation.public_communication]
    newest = dict(uow.session.execute(
        select(AssessmentRow.incident_id, func.max(AssessmentRow.id)).where(any_of(
            AssessmentRow.incident_id, advised, uow.session.connection().dialect.name))
        .group_by(AssessmentRow.incident_id)).all()) if advised else {}
    waiting = {}
    for v in views:
        authority_notice, subject_notice = v.notice("authority_notice"), v.notice("subject_notice")
        waiting[v.id] = lifecycle.waiting_for(lifecycle.Progress(
            status=v.status,
            decision=None if v.decision is None else (v.decision.notify_authority, v.decision.notify_subjects),
            authority_notice_ready=authority_notice is not None and authority_notice.status == "done",
            authority_filed=bool(v.filings),
            subjects_linked=sum(v.subjects.values()),
            subjects_pending=v.subjects.get("pending", 0) + v.subjects.get("sending", 0),
            subject_notice_done=subject_notice is not None and subject_notice.status == "done",
            public_notice_prepared=any(n.kind == PUBLIC_KIND for n in v.notices),
            public_notice_published=v.public_notice is not None,
            public_notice_required=bool(v.recommendation and v.recommendation.public_communication
                                        and newest.get(v.id) == v.recommendation.assessment_id),
            subject_notice_approved=bool(v.message and v.message.approved),
            public_notice_approved=v.public_approved,
        ))
    return waiting


def public_notice_published(uow: UnitOfWork, incident_id: str) -> bool:
    """Some version of the public communication went online (GDPR art. 34(3)(c)): the people are told."""
    return published_public_notice(uow.notices(incident_id)) is not None


def public_notice_advised(uow: UnitOfWork, incident_id: str) -> bool:
    """The advice on the current assessment is a public communication (GDPR art. 34(3)(c))."""
    assessment = uow.latest_assessment(incident_id)
    advice = latest_recommendations(uow, incident_id)
    return bool(assessment and advice and advice[0].assessment_id == assessment.id and advice[0].public_communication)


def advance(uow: UnitOfWork, incident_id: str, now: datetime) -> list[lifecycle.Step]:
    """Move the incident along its lifecycle as far as the recorded facts allow; return what it waits for."""
    with uow:
        row = uow.incident(incident_id)
        while (target := lifecycle.next_status(progress(uow, row))) is not None:
            move_status(uow, row, target, "response-flow", now)
        waiting = lifecycle.waiting_for(progress(uow, row))
        uow.commit()
        return waiting


def waiting_for(uow: UnitOfWork, incident_id: str) -> list[lifecycle.Step]:
    """What the incident waits for, read without moving it."""
    with uow:
        return lifecycle.waiting_for(progress(uow, uow.incident(incident_id)))


def decision_of(uow: UnitOfWork, incident_id: str) -> tuple[bool, bool] | None:
    """(notify_authority, notify_subjects) of the decision, or None while there is none."""
    with uow:
        decision = uow.latest_decision(uow.incident(incident_id).id)
        return None if decision is None else (decision.notify_authority, decision.notify_subjects)


def record_request(uow: UnitOfWork, incident_id: str, action: str, actor: str, now: datetime, **counts: int) -> None:
    """A person asked for something that leaves no other trace (start the notices, export the worklist):
    the audit trail keeps who and when (ids and counts only)."""
    with uow:
        row = uow.incident(incident_id)
        uow.record(at=now, actor=actor, incident_id=row.id, action=action, **counts)
        uow.commit()


def request_dispatch(uow: UnitOfWork, incident_id: str, actor: str, now: datetime) -> None:
    """A person asks for the notices to the people to be sent (or resumed): allowed once the decision says to
    tell them one by one (GDPR art. 34(1)), and kept in the audit trail. Both doors call this before sending
    (`breach subjects notify` in the foreground, the dashboard through the response flow)."""
    with uow:
        row = uow.incident(incident_id)
        if row.status in (Status.CLOSED, Status.DISMISSED):
            raise InvalidTransition(Said("progress.nothing_sent_any_more", id=row.id, status=row.status))
        people = incident_view(uow, row.id, now).tracks.people
        if people.details.get("channel") == "public_communication":
            raise InvalidTransition(Said("progress.told_publicly", id=row.id))
        require_people(row.id, people, {PeopleState.APPROVED, PeopleState.SENDING, PeopleState.TOLD},
                       "send the notices to the people")
        uow.record(at=now, actor=actor, incident_id=row.id, action="subject_dispatch_requested")
        uow.commit()

