"""Two duties, two tracks: where the AP notice (GDPR art. 33) and the people's notice (art. 34) each stand.

The law gives a breach two duties that run side by side, so the incident has a frame (reported, under
assessment, assessed, decided, closed, dismissed) and a track per duty. Each track is a pure function of what
the register holds (the decision, the stored legal findings, the filings, the notices and the people's
statuses), so every reader — `breach list` and `show`, the register export, the dashboard, the API, the Prefect
artifact — shows the same states, and nothing has to be kept in step with the facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from incidents.deadlines import late
from incidents.errors import InvalidTransition
from incidents.legal import Findings
from incidents.lifecycle import Step
from incidents.said import Said


class Frame(StrEnum):
    REPORTED = "reported"
    UNDER_ASSESSMENT = "under_assessment"
    ASSESSED = "assessed"
    DECIDED = "decided"
    CLOSED = "closed"
    DISMISSED = "dismissed"


class AuthorityState(StrEnum):
    """GDPR art. 33: the notice to the AP."""

    UNDECIDED = "undecided"
    TO_FILE = "to_file"  # decided: notify; not filed yet (the 72 hours run)
    FILED = "filed"  # the first notice is filed; whether anything is left open is not recorded
    PHASED = "phased"  # filed, with questions left open: a follow-up is due (art. 33(4))
    COMPLETE = "complete"  # filed, nothing left open
    WITHDRAWN = "withdrawn"
    NOT_REQUIRED = "not_required"  # art. 33(1): unlikely to result in a risk, or not a personal-data breach


class PeopleState(StrEnum):
    """GDPR art. 34: telling the people."""

    UNDECIDED = "undecided"
    AWAITING_APPROVAL = "awaiting_approval"  # a draft of the message waits for a person's approval
    APPROVED = "approved"  # to be told: waiting for the list of people, the dispatch or the public communication
    SENDING = "sending"
    TOLD = "told"
    PUBLIC_ONLINE = "public_online"  # art. 34(3)(c): the public communication is online
    NOT_REQUIRED = "not_required"  # no high risk (art. 34(1)), or an art. 34(3) condition is met


AUTHORITY_FINISHED = frozenset({AuthorityState.FILED, AuthorityState.PHASED, AuthorityState.COMPLETE,
                                AuthorityState.WITHDRAWN, AuthorityState.NOT_REQUIRED})
PEOPLE_FINISHED = frozenset({PeopleState.TOLD, PeopleState.PUBLIC_ONLINE, PeopleState.NOT_REQUIRED})


@dataclass(frozen=True)
class Track:
    state: StrEnum
    details: Mapping[str, Any] = field(default_factory=dict)  # what the state has: a deadline, counts, a reason

    @property
    def finished(self) -> bool:
        done = AUTHORITY_FINISHED if isinstance(self.state, AuthorityState) else PEOPLE_FINISHED
        return self.state in done


@dataclass(frozen=True)
class FilingFact:
    """One recorded filing at the AP, as a track needs it."""

    kind: str  # first | follow_up | withdrawal
    filed_at: datetime
    reference: str
    open_questions: int | None  # questions the notice as filed left open; None: not recorded


@dataclass(frozen=True)
class Tracks:
    frame: Frame
    authority: Track
    people: Track

    @property
    def finished(self) -> bool:
        return self.authority.finished and self.people.finished


def frame_of(status: str, decided: bool) -> Frame:
    """The incident's frame from its lifecycle status and whether a decision is recorded."""
    if status == "detected":
        return Frame.REPORTED
    if status in ("under_assessment", "closed", "dismissed"):
        return Frame(status)
    return Frame.DECIDED if decided else Frame.ASSESSED


def authority_track(*, dismissed: bool, notify_authority: bool | None, due_at: datetime, filings: Sequence[FilingFact],
                    now: datetime) -> Track:
    """GDPR art. 33(1), 33(4): undecided until the decision; then to be filed within 72 hours of awareness, filed
    (phased while the notice leaves questions open, complete when it answers all), or withdrawn; not required
    when the decision says the breach is unlikely to result in a risk, or it was not a personal-data breach."""
    withdrawal = next((f for f in filings if f.kind == "withdrawal"), None)
    if withdrawal is not None:
        return Track(AuthorityState.WITHDRAWN, {"withdrawn_at": withdrawal.filed_at, "reference": withdrawal.reference})
    first = next((f for f in filings if f.kind == "first"), None)
    if first is not None:
        latest = filings[-1]
        details = {"reference": first.reference, "filed_at": first.filed_at, "due_at": due_at,
                   "late": late(due_at, first.filed_at), "follow_ups": sum(f.kind == "follow_up" for f in filings)}
        if latest.open_questions is None:
            return Track(AuthorityState.FILED, details)
        if latest.open_questions:
            return Track(AuthorityState.PHASED, {**details, "open_questions": latest.open_questions})
        return Track(AuthorityState.COMPLETE, details)
    if dismissed:
        return Track(AuthorityState.NOT_REQUIRED, {"reason": "not_a_breach"})
    if notify_authority is not None and not notify_authority:
        return Track(AuthorityState.NOT_REQUIRED, {"reason": "unlikely_to_result_in_a_risk"})
    hours_left = round((due_at - now).total_seconds() / 3600, 2)
    clock = {"due_at": due_at, "hours_left": hours_left, "overdue": hours_left < 0}  # it runs until decided otherwise
    return Track(AuthorityState.UNDECIDED if notify_authority is None else AuthorityState.TO_FILE, clock)


