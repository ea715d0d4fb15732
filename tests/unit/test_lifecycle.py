"""The lifecycle refuses illegal steps with a message that says what to do instead."""

import itertools

import pytest

from incidents.errors import InvalidTransition
from incidents.lifecycle import ALLOWED, Progress, Status, check_transition, next_status, require, waiting_for

HAPPY_PATHS = [
    [Status.DETECTED, Status.UNDER_ASSESSMENT, Status.ASSESSED, Status.AUTHORITY_NOTIFIED,
     Status.SUBJECTS_NOTIFIED, Status.CLOSED],
    [Status.DETECTED, Status.UNDER_ASSESSMENT, Status.ASSESSED, Status.AUTHORITY_NOT_REQUIRED,
     Status.SUBJECTS_NOT_REQUIRED, Status.CLOSED],
    [Status.DETECTED, Status.DISMISSED],
    [Status.DETECTED, Status.UNDER_ASSESSMENT, Status.ASSESSED, Status.DISMISSED],
]


@pytest.mark.parametrize("path", HAPPY_PATHS, ids=lambda p: "-".join(s.value for s in p))
def test_the_documented_paths_are_allowed(path):
    for current, target in itertools.pairwise(path):
        check_transition("DL-2026-0001", current, target)


def test_closed_and_dismissed_are_final():
    assert ALLOWED[Status.CLOSED] == frozenset()
    assert ALLOWED[Status.DISMISSED] == frozenset()


def test_skipping_the_assessment_is_refused_with_the_next_step():
    with pytest.raises(InvalidTransition) as err:
        check_transition("DL-2026-0007", Status.DETECTED, Status.AUTHORITY_NOTIFIED)
    message = str(err.value)
    assert "DL-2026-0007 is detected" in message and "authority_notified" in message
    assert "Next step" in message


def test_a_notified_incident_cannot_be_dismissed():
    with pytest.raises(InvalidTransition):
        check_transition("DL-2026-0001", Status.AUTHORITY_NOTIFIED, Status.DISMISSED)


def test_closing_before_the_people_are_dealt_with_is_refused():
    with pytest.raises(InvalidTransition, match="breach decide"):
        check_transition("DL-2026-0001", Status.ASSESSED, Status.CLOSED)


def test_every_state_reaches_a_final_state():
    final = {Status.CLOSED, Status.DISMISSED}
    for start in Status:
        seen, frontier = {start}, [start]
        while frontier:
            for nxt in ALLOWED[frontier.pop()] - seen:
                seen.add(nxt)
                frontier.append(nxt)
        assert seen & final, start


def test_require_names_the_action_and_the_allowed_states():
    with pytest.raises(InvalidTransition, match="cannot record a decision for incident DL-2026-0002: it is detected"):
        require("DL-2026-0002", Status.DETECTED, {Status.ASSESSED}, "record a decision")


def progress(status, decision=(True, True), ready=False, filed=False, linked=0, pending=0, sent=False,
             approved=True):
    return Progress(status, decision, ready, filed, linked, pending, sent, subject_notice_approved=approved)


def test_the_people_are_told_before_the_ap_filing_is_recorded_but_the_status_waits_for_it():
    p = progress(Status.ASSESSED, ready=True, linked=40, pending=0, sent=True)
    assert next_status(p) is None
    assert waiting_for(p) == ["authority_filing"]
    assert next_status(progress(Status.ASSESSED, ready=True, filed=True)) == Status.AUTHORITY_NOTIFIED


def test_no_duty_to_notify_moves_straight_on():
    assert next_status(progress(Status.ASSESSED, decision=(False, False))) == Status.AUTHORITY_NOT_REQUIRED
    assert next_status(progress(Status.AUTHORITY_NOT_REQUIRED, decision=(False, False))) == \
        Status.SUBJECTS_NOT_REQUIRED
    assert waiting_for(progress(Status.SUBJECTS_NOT_REQUIRED, decision=(False, False))) == ["closing"]


def test_the_people_count_as_notified_only_when_nobody_is_pending():
    assert next_status(progress(Status.AUTHORITY_NOTIFIED, linked=40, pending=3, sent=False)) is None
    assert waiting_for(progress(Status.AUTHORITY_NOTIFIED, linked=40, pending=3)) == ["subject_notice"]
    assert next_status(progress(Status.AUTHORITY_NOTIFIED, linked=40, pending=0, sent=True)) == \
        Status.SUBJECTS_NOTIFIED


