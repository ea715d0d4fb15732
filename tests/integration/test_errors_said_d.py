"""The errors of the dashboard's forms and of `breach`'s own commands read in the reader's language: a Dutch user
of the dashboard reads them in Dutch, an English one in English (the same words as before), and the CLI speaks
BREACH_LANGUAGE's. The JSON API with HTTP Basic credentials stays English."""

from __future__ import annotations

import contextvars
import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from breach.cli import main
from incidents.said import Said, speaking
from incidents.services import users
from incidents.times import parse_time
from tests.integration.test_web_security import PASSWORD, Dashboard, _basic, _report, dashboard  # noqa: F401

MAX_DOCUMENT = 256 * 1024

# every sentence moved out of breach/, with the words the code wrote before: English must not change by a byte
BEFORE = [
    (Said("web_forms.not_valid_text"), "contains characters that are not valid text"),
    (Said("web_forms.nul_character"), "contains a NUL character"),
    (Said("web_forms.time_out_of_range"), "a date and time is out of range (years 1-9999 in UTC)"),
    (Said("web_forms.document_too_long", maximum=MAX_DOCUMENT), f"is longer than {MAX_DOCUMENT} characters"),
    (Said("web_forms.yaml_aliases"), "YAML aliases (*name) are not accepted"),
    (Said("web_forms.not_yaml_or_json", problem="found undefined alias"),
     "is not valid YAML or JSON: found undefined alias"),
    (Said("web_forms.not_yaml_or_json", problem=None), "is not valid YAML or JSON"),
    (Said("web_pages.choose_yes_or_no"), "choose yes or no"),
    (Said("web_pages.choose_the_csv"), "choose the CSV file"),
    (Said("web_pages.choose_the_outcome"), "choose: closed, or dismissed (not a breach)"),
    (Said("web_api.not_json"), "is not valid JSON"),
    (Said("cli.incident_report_file", path="in/incident.yaml"), "incident report in/incident.yaml"),
    (Said("cli.assessment_file", path="a.yaml"), "assessment a.yaml"),
    (Said("cli_recommend.assessment_file", path="a.yaml"), "assessment a.yaml"),
    (Said("cli_authority.edpb_needs_json"), "the EU template goes with --format json only"),
    (Said("cli_recommend.file_or_scope"),
     "give an assessment file, or --scope ID for the inventory's proposal for an incident (not both)"),
    (Said("cli_recommend.scope_needs_profile"),
     "the scope comes from the organisation profile's data inventory: set BREACH_PROFILE"),
    (Said("cli_web.passwords_differ"), "the two passwords differ; nothing was saved"),
    (Said("cli_words.not_a_language", chosen="de", languages=["nl", "en"]),
     ("BREACH_LANGUAGE='de' is not a language of the CLI: set it to nl or en, or unset it to use the profile's "
      "language")),
    (Said("cli_demo.not_a_demo_workspace", folder=Path("/tmp/mine")),
     "/tmp/mine exists and is not a demo workspace; choose another --workspace"),
    (Said("cli_demo.example_incident"), "example incident"),
    (Said("cli_demo.example_assessment"), "example assessment"),
]


@pytest.mark.parametrize(("said", "english"), BEFORE, ids=lambda v: v.key if isinstance(v, Said) else "")
def test_the_english_is_what_the_code_said_before_and_the_dutch_is_another_sentence(said, english):
    with speaking("en"):
        assert str(said) == english
    with speaking("nl"):
        dutch = str(said)
    assert dutch and dutch != english


def test_a_time_beyond_the_calendar_says_in_english_what_python_said_before():
    with pytest.raises(OverflowError) as raised:
        parse_time("0001-01-01T00:10")  # Amsterdam's offset then was 0:17:30: before the year 1 in UTC
    with speaking("en"):
        assert str(Said("web_pages.time_out_of_range", value="0001-01-01T00:10")) == str(raised.value)
    with speaking("nl"):
        assert str(Said("web_pages.time_out_of_range", value="0001-01-01T00:10")) == \
            "'0001-01-01T00:10' valt buiten het bereik van de kalender (jaren 1-9999 in UTC)"


# --- the dashboard: the user's language ----------------------------------------------------------------------

def _field_error(page: str, field: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(rf'<p class="error" id="e-{re.escape(field)}">(.*?)</p>', page)]


@pytest.fixture
def board(dashboard):  # noqa: F811
    """The three users of the security tests, and an English-speaking privacy officer beside Dutch Olga."""
    users.add_user(dashboard.ws.uow(), "paul", PASSWORD, "privacy_officer", "en", "test", datetime.now(UTC))
    return dashboard


def _post(board: Dashboard, name: str, path: str, data: dict[str, str]) -> str:
    client = board.login(name)
    answer = client.post(path, data={"csrf_token": board.token(client), **data})
    assert answer.status_code == 422, answer.text
    return answer.text


def test_a_missing_report_field_reads_in_dutch_for_a_dutch_user_and_in_english_for_an_english_one(board):
    form = {"description": "Een map was te openen met de link.", "discovered_at": "2026-11-24T09:00",
            "source_kind": "internal", "reported_by": "Office manager"}
    assert _field_error(_post(board, "olga", "/incidents/new", form), "title") == ["is verplicht"]
    assert _field_error(_post(board, "rick", "/incidents/new", form), "title") == ["is required"]
    form["title"] = "Map\x00gedeeld"  # no register stores a NUL; and no table of English words says this one
    assert _field_error(_post(board, "olga", "/incidents/new", form), "title") == ["bevat een NUL-teken"]
    assert _field_error(_post(board, "rick", "/incidents/new", form), "title") == ["contains a NUL character"]


