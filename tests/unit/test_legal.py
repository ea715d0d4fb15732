"""Each legal rule against its article (incidents/legal.py, incidents/deadlines.py): one function, one article."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents import legal
from incidents.deadlines import authority_deadline, awareness_problem, late, notified_late
from incidents.legal import NO_FINDINGS
from incidents.model import VOCABULARY

AWARE = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # the 72 hours cross the change to summer time


@pytest.mark.parametrize("term", sorted(legal.SPECIAL_CATEGORY_TERMS))
def test_art_9_special_categories_are_special_and_not_criminal(term):
    assert legal.is_special_category(term) and not legal.is_criminal_data(term)


def test_art_10_criminal_data_is_apart_from_art_9():
    assert legal.is_criminal_data("criminal") and not legal.is_special_category("criminal")
    assert legal.criminal_data(["name", "criminal"]) and not legal.special_categories(["name", "criminal"])


def test_every_special_or_criminal_term_is_sensitive_for_enisa():
    assert all(VOCABULARY[t] == "sensitive" for t in legal.SPECIAL_CATEGORY_TERMS | legal.CRIMINAL_TERMS)


@pytest.mark.parametrize(("encryption", "key_compromised", "hashing", "terms", "how"), [
    ("state_of_the_art", False, "none", ["health"], "encryption"),
    ("state_of_the_art", True, "none", ["health"], None),  # the key went with it
    ("weak", False, "none", ["health"], None),
    ("none", False, "salted_state_of_the_art", ["account_credentials"], "hashing"),
    ("none", False, "salted_state_of_the_art", ["account_credentials", "name"], None),  # the names can be read
    ("none", False, "unsalted", ["account_credentials"], None),
])
def test_art_34_3_a_unintelligible_data(encryption, key_compromised, hashing, terms, how):
    assert legal.unintelligible(encryption, key_compromised, hashing, terms) == how


def test_art_34_3_b_and_c():
    assert legal.later_measures(True) and not legal.later_measures(False)
    assert legal.disproportionate_effort("disproportionate") and not legal.disproportionate_effort("individual")


def test_the_exemptions_are_listed_in_the_articles_order():
    findings = replace(NO_FINDINGS, unintelligible="encryption", later_measures=True, disproportionate_effort=True)
    assert findings.exemptions == ["unintelligible", "measures", "public_communication"]


@pytest.mark.parametrize(("risk", "high", "level"), [(False, False, "none"), (True, False, "risk"),
                                                      (True, True, "high")])
def test_the_risk_level_of_art_33_1_and_34_1(risk, high, level):
    assert replace(NO_FINDINGS, risk=risk, high_risk=high).risk_level == level


@given(effort=st.booleans(), notify=st.booleans(), advised=st.booleans())
def test_a_public_communication_tells_the_people_only_when_individual_contact_is_disproportionate(
        effort, notify, advised):
    findings = replace(NO_FINDINGS, disproportionate_effort=effort)
    told = legal.told_by_public_communication(findings, notify, advised)
    assert told == (effort and (notify or advised))
    assert not told or legal.public_communication_allowed(findings, advised)


def test_art_33_1_a_notice_after_exactly_72_hours_is_in_time_a_second_later_is_late():
    due = authority_deadline(AWARE)
    assert due - AWARE == timedelta(hours=72)
    assert not notified_late(AWARE, due) and notified_late(AWARE, due + timedelta(seconds=1))
    assert late(due, due + timedelta(seconds=1)) and not late(due, due)


def test_edpb_9_2022_awareness_at_discovery_needs_no_reason_a_later_one_does():
    discovered = AWARE - timedelta(hours=14)
    assert awareness_problem(discovered, discovered, None, told_by_processor=False) is None
    assert "leave aware_at out" in (awareness_problem(discovered, AWARE, None, told_by_processor=False) or "")
    assert awareness_problem(discovered, AWARE, "The next morning the link was opened.", told_by_processor=False) \
        is None
    assert awareness_problem(discovered, AWARE, None, told_by_processor=True) is None  # art. 33(2)


# --- every document reads the same stored findings ----------------------------------------------------------

ASSESSMENTS = st.fixed_dictionaries({
    "breach": st.fixed_dictionaries({
        "confidentiality": st.sampled_from(["none", "known_recipients", "unknown_recipients", "public"]),
        "availability": st.sampled_from(["none", "temporary", "permanent"]),
        "malicious": st.booleans(), "endangers_safety": st.booleans()}),
    "data": st.fixed_dictionaries({
        "categories": st.lists(st.sampled_from(["name", "contact", "health", "criminal", "national_id",
                                                "account_credentials", "invoices"]), min_size=1, max_size=3,
                               unique=True)}),
    "subjects": st.fixed_dictionaries({
        "count_min": st.just(1), "count_max": st.sampled_from([1, 40, 5000]),
        "contact_effort": st.sampled_from(["individual", "disproportionate"])}),
    "protection": st.fixed_dictionaries({
        "encryption": st.sampled_from(["none", "state_of_the_art"]),
        "hashing": st.sampled_from(["none", "salted_state_of_the_art"])}),
    "containment": st.fixed_dictionaries({
        "exfiltration": st.sampled_from(["none", "confirmed"]), "recovered": st.booleans(),
        "measures_make_high_risk_unlikely": st.booleans()}),
})


@given(parts=ASSESSMENTS, follow=st.booleans(), tell=st.booleans())
def test_ap_10_1_and_the_eu_template_say_what_the_stored_decision_and_findings_say(parts, follow, tell):
    """For any assessment and any decision (the advice's or another), question 10.1 of the AP notice and fields
    89, 97 and 100 of the EDPB template read the findings stored with the advice: they agree with them and with
    the decision, and never work the law out again from the assessment."""
    from incidents import edpb
    from incidents.authority_notice import NoticeFacts, Severity, answer_set
    from incidents.model import AssessmentFacts
    from incidents.recommendation import recommend
    from incidents.services.recommendation import view_of
    from incidents.severity import resolve_categories
    from incidents.views import DecisionView
    from tests.unit.test_templates import PROFILE, assessment, incident

    facts = AssessmentFacts.model_validate({"summary": "a breach", **parts})
    advice = recommend(facts, resolve_categories(facts.data.categories, None))
    b, p, c, s = facts.breach, facts.protection, facts.containment, facts.subjects
    seen = assessment(
        confidentiality=b.confidentiality, availability=b.availability, malicious=b.malicious,
        endangers_safety=b.endangers_safety, categories=list(facts.data.categories),
        vocabulary=sorted(facts.data.categories), count_min=s.count_min, count_max=s.count_max,
        contact_effort=s.contact_effort, encryption=p.encryption, hashing=p.hashing, exfiltration=c.exfiltration,
        recovered=c.recovered, measures_make_high_risk_unlikely=c.measures_make_high_risk_unlikely)
    notify = advice.notify_subjects if follow else tell
    decision = DecisionView(advice.notify_authority, notify, "Zo besloten na het advies.", "po", AWARE)
    view = incident(assessment=seen, recommendation=view_of(advice), decision=decision)
    notice = NoticeFacts(incident=view, profile=PROFILE, made_at=AWARE + timedelta(hours=8),
                         severity=Severity(advice.severity.level, advice.severity.score))
    findings = advice.findings
    told = answer_set(notice).answers["10.1"].value
    public = findings.disproportionate_effort and (notify or advice.public_communication)
    assert (told["notify"], told["exemptions"], told["public"], told["high_risk"]) == (
        notify, findings.exemptions, public, findings.high_risk)
    eu = {n: a.value for n, a in edpb.template_answers(notice).answers.items()}
    assert eu[89] == {"high": "a", "risk": "b", "none": "c"}[findings.risk_level]
    if public:
        assert (eu[97], eu[100]) == ("e", "c")
    elif notify:
        assert eu[97] == "b" and 100 not in eu
    elif findings.exemptions:
        assert (eu[97], eu[100]) == ("e", edpb.EXEMPTION[findings.exemptions[0]])
    else:
        assert eu[97] == "d"
