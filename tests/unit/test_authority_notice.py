"""The AP form as data: every question has a source, unknowns are listed, and the verdict follows art. 33."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from incidents.authority_notice import (
    QUESTIONS,
    Filing,
    NoticeFacts,
    OpenAnswers,
    Severity,
    UnknownSource,
    answer_set,
    consequences_for_people,
    filing_verdict,
    form_group,
    source_type,
)
from incidents.deadlines import notified_late
from incidents.legal import is_special_category
from incidents.model import VOCABULARY
from incidents.notify.render import LANGUAGES, environment
from tests.unit.test_templates import AWARE, PROFILE, TEMPLATES, assessment, incident

AP_FORM = Path(__file__).resolve().parents[2] / "docs" / "domain" / "ap-form.md"


def facts(**changes: Any) -> NoticeFacts:
    base = NoticeFacts(incident=incident(), profile=PROFILE, made_at=AWARE + timedelta(hours=8), version=1)
    return replace(base, **changes)


def first_filing(hours: float = 9, **changes: Any) -> Filing:
    return Filing(**{"id": 1, "kind": "first", "filed_at": AWARE + timedelta(hours=hours), "filed_by": "Anne Privacy",
                     "reference": "M-2026-123456", **changes})


def verdict(f: NoticeFacts, **options: Any) -> str:
    options = {"decided": True, "notify_authority": True, "withdrawn": False, **options}
    return filing_verdict(answer_set(f), **options)


# --- the question list -------------------------------------------------------------------------------------

def form_questions() -> list[str]:
    """The question numbers of the AP form as docs/domain/ap-form.md lists them, in its order."""
    return re.findall(r"^- (\d+\.\d+) ", AP_FORM.read_text(encoding="utf-8"), re.MULTILINE)


def test_every_question_of_the_ap_form_is_in_the_list_in_the_forms_order() -> None:
    assert [q.number for q in QUESTIONS] == form_questions()


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.number)
def test_every_ap_question_has_a_source_field_that_exists(question) -> None:
    assert question.sources, f"question {question.number} has no source"
    for source in question.sources:
        source_type(source)  # raises UnknownSource when the register has no such field
    assert set(question.essential) <= set(question.sources)


def test_a_source_that_does_not_exist_is_caught() -> None:
    with pytest.raises(UnknownSource, match="no field 'shoe_size'"):
        source_type("assessment.shoe_size")
    with pytest.raises(UnknownSource):
        source_type("profile.organisation.vat_number")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_question_has_its_words_in_both_languages(language: str) -> None:
    words = environment(TEMPLATES).get_template(f"{language}/authority/_questions.j2").module
    assert set(words.questions) == {q.number for q in QUESTIONS}  # type: ignore[attr-defined]
    assert set(words.chapters) == {q.chapter for q in QUESTIONS}  # type: ignore[attr-defined]


# --- the answers ---------------------------------------------------------------------------------------

def test_every_question_is_answered_in_the_forms_order_and_4_5_only_when_late() -> None:
    in_time = answer_set(facts())
    late = answer_set(facts(made_at=AWARE + timedelta(hours=73)))

    assert list(in_time.answers) == [q.number for q in QUESTIONS if q.number != "4.5"]
    assert list(late.answers) == [q.number for q in QUESTIONS]


def test_what_is_not_known_is_listed_with_the_missing_field() -> None:
    answers = answer_set(facts(incident=incident(occurred_from=None, occurred_until=None)))

    missing = {a.number: a.missing for a in answers.unanswered}
    assert missing["4.1"] == ("incident.occurred_from", "incident.occurred_until")
    assert "answers.incident_kind" in missing["5.2"]
    assert "3.1" not in missing and "5.1" not in missing


def test_a_register_field_that_becomes_known_answers_its_question() -> None:
    known = OpenAnswers(other_regulators=[], countries=["NL"], other_authorities=[],
                        incident_kind="published")
    answers = answer_set(facts(answers=known))

    assert {"1.3", "2.1", "2.2", "5.2"}.isdisjoint(a.number for a in answers.unanswered)


def test_without_an_assessment_the_nature_is_unknown_and_blocks_filing() -> None:
    f = facts(incident=incident(assessment=None))

    assert "5.1" in [a.number for a in answer_set(f).blocking]
    assert verdict(f) == "blocked"


def test_the_processor_that_reported_the_breach_is_named_with_the_profiles_details() -> None:
    f = facts(incident=incident(source_kind="processor", source_processor="Google Drive"))
    answers = answer_set(f).answers

    assert answers["3.3"].value["processor"].service == "documentopslag"
    assert answers["4.2"].value["processor"] == "Google Drive"  # the clock started when it told us


def test_an_own_group_label_maps_onto_the_forms_group() -> None:
    assert form_group("klanten (coachees)") == "customers"
    assert form_group("Medewerkers") == "employees"
    assert form_group("nieuwsbriefabonnees") is None


def test_criminal_law_data_is_no_special_category_but_health_is() -> None:
    assert is_special_category("health") and not is_special_category("criminal")
    assert all(VOCABULARY[t] == "sensitive" for t in VOCABULARY if is_special_category(t))


def test_exposed_contact_data_means_phishing_and_sensitive_data_discrimination() -> None:
    assert {"phishing", "discrimination"} <= set(consequences_for_people(assessment()))
    contained = assessment(confidentiality="none", exfiltration="none", availability="temporary")
    assert "phishing" not in consequences_for_people(contained)


def test_answers_are_codes_and_facts_not_words() -> None:
    # one answer set, several renderings: a renderer gives the words, so no value carries prose of its own
    answers = answer_set(facts()).answers
    assert answers["5.1"].value == {"confidentiality": "unknown_recipients", "integrity": "none",
                                    "availability": "none"}
    assert answers["9.1"].value["consequences"] == ["read", "misuse"]


# --- art. 33(1): 72 hours --------------------------------------------------------------------------------

def test_a_notice_at_exactly_72_hours_is_in_time_a_second_later_is_late() -> None:
    assert not notified_late(AWARE, AWARE + timedelta(hours=72))
    assert notified_late(AWARE, AWARE + timedelta(hours=72, seconds=1))


def test_a_late_notice_without_reasons_cannot_be_filed() -> None:
    f = facts(made_at=AWARE + timedelta(hours=80))

    assert [a.number for a in answer_set(f).blocking] == ["4.5"]
    assert verdict(f) == "blocked"


def test_the_reasons_given_at_filing_answer_4_5_in_every_later_notice() -> None:
    late = first_filing(hours=80, delay_reason="De verwerker meldde het pas op dag drie.")
    follow_up = answer_set(facts(purpose="follow_up", history=(late,), made_at=AWARE + timedelta(hours=100)))

    assert follow_up.late
    assert follow_up.answers["4.5"].value["reason"] == "De verwerker meldde het pas op dag drie."


# --- the verdict: art. 33(4) ---------------------------------------------------------------------------------

def test_with_the_essentials_known_a_first_notice_can_be_filed_now_and_followed_up() -> None:
    assert verdict(facts()) == "phased"


def test_with_everything_known_the_notice_is_complete() -> None:
    known = OpenAnswers(other_regulators=[], countries=["NL"], other_authorities=[], incident_kind="published")
    view = incident(occurred_from=AWARE - timedelta(days=3), occurred_until=AWARE, subjects={"sent": 40})
    f = facts(answers=known, incident=view, severity=None)
    open_ = [a.number for a in answer_set(f).unanswered]

    assert set(open_) <= {"9.3", "10.1"}  # severity and the date sent come from other stages
    done = replace(f, severity=Severity("high", 3.5))
    assert [a.number for a in answer_set(done).unanswered] == ["10.1"]


def test_after_the_first_filing_open_questions_call_for_a_follow_up() -> None:
    f = facts(purpose="follow_up", history=(first_filing(),))

    assert verdict(f) == "follow_up"


@pytest.mark.parametrize(("options", "expected"), [
    ({"decided": False}, "no_decision"),
    ({"notify_authority": False}, "not_required"),
    ({"withdrawn": True}, "withdrawn"),
])
def test_no_notice_is_filed_without_a_decision_to_notify_or_after_a_withdrawal(options, expected) -> None:
    assert verdict(facts(), **options) == expected
