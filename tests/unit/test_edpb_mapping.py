"""The AP notice's answers as the EDPB's common EU template: every field has a source or a reason to stay empty,
each mapping says what the register says, and every export validates against the template's JSON Schema.

`every_edpb_export_is_valid` (autouse here, imported by tests/integration/test_edpb_export.py) checks every
document `incidents.edpb.to_document` produces during a test against docs/edpb/breach-notification.schema.json.
The docs table docs/edpb/mapping.md is generated; after a change to the mapping, regenerate it with
    BREACH_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/unit/test_edpb_mapping.py -k docs
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from incidents import edpb
from incidents.authority_notice import QUESTION, Filing, NoticeFacts, OpenAnswers, Severity, source_type
from incidents.errors import InvalidInput
from incidents.legal import NO_FINDINGS
from incidents.notify.render import LANGUAGES, environment
from incidents.views import NoticeView, RecommendationLineView, RecommendationView
from tests.unit.test_templates import AWARE, FIRST_FILING, PROFILE, TEMPLATES, assessment, incident

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "edpb" / "breach-notification.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
PROPERTIES: dict[str, Any] = SCHEMA["properties"]
MAPPING_DOC = SCHEMA_PATH.parent / "mapping.md"
UPDATE = os.environ.get("BREACH_UPDATE_GOLDEN") == "1"
HOSTILE = "{{ 7*7 }} <script>alert(1)</script>"
# The schema's one format that contradicts its field: field 95 is "further description of ... measures" (a text,
# as the template asks) but was extracted with format "date". Every other format is checked.
FORMAT_EXEMPT = {"field_95"}


# --- every export validates ----------------------------------------------------------------------------------

def schema_errors(document: dict[str, Any]) -> list[str]:
    """The document's errors against the template's schema, formats (date-time with offset, date) included."""
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)
            if not (e.validator == "format" and e.json_path.removeprefix("$.") in FORMAT_EXEMPT)]


def assert_valid(document: dict[str, Any]) -> None:
    errors = schema_errors(document)
    assert not errors, "the EU template export does not validate:\n" + "\n".join(errors)


@pytest.fixture(autouse=True)
def every_edpb_export_is_valid(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Every document the code under test produces is checked against the schema the moment it is made."""
    produced: list[dict[str, Any]] = []
    original = edpb.to_document

    def checked(answers: edpb.EdpbAnswers, texts: Any) -> dict[str, Any]:
        document = original(answers, texts)
        assert_valid(document)
        produced.append(document)
        return document

    monkeypatch.setattr(edpb, "to_document", checked)
    yield produced


def test_the_schema_check_catches_an_invalid_document() -> None:
    assert schema_errors({"field_3": "z"})  # an unknown option, and the required fields missing
    assert any("date-time" in e for e in schema_errors({"field_48": "2026-11-24 14:30"}))  # no offset


# --- building notices ------------------------------------------------------------------------------------------

COMPLETE = OpenAnswers(other_regulators=[], countries=["NL"], other_authorities=[], incident_kind="published")


def recommendation(*, authority: bool = True, subjects: bool = True, public: bool = False,
                   codes: tuple[str, ...] = (), **found: Any) -> RecommendationView:
    """A stored recommendation with its legal findings: a risk when it advises the AP, a high risk when it advises
    telling the people (or found one that an art. 34(3) condition then spares them); `found` sets others."""
    lines = [RecommendationLineView("reason", code, None, None, "test") for code in codes]
    high = subjects or public or "subjects_high_risk" in codes
    findings = replace(NO_FINDINGS, risk=authority, high_risk=high, **{"disproportionate_effort": public, **found})
    return RecommendationView(score=3.5, level="high", dpc=3.0, ei=1.0, cb=0.5, notify_authority=authority,
                              notify_subjects=subjects, public_communication=public, lines=lines, findings=findings)


