"""The errors about the affected people, their letters, their message and its dispatch read in Dutch for a Dutch
reader, and in the same English as before for everyone else (incidents/said.py)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from email.message import Message as HeaderMessage
from pathlib import Path

import pytest
from python_http_client import exceptions as http_errors

from breach.subjects_cmd import cmd_import
from incidents.errors import ConfigurationError, DispatchFailed, InvalidInput
from incidents.messages import approval_problems
from incidents.notify.email import Address, Message, Recipient
from incidents.notify.sendgrid_backend import SendGridBackend, backend_from_settings
from incidents.said import Said, speaking
from incidents.services.letters import record_posted
from incidents.subjects import ReadReport, check_select, read_people
from incidents.webhooks import parse_events
from tests.support.said import both


def test_a_missing_subjects_file_is_named_in_the_readers_language(tmp_path: Path) -> None:
    missing = tmp_path / "people.csv"
    with pytest.raises(InvalidInput) as refused:
        list(read_people(missing, ReadReport()))
    dutch, english = both(refused.value)
    assert dutch == f"Het bestand met betrokkenen {missing} is niet geldig (1 probleem):\n  - file: {missing} bestaat niet"
    assert english == f"subjects file {missing} is not valid (1 problem):\n  - file: {missing} does not exist"


def test_a_list_without_an_email_column_and_with_a_foreign_language(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("name,language\nAn,nl\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        list(read_people(people, ReadReport()))
    dutch, english = both(refused.value)
    assert "header: kolom 'email' ontbreekt; de kopregel moet name (of given_name en family_name), email en " \
           "eventueel language noemen" in dutch
    assert english.endswith("header: column 'email' is missing; the header must name name (or given_name and "
                            "family_name), email and optionally language")

    people.write_text("name,email,language\nAn,an@example.com,de\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        list(read_people(people, ReadReport()))
    dutch, english = both(refused.value)
    assert "line 2: language: 'de' wordt niet ondersteund; gebruik nl of en (leeg betekent nl)" in dutch
    assert "line 2: language: 'de' is not supported; use nl or en (empty means nl)" in english


def test_a_query_that_writes_is_refused_in_dutch_and_in_english() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_select("SELECT name, email INTO copy FROM customers")
    dutch, english = both(refused.value)
    assert dutch == ("De query voor betrokkenen is niet geldig (1 probleem):\n  - --query: mag alleen lezen; INTO is "
                     "niet toegestaan (een kolom met die naam moet tussen aanhalingstekens staan)")
    assert english == ("subjects query is not valid (1 problem):\n  - --query: may only read; INTO is not allowed "
                       "(a column of that name must be quoted)")


def test_breach_subjects_import_wants_a_file_or_a_query_notboth() -> None:
    args = argparse.Namespace(id="DL-2026-0001", file="people.csv", sql="sqlite:///crm.db", query="SELECT 1")
    with pytest.raises(InvalidInput) as refused:
        cmd_import(None, args)  # type: ignore[arg-type]  # refused before the workspace is used
    dutch, english = both(refused.value)
    assert dutch.endswith("FILE / --sql: geef óf een CSV-bestand óf --sql URL --query QUERY, niet allebei")
    assert english == ("subjects import is not valid (1 problem):\n  - FILE / --sql: give either a CSV file or "
                       "--sql URL --query QUERY, not both")


def test_letters_posted_in_the_future_and_nobody_needing_one() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput) as refused:
        record_posted(None, "DL-2026-0001", "tester", now, posted_at=now + timedelta(hours=1))  # type: ignore[arg-type]
    dutch, english = both(refused.value)
    assert dutch.endswith("--at: ligt in de toekomst; geef het moment waarop de brieven op de post zijn gedaan "
                          "(of laat --at weg voor nu)")
    assert english.endswith("--at: lies in the future; give the moment the letters were posted (or leave --at out "
                            "for now)")
    nobody = Said("letters.nobody_needs_a_letter", id="DL-2026-0001", without=1)
    assert nobody.render("nl") == ("niemand van DL-2026-0001 heeft een brief nodig: 1 betrokkene die niet per e-mail "
                                   "te bereiken is, heeft geen postadres in de lijst; importeer de lijst met een kolom "
                                   "voor het adres (address, of street, house_number, postcode, city)")
    assert Said("letters.nobody_needs_a_letter", id="DL-2026-0001", without=0).render("en") == \
        "nobody of DL-2026-0001 needs a letter: everyone was reached by e-mail"


def test_a_closed_incident_takes_no_people_and_says_its_state_in_dutch() -> None:
    said = Said("people.no_people_added", id="DL-2026-0001", status="closed")
    assert said.render("nl") == "incident DL-2026-0001 is afgesloten; er kunnen geen betrokkenen meer worden toegevoegd"
    assert said.render("en") == "incident DL-2026-0001 is closed; no people can be added"


def test_what_blocks_an_approval_reads_in_the_readers_language() -> None:
    problems = approval_problems({"nl": {"happened": " "}}, {}, ("happened",))
    assert [p.field for p in problems] == ["nl.happened"]
    with speaking("nl"):
        assert problems[0].message == "is leeg; schrijf dit deel of neem het voorstel over"
    assert problems[0].message == "is empty; write this part or take the proposal"


def test_a_webhook_body_that_is_not_json() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_events(b"{not json")
    with speaking("nl"):
        assert refused.value.errors[0].message == "is geen JSON"
    assert refused.value.errors[0].message == "is not JSON"


def test_sendgrid_without_a_key_and_refusing_a_batch(mocker) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError) as missing:
        backend_from_settings("  ")
    dutch, english = both(missing.value)
    assert dutch.startswith("de e-mailbackend sendgrid heeft een API-sleutel nodig: zet BREACH_SENDGRID_API_KEY op")
    assert english == ("the sendgrid e-mail backend needs an API key: set BREACH_SENDGRID_API_KEY to a SendGrid API "
                       "key with the Mail Send permission (or set BREACH_EMAIL_BACKEND=outbox to write .eml files "
                       "instead)")

    key = "SG.unit-test-key.abcdefghijklmnopqrstuvwxyz0123456789"
    body = json.dumps({"errors": [{"message": f"Bad key {key} for an@example.com here.", "field": None}]}).encode()
    mocker.patch("python_http_client.client.Client._make_request",
                 side_effect=http_errors.UnauthorizedError(401, "reason", body, HeaderMessage()))
    message = Message(sender=Address("privacy@qoers.nl"), subject="s", text="t", html=None, kind="subject_notice",
                      incident_id="DL-2026-0001")
    with pytest.raises(DispatchFailed) as refused:
        SendGridBackend(api_key=key, host="http://sendgrid.invalid").send(
            message, [Recipient("subject-1", Address("an@example.com"))])
    dutch, english = both(refused.value)
    assert english == ("SendGrid refused batch 1 of 1 (1 recipients) of subject_notice for DL-2026-0001 with HTTP "
                       "401: Bad key [api key] for <address> here. Check BREACH_SENDGRID_API_KEY: SendGrid does not know "
                       "this key.")
    assert dutch == ("SendGrid weigerde batch 1 van 1 (1 ontvanger) van het bericht aan de betrokkenen voor "
                     "DL-2026-0001 met HTTP 401: Bad key [api key] for <address> here. Controleer BREACH_SENDGRID_API_KEY: "
                     "SendGrid kent deze sleutel niet.")
    assert key not in repr(refused.value) and "an@example.com" not in repr(refused.value)