def people_track(*, dismissed: bool, notify_subjects: bool | None, findings: Findings, public_advised: bool,
                 counts: Mapping[str, int], notified: int, dispatch_done: bool, dispatch_started: bool,
                 public_prepared: bool, public_published_at: datetime | None, message_version: int | None = None,
                 message_approved: bool = False, public_approved: bool = True) -> Track:
    """GDPR art. 34: undecided until the decision; told once every reachable person's message went out, or once
    the public communication of art. 34(3)(c) is online; not required when the decision says so, with the
    reason the findings give (no high risk, art. 34(1); or the art. 34(3) condition that is met). Told one by
    one, their message waits for a person's approval of its newest version before anyone gets it."""
    if public_published_at is not None:
        return Track(PeopleState.PUBLIC_ONLINE, {"published_at": public_published_at})
    if dismissed:
        return Track(PeopleState.NOT_REQUIRED, {"reason": "not_a_breach"})
    if notify_subjects is None:
        return Track(PeopleState.UNDECIDED)
    total = sum(counts.values())
    pending = counts.get("pending", 0) + counts.get("sending", 0)
    people = {"total": total, "notified": notified, "pending": pending, "unreachable": counts.get("unreachable", 0)}
    public = findings.disproportionate_effort and (notify_subjects or public_advised)
    if public:
        if public_prepared and not public_approved:
            return Track(PeopleState.AWAITING_APPROVAL, {"channel": "public_communication",
                                                         "waiting_for": Step.PUBLIC_NOTICE_APPROVAL})
        return Track(PeopleState.APPROVED, {"channel": "public_communication",
                                            "waiting_for": Step.PUBLIC_NOTICE_PUBLICATION if public_prepared
                                            else Step.PUBLIC_NOTICE})
    if not notify_subjects:
        exemptions = findings.exemptions
        reason = exemptions[0] if exemptions else ("no_high_risk" if not findings.high_risk else "decision")
        return Track(PeopleState.NOT_REQUIRED, {"reason": reason})
    if total and not pending and dispatch_done:
        return Track(PeopleState.TOLD, people)
    if not message_approved:
        return Track(PeopleState.AWAITING_APPROVAL, {"channel": "email", "version": message_version,
                                                     "waiting_for": Step.SUBJECT_NOTICE_APPROVAL, **people})
    if dispatch_started and total:
        return Track(PeopleState.SENDING, people)
    return Track(PeopleState.APPROVED, {"channel": "email",
                                        "waiting_for": Step.SUBJECT_NOTICE if total else Step.SUBJECTS_LIST,
                                        **people})


def closing_problem(tracks: Tracks) -> Said | None:
    """GDPR art. 33 and 34 both met before an incident is closed: the AP notice filed (or withdrawn, or not
    required) and the people told (or their public communication online, or not required). Returns what is still
    open (words of templates/<lang>/errors/tracks.j2), or None."""
    if tracks.frame in (Frame.CLOSED, Frame.DISMISSED):
        return Said("tracks.finished_already", frame=tracks.frame.value)
    if tracks.frame != Frame.DECIDED:
        return Said("tracks.no_decision_yet")
    authority = None if tracks.authority.finished else tracks.authority.state.value
    people = None if tracks.people.finished else tracks.people.state.value
    if authority is None and people is None:
        return None
    return Said("tracks.still_open", authority=authority, people=people)


# What a person does next on each track, for refusals that name the way forward: the key of its words in the
# macro `_next` of templates/<lang>/errors/tracks.j2.
AUTHORITY_NEXT: dict[AuthorityState, str] = {
    AuthorityState.UNDECIDED: "decide_first",
    AuthorityState.TO_FILE: "file_at_the_ap",
    AuthorityState.FILED: "follow_up",
    AuthorityState.PHASED: "follow_up",
    AuthorityState.COMPLETE: "nothing_more_owed",
    AuthorityState.WITHDRAWN: "nothing_withdrawn",
    AuthorityState.NOT_REQUIRED: "nothing_ap_not_notified",
}
PEOPLE_NEXT: dict[PeopleState, str] = {
    PeopleState.UNDECIDED: "decide_first",
    PeopleState.AWAITING_APPROVAL: "review_and_approve",
    PeopleState.APPROVED: "see_what_it_waits_for",
    PeopleState.SENDING: "let_the_sending_finish",
    PeopleState.TOLD: "nothing_people_told",
    PeopleState.PUBLIC_ONLINE: "nothing_public_online",
    PeopleState.NOT_REQUIRED: "nothing_not_told_one_by_one",
}


def require_authority(incident_id: str, track: Track, allowed: set[AuthorityState], action: str) -> None:
    """Refuse a step on the AP track outside the states where it makes sense, naming the state and the way on.
    `action` names the step by its key in `actions` of templates/<lang>/errors/tracks.j2 ("record an AP filing")."""
    state = AuthorityState(track.state)
    if state not in allowed:
        raise InvalidTransition(Said("tracks.not_on_the_authority_track", action=action, id=incident_id,
                                     state=state.value, next=AUTHORITY_NEXT[state]))


def require_people(incident_id: str, track: Track, allowed: set[PeopleState], action: str) -> None:
    """Refuse a step on the people's track outside the states where it makes sense, naming the way on."""
    state = PeopleState(track.state)
    if state not in allowed:
        raise InvalidTransition(Said("tracks.not_on_the_people_track", action=action, id=incident_id,
                                     state=state.value, next=PEOPLE_NEXT[state]))