def sent(at: datetime = AWARE + timedelta(hours=20), recipients: int = 40) -> NoticeView:
    return NoticeView("subject_notice", "done", at, at + timedelta(minutes=5), recipients, "outbox", None, None)


def facts(**changes: Any) -> NoticeFacts:
    view = changes.pop("incident", None) or incident(recommendation=recommendation())
    base = NoticeFacts(incident=view, profile=PROFILE, made_at=AWARE + timedelta(hours=8),
                       severity=Severity("high", 3.5), version=1)
    return replace(base, **changes)


def complete_facts(**changes: Any) -> NoticeFacts:
    """Everything the template asks known: times, the list of people, the message to them sent."""
    view = incident(occurred_from=AWARE - timedelta(days=3), occurred_until=AWARE - timedelta(hours=2),
                    recommendation=recommendation(), subjects={"sent": 40}, notices=[sent()])
    return facts(incident=view, answers=COMPLETE, **changes)


def answers(f: NoticeFacts) -> edpb.EdpbAnswers:
    return edpb.template_answers(f)


def document(f: NoticeFacts, language: str = "nl") -> dict[str, Any]:
    return edpb.render_document(TEMPLATES, language, answers(f))


# --- the mapping table: every field of the template --------------------------------------------------------

def test_the_field_list_is_the_templates_100_fields_in_its_order_and_sections() -> None:
    assert [f.key for f in edpb.FIELDS] == list(PROPERTIES)
    assert len(edpb.FIELDS) == SCHEMA["x-input-field-count"] == 100
    assert [f.section for f in edpb.FIELDS] == [p["x-section"] for p in PROPERTIES.values()]
    assert {f.key for f in edpb.FIELDS if f.required} == set(SCHEMA["required"])


@pytest.mark.parametrize("spec", [f for f in edpb.FIELDS if f.empty is None], ids=lambda f: f.key)
def test_every_filled_field_names_register_facts_that_exist(spec: edpb.FieldSpec) -> None:
    assert spec.sources, f"{spec.key} has no source"
    for source in spec.sources:
        source_type(source)  # raises UnknownSource when NoticeFacts has no such field
    assert all(q in QUESTION for q in spec.ap), spec.ap
    assert spec.number in edpb._RULES or spec.number == 4


@pytest.mark.parametrize("spec", [f for f in edpb.FIELDS if f.required], ids=lambda f: f.key)
def test_no_required_field_is_left_without_a_source(spec: edpb.FieldSpec) -> None:
    assert spec.empty is None and spec.sources


def test_the_fields_left_empty_and_why() -> None:
    assert {f.number: f.empty for f in edpb.FIELDS if f.empty} == {
        14: "not_recorded",  # the profile's sector is free text ("coaching"), not private/public
        15: "not_recorded",  # the size class is not in the profile
        16: "only_with_organisation_type",
        18: "organisation_in_eea", 19: "organisation_in_eea",
        25: "optional_not_asked", 26: "optional_not_asked",
        34: "contact_is_reporter", 35: "contact_is_reporter", 36: "contact_is_reporter",
        45: "not_recorded",  # whether times are estimates
        82: "never_other", 84: "never_other", 105: "never_other",
        99: "no_planned_date",
        109: "not_recorded",  # a report to the police
        117: "per_country_not_recorded",
        118: "garbled_options",
        121: "only_outside_eea", 122: "only_outside_eea", 123: "only_outside_eea",
        125: "no_attachments", 126: "no_attachments",
    }


def test_what_the_main_fields_are_filled_from() -> None:
    sources = {f.number: f.sources for f in edpb.FIELDS}
    assert sources[3] == ("purpose", "filings.kind")
    assert sources[6] == ("filings.reference",)
    assert sources[48] == ("incident.aware_at",)
    assert "filings.delay_reason" in sources[49]
    assert sources[50] == ("incident.source_kind",)
    assert sources[55] == ("assessment.confidentiality", "assessment.integrity", "assessment.availability")
    assert sources[67] == ("assessment.count_min", "assessment.count_max")
    assert sources[70] == ("assessment.categories", "profile.data_categories")
    assert sources[87] == ("severity.level",)
    assert "incident.recommendation.notify_subjects" in sources[89]
    assert "subject_notice.finished_at" in sources[97] and "decision.notify_subjects" in sources[97]
    assert sources[113] == ("profile.organisation.address.country", "answers.countries")


