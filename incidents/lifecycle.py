"""The states of an incident and the transitions the law and the procedure allow."""

from __future__ import annotations

from enum import StrEnum

from incidents.errors import InvalidTransition


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

# what a person must do next, per state, for messages that say how to get out of a refused step
NEXT_STEP: dict[Status, str] = {
    Status.DETECTED: "record the IT assessment with `breach assess ID FILE` (the response flow alerts the team)",
    Status.UNDER_ASSESSMENT: "record the IT assessment with `breach assess ID FILE`",
    Status.ASSESSED: "record the decision with `breach decide ID --authority yes|no --subjects yes|no --reason ...`",
    Status.AUTHORITY_NOTIFIED: "the response flow notifies the affected people or records that it is not required",
    Status.AUTHORITY_NOT_REQUIRED: "the response flow notifies the affected people or records that it is not required",
    Status.SUBJECTS_NOTIFIED: "close the incident with `breach close ID --reason ...` when the follow-up is done",
    Status.SUBJECTS_NOT_REQUIRED: "close the incident with `breach close ID --reason ...` when the follow-up is done",
    Status.CLOSED: "nothing: the incident is closed",
    Status.DISMISSED: "nothing: the incident was dismissed as not a personal-data breach",
}


def check_transition(incident_id: str, current: Status, target: Status) -> None:
    """Refuse an illegal step with a message that names both states and the way forward."""
    if target not in ALLOWED[current]:
        raise InvalidTransition(
            f"incident {incident_id} is {current.value}; it cannot become {target.value}. "
            f"Next step: {NEXT_STEP[current]}."
        )


def require(incident_id: str, current: Status, allowed: set[Status], action: str) -> None:
    """Refuse an action (record an assessment, decide, ...) outside the states where it makes sense."""
    if current not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise InvalidTransition(
            f"cannot {action} for incident {incident_id}: it is {current.value} (allowed when {names}). "
            f"Next step: {NEXT_STEP[current]}."
        )
