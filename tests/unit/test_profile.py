"""The organisation profile as a user meets it: the shipped example loads, and a wrong profile is refused by field."""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any

import pytest
import yaml

from incidents.errors import InvalidInput
from incidents.model import AssessmentFacts, IncidentReport
from incidents.profile import Profile, load_profile
from incidents.validation import load_document, parse_model

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "qoers"

MINIMAL: dict[str, Any] = {
    "organisation": {
        "name": "Voorbeeld BV",
        "address": {"street": "Dorpsstraat 1", "postcode": "1234 AB", "city": "Ergens"},
        "kvk_number": "12345678",
        "email": "privacy@example.nl",
    },
    "privacy_contact": {"name": "Privacycontact", "email": "privacy@example.nl", "phone": "06 11001098"},
    "incident_team": [{"name": "Privacycontact", "email": "privacy@example.nl"}],
    "processors": [{"name": "Mailer", "service": "nieuwsbrief"}],
    "data_categories": [{"name": "klantdossier", "means": "health"}],
    "data_inventory": [
        {"name": "Nieuwsbrief", "processor": "Mailer", "categories": ["contact"], "people_estimate": 10},
    ],
}


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def refused(tmp_path: Path, data: dict[str, Any]) -> dict[str, str]:
    """Load a profile that must fail; return its errors as {field path: message}."""
    with pytest.raises(InvalidInput) as caught:
        load_profile(write(tmp_path, data))
    return {e.field: e.message for e in caught.value.errors}


def changed(**paths: Any) -> dict[str, Any]:
    """MINIMAL with the given dotted paths set (a value of ... deletes the key)."""
    data = copy.deepcopy(MINIMAL)
    for dotted, value in paths.items():
        *parents, last = dotted.split("__")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is ...:
            del node[last]
        else:
            node[last] = value
    return data


@pytest.fixture(scope="module")
def qoers() -> Profile:
    return load_profile(EXAMPLES / "profile.yaml")


# --- the shipped example ----------------------------------------------------------------------------------


def test_the_qoers_profile_loads_and_maps_coaching_reports_to_health(qoers: Profile) -> None:
    assert qoers.organisation.kvk_number == "82519587"
    assert qoers.language == "nl"
    assert qoers.vocabulary_of("coachverslagen") == "health"
    assert qoers.vocabulary_of("Coachverslagen") == "health"


def test_the_qoers_profile_lists_the_six_processors_of_its_policy(qoers: Profile) -> None:
    names = {p.name for p in qoers.processors}
    assert names == {"SendinBlue", "Google Analytics", "Google Drive", "Skype", "WordPress", "Zoom"}


def test_every_own_category_of_the_qoers_profile_maps_to_the_vocabulary(qoers: Profile) -> None:
    for system in qoers.data_inventory:
        for category in system.categories:
            assert qoers.vocabulary_of(category) is not None, (system.name, category)


def test_the_qoers_incident_parses_and_names_known_systems(qoers: Profile) -> None:
    report = parse_model(IncidentReport, load_document(EXAMPLES / "incident.yaml", "incident"), "incident")
    assert report.source == "data_subject"
    assert report.occurred_from < report.discovered_at <= report.aware_at
    assert qoers.check_systems(report.systems) == []


def test_the_qoers_assessment_parses_and_uses_categories_the_profile_knows(qoers: Profile) -> None:
    facts = parse_model(
        AssessmentFacts, load_document(EXAMPLES / "assessment.yaml", "assessment"), "assessment"
    )
    assert facts.breach.confidentiality == "unknown_recipients"
    assert [qoers.vocabulary_of(c) for c in facts.data.categories] == ["health", "contact"]
    assert facts.data.context.reveals_sensitive_insight
    assert facts.subjects.count_min <= facts.subjects.count_max


def test_the_qoers_subjects_file_has_one_case_duplicate_and_one_invalid_address() -> None:
    with (EXAMPLES / "subjects.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["name", "email", "language"]
        rows = list(reader)
    emails = [r["email"] for r in rows]
    assert len(rows) == 40
    assert len({e.casefold() for e in emails}) == 39
    assert "pieter.bakker@example" in emails
    assert "Vries, Gerrit de" in {r["name"] for r in rows}
    assert {r["language"] for r in rows} == {"nl", "en"}


# --- a wrong profile is refused, and the error names the field ---------------------------------------------


def test_a_minimal_profile_loads(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, MINIMAL))
    assert profile.organisation.address.country == "NL"
    assert profile.language == "nl"