@pytest.mark.parametrize("spec", [f for f in edpb.FIELDS if f.to_be_determined], ids=lambda f: f.key)
def test_to_be_determined_is_one_of_the_fields_options(spec: edpb.FieldSpec) -> None:
    prop = PROPERTIES[spec.key]
    assert spec.to_be_determined in prop.get("enum", prop.get("x-options", {}))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_field_section_and_used_option_has_words_in_both_languages(language: str) -> None:
    words: Any = environment(TEMPLATES).get_template(f"{language}/edpb/_fields.j2").module
    assert set(words.titles) == {f.number for f in edpb.FIELDS}
    assert set(words.sections) == set(edpb.SECTIONS)
    for spec in edpb.FIELDS:
        if spec.kind in ("option", "options") and spec.empty is None:
            assert set(words.options[spec.number]) == set(PROPERTIES[spec.key]["x-options"]), spec.key
        if spec.empty is not None:
            assert words.empty_reasons[spec.empty]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_field_given_as_facts_has_its_words_in_both_languages(language: str) -> None:
    words = environment(TEMPLATES).get_template(f"{language}/edpb/_texts.j2").make_module(
        {"edpb": None, "answer_set": answers(facts()).answer_set, "incident_id": "x"})
    for spec in edpb.FIELDS:
        if spec.kind == "text" and spec.empty is None and spec.number != 106:
            assert callable(getattr(words, f"field_{spec.number}", None)), spec.key


def test_docs_table_is_generated_from_the_field_list() -> None:
    table = edpb.mapping_table(TEMPLATES)
    for spec in edpb.FIELDS:
        assert f"\n| {spec.number} | " in table
    assert "`incident.aware_at`" in table and "left empty: the tool sends no attachments" in table
    if UPDATE:
        MAPPING_DOC.write_text(table, encoding="utf-8")
    elif MAPPING_DOC.exists():
        assert MAPPING_DOC.read_text(encoding="utf-8") == table, "docs/edpb/mapping.md is stale; regenerate it"
    else:
        pytest.skip("docs/edpb/mapping.md not generated yet (see the module docstring)")


# --- notification type and sub-type from the filing history ----------------------------------------------

def test_a_first_notice_with_unknowns_is_new_and_incomplete() -> None:
    d = document(facts())
    assert (d["field_3"], d["field_4"]) == ("a", "b")
    assert "field_5" not in d and "field_6" not in d
    assert d["field_7"] == "2026-0007"


def test_a_first_notice_that_answers_everything_is_new_and_complete() -> None:
    a = answers(complete_facts())
    assert a.pending == []
    d = edpb.render_document(TEMPLATES, "nl", a)
    assert (d["field_3"], d["field_4"]) == ("a", "a")


def test_a_follow_up_refers_to_the_previous_notice_and_is_complete_or_not() -> None:
    complete = document(complete_facts(purpose="follow_up", history=(FIRST_FILING,)))
    incomplete = document(facts(purpose="follow_up", history=(FIRST_FILING,)))

    assert (complete["field_3"], complete["field_4"], complete["field_6"]) == ("b", "a", "M-2026-123456")
    assert (incomplete["field_3"], incomplete["field_4"]) == ("b", "b")


