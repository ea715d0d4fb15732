"""The states of an incident and the transitions the law and the procedure allow."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from incidents.errors import InvalidTransition
from incidents.said import Said


class Status(StrEnum):
    DETECTED = "detected"
    UNDER_ASSESSMENT = "under_assessment"
    ASSESSED = "assessed"
    AUTHORITY_NOTIFIED = "authority_notified"
    AUTHORITY_NOT_REQUIRED = "authority_not_required"
    SUBJECTS_NOTIFIED = "subjects_notified"
    SUBJECTS_NOT_REQUIRED = "subjects_not_required"
    CLOSED = "closed"
    DISMISSED = "dismissed"  # "not a personal-data breach": still documented (art. 33(5))


class Step(StrEnum):
    """What an incident waits for, in the order a person should act: the one set of names the lifecycle, the
    flows (which steps suspend for input), the CLI, the dashboard, the reminders and the templates share."""

    TEAM_ALERT = "team_alert"
    ASSESSMENT = "assessment"
    DECISION = "decision"
    AUTHORITY_NOTICE = "authority_notice"
    AUTHORITY_FILING = "authority_filing"
    SUBJECTS_LIST = "subjects_list"
    SUBJECT_NOTICE_APPROVAL = "subject_notice_approval"  # a person approves the message before anyone gets it
    SUBJECT_NOTICE = "subject_notice"
    PUBLIC_NOTICE = "public_notice"
    PUBLIC_NOTICE_APPROVAL = "public_notice_approval"  # a person approves the written version before it goes online
    PUBLIC_NOTICE_PUBLICATION = "public_notice_publication"
    CLOSING = "closing"


ALLOWED: dict[Status, frozenset[Status]] = {
    Status.DETECTED: frozenset({Status.UNDER_ASSESSMENT, Status.DISMISSED}),
    Status.UNDER_ASSESSMENT: frozenset({Status.ASSESSED, Status.DISMISSED}),
    # a new assessment may replace the previous one until the decision has been acted on
    Status.ASSESSED: frozenset(
        {Status.ASSESSED, Status.AUTHORITY_NOTIFIED, Status.AUTHORITY_NOT_REQUIRED, Status.DISMISSED}
    ),
    Status.AUTHORITY_NOTIFIED: frozenset({Status.SUBJECTS_NOTIFIED, Status.SUBJECTS_NOT_REQUIRED}),
    Status.AUTHORITY_NOT_REQUIRED: frozenset({Status.SUBJECTS_NOTIFIED, Status.SUBJECTS_NOT_REQUIRED}),
    Status.SUBJECTS_NOTIFIED: frozenset({Status.CLOSED}),
    Status.SUBJECTS_NOT_REQUIRED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.DISMISSED: frozenset(),
}

OPEN = frozenset(set(Status) - {Status.CLOSED, Status.DISMISSED})
# Closing with a duty still open, with the reason recorded (services.intake.close, despite=...): any decided state.
CLOSABLE_DESPITE = frozenset({Status.ASSESSED, Status.AUTHORITY_NOTIFIED, Status.AUTHORITY_NOT_REQUIRED,
                              Status.SUBJECTS_NOTIFIED, Status.SUBJECTS_NOT_REQUIRED})

def check_transition(incident_id: str, current: Status, target: Status) -> None:
    """Refuse an illegal step with a message that names both states and the way forward (what to do next in
    each state is said by templates/<lang>/errors/lifecycle.j2)."""
    if target not in ALLOWED[current]:
        raise InvalidTransition(Said("lifecycle.cannot_become", id=incident_id, status=current.value,
                                     target=target.value))


def require(incident_id: str, current: Status, allowed: set[Status], action: str) -> None:
    """Refuse an action (record an assessment, decide, ...) outside the states where it makes sense. `action`
    names it by its key in `actions` of templates/<lang>/errors/lifecycle.j2 ("record a decision")."""
    if current not in allowed:
        raise InvalidTransition(Said("lifecycle.not_now", action=action, id=incident_id, status=current.value,
                                     allowed=sorted(s.value for s in allowed)))


@dataclass(frozen=True)
class Progress:
    """The recorded facts that decide how far an incident can move (read from the register)."""

    status: Status
    decision: tuple[bool, bool] | None  # (notify the AP, notify the people)
    authority_notice_ready: bool
    authority_filed: bool
    subjects_linked: int
    subjects_pending: int
    subject_notice_done: bool
    # art. 34(3)(c): a public communication instead of telling each person; it tells them once it is published.
    # Required when the advice on the current assessment says so (high risk, individual contact disproportionate)
    public_notice_prepared: bool = False
    public_notice_published: bool = False
    public_notice_required: bool = False
    # art. 34(2): a person approved the newest version of the message, for every language on the list
    subject_notice_approved: bool = False
    public_notice_approved: bool = False  # the newest written version of the public communication is approved


def next_status(p: Progress) -> Status | None:
    """The step the recorded facts allow now, if any. The AP step comes first in the lifecycle, but the
    people's notices do not wait for the AP filing (art. 34(1): without undue delay); they are sent as soon
    as the decision says so, and the status catches up once the filing is recorded."""
    if p.decision is None:
        return None
    authority, subjects = p.decision
    if p.status == Status.ASSESSED:
        if not authority:
            return Status.AUTHORITY_NOT_REQUIRED
        return Status.AUTHORITY_NOTIFIED if p.authority_filed else None
    if p.status in (Status.AUTHORITY_NOTIFIED, Status.AUTHORITY_NOT_REQUIRED):
        if p.public_notice_published:
            return Status.SUBJECTS_NOTIFIED
        if not subjects:
            return None if p.public_notice_required else Status.SUBJECTS_NOT_REQUIRED
        if p.subjects_linked and not p.subjects_pending and p.subject_notice_done:
            return Status.SUBJECTS_NOTIFIED
    return None


def waiting_for(p: Progress) -> list[Step]:
    """What the incident waits for, in the order a person should act (names the CLI and flow share)."""
    if p.status in (Status.CLOSED, Status.DISMISSED):
        return []
    if p.status == Status.DETECTED:
        return [Step.TEAM_ALERT]
    if p.status == Status.UNDER_ASSESSMENT:
        return [Step.ASSESSMENT]
    if p.decision is None:
        return [Step.DECISION]
    authority, subjects = p.decision
    waiting: list[Step] = []
    if p.status == Status.ASSESSED and authority:
        waiting.append(Step.AUTHORITY_FILING if p.authority_notice_ready else Step.AUTHORITY_NOTICE)
    told = p.status == Status.SUBJECTS_NOTIFIED or p.public_notice_published
    if not told and p.status != Status.SUBJECTS_NOT_REQUIRED and (p.public_notice_prepared or (
            p.public_notice_required and not subjects)):
        waiting.append(Step.PUBLIC_NOTICE if not p.public_notice_prepared else
                       Step.PUBLIC_NOTICE_PUBLICATION if p.public_notice_approved else Step.PUBLIC_NOTICE_APPROVAL)
    elif subjects and not told:
        if not p.subjects_linked:
            waiting.append(Step.SUBJECTS_LIST)
        if not p.subject_notice_approved:
            waiting.append(Step.SUBJECT_NOTICE_APPROVAL)
        elif p.subjects_linked and (p.subjects_pending or not p.subject_notice_done):
            waiting.append(Step.SUBJECT_NOTICE)
    if p.status in (Status.SUBJECTS_NOTIFIED, Status.SUBJECTS_NOT_REQUIRED):
        waiting.append(Step.CLOSING)
    return waiting
