"""Severity by the ENISA 2013 method: SE = DPC × EI + CB, with every point of the score traceable."""

from __future__ import annotations

from typing import Any

import pytest

from incidents.errors import InvalidInput
from incidents.model import AssessmentFacts
from incidents.severity import assess_severity, level_of, resolve_categories


def facts(**parts: Any) -> AssessmentFacts:
    data: dict[str, Any] = {"summary": "test case", "data": {"categories": ["name"]},
                            "subjects": {"count_min": 1, "count_max": 1}}
    for key, value in parts.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return AssessmentFacts.model_validate(data)


def severity(f: AssessmentFacts, profile=None):
    return assess_severity(f, resolve_categories(f.data.categories, profile))


def steps(s) -> list[tuple[str, str | None, float | None]]:
    return [(li.code, li.detail, li.points) for li in s.breakdown]


def test_the_heaviest_category_sets_the_context_score_and_the_breakdown_names_it():
    s = severity(facts(data={"categories": ["contact", "health", "invoices"]}))
    assert s.dpc == 4
    assert steps(s)[0] == ("dpc_base", "health", 4)


def test_an_own_category_counts_as_the_vocabulary_term_the_profile_maps_it_to(profile):
    s = severity(facts(data={"categories": ["contactgegevens", "coachverslagen"]}), profile)
    assert s.dpc == 4 and steps(s)[0] == ("dpc_base", "health", 4)


@pytest.mark.parametrize(("category", "dpc"), [("name", 1), ("location", 2), ("bank_account", 3), ("genetic", 4)])
def test_each_enisa_class_has_its_base_score(category, dpc):
    assert severity(facts(data={"categories": [category]})).dpc == dpc


def test_vulnerable_people_raise_simple_data_to_the_top_and_the_raise_is_shown():
    s = severity(facts(data={"categories": ["name", "date_of_birth"], "context": {"vulnerable_subjects": True}}))
    assert s.dpc == 4
    assert ("dpc_raise", "vulnerable_subjects", 4) in steps(s)


def test_each_context_raise_is_a_step_of_its_own():
    s = severity(facts(data={"categories": ["traffic_data"],
                             "context": {"profiling_possible": True, "reveals_sensitive_insight": True}}))
    assert [st for st in steps(s) if st[0] == "dpc_raise"] == [
        ("dpc_raise", "profiling_possible", 3), ("dpc_raise", "reveals_sensitive_insight", 4)]


def test_data_that_says_little_scores_lower_than_its_class():
    s = severity(facts(data={"categories": ["purchase_history"], "context": {"limited_insight": True}}))
    assert s.dpc == 1 and ("dpc_lower", "limited_insight", 1) in steps(s)


def test_a_raising_fact_outweighs_a_lowering_one():
    s = severity(facts(data={"categories": ["health"],
                             "context": {"publicly_available": True, "vulnerable_subjects": True}}))
    assert s.dpc == 4 and not [st for st in steps(s) if st[0] == "dpc_lower"]


def test_credentials_that_open_financial_accounts_score_as_full_financial_data():
    plain = severity(facts(data={"categories": ["account_credentials"]}))
    banking = severity(facts(data={"categories": ["account_credentials"],
                                   "context": {"full_financial_details": True}}))
    assert (plain.dpc, banking.dpc) == (2, 4)


@pytest.mark.parametrize(("ease", "ei"), [("negligible", 0.25), ("limited", 0.5), ("significant", 0.75),
                                          ("maximum", 1.0)])
def test_ease_of_identification_multiplies_the_context(ease, ei):
    s = severity(facts(data={"categories": ["bank_account"], "ease_of_identification": ease}))
    assert s.ei == ei and s.score == 3 * ei


def test_every_circumstance_adds_its_points_and_shows_them():
    s = severity(facts(breach={"confidentiality": "known_recipients", "integrity": "altered_unrecoverable",
                               "availability": "temporary", "malicious": True}))
    assert s.cb == 0.25 + 0.5 + 0.25 + 0.5
    assert [st for st in steps(s) if st[0].startswith("cb_")] == [
        ("cb_confidentiality", "known_recipients", 0.25), ("cb_integrity", "altered_unrecoverable", 0.5),
        ("cb_availability", "temporary", 0.25), ("cb_malicious", "yes", 0.5)]


def test_the_score_is_dpc_times_ei_plus_cb_and_the_last_step_says_so():
    s = severity(facts(data={"categories": ["health"]}, breach={"confidentiality": "unknown_recipients"}))
    assert (s.dpc, s.ei, s.cb, s.score, s.level) == (4, 1.0, 0.5, 4.5, "very_high")
    assert ("se", "very_high", 4.5) in steps(s)


@pytest.mark.parametrize(("score", "level"), [(0.25, "low"), (1.99, "low"), (2, "medium"), (2.99, "medium"),
                                              (3, "high"), (3.99, "high"), (4, "very_high"), (6, "very_high")])
def test_levels_follow_enisa(score, level):
    assert level_of(score) == level


def test_the_score_runs_from_a_quarter_to_six():
    lowest = severity(facts(data={"categories": ["name"], "ease_of_identification": "negligible"}))
    highest = severity(facts(data={"categories": ["health"]}, breach={
        "confidentiality": "public", "integrity": "altered_unrecoverable", "availability": "permanent",
        "malicious": True}))
    assert (lowest.score, highest.score) == (0.25, 6)


def test_many_people_and_unreadable_data_are_flagged_without_changing_the_score():
    plain = severity(facts(data={"categories": ["health"]}))
    flagged = severity(facts(data={"categories": ["health"]}, subjects={"count_min": 500, "count_max": 900},
                             protection={"encryption": "state_of_the_art"}))
    assert flagged.score == plain.score
    assert ("flag_many_people", None, None) in steps(flagged)
    assert ("flag_unintelligible", "encryption", None) in steps(flagged)
    assert not [st for st in steps(plain) if st[0].startswith("flag_")]


def test_a_compromised_key_leaves_the_data_readable():
    s = severity(facts(protection={"encryption": "state_of_the_art", "key_compromised": True}))
    assert s.unintelligible is None


def test_salted_hashes_protect_only_a_breach_of_credentials_alone():
    alone = severity(facts(data={"categories": ["account_credentials"]},
                           protection={"hashing": "salted_state_of_the_art"}))
    with_names = severity(facts(data={"categories": ["account_credentials", "name"]},
                                protection={"hashing": "salted_state_of_the_art"}))
    assert (alone.unintelligible, with_names.unintelligible) == ("hashing", None)


def test_an_unknown_category_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as err:
        resolve_categories(["name", "coachverslagen"], None)
    assert [e.field for e in err.value.errors] == ["data.categories.1"]
    assert "BREACH_PROFILE" in err.value.errors[0].message


def test_with_a_profile_the_message_lists_the_own_categories(profile):
    with pytest.raises(InvalidInput) as err:
        resolve_categories(["dossiers"], profile)
    assert err.value.errors[0].field == "data.categories.0" and "coachverslagen" in err.value.errors[0].message