def test_a_withdrawal_withdraws_with_its_reason_and_the_previous_meldnummer() -> None:
    follow_up = Filing(id=2, kind="follow_up", filed_at=AWARE + timedelta(hours=30), filed_by="Anne Privacy",
                       reference="M-2026-123999", previous_id=1)
    withdrawal = Filing(id=3, kind="withdrawal", filed_at=AWARE + timedelta(hours=40), filed_by="Anne Privacy",
                        reference="M-2026-123999", previous_id=2,
                        withdrawal_reason="De map bevatte alleen testgegevens zonder echte personen.")
    d = document(facts(purpose="withdrawal", history=(FIRST_FILING, follow_up), filing=withdrawal,
                       made_at=withdrawal.filed_at))

    assert (d["field_3"], d["field_4"]) == ("b", "c")
    assert d["field_5"] == "De map bevatte alleen testgegevens zonder echte personen."
    assert d["field_6"] == "M-2026-123999"
    assert d["field_89"] == "c"  # withdrawn: unlikely to result in a risk after all


# --- times -------------------------------------------------------------------------------------------------

def test_awareness_is_iso_8601_with_the_amsterdam_offset_summer_and_winter() -> None:
    summer = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert document(facts())["field_48"] == "2026-11-24T14:30:00+01:00"
    assert document(facts(incident=incident(aware_at=summer, discovered_at=summer)))["field_48"] == \
        "2026-07-01T10:00:00+02:00"


def test_start_and_end_when_known_else_to_be_determined() -> None:
    known = document(complete_facts())
    same_day = document(facts(incident=incident(occurred_from=AWARE - timedelta(hours=3),
                                                occurred_until=AWARE - timedelta(hours=1))))
    open_end = answers(facts(incident=incident(occurred_from=AWARE - timedelta(days=2))))

    assert (known["field_44"], known["field_46"], known["field_47"]) == (
        "b", "2026-11-21T14:30:00+01:00", "2026-11-24T12:30:00+01:00")
    assert same_day["field_44"] == "a"
    assert open_end.answers[44].value == "e" and open_end.answers[44].pending == ("incident.occurred_until",)
    assert 46 in open_end.answers and 47 not in open_end.answers


def test_reasons_for_late_notification_exactly_when_notified_after_72_hours() -> None:
    late_filing = replace(FIRST_FILING, filed_at=AWARE + timedelta(hours=80), delay_reason="IT-deskundige ziek.")

    in_time = document(facts())
    late_draft = answers(facts(made_at=AWARE + timedelta(hours=73)))
    filed_late = document(facts(purpose="first", filing=late_filing, made_at=late_filing.filed_at))
    follow_up_of_late = document(facts(purpose="follow_up", history=(late_filing,),
                                       made_at=AWARE + timedelta(hours=100)))
    follow_up_after_72h_of_in_time = document(facts(purpose="follow_up", history=(FIRST_FILING,),
                                                    made_at=AWARE + timedelta(hours=100)))

    assert "field_49" not in in_time and "field_49" not in follow_up_after_72h_of_in_time
    assert late_draft.answers[49].pending == ("filings.delay_reason",)
    assert edpb.render_document(TEMPLATES, "nl", late_draft)["field_49"] == "nog te bepalen"
    assert filed_late["field_49"] == follow_up_of_late["field_49"] == "IT-deskundige ziek."


# --- how it was discovered --------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "letter"), [("internal", "a"), ("processor", "b"), ("data_subject", "c"),
                                                 ("external", "d")])
def test_how_discovered_follows_the_reports_source(source: str, letter: str) -> None:
    processor = "Google Drive" if source == "processor" else None
    assert document(facts(incident=incident(source_kind=source, source_processor=processor)))["field_50"] == letter


def test_a_processors_notice_gives_the_day_it_told_us_in_amsterdam_and_names_it() -> None:
    told = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # 00:30 on the 25th in Amsterdam
    view = incident(source_kind="processor", source_processor="Google Drive", discovered_at=told - timedelta(hours=2),
                    aware_at=told)
    d = document(facts(incident=view))

    assert (d["field_50"], d["field_52"]) == ("b", "2026-11-25")
    assert (d["field_38"], d["field_40"]) == ("a", "Google Drive")
    assert "heeft de inbreuk aan ons gemeld" in d["field_39"]
    assert "meldde de verwerker Google Drive ons de inbreuk" in d["field_53"]


