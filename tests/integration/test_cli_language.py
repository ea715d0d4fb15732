"""The `breach` command speaks one language: the profile's (Qoers: Dutch), or BREACH_LANGUAGE's; every line from
templates/<lang>/cli/, none half English."""

from __future__ import annotations

import inspect
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from breach.cli import main
from incidents.notify.render import LANGUAGES, environment
from tests.conftest import EXAMPLES

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# words that only appear in the English lines (commands and options, typed as they are, excepted)
ENGLISH = re.compile(r"\b(deadline|waiting for|recorded|notify|notified|people|reported by|assessment|decision|"
                     r"timeline|left|error|approved|linked|rows read|to file|undecided)\b")


@pytest.fixture
def cli(workspace_env, capsys, monkeypatch):
    monkeypatch.delenv("BREACH_LANGUAGE")  # the profile's language: nl

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def report(tmp_path: Path, title: str = "Map met coachverslagen gedeeld") -> Path:
    now = datetime.now(UTC)
    path = tmp_path / "incident.yaml"
    path.write_text(yaml.safe_dump({
        "title": title, "description": "Een map met verslagen was te openen met de link.",
        "discovered_at": (now - timedelta(hours=5)).isoformat(), "source": "data_subject",
        "reported_by": "Privacycontact Qoers"}), encoding="utf-8")
    return path


def without_commands(text: str) -> str:
    """The text without what a person types: `breach ...` commands and --options."""
    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"breach [a-z -]+(?: [A-Z][A-Z.]*| DL-\d{4}-\d{4}| --[a-z-]+(?: [A-Z|a-z]+)?| \[--at TIJD\])*", "",
                  text)
    return re.sub(r"--[a-z-]+", "", text)


def test_the_cli_speaks_the_profiles_dutch_from_report_to_decision(cli, tmp_path):
    code, out, err = cli("report", str(report(tmp_path)), "--no-flow")
    incident_id = out.strip()
    assert code == 0 and re.fullmatch(r"DL-\d{4}-\d{4}", incident_id)
    assert re.search(rf"^{incident_id} vastgelegd; termijn AP +\d{{4}}-\d\d-\d\d \d\d:\d\d CES?T  nog 6\d,\d uur$",
                     err.strip()), err
    code, out, _ = cli("assess", incident_id, str(EXAMPLES / "assessment.yaml"), "--no-flow")
    assert code == 0
    code, _, err = cli("decide", incident_id, "--no-flow")
    assert code == 0
    assert f"besluit vastgelegd voor {incident_id}: melden bij de AP: ja, betrokkenen informeren: ja " \
           "(volgens het advies)" in err
    code, shown, _ = cli("show", incident_id)
    assert code == 0
    assert "fase          besloten; melding AP: nog indienen, uiterlijk" in shown
    assert "bron          gemeld door een betrokkene; gemeld door Privacycontact Qoers" in shown
    assert "wacht op      de afhandeling die de melding aan de AP opstelt" in shown
    assert "tijdlijn\n" in shown and "tester: Incident gemeld (bron: gemeld door een betrokkene)." in shown
    code, listed, _ = cli("list")
    assert listed.startswith("NUMMER        FASE ") and "nog indienen" in listed
    code, waiting, _ = cli("list", "--waiting")
    assert "  wacht op    de afhandeling die de melding aan de AP opstelt" in waiting
    for text in (shown.split("Advies over melden")[0], listed, waiting):
        # the incident's own texts are Dutch; what remains must be the CLI's Dutch, not English
        assert not ENGLISH.search(without_commands(text)), ENGLISH.search(without_commands(text))


def test_breach_language_chooses_english_and_an_unknown_one_is_refused_by_name(cli, tmp_path, monkeypatch):
    code, out, err = cli("report", str(report(tmp_path)), "--no-flow")
    monkeypatch.setenv("BREACH_LANGUAGE", "en")
    code, shown, _ = cli("show", out.strip())
    assert code == 0 and "AP deadline" in shown and "h left" in shown and "timeline\n" in shown
    assert "termijn" not in shown and "tijdlijn" not in shown
    monkeypatch.setenv("BREACH_LANGUAGE", "de")
    code, _, err = cli("list")
    assert code == 2 and "BREACH_LANGUAGE='de'" in err and "nl or en" in err