def test_a_pasted_assessment_with_an_alias_is_refused_in_the_readers_language(board):
    incident_id = board.incident()
    document = {"document": "summary: &s a payroll file\nmeasures: *s\n"}
    path = f"/incidents/{incident_id}/assessment"
    assert _field_error(_post(board, "olga", path, document), "document") == [
        "YAML-aliassen (*naam) worden niet geaccepteerd"]
    assert _field_error(_post(board, "rick", path, document), "document") == ["YAML aliases (*name) are not accepted"]


def test_a_decision_answer_that_is_neither_yes_nor_no_is_named_in_the_readers_language(board):
    incident_id = board.incident()
    answer = {"notify_authority": "misschien", "notify_subjects": "no", "reason": "salary data of twelve people"}
    path = f"/incidents/{incident_id}/decision"
    assert _field_error(_post(board, "olga", path, answer), "notify_authority") == ["kies ja of nee"]
    assert _field_error(_post(board, "paul", path, answer), "notify_authority") == ["choose yes or no"]


def test_a_filing_time_that_is_not_a_time_is_named_in_the_readers_language(board):
    incident_id = board.incident()
    path = f"/incidents/{incident_id}/filing"
    filing = {"reference": "M-2026-1234", "filed_at": "gisteren"}
    [dutch] = _field_error(_post(board, "olga", path, filing), "filed_at")
    assert dutch.startswith("'gisteren' is geen datum") and "bijvoorbeeld 2026-11-24T14:30" in dutch
    assert _field_error(_post(board, "paul", path, filing), "filed_at") == [
        "'gisteren' is not a date and time; write ISO 8601, e.g. 2026-11-24T14:30 or 2026-11-24T14:30+01:00"]
    filing["filed_at"] = "0001-01-01T00:10"
    assert _field_error(_post(board, "olga", path, filing), "filed_at") == [
        "'0001-01-01T00:10' valt buiten het bereik van de kalender (jaren 1-9999 in UTC)"]
    assert _field_error(_post(board, "paul", path, filing), "filed_at") == ["date value out of range"]


def test_the_api_with_basic_credentials_answers_in_english_whoever_asks(board):
    for name in ("olga", "rick"):
        answer = board.client().post("/api/incidents", content=b"{not json",
                                     headers={**_basic(name), "Content-Type": "application/json"})
        assert answer.status_code == 422
        assert answer.json() == {"detail": "incident report is not valid (1 problem)",
                                 "errors": [{"field": "(document)", "message": "is not valid JSON"}]}
    assert board.client().post("/api/incidents", json=_report(), headers=_basic("olga")).status_code == 201


# --- the CLI: BREACH_LANGUAGE ---------------------------------------------------------------------------------

@pytest.fixture
def cli(workspace_env, capsys, monkeypatch):
    def run(language: str, *args: str) -> tuple[int, str]:
        monkeypatch.setenv("BREACH_LANGUAGE", language)
        # main() sets the language of what the core says for the rest of its context: keep that to this call
        code = contextvars.copy_context().run(main, list(args))
        return code, capsys.readouterr().err

    return run


def test_the_cli_says_its_own_refusals_in_breach_language(cli, tmp_path):
    code, err = cli("nl", "recommend")
    assert code == 2 and err.startswith("fout: ") and err.endswith(
        " is niet geldig (1 probleem):\n  - FILE: geef een beoordelingsbestand, of --scope NUMMER voor het voorstel "
        "van de inventaris voor een incident (niet allebei)\n")
    code, err = cli("en", "recommend")
    assert code == 2 and err == ("error: recommend is not valid (1 problem):\n  - FILE: give an assessment file, or "
                                 "--scope ID for the inventory's proposal for an incident (not both)\n")

    code, err = cli("nl", "register", "export", "--with-edpb", "--format", "csv")
    assert code == 2 and "--with-edpb: het EU-model kan alleen met --format json" in err
    code, err = cli("en", "register", "export", "--with-edpb", "--format", "csv")
    assert code == 2 and "--with-edpb: the EU template goes with --format json only" in err


def test_a_file_the_cli_cannot_read_is_named_with_its_path_in_breach_language(cli, tmp_path):
    missing = tmp_path / "nothere.yaml"
    code, err = cli("nl", "report", str(missing))
    assert code == 2 and err.startswith(f"fout: De melding van het incident in {missing} is niet geldig "
                                        f"(1 probleem):\n  - file: {missing} bestaat niet")
    code, err = cli("en", "assess", "DL-2026-0001", str(missing))
    assert code == 2 and err.startswith(f"error: assessment {missing} is not valid (1 problem):\n"
                                        f"  - file: {missing} does not exist")


def test_the_demo_refuses_a_folder_that_is_not_its_own_in_breach_language(cli, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my own notes\n")
    code, err = cli("nl", "demo", "--workspace", str(folder))
    assert code == 2 and f"{folder} bestaat al en is geen demomap; kies een andere --workspace" in err
    code, err = cli("en", "demo", "--workspace", str(folder))
    assert code == 2 and f"{folder} exists and is not a demo workspace; choose another --workspace" in err
    assert (folder / "notes.txt").exists()


def test_a_bad_breach_language_is_said_in_english_the_language_it_falls_back_to(cli):
    code, err = cli("de", "list")
    assert code == 2 and err == ("error: BREACH_LANGUAGE='de' is not a language of the CLI: set it to nl or en, or "
                                 "unset it to use the profile's language\n")