def test_discovered_internally_needs_no_date_of_another_party_and_no_other_party() -> None:
    d = document(facts(incident=incident(source_kind="internal", systems=[])))
    assert "field_52" not in d
    assert d["field_38"] == "b"
    assert d["field_39"] == d["field_40"] == d["field_41"] == \
        "Niet van toepassing: er is geen andere partij betrokken."


# --- nature -----------------------------------------------------------------------------------------------

def test_nature_lists_each_of_confidentiality_integrity_availability_that_applies() -> None:
    both = assessment(confidentiality="unknown_recipients", availability="temporary")
    d = document(facts(incident=incident(assessment=both, recommendation=recommendation())))

    assert document(facts())["field_55"] == "a"
    assert d["field_55"] == ["a", "c"]
    assert d["field_59"] == "a" and d["field_83"] == "b"
    assert "field_58" not in d and "field_81" not in d


@pytest.mark.parametrize(("confidentiality", "exfiltration", "letter"), [
    ("public", "none", "a"), ("known_recipients", "none", "a"), ("unknown_recipients", "confirmed", "a"),
    ("unknown_recipients", "suspected", "b"), ("unknown_recipients", "none", "b"),
    ("no_evidence_of_access", "suspected", "b"), ("no_evidence_of_access", "none", "c"),
])
def test_type_of_confidentiality_breach(confidentiality: str, exfiltration: str, letter: str) -> None:
    assert edpb.confidentiality_type(confidentiality, exfiltration) == letter


@pytest.mark.parametrize(("protection", "letter"), [
    ({"encryption": "state_of_the_art"}, "b"),  # as the assessment says, but only the stored finding makes it (a)
    ({"encryption": "state_of_the_art", "key_compromised": True}, "b"),
    ({"encryption": "weak"}, "b"),
    ({"hashing": "unsalted"}, "b"),
    ({}, "c"),
])
def test_unintelligible_data_follows_the_protection(protection: dict[str, Any], letter: str) -> None:
    view = incident(assessment=assessment(**protection), recommendation=recommendation())
    assert document(facts(incident=view))["field_57"] == letter


@pytest.mark.parametrize("how", ["encryption", "hashing"])
def test_unintelligible_data_is_the_stored_finding_of_art_34_3_a(how: str) -> None:
    protection = {"encryption": "state_of_the_art"} if how == "encryption" else {"hashing": "salted_state_of_the_art"}
    view = incident(assessment=assessment(**protection), recommendation=recommendation(unintelligible=how))
    assert document(facts(incident=view))["field_57"] == "a"


@pytest.mark.parametrize(("malicious", "integrity", "letter"), [
    (False, "altered_unrecoverable", "a"), (True, "altered_recoverable", "b"), (True, "altered_unrecoverable", "c")])
def test_type_of_integrity_breach(malicious: bool, integrity: str, letter: str) -> None:
    view = incident(assessment=assessment(integrity=integrity, malicious=malicious), recommendation=recommendation())
    assert document(facts(incident=view))["field_58"] == letter


def test_the_incident_kind_and_cause_follow_the_ap_forms_5_2_with_the_intent() -> None:
    unknown = answers(facts())
    published = document(facts(answers=COMPLETE))
    hacked = document(facts(answers=replace(COMPLETE, incident_kind="hacking_malware_phishing"),
                            incident=incident(assessment=assessment(malicious=True),
                                              recommendation=recommendation())))

    assert (unknown.answers[60].value, unknown.answers[60].pending) == ("x", ("answers.incident_kind",))
    assert unknown.answers[61].value == "e"
    assert (published["field_60"], published["field_61"]) == ("v", "a")  # published by mistake: internal
    assert (hacked["field_60"], hacked["field_61"]) == ("c", "d")


