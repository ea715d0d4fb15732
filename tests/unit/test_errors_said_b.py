"""The errors of the review, the public communication, the users, the audit trail, the settings and the profile read
in Dutch to a Dutch reader, and in English word for word as before (templates/<lang>/errors/)."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from incidents import audit, users
from incidents.config import REPO_ROOT, Settings
from incidents.errors import ConfigurationError, InvalidInput, InvalidTransition
from incidents.profile import load_profile
from incidents.said import Said, speaking
from incidents.services.review import check_reviewed


def test_a_new_user_with_a_short_password_and_an_unknown_role_is_refused_in_dutch() -> None:
    error = InvalidInput("user", users.check_user("anna", "kort", "baas", "nl"))
    with speaking("nl"):
        assert str(error) == (
            "De gebruiker is niet geldig (2 problemen):\n"
            "  - password: gebruik minstens 12 tekens (een wachtzin werkt goed)\n"
            "  - role: moet een van deze waarden zijn: viewer, responder, privacy_officer")
    assert str(error) == (
        "user is not valid (2 problems):\n"
        "  - password: use at least 12 characters (a passphrase works well)\n"
        "  - role: must be one of: viewer, responder, privacy_officer")


def test_an_approval_of_an_older_public_communication_names_the_files_to_review_in_dutch() -> None:
    newest = SimpleNamespace(version=3, digest="0123456789abcdef" * 4, incident_id="DL-2026-0007", renders=[])
    review = Said("public_notice.review_files", version=3)
    with pytest.raises(InvalidInput) as caught:
        check_reviewed(newest, 2, None, review)  # type: ignore[arg-type]
    with speaking("nl"):
        assert str(caught.value) == (
            "De goedkeuring is niet geldig (1 probleem):\n"
            "  - --version: versie 2 is niet de nieuwste; beoordeel versie 3: de bestanden van versie 3 in de map "
            "met mededelingen")
    assert str(caught.value) == (
        "approval is not valid (1 problem):\n"
        "  - --version: version 2 is not the newest; review version 3: the files of version 3 in the notices folder")


def test_a_closed_incident_says_its_state_in_dutch_and_its_value_in_english() -> None:
    error = InvalidTransition(Said("review.no_message_any_more", id="DL-2026-0007", status="dismissed"))
    with speaking("nl"):
        assert str(error) == ("incident DL-2026-0007 is vervallen (geen datalek); er wordt geen bericht aan de "
                              "betrokkenen meer geschreven")
    assert str(error) == "incident DL-2026-0007 is dismissed; no message to the people is written any more"
    public = InvalidTransition(Said("public_notice.contact_individually", id="DL-2026-0007"))
    with speaking("nl"):
        assert "(AVG art. 34(3)(c))" in str(public) and "GDPR" not in str(public)
    assert "(GDPR art. 34(3)(c))" in str(public)


def test_a_profile_naming_a_processor_twice_is_refused_in_dutch(tmp_path: Path) -> None:
    data = yaml.safe_load((REPO_ROOT / "examples" / "qoers" / "profile.yaml").read_text(encoding="utf-8"))
    wrong = copy.deepcopy(data)
    wrong["processors"].append(dict(wrong["processors"][0]))
    name, i = wrong["processors"][0]["name"], len(wrong["processors"]) - 1
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(wrong, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_profile(path)
    with speaking("nl"):
        assert str(caught.value) == (f"Het organisatieprofiel {path} is niet geldig (1 probleem):\n"
                                     f"  - processors.{i}.name: {name!r} komt twee keer voor; namen moeten uniek zijn")
    assert str(caught.value) == (f"organisation profile {path} is not valid (1 problem):\n"
                                 f"  - processors.{i}.name: {name!r} appears twice; names must be unique")


def test_a_wrong_setting_and_a_wrong_audit_head_are_said_in_dutch() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({"BREACH_EMAIL_BACKEND": "smtp"})
    with speaking("nl"):
        assert str(caught.value) == "BREACH_EMAIL_BACKEND='smtp' is geen bekende backend; gebruik een van: outbox, sendgrid"
    assert str(caught.value) == "BREACH_EMAIL_BACKEND='smtp' is not a known backend; use one of: outbox, sendgrid"
    with pytest.raises(InvalidInput) as head:
        audit.parse_head("42")
    with speaking("nl"):
        assert "REGEL:HASH, bijvoorbeeld 42:3f9a0c1d2e4b5a69" in str(head.value)
    assert str(head.value).endswith("give the head as printed by `breach audit verify`: ENTRY:HASH, "
                                    "e.g. 42:3f9a0c1d2e4b5a69")


def test_what_the_audit_check_finds_reads_in_the_language_of_its_reader() -> None:
    problem = audit.Problem(7, Said("audit.entries_missing", first=5, last=6))
    with speaking("nl"):
        assert problem.what == "regels 5..6 ontbreken (verwijderd)"
    assert problem.what == "entries 5..6 are missing (deleted)"
