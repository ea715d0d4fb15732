"""Properties of severity and advice over any assessment: more harm never lowers them, protection never
raises them, and every reason cites its source."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.model import VOCABULARY, AssessmentFacts
from incidents.recommendation import Recommendation, recommend
from incidents.severity import resolve_categories

TERMS = sorted(VOCABULARY)


@st.composite
def assessments(draw: st.DrawFn) -> dict[str, Any]:
    count_min = draw(st.integers(min_value=0, max_value=200_000))
    restored = draw(st.one_of(st.none(), st.floats(min_value=0, max_value=500, allow_nan=False)))
    return {
        "summary": "generated",
        "breach": {
            "confidentiality": draw(st.sampled_from(["none", "no_evidence_of_access", "known_recipients",
                                                     "unknown_recipients", "public"])),
            "integrity": draw(st.sampled_from(["none", "altered_recoverable", "altered_unrecoverable"])),
            "availability": draw(st.sampled_from(["none", "temporary", "recoverable_with_difficulty", "permanent"])),
            "malicious": draw(st.booleans()),
        },
        "data": {
            "categories": draw(st.lists(st.sampled_from(TERMS), min_size=1, max_size=5)),
            "ease_of_identification": draw(st.sampled_from(["negligible", "limited", "significant", "maximum"])),
            "context": {name: draw(st.booleans()) for name in (
                "profiling_possible", "reveals_sensitive_insight", "vulnerable_subjects", "publicly_available",
                "limited_insight", "full_financial_details")},
        },
        "subjects": {"count_min": count_min,
                     "count_max": count_min + draw(st.integers(min_value=0, max_value=100_000)),
                     "contact_effort": draw(st.sampled_from(["individual", "disproportionate"]))},
        "protection": {"encryption": draw(st.sampled_from(["none", "weak", "state_of_the_art"])),
                       "key_compromised": draw(st.booleans()),
                       "hashing": draw(st.sampled_from(["none", "unsalted", "salted_state_of_the_art"])),
                       "backup_available": draw(st.booleans())},
        "containment": {"exfiltration": draw(st.sampled_from(["none", "suspected", "confirmed"])),
                        "recovered": draw(st.booleans()), "recipient_trusted": draw(st.booleans()),
                        "restored_within_hours": restored,
                        "measures_make_high_risk_unlikely": draw(st.booleans())},
    }


def advise(data: dict[str, Any]) -> Recommendation:
    facts = AssessmentFacts.model_validate(data)
    return recommend(facts, resolve_categories(facts.data.categories, None))


def told(r: Recommendation) -> tuple[bool, bool]:
    """How far the advice goes: the AP, and the people (individually or by a public communication)."""
    return r.notify_authority, r.notify_subjects or r.public_communication


def at_least(a: tuple[bool, bool], b: tuple[bool, bool]) -> bool:
    return all(x >= y for x, y in zip(a, b, strict=True))


def changed(data: dict[str, Any], part: str, **values: Any) -> dict[str, Any]:
    return {**data, part: {**data[part], **values}}


@settings(max_examples=400, deadline=None)
@given(assessments(), st.sampled_from(TERMS))
def test_adding_a_data_category_never_lowers_severity_or_the_advice(data, extra):
    before = advise(data)
    after = advise(changed(data, "data", categories=[*data["data"]["categories"], extra]))
    assert after.severity.score >= before.severity.score
    assert at_least(told(after), told(before))


@settings(max_examples=400, deadline=None)
@given(assessments())
def test_state_of_the_art_encryption_with_a_safe_key_never_raises_severity_or_the_advice(data):
    before = advise(data)
    after = advise(changed(data, "protection", encryption="state_of_the_art", key_compromised=False))
    assert after.severity.score <= before.severity.score
    assert at_least(told(before), told(after))


@settings(max_examples=400, deadline=None)
@given(assessments(), st.integers(min_value=0, max_value=1_000_000))
def test_more_people_never_lower_severity_or_the_advice(data, more):
    before = advise(data)
    subjects = data["subjects"]
    after = advise(changed(data, "subjects", count_min=subjects["count_min"] + more,
                           count_max=subjects["count_max"] + more))
    assert after.severity.score >= before.severity.score
    assert at_least(told(after), told(before))


@settings(max_examples=400, deadline=None)
@given(assessments())
def test_every_reason_and_step_cites_a_source_and_the_advice_is_consistent(data):
    r = advise(data)
    assert all(line.source.strip() for line in r.lines)
    assert r.reasons[-1].code == "document"
    assert 0.25 <= r.severity.score <= 6
    if r.notify_subjects or r.public_communication:
        assert r.notify_authority  # a high risk is a risk
    assert not (r.notify_subjects and r.public_communication)