# --- people and data ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("groups", "vulnerable", "expected"), [
    (["klanten (coachees)"], False, "a"),
    (["medewerkers", "klanten"], False, ["a", "b"]),
    (["nieuwsbriefabonnees"], False, "g"),
    (["gebruikers van de app"], False, "h"),
    (["app-gebruikers", "newsletter subscribers"], False, ["g", "h"]),
    (["vrijwilligers"], True, ["i", "j"]),
])
def test_categories_of_people_from_the_assessments_groups(groups: list[str], vulnerable: bool,
                                                           expected: Any) -> None:
    a = assessment(groups=groups, context={**assessment().context, "vulnerable_subjects": vulnerable})
    d = document(facts(incident=incident(assessment=a, recommendation=recommendation())))
    assert d["field_65"] == expected


def test_other_groups_are_named_in_the_further_description() -> None:
    a = assessment(groups=["vrijwilligers"])
    d = document(facts(incident=incident(assessment=a, recommendation=recommendation())))
    assert "Andere groepen: vrijwilligers" in d["field_66"]


@pytest.mark.parametrize(("low", "high", "kind", "number"), [(39, 39, "a", 39), (39, 45, "b", 45)])
def test_number_of_people_exact_or_approximate_from_the_assessments_range(low: int, high: int, kind: str,
                                                                          number: int) -> None:
    a = assessment(count_min=low, count_max=high)
    d = document(facts(incident=incident(assessment=a, recommendation=recommendation())))
    assert (d["field_67"], d["field_68"]) == (kind, number)
    assert (d["field_72"], d["field_73"]) == ("b", number)


def test_nobody_counted_yet_is_a_number_to_be_determined() -> None:
    a = assessment(count_min=0, count_max=0)
    result = answers(facts(incident=incident(assessment=a, recommendation=recommendation())))
    d = edpb.render_document(TEMPLATES, "nl", result)

    assert (d["field_67"], d["field_72"], d["field_73"]) == ("d", "d", 0)
    assert "field_68" not in d
    assert result.answers[67].pending == ("assessment.count_min", "assessment.count_max")


def test_types_of_data_from_the_vocabulary_with_the_organisations_own_names() -> None:
    d = document(facts())  # coachverslagen (health), name, contact
    assert d["field_70"] == ["a", "b", "k"]
    assert "gezondheid (bij ons: coachverslagen)" in d["field_71"]
    assert edpb.data_types(["identity_document", "account_credentials", "bank_account"]) == ["n", "p", "q", "s"]


def test_every_vocabulary_term_has_a_type_of_data() -> None:
    from incidents.model import VOCABULARY

    assert set(edpb.DATA_TYPE) == set(VOCABULARY)


# --- consequences and risk --------------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "letter"), [("low", "a"), ("medium", "b"), ("high", "c"), ("very_high", "c")])
def test_severity_from_the_recommendation(level: str, letter: str) -> None:
    assert document(facts(severity=Severity(level, 2.0)))["field_87"] == letter


def test_no_severity_yet_is_to_be_determined() -> None:
    result = answers(facts(severity=None))
    assert (result.answers[87].value, result.answers[87].pending) == ("d", ("severity.level",))


@pytest.mark.parametrize(("rec", "letter"), [
    (recommendation(), "a"),
    (recommendation(subjects=False, codes=("subjects_high_risk", "exception_measures")), "a"),
    (recommendation(subjects=False, public=True), "a"),
    (recommendation(subjects=False), "b"),
    (recommendation(authority=False, subjects=False), "c"),
])
def test_risk_outcome_from_the_recommendation(rec: RecommendationView, letter: str) -> None:
    assert document(facts(incident=incident(recommendation=rec)))["field_89"] == letter


def test_without_a_recommendation_the_risk_outcome_is_the_decisions() -> None:
    assert document(facts(incident=incident(recommendation=None), severity=None))["field_89"] == "a"


