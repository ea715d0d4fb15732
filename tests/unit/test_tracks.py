"""Two duties, two tracks: the AP notice (art. 33) and the people's notice (art. 34) each have their own state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.legal import NO_FINDINGS
from incidents.tracks import (
    AUTHORITY_FINISHED,
    PEOPLE_FINISHED,
    AuthorityState,
    FilingFact,
    Frame,
    PeopleState,
    authority_track,
    frame_of,
    people_track,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
DUE = NOW + timedelta(hours=30)
HIGH = replace(NO_FINDINGS, risk=True, high_risk=True)


def filing(kind: str = "first", hours: float = -1, open_questions: int | None = 3) -> FilingFact:
    return FilingFact(kind, NOW + timedelta(hours=hours), "M-1", open_questions)


def ap(notify: bool | None = True, filings: tuple[FilingFact, ...] = (), dismissed: bool = False,
       now: datetime = NOW) -> Any:
    return authority_track(dismissed=dismissed, notify_authority=notify, due_at=DUE, filings=filings, now=now)


@pytest.mark.parametrize(("notify", "filings", "dismissed", "state"), [
    (None, (), False, AuthorityState.UNDECIDED),
    (True, (), False, AuthorityState.TO_FILE),
    (False, (), False, AuthorityState.NOT_REQUIRED),
    (None, (), True, AuthorityState.NOT_REQUIRED),
    (True, (filing(open_questions=None),), False, AuthorityState.FILED),
    (True, (filing(open_questions=4),), False, AuthorityState.PHASED),
    (True, (filing(open_questions=0),), False, AuthorityState.COMPLETE),
    (True, (filing(open_questions=4), filing("follow_up", 2, 0)), False, AuthorityState.COMPLETE),
    (True, (filing(), filing("withdrawal", 3, None)), False, AuthorityState.WITHDRAWN),
])
def test_the_ap_track_follows_the_decision_and_the_filings(notify, filings, dismissed, state):
    assert ap(notify, filings, dismissed).state == state


def test_to_file_carries_the_deadline_and_says_when_it_is_overdue():
    running = ap(True)
    assert running.details["due_at"] == DUE and running.details["hours_left"] == 30 and not running.details["overdue"]
    assert ap(True, now=DUE + timedelta(hours=1)).details["overdue"]


def test_a_filing_after_the_deadline_is_marked_late_and_follow_ups_are_counted():
    track = ap(True, (filing(hours=40, open_questions=2), filing("follow_up", 45, 1)))
    assert track.state == AuthorityState.PHASED
    assert (track.details["late"], track.details["follow_ups"], track.details["open_questions"]) == (True, 1, 1)


def people(notify: bool | None = True, *, findings=HIGH, advised: bool = False, counts: dict[str, int] | None = None,
           done: bool = False, started: bool = False, prepared: bool = False, published: datetime | None = None,
           dismissed: bool = False, approved: bool = True, public_approved: bool = True) -> Any:
    counts = counts or {}
    notified = counts.get("sent", 0) + counts.get("delivered", 0)
    return people_track(dismissed=dismissed, notify_subjects=notify, findings=findings, public_advised=advised,
                        counts=counts, notified=notified, dispatch_done=done, dispatch_started=started,
                        public_prepared=prepared, public_published_at=published, message_version=1,
                        message_approved=approved, public_approved=public_approved)


@pytest.mark.parametrize(("kwargs", "state", "detail"), [
    ({"notify": None}, PeopleState.UNDECIDED, {}),
    ({"approved": False}, PeopleState.AWAITING_APPROVAL, {"waiting_for": "subject_notice_approval", "version": 1}),
    ({"counts": {"pending": 10, "sent": 30}, "started": True, "approved": False}, PeopleState.AWAITING_APPROVAL,
     {"notified": 30, "pending": 10}),  # an edit during the dispatch stops it until approved again
    ({"counts": {"sent": 38}, "started": True, "done": True, "approved": False}, PeopleState.TOLD, {"notified": 38}),
    ({}, PeopleState.APPROVED, {"waiting_for": "subjects_list"}),
    ({"counts": {"pending": 40}}, PeopleState.APPROVED, {"waiting_for": "subject_notice"}),
    ({"counts": {"pending": 10, "sent": 30}, "started": True}, PeopleState.SENDING, {"notified": 30}),
    ({"counts": {"sent": 38, "unreachable": 2}, "started": True, "done": True}, PeopleState.TOLD,
     {"notified": 38, "unreachable": 2}),
    ({"notify": False, "findings": replace(NO_FINDINGS, risk=True)}, PeopleState.NOT_REQUIRED,
     {"reason": "no_high_risk"}),
    ({"notify": False, "findings": replace(HIGH, later_measures=True)}, PeopleState.NOT_REQUIRED,
     {"reason": "measures"}),
    ({"notify": False, "findings": replace(NO_FINDINGS, unintelligible="encryption")}, PeopleState.NOT_REQUIRED,
     {"reason": "unintelligible"}),
    ({"notify": False}, PeopleState.NOT_REQUIRED, {"reason": "decision"}),  # departed from the advice
    ({"notify": False, "findings": replace(HIGH, disproportionate_effort=True), "advised": True},
     PeopleState.APPROVED, {"channel": "public_communication", "waiting_for": "public_notice"}),
    ({"notify": False, "findings": replace(HIGH, disproportionate_effort=True), "advised": True, "prepared": True},
     PeopleState.APPROVED, {"waiting_for": "public_notice_publication"}),
    ({"notify": False, "findings": replace(HIGH, disproportionate_effort=True), "advised": True, "prepared": True,
      "public_approved": False}, PeopleState.AWAITING_APPROVAL, {"waiting_for": "public_notice_approval"}),
    ({"notify": False, "published": NOW}, PeopleState.PUBLIC_ONLINE, {"published_at": NOW}),
    ({"notify": None, "dismissed": True}, PeopleState.NOT_REQUIRED, {"reason": "not_a_breach"}),
])
def test_the_peoples_track_follows_the_decision_the_findings_and_the_dispatch(kwargs, state, detail):
    track = people(**kwargs)
    assert track.state == state
    assert {k: track.details[k] for k in detail} == detail


@pytest.mark.parametrize(("status", "decided", "frame"), [
    ("detected", False, Frame.REPORTED), ("under_assessment", False, Frame.UNDER_ASSESSMENT),
    ("assessed", False, Frame.ASSESSED), ("assessed", True, Frame.DECIDED),
    ("authority_notified", True, Frame.DECIDED), ("subjects_not_required", True, Frame.DECIDED),
    ("closed", True, Frame.CLOSED), ("dismissed", False, Frame.DISMISSED),
])
def test_the_frame_is_the_stage_of_the_whole_incident(status, decided, frame):
    assert frame_of(status, decided) == frame


@given(notify_ap=st.booleans(), notify_people=st.booleans(), high=st.booleans(), effort=st.booleans(),
       people_count=st.integers(min_value=1, max_value=5), late=st.booleans(), open_questions=st.integers(0, 3))
def test_every_path_the_flow_can_take_ends_with_both_tracks_finished(notify_ap, notify_people, high, effort,
                                                                     people_count, late, open_questions):
    """After the flow has done what the decision asks (filed if the AP is to be told, everyone sent, or the public
    communication online when that is the way to tell them), both tracks are in a finished state."""
    findings = replace(NO_FINDINGS, risk=notify_ap, high_risk=high, disproportionate_effort=effort)
    filings = (filing(hours=40 if late else 1, open_questions=open_questions),) if notify_ap else ()
    assert ap(notify_ap, filings).state in AUTHORITY_FINISHED
    public = effort and (notify_people or high)
    track = people(notify_people, findings=findings, advised=high and effort,
                   counts={"sent": people_count} if notify_people and not public else {},
                   started=notify_people, done=notify_people, published=NOW if public else None)
    assert track.state in PEOPLE_FINISHED


def test_every_state_of_both_tracks_names_the_way_forward():
    from incidents.tracks import AUTHORITY_NEXT, PEOPLE_NEXT

    assert set(AUTHORITY_NEXT) == set(AuthorityState) and set(PEOPLE_NEXT) == set(PeopleState)


@pytest.mark.parametrize(("track", "allowed", "words"), [
    (ap(None), {AuthorityState.TO_FILE}, "its AP notice is undecided. Next step: record the decision first"),
    (ap(False), {AuthorityState.TO_FILE}, "not_required. Next step: nothing: the AP is not notified"),
    (ap(True, (filing(),)), {AuthorityState.TO_FILE}, "is phased. Next step: send what changed as a follow-up"),
])
def test_a_step_the_ap_track_does_not_allow_is_refused_naming_the_way_forward(track, allowed, words):
    from incidents.errors import InvalidTransition
    from incidents.tracks import require_authority

    with pytest.raises(InvalidTransition, match=words):
        require_authority("DL-2026-0001", track, allowed, "record an AP filing")
    require_authority("DL-2026-0001", ap(True), {AuthorityState.TO_FILE}, "record an AP filing")  # allowed


def test_a_step_the_peoples_track_does_not_allow_is_refused_naming_the_way_forward():
    from incidents.errors import InvalidTransition
    from incidents.tracks import require_people

    with pytest.raises(InvalidTransition, match="is not_required. Next step: nothing: the people are not told"):
        require_people("DL-2026-0001", people(False, findings=replace(NO_FINDINGS, risk=True)),
                       {PeopleState.APPROVED}, "send the notices to the people")
