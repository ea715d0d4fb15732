"""The art. 33/34 recommendation: the EDPB's answers for its worked cases, the exceptions of art. 34(3), and
every reason in Dutch and English with the article or guideline it rests on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from incidents.model import AssessmentFacts
from incidents.recommendation import recommend
from incidents.services.recommendation import describe, evaluate, explain, numbers_of, view_of
from incidents.severity import resolve_categories

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
CASES = sorted((ROOT / "tests" / "cases").glob("*.yaml"))


def load_case(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def facts(**parts: Any) -> AssessmentFacts:
    data: dict[str, Any] = {"summary": "test case", "data": {"categories": ["name"]},
                            "subjects": {"count_min": 1, "count_max": 1}}
    for key, value in parts.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return AssessmentFacts.model_validate(data)


def advise(f: AssessmentFacts):
    return recommend(f, resolve_categories(f.data.categories, None))


def codes(r) -> list[str]:
    return [li.code for li in r.reasons]


# a confidentiality breach of health data, published: severity 4.5, very high
PUBLISHED_HEALTH = {"breach": {"confidentiality": "unknown_recipients"}, "data": {"categories": ["name", "health"]},
                    "subjects": {"count_min": 40, "count_max": 60}}


def test_there_are_worked_cases_beyond_the_eight_we_were_given():
    assert len(CASES) >= 14


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_each_worked_case_gets_the_edpbs_answer(path):
    case = load_case(path)
    assert case["source"] and "Guidelines" in case["source"]
    f = AssessmentFacts.model_validate(case["assessment"])
    r = advise(f)
    expected = case["expected"]
    assert (r.notify_authority, r.notify_subjects) == (expected["notify_authority"], expected["notify_subjects"])
    assert codes(r)[-1] == "document"  # every breach goes in the register (art. 33(5))


def test_a_high_risk_breach_goes_to_the_ap_and_the_people():
    r = advise(facts(**PUBLISHED_HEALTH))
    assert (r.severity.level, r.outcome) == ("very_high", (True, True, False))
    assert "authority_required" in codes(r) and "subjects_high_risk" in codes(r)


def test_state_of_the_art_encryption_with_a_safe_key_spares_the_ap_and_the_people_34_3_a():
    r = advise(facts(**PUBLISHED_HEALTH, protection={"encryption": "state_of_the_art"}))
    assert r.outcome == (False, False, False)
    exception = next(li for li in r.reasons if li.code == "exception_unintelligible")
    assert exception.source == "GDPR art. 34(3)(a)"


def test_encryption_whose_key_was_taken_protects_nothing():
    r = advise(facts(**PUBLISHED_HEALTH, protection={"encryption": "state_of_the_art", "key_compromised": True}))
    assert r.outcome == (True, True, False)


def test_weak_encryption_protects_nothing():
    assert advise(facts(**PUBLISHED_HEALTH, protection={"encryption": "weak"})).outcome == (True, True, False)


def test_measures_that_make_the_high_risk_unlikely_spare_the_people_but_not_the_ap_34_3_b():
    r = advise(facts(**PUBLISHED_HEALTH, containment={"measures_make_high_risk_unlikely": True}))
    assert r.outcome == (True, False, False)
    assert next(li for li in r.reasons if li.code == "exception_measures").source == "GDPR art. 34(3)(b)"


def test_disproportionate_effort_turns_the_letters_into_a_public_communication_34_3_c():
    r = advise(facts(**{**PUBLISHED_HEALTH, "subjects": {"count_min": 40, "count_max": 60,
                                                         "contact_effort": "disproportionate"}}))
    assert r.outcome == (True, False, True)
    assert next(li for li in r.reasons if li.code == "exception_disproportionate").source == "GDPR art. 34(3)(c)"


def test_disproportionate_effort_means_nothing_when_the_risk_is_not_high():
    r = advise(facts(breach={"confidentiality": "known_recipients"}, subjects={
        "count_min": 1, "count_max": 1, "contact_effort": "disproportionate"}))
    assert r.outcome == (True, False, False)


def test_a_trusted_recipient_who_deleted_the_data_spares_the_ap():
    r = advise(facts(breach={"confidentiality": "known_recipients"},
                     containment={"recovered": True, "recipient_trusted": True}))
    assert r.outcome == (False, False, False) and "c_trusted_recipient" in codes(r)


def test_a_trusted_recipient_who_kept_the_data_is_still_a_risk():
    r = advise(facts(breach={"confidentiality": "known_recipients"}, containment={"recipient_trusted": True}))
    assert r.notify_authority


def test_a_malicious_recipient_is_never_contained_by_a_promise_to_delete():
    r = advise(facts(breach={"confidentiality": "known_recipients", "malicious": True},
                     containment={"recovered": True, "recipient_trusted": True}))
    assert r.notify_authority


def test_a_short_outage_restored_within_hours_needs_no_notification():
    r = advise(facts(breach={"availability": "temporary"}, containment={"restored_within_hours": 3}))
    assert r.outcome == (False, False, False) and "a_restored" in codes(r)


def test_a_short_outage_of_health_records_still_goes_to_the_ap():
    r = advise(facts(breach={"availability": "temporary"}, data={"categories": ["health"]},
                     containment={"restored_within_hours": 3}))
    assert r.notify_authority and "a_restored" not in codes(r)


def test_an_outage_of_several_days_goes_to_the_ap():
    r = advise(facts(breach={"availability": "temporary"}, containment={"restored_within_hours": 72}))
    assert r.notify_authority


def test_confirmed_exfiltration_makes_a_medium_severity_a_high_risk():
    base = {"breach": {"confidentiality": "known_recipients"}, "data": {"categories": ["location"]}}
    assert advise(facts(**base)).severity.level == "medium"
    assert advise(facts(**base)).notify_subjects is False
    r = advise(facts(**base, containment={"exfiltration": "confirmed"}))
    assert r.notify_subjects and "subjects_high_risk_factor" in codes(r)


def test_a_mistake_shown_to_one_recipient_is_a_risk_but_not_a_high_one_edpb_case_16():
    r = advise(facts(breach={"confidentiality": "known_recipients"},
                     data={"categories": ["name", "contact", "invoices"]}))
    assert r.severity.level == "high" and r.outcome == (True, False, False)
    assert "subjects_contained_disclosure" in codes(r)


def test_the_same_mistake_with_identity_numbers_is_a_high_risk_edpb_case_14():
    r = advise(facts(breach={"confidentiality": "known_recipients"},
                     data={"categories": ["name", "contact", "national_id"]}))
    assert r.outcome == (True, True, False)


def test_every_reason_cites_a_source_and_only_the_breakdown_cites_enisa_alone():
    r = advise(facts(**{**PUBLISHED_HEALTH, "subjects": {"count_min": 40, "count_max": 900}}))
    assert all(li.source for li in r.lines)
    assert all(li.source.startswith(("GDPR", "EDPB")) for li in r.reasons)


# --- in words ----------------------------------------------------------------------------------------------

def described(f: AssessmentFacts, language: str, profile=None) -> dict[str, Any]:
    r, categories = evaluate(f, profile)
    return describe(view_of(r), numbers_of(f, categories), TEMPLATES, language)


def test_the_json_has_the_documented_shape():
    data = described(facts(**PUBLISHED_HEALTH), "en")
    assert {"severity", "notify_authority", "notify_subjects", "public_communication", "reasons"} <= set(data)
    assert {"score", "level", "dpc", "ei", "cb", "breakdown"} <= set(data["severity"])
    assert data["severity"]["score"] == 4.5 and data["severity"]["level"] == "very_high"
    assert all(set(reason) >= {"text", "source"} and reason["text"] for reason in data["reasons"])
    assert all(isinstance(step, str) and step for step in data["severity"]["breakdown"])


def test_the_texts_come_in_the_chosen_language():
    nl, en = described(facts(**PUBLISHED_HEALTH), "nl"), described(facts(**PUBLISHED_HEALTH), "en")
    assert "Autoriteit Persoonsgegevens" in " ".join(r["text"] for r in nl["reasons"])
    assert "Notify the Dutch Data Protection Authority" in " ".join(r["text"] for r in en["reasons"])
    assert [r["source"] for r in nl["reasons"]] == [r["source"] for r in en["reasons"]]
    assert "4 × 1 + 0,5 = 4,5" in nl["severity"]["breakdown"][-1]
    assert "4 × 1 + 0.5 = 4.5" in en["severity"]["breakdown"][-1]


def test_own_category_names_appear_in_the_breakdown(profile):
    data = described(facts(data={"categories": ["coachverslagen"]}), "nl", profile)
    assert "coachverslagen (gezondheid)" in data["severity"]["breakdown"][0]


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_line_of_every_case_has_words_in_both_languages(path, language):
    f = AssessmentFacts.model_validate(load_case(path)["assessment"])
    data = described(f, language)
    texts = data["severity"]["breakdown"] + [r["text"] for r in data["reasons"]]
    assert all(t and "{" not in t and "None" not in t for t in texts)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_code_the_engine_can_produce_has_words(language):
    variants = [
        facts(**PUBLISHED_HEALTH, protection={"encryption": "state_of_the_art"}),
        facts(**PUBLISHED_HEALTH, containment={"measures_make_high_risk_unlikely": True}),
        facts(**{**PUBLISHED_HEALTH, "subjects": {"count_min": 1, "count_max": 1,
                                                  "contact_effort": "disproportionate"}}),
        facts(data={"categories": ["account_credentials"]}, protection={"hashing": "salted_state_of_the_art"},
              breach={"confidentiality": "public"}),
        facts(breach={"confidentiality": "known_recipients"}, data={"categories": ["location"]},
              containment={"exfiltration": "confirmed"}),
        facts(breach={"confidentiality": "known_recipients"}, containment={"recovered": True}),
        facts(breach={"confidentiality": "known_recipients"}),
        facts(data={"categories": ["purchase_history", "income"], "context": {"limited_insight": True}}),
        facts(data={"categories": ["payment_card"], "context": {"full_financial_details": True}},
              breach={"integrity": "altered_recoverable", "availability": "permanent"}),
    ]
    seen = set()
    for f in variants:
        data = described(f, language)
        seen |= {r["code"] for r in data["reasons"]}
    assert {"exception_unintelligible", "exception_measures", "exception_disproportionate", "c_retrieved",
            "subjects_high_risk_factor", "subjects_no_high_risk"} <= seen


def test_every_code_in_the_engine_has_a_macro_in_both_languages():
    import re

    source = "".join((ROOT / "incidents" / name).read_text(encoding="utf-8")
                     for name in ("severity.py", "recommendation.py"))
    engine_codes = set(re.findall(r'Line\(\s*"(?:breakdown|reason)",\s*"(\w+)"', source))
    assert len(engine_codes) > 30
    for language in ("nl", "en"):
        words = (TEMPLATES / language / "recommendation" / "lines.j2").read_text(encoding="utf-8")
        macros = set(re.findall(r"macro (\w+)\(detail, points, n\)", words))
        assert engine_codes <= macros, (language, engine_codes - macros)


def test_the_readable_explanation_shows_advice_severity_and_reasons():
    f = facts(**PUBLISHED_HEALTH)
    r, categories = evaluate(f, None)
    text = explain(view_of(r), numbers_of(f, categories), TEMPLATES, "nl")
    assert "Melden bij de Autoriteit Persoonsgegevens (art. 33 AVG):  ja" in text
    assert "Ernst volgens ENISA (2013): 4,5, zeer hoog" in text
    assert "(art. 33 lid 1 AVG)" in text and "GDPR" not in text  # Dutch text cites Dutch law


# --- scoping help ----------------------------------------------------------------------------------------------

def test_the_inventory_proposes_categories_and_a_range_of_people_for_the_named_systems(profile):
    from incidents.scoping import propose_scope

    p = propose_scope(profile, ["Website (WordPress)", "nieuwsbrief (sendinblue)", "Excel on a laptop"])
    assert p.systems == ["Website (WordPress)", "Nieuwsbrief (SendinBlue)"]
    assert p.unknown_systems == ["Excel on a laptop"]
    assert p.categories == ["naam", "contactgegevens", "ip-adres", "apparaatgegevens"]
    assert p.vocabulary == ["name", "contact", "traffic_data"]
    assert (p.count_min, p.count_max) == (600, 1000)  # everyone in both systems .. no one in both


def test_the_scope_check_names_what_the_assessment_left_out_or_added(profile):
    from incidents.scoping import check_scope, propose_scope

    p = propose_scope(profile, ["Coachverslagen (Google Drive)"])
    check = check_scope(p, ["health", "contact", "bank_account"], count_min=200)
    assert (check.missing, check.extra, check.count_above, check.agrees) == (["name"], ["bank_account"], True, False)
    assert check_scope(p, ["health", "name", "contact"], count_min=39).agrees


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_scope_reads_as_a_proposal_with_an_assessment_to_start_from(profile, language):
    from incidents.scoping import propose_scope
    from incidents.services.recommendation import explain_scope

    text = explain_scope(propose_scope(profile, ["Administratie en facturen"]), None, "DL-2026-0001", TEMPLATES,
                         language)
    draft = yaml.safe_load(text[text.index("\ndata:"):])
    assert draft["data"]["categories"] == ["naam", "contactgegevens", "geboortedatum", "bedrijfsgegevens",
                                           "betaalgegevens", "facturen"]
    assert draft["subjects"] == {"count_min": 150, "count_max": 150}


# --- a disclosure that endangers someone's physical safety ---------------------------------------------------

NEW_ADDRESS = {"breach": {"confidentiality": "known_recipients"}, "data": {"categories": ["name", "contact"]},
               "containment": {"exfiltration": "none"}}


def test_an_address_to_someone_the_person_must_be_protected_from_is_a_high_risk_whatever_its_category():
    r = advise(facts(**{**NEW_ADDRESS, "breach": {"confidentiality": "known_recipients", "endangers_safety": True}}))
    assert r.severity.level == "low"  # by ENISA points: a name and an address
    assert (r.notify_authority, r.notify_subjects) == (True, True)
    assert "factor_physical_safety" in codes(r) and "subjects_physical_safety" in codes(r)
    assert r.findings.high_risk and r.findings.high_risk_grounds[0] == "subjects_physical_safety"


def test_the_same_letter_to_a_stranger_is_no_high_risk():
    r = advise(facts(**NEW_ADDRESS))
    assert (r.notify_authority, r.notify_subjects) == (True, False)


def test_a_promise_to_delete_does_not_contain_a_disclosure_to_the_person_who_is_the_danger():
    """EDPB Guidelines 01/2021 case no. 09 (a trusted recipient deleted it) does not apply: the recipient is the
    risk, so neither the return of the letter nor an assurance makes it harmless."""
    contained = advise(facts(**{**NEW_ADDRESS, "containment": {"recovered": True, "recipient_trusted": True}}))
    assert not contained.notify_authority
    endangered = advise(facts(breach={"confidentiality": "known_recipients", "endangers_safety": True},
                              data={"categories": ["name", "contact"]},
                              containment={"recovered": True, "recipient_trusted": True}))
    assert (endangered.notify_authority, endangered.notify_subjects) == (True, True)


# --- mistaken disclosures weigh the data, the recipients and the number of people -----------------------------

def _case(stem: str) -> dict[str, Any]:
    return load_case(next(p for p in CASES if p.stem == stem))["assessment"]


def test_a_mistaken_letter_weighs_the_number_of_people_not_the_score_alone():
    """EDPB Guidelines 01/2021 case no. 16: one policyholder's letter to another is a risk, not a high one, at a
    high ENISA severity. The same mistake repeated for hundreds of policyholders is (recital 75: many people)."""
    one = advise(AssessmentFacts.model_validate(_case("edpb-16-postal-mistake")))
    many = advise(AssessmentFacts.model_validate(
        {**_case("edpb-16-postal-mistake"), "subjects": {"count_min": 400, "count_max": 400}}))
    assert one.severity.level == many.severity.level == "high"
    assert (one.notify_subjects, many.notify_subjects) == (False, True)


def test_a_mistaken_disclosure_weighs_the_data():
    """Case no. 16 again, with the policyholders' national identity numbers in the letter: identity fraud (cases
    no. 07 and 14) makes even one letter a high risk."""
    case = _case("edpb-16-postal-mistake")
    with_ids = {**case, "data": {**case["data"], "categories": [*case["data"]["categories"], "national_id"]}}
    assert advise(AssessmentFacts.model_validate(with_ids)).notify_subjects


def test_a_mistaken_disclosure_weighs_the_recipients():
    """Case no. 09: a trusted recipient who deleted it spares the AP; a recipient the person must be protected
    from (the ICO's reprimands of 2023) makes the same letter a high risk."""
    case = _case("edpb-16-postal-mistake")
    trusted = {**case, "containment": {"exfiltration": "none", "recovered": True, "recipient_trusted": True}}
    danger = {**case, "breach": {**case["breach"], "endangers_safety": True}}
    assert not advise(AssessmentFacts.model_validate(trusted)).notify_authority
    assert advise(AssessmentFacts.model_validate(danger)).notify_subjects


def test_every_line_of_every_worked_case_fits_the_register():
    """The register keeps each line's code (80 characters) and source (120): PostgreSQL refuses longer ones."""
    from incidents.register.tables import RecommendationReasonRow

    code_max = RecommendationReasonRow.__table__.c.code.type.length
    source_max = RecommendationReasonRow.__table__.c.source.type.length
    safety = {"breach": {"confidentiality": "known_recipients", "endangers_safety": True}}
    for f in [AssessmentFacts.model_validate(load_case(p)["assessment"]) for p in CASES] + [facts(**safety)]:
        for line in advise(f).lines:
            code = f"{line.code}:{line.detail}" if line.detail else line.code
            assert len(code) <= code_max and len(line.source) <= source_max, (code, line.source)