def test_without_a_list_of_people_the_incident_waits_for_one():
    assert waiting_for(progress(Status.AUTHORITY_NOTIFIED)) == ["subjects_list"]


def test_nobody_is_told_before_a_person_approves_the_message():
    """GDPR art. 34(2): the message is reviewed first; the list and the approval may come in either order."""
    assert waiting_for(progress(Status.AUTHORITY_NOTIFIED, approved=False)) == ["subjects_list",
                                                                                "subject_notice_approval"]
    assert waiting_for(progress(Status.AUTHORITY_NOTIFIED, linked=40, pending=40, approved=False)) == [
        "subject_notice_approval"]
    assert waiting_for(progress(Status.AUTHORITY_NOTIFIED, linked=40, pending=40)) == ["subject_notice"]


def test_before_the_decision_nothing_moves():
    p = progress(Status.ASSESSED, decision=None)
    assert next_status(p) is None and waiting_for(p) == ["decision"]


def test_a_published_public_communication_tells_the_people_without_a_list():
    """GDPR art. 34(3)(c): a public communication instead of a notice to each person."""
    written = Progress(Status.AUTHORITY_NOT_REQUIRED, (False, True), False, False, 0, 0, False,
                       public_notice_prepared=True, public_notice_approved=True)
    assert next_status(written) is None
    assert waiting_for(written) == ["public_notice_publication"]
    published = Progress(Status.AUTHORITY_NOT_REQUIRED, (False, True), False, False, 0, 0, False,
                         public_notice_prepared=True, public_notice_published=True)
    assert next_status(published) == Status.SUBJECTS_NOTIFIED
    assert waiting_for(published) == []
    # the AP filing still comes first when the AP must hear of it
    assert next_status(Progress(Status.ASSESSED, (True, True), True, False, 0, 0, False, True, True)) is None


def test_when_the_advice_is_a_public_communication_the_incident_waits_for_it_even_without_individual_notices():
    """The decision says no notice to each person (34(3)(c)), yet the public communication is still owed."""
    facts = {"status": Status.AUTHORITY_NOTIFIED, "decision": (True, False), "authority_notice_ready": True,
             "authority_filed": True, "subjects_linked": 0, "subjects_pending": 0, "subject_notice_done": False,
             "public_notice_required": True}
    owed = Progress(**facts)
    assert next_status(owed) is None
    assert waiting_for(owed) == ["public_notice"]
    written = Progress(**{**facts, "public_notice_prepared": True})
    assert next_status(written) is None and waiting_for(written) == ["public_notice_approval"]
    approved = Progress(**{**facts, "public_notice_prepared": True, "public_notice_approved": True})
    assert next_status(approved) is None and waiting_for(approved) == ["public_notice_publication"]
    published = Progress(**{**facts, "public_notice_prepared": True, "public_notice_published": True})
    assert next_status(published) == Status.SUBJECTS_NOTIFIED
    # without that advice, no notice to the people means no duty left
    assert next_status(Progress(**{**facts, "public_notice_required": False})) == Status.SUBJECTS_NOT_REQUIRED


def test_every_step_has_words_in_the_cli_the_dashboard_and_the_prefect_status_in_each_language():
    """One set of step names (lifecycle.Step) ties the lifecycle to every place that words them."""
    from pathlib import Path

    from incidents.lifecycle import Step
    from incidents.notify.render import LANGUAGES, environment

    templates = Path(__file__).resolve().parents[2] / "templates"
    env = environment(templates)
    for language in LANGUAGES:
        cli = env.get_template(f"{language}/cli/lines.j2").module
        assert set(cli.waiting) == set(Step), language  # type: ignore[attr-defined]
        dashboard = env.get_template(f"{language}/dashboard/_words.html.j2").module
        assert set(Step) <= set(dashboard.waiting), language  # type: ignore[attr-defined]
        status = (templates / language / "prefect" / "incident_status.md.j2").read_text(encoding="utf-8")
        assert all(f'"{step.value}":' in status for step in Step), language