def test_a_missing_kvk_number_is_named(tmp_path: Path) -> None:
    errors = refused(tmp_path, changed(organisation__kvk_number=...))
    assert errors == {"organisation.kvk_number": "is required"}


def test_a_missing_data_inventory_is_named(tmp_path: Path) -> None:
    assert "data_inventory" in refused(tmp_path, changed(data_inventory=...))


@pytest.mark.parametrize("kvk", ["1234567", "123456789", "1234 5678", "KVK12345"])
def test_a_kvk_number_must_be_eight_digits(tmp_path: Path, kvk: str) -> None:
    assert set(refused(tmp_path, changed(organisation__kvk_number=kvk))) == {"organisation.kvk_number"}


def test_a_kvk_number_written_as_a_number_is_refused_not_guessed(tmp_path: Path) -> None:
    # YAML reads an unquoted 01234567 as a number and would lose the leading zero; quote it.
    assert "organisation.kvk_number" in refused(tmp_path, changed(organisation__kvk_number=12345678))


def test_a_bad_email_address_is_named(tmp_path: Path) -> None:
    errors = refused(tmp_path, changed(privacy_contact__email="privacy(at)example.nl"))
    assert set(errors) == {"privacy_contact.email"}


def test_a_bad_email_address_in_the_team_names_the_member(tmp_path: Path) -> None:
    data = changed()
    data["incident_team"].append({"name": "IT-deskundige", "email": "it@example"})
    assert set(refused(tmp_path, data)) == {"incident_team.1.email"}


def test_an_inventory_system_with_an_unknown_processor_is_named(tmp_path: Path) -> None:
    errors = refused(tmp_path, changed(data_inventory__0__processor="Dropbox"))
    assert set(errors) == {"data_inventory.0.processor"}
    assert "'Dropbox'" in errors["data_inventory.0.processor"]


def test_a_processor_is_matched_regardless_of_case(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, changed(data_inventory__0__processor="mailer")))
    assert profile.processor("MAILER") is not None


def test_an_inventory_category_neither_own_nor_in_the_vocabulary_is_named(tmp_path: Path) -> None:
    errors = refused(tmp_path, changed(data_inventory__0__categories=["contact", "dossiers"]))
    assert set(errors) == {"data_inventory.0.categories"}
    assert "'dossiers'" in errors["data_inventory.0.categories"]


def test_an_inventory_category_may_be_an_own_name(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, changed(data_inventory__0__categories=["klantdossier"])))
    assert profile.vocabulary_of("klantdossier") == "health"


def test_an_own_category_must_mean_a_vocabulary_term(tmp_path: Path) -> None:
    errors = refused(tmp_path, changed(data_categories=[{"name": "klantdossier", "means": "medical"}]))
    assert set(errors) == {"data_categories.0.means"}
    assert "health" in errors["data_categories.0.means"]  # the message lists the terms to choose from


def test_an_unknown_field_is_refused_so_a_typo_is_not_lost(tmp_path: Path) -> None:
    errors = refused(tmp_path, changed(organisation__kvk_nummer="12345678"))
    assert set(errors) == {"organisation.kvk_nummer"}


def test_only_dutch_or_english_is_a_profile_language(tmp_path: Path) -> None:
    assert set(refused(tmp_path, changed(language="de"))) == {"language"}


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    errors = refused(tmp_path, changed(organisation__kvk_number="123", privacy_contact__email="nope"))
    assert set(errors) == {"organisation.kvk_number", "privacy_contact.email"}


def test_a_profile_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text("organisation: [unclosed", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_profile(path)
    assert [e.field for e in caught.value.errors] == ["file"]


def test_a_missing_profile_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_profile(tmp_path / "nowhere.yaml")
    assert [e.field for e in caught.value.errors] == ["file"]


# --- references from a report into the profile -------------------------------------------------------------


def test_a_report_source_naming_a_listed_processor_passes(qoers: Profile) -> None:
    assert qoers.check_source("google drive") == []
    assert qoers.check_source(None) == []


def test_a_report_source_naming_an_unknown_processor_lists_the_known_ones(qoers: Profile) -> None:
    [error] = qoers.check_source("Dropbox")
    assert error.field == "source"
    assert "'Dropbox'" in error.message and "Google Drive" in error.message


def test_a_report_naming_an_unknown_system_is_told_which_one_and_the_known_ones(qoers: Profile) -> None:
    errors = qoers.check_systems(["Coachverslagen (Google Drive)", "Dropbox-map"])
    assert [e.field for e in errors] == ["systems.1"]
    assert "'Dropbox-map'" in errors[0].message and "Website (WordPress)" in errors[0].message