def test_harms_follow_the_ap_forms_9_2_with_the_others_described() -> None:
    d = document(facts())
    assert d["field_85"] == ["a", "c", "h", "j", "n"]  # lose control, discrimination, reputation, disclosed, phishing
    assert "phishing" in d["field_86"]


# --- telling the people -------------------------------------------------------------------------------------

def test_people_told_gives_the_day_it_started_and_everyone_reached() -> None:
    d = document(complete_facts())
    assert (d["field_97"], d["field_98"], d["field_102"], d["field_104"]) == ("a", "2026-11-25", "a", "a")
    assert "[naam]" in d["field_106"] and "field_103" not in d


def test_not_everyone_reached_says_how_many_could_not_be_reached() -> None:
    view = incident(recommendation=recommendation(), subjects={"sent": 37, "unreachable": 3},
                    notices=[sent(recipients=37)])
    d = document(facts(incident=view))
    assert d["field_102"] == "b"
    assert d["field_103"].startswith("3 van de 40 personen op de lijst waren niet per e-mail bereikbaar")


def test_people_to_be_told_not_yet_sent_will_be_communicated() -> None:
    result = answers(facts())
    assert (result.answers[97].value, result.answers[97].pending) == (
        "b", ("subjects.reachable", "subject_notice.finished_at"))


def test_without_a_decision_the_investigation_is_ongoing() -> None:
    result = answers(facts(incident=incident(decision=None, recommendation=recommendation())))
    assert result.answers[97].value == "c"


@pytest.mark.parametrize(("changes", "found", "exemption"), [
    ({"encryption": "state_of_the_art"}, {"unintelligible": "encryption"}, "a"),
    ({"measures_make_high_risk_unlikely": True}, {"later_measures": True}, "b")])
def test_not_told_because_of_an_art_34_3_condition_names_it(changes: dict[str, Any], found: dict[str, Any],
                                                            exemption: str) -> None:
    view = incident(assessment=assessment(**changes), recommendation=recommendation(**found),
                    decision=replace(incident().decision, notify_subjects=False))
    d = document(facts(incident=view))
    assert (d["field_97"], d["field_100"]) == ("e", exemption)
    assert "art. 34 lid 3" in d["field_101"] and "Toelichting bij het besluit" in d["field_101"]


def test_a_public_communication_is_the_34_3_c_condition() -> None:
    view = incident(assessment=assessment(contact_effort="disproportionate"),
                    recommendation=recommendation(disproportionate_effort=True))
    d = document(facts(incident=view))
    assert (d["field_97"], d["field_100"]) == ("e", "c")


def test_not_told_without_a_condition_means_no_high_risk() -> None:
    view = incident(recommendation=recommendation(), decision=replace(incident().decision, notify_subjects=False))
    d = document(facts(incident=view))
    assert d["field_97"] == "d" and "field_100" not in d


# --- cross-border, other authorities ----------------------------------------------------------------------

def test_cross_border_from_the_profile_and_the_countries_of_the_people() -> None:
    unknown = answers(facts())
    one = document(facts(answers=COMPLETE))
    two = document(facts(answers=replace(COMPLETE, countries=["NL", "BE"])))

    assert (unknown.answers[113].value, unknown.answers[113].pending) == ("c", ("answers.countries",))
    assert one["field_113"] == "b" and "field_114" not in one
    assert (two["field_113"], two["field_114"], two["field_115"], two["field_116"]) == (
        "a", "Autoriteit Persoonsgegevens (Nederland)", "NL", "NL, BE")
    assert one["field_120"] == "b"  # established in the EEA


def test_other_regulators_from_the_ap_forms_1_3() -> None:
    told = document(facts(answers=replace(COMPLETE, other_regulators=["DNB"])))
    assert told["field_110"] == "a" and told["field_111"] == "Ook gemeld bij: DNB"
    assert document(facts(answers=COMPLETE))["field_110"] == "b"


# --- the controller -------------------------------------------------------------------------------------