def test_errors_are_introduced_in_the_cli_language(cli):
    code, _, err = cli("show", "DL-2026-9999")
    assert code == 2 and err.startswith("fout: ") and "DL-2026-9999" in err


def test_a_title_with_template_syntax_is_printed_as_text(cli, tmp_path):
    _, out, _ = cli("report", str(report(tmp_path, "Lek {{ 7*7 }} {% raw %}")), "--no-flow")
    code, shown, _ = cli("show", out.strip())
    assert code == 0 and "Lek {{ 7*7 }} {% raw %}" in shown and "49" not in shown.splitlines()[0]


def test_every_line_exists_in_each_language_with_the_same_arguments():
    env = environment(TEMPLATES)
    modules = {language: env.get_template(f"{language}/cli/lines.j2").module for language in LANGUAGES}

    def macros(module) -> dict[str, tuple[str, ...]]:  # type: ignore[no-untyped-def]
        return {name: tuple(value.arguments) for name, value in inspect.getmembers(module)
                if type(value).__name__ == "Macro"}

    nl, en = macros(modules["nl"]), macros(modules["en"])
    assert set(nl) == set(en), set(nl) ^ set(en)
    assert {name: args for name, args in nl.items() if en[name] != args} == {}
    for table in ("waiting", "status", "frames", "authority_states", "people_states", "reasons", "message_kinds"):
        assert set(getattr(modules["nl"], table)) == set(getattr(modules["en"], table)), table


def test_managing_the_dashboards_users_speaks_dutch_and_english(cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("een lang genoeg wachtwoord\n"))
    code, out, _ = cli("users", "add", "anne", "--role", "privacy_officer", "--password-stdin")
    assert code == 0 and out.strip() == "gebruiker anne toegevoegd (privacyverantwoordelijke, Nederlands)"
    code, out, _ = cli("users", "disable", "anne")
    assert code == 0 and out.startswith("gebruiker anne uitgeschakeld")
    monkeypatch.setenv("BREACH_LANGUAGE", "en")
    code, out, _ = cli("users", "list")
    assert code == 0 and re.fullmatch(r"anne +privacy_officer +nl  \(disabled\)", out.strip()), out


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_command_and_option_has_its_help_in_each_language(workspace_env, monkeypatch, language):
    import argparse

    from breach.cli import parser

    monkeypatch.setenv("BREACH_LANGUAGE", language)

    def walk(p: argparse.ArgumentParser, path: str) -> int:
        assert p.description or path == "breach", path
        seen = 0
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                listed = {a.dest: a.help for a in action._choices_actions}
                assert set(listed) == set(action.choices) and all(listed.values()), path
                seen += sum(walk(sub, f"{path} {name}") for name, sub in action.choices.items())
            else:
                assert action.help, f"{path} {action.option_strings or action.dest}"
                seen += 1
        return seen

    assert walk(parser(), "breach") > 150


def test_the_help_and_argparses_own_words_are_dutch_for_a_dutch_profile(cli, capsys):
    with pytest.raises(SystemExit):
        main(["subjects", "approve", "--help"])
    shown = capsys.readouterr().out
    assert shown.startswith("gebruik: breach subjects approve")
    assert "Keur de nieuwste versie van het bericht aan de betrokkenen goed" in shown
    assert "\nargumenten:\n" in shown and "\nopties:\n" in shown and "deze hulp tonen en stoppen" in shown
    with pytest.raises(SystemExit) as exit_:
        main(["decide", "DL-2026-0001", "--authority", "misschien"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "breach decide: fout: argument --authority: verwacht ja of nee" in err
    with pytest.raises(SystemExit):
        main(["decide"])
    assert "deze argumenten ontbreken: id" in capsys.readouterr().err


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_way_the_response_continues_has_its_line(language):
    """What breach.runner.continue_response reports after a record, with and without a Prefect server."""
    from breach.runner import LOG_LINES
    from breach.words import Lines

    details = {"announced": {}, "resumed": {"run": "incident-DL-2026-0001", "run_id": "0c1d"}, "started": {},
               "busy": {"run": "incident-DL-2026-0001"}, "here": {}, "background": {"log": "/ws/logs/x.log"}}
    assert set(LOG_LINES) <= set(details)
    w = Lines(TEMPLATES, language)
    for outcome, values in details.items():
        assert w(f"flow_{outcome}", **values, id="DL-2026-0001")