def test_the_controller_and_the_reporting_person_come_from_the_profile() -> None:
    d = document(facts())
    assert (d["field_10"], d["field_11"], d["field_12"], d["field_17"]) == ("a", "82519587", "Qoers", "coaching")
    assert d["field_13"].startswith("Gasthuisstraat 26, 4161 CC Heukelum, NL")
    assert (d["field_21"], d["field_23"], d["field_24"], d["field_33"]) == ("Anne Privacy", "c", "eigenaar", "b")
    assert "privacy@qoers.nl" in d["field_22"]
    assert d["field_29"] == "Nee"


def test_a_registered_dpo_is_named_by_its_registration() -> None:
    org = PROFILE.organisation.model_copy(update={"dpo_registration": "FG001234"})
    d = document(facts(profile=PROFILE.model_copy(update={"organisation": org})))
    assert "FG001234" in d["field_29"] and "FG001234" in d["field_30"] and "FG001234" in d["field_31"]


# --- refused when the template cannot say "to be determined" --------------------------------------------

def test_without_an_assessment_the_export_is_refused_naming_the_field() -> None:
    f = facts(incident=incident(assessment=None, recommendation=None), severity=None)
    with pytest.raises(InvalidInput) as err:
        edpb.render_document(TEMPLATES, "nl", answers(f))
    assert "field_55" in [e.field for e in err.value.errors]
    assert "breach assess 2026-0007" in str(err.value)


def test_without_a_recommendation_or_decision_the_risk_outcome_is_refused() -> None:
    f = facts(incident=incident(recommendation=None, decision=None), severity=None)
    with pytest.raises(InvalidInput) as err:
        edpb.render_document(TEMPLATES, "nl", answers(f))
    assert [e.field for e in err.value.errors] == ["field_89"]


# --- the readable version ----------------------------------------------------------------------------------

SECTION_HEADINGS = {
    "nl": ["1.1 De melding en de verwerkingsverantwoordelijke", "2.2 Wie meldt", "3.1 Tijdlijn",
           "3.2 Aard van de inbreuk", "4.2 Risicobeoordeling", "6.3 Verwerkingsverantwoordelijken buiten de EER"],
    "en": ["1.1 The notification and the controller", "2.2 The reporting person", "3.1 Timeline",
           "3.2 Nature of the personal data breach", "4.2 Risk assessment", "6.3 Controllers outside the EEA"],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_readable_version_has_the_templates_sections_in_order(language: str) -> None:
    html = edpb.render_html(TEMPLATES, language, answers(facts()))
    positions = [html.find(f"<h2>{h}") for h in SECTION_HEADINGS[language]]
    assert -1 not in positions and positions == sorted(positions)
    assert "2026-11-24 14:30 CET" in html  # awareness, shown in Amsterdam time
    assert ("Gezondheidsgegevens" if language == "nl" else "Health data") in html  # option words, not letters


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_readable_version_escapes_whatever_the_register_holds(language: str) -> None:
    view = incident(title=HOSTILE, description=HOSTILE, reported_by=HOSTILE, recommendation=recommendation(),
                    assessment=assessment(summary=HOSTILE, measures=HOSTILE))
    html = edpb.render_html(TEMPLATES, language, answers(facts(incident=view)))
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and ">49<" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_completeness_check_lists_each_field_to_be_determined_with_the_way_to_fill_it(language: str) -> None:
    text = edpb.render_pending(TEMPLATES, language, answers(facts()))
    assert ("veld 60  Soort incident" if language == "nl" else "field 60  Nature of the incident") in text
    assert "answers.incident_kind" in text
    assert "breach subjects import 2026-0007" in text
    complete = edpb.render_pending(TEMPLATES, language, answers(complete_facts()))
    assert "2026-0007" in complete and "60" not in complete


def test_a_disclosure_that_endangers_someone_is_physical_harm_in_field_85() -> None:
    d = document(facts(incident=incident(assessment=assessment(endangers_safety=True))))
    assert "l" in d["field_85"]
