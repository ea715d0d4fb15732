"""The refusals of the lifecycle, the two tracks, a report's validators and the reasons the register keeps read in
Dutch for a Dutch reader and, as before, in English for everyone else (templates/<lang>/errors/)."""

from __future__ import annotations

import ast
import itertools

import pytest
import yaml

from breach.cli import main
from incidents.config import REPO_ROOT
from incidents.errors import FieldError, InvalidInput, InvalidTransition
from incidents.lifecycle import Status, check_transition, require
from incidents.model import IncidentReport
from incidents.reasons import reason_problem
from incidents.said import Said, speaking
from incidents.times import parse_time
from incidents.tracks import (
    AUTHORITY_NEXT,
    PEOPLE_NEXT,
    AuthorityState,
    Frame,
    PeopleState,
    Track,
    Tracks,
    closing_problem,
    require_authority,
    require_people,
)
from incidents.validation import parse_model
from tests.support.said import both
from tests.unit.test_report_input import GOOD

REPORT = GOOD  # a valid report, as tests/unit/test_report_input.py has it



def test_a_step_the_lifecycle_refuses_names_the_state_and_the_next_step_in_dutch():
    with pytest.raises(InvalidTransition) as err:
        require("DL-2026-0002", Status.DETECTED, {Status.ASSESSED}, "record a decision")
    dutch, english = both(err.value)
    assert dutch == ('een besluit vastleggen kan niet voor incident DL-2026-0002: het staat op "ontdekt" (dat kan '
                     'alleen bij "beoordeeld, wacht op besluit"). Volgende stap: leg de IT-beoordeling vast met '
                     '`breach assess ID FILE` (de afhandeling waarschuwt het team).')
    assert english == ("cannot record a decision for incident DL-2026-0002: it is detected (allowed when assessed). "
                       "Next step: record the IT assessment with `breach assess ID FILE` (the response flow alerts "
                       "the team).")

    with pytest.raises(InvalidTransition) as err:
        check_transition("DL-2026-0007", Status.ASSESSED, Status.CLOSED)
    dutch, english = both(err.value)
    assert dutch.startswith('incident DL-2026-0007 staat op "beoordeeld, wacht op besluit"; het kan niet naar '
                            '"afgesloten". Volgende stap: leg het besluit vast met `breach decide ID`')
    assert english.startswith("incident DL-2026-0007 is assessed; it cannot become closed. Next step: record the "
                              "decision with `breach decide ID`")


def test_a_refused_step_on_a_track_says_the_way_on_in_dutch():
    with pytest.raises(InvalidTransition) as err:
        require_authority("DL-2026-0001", Track(AuthorityState.PHASED), {AuthorityState.TO_FILE},
                          "record an AP filing")
    dutch, english = both(err.value)
    assert dutch == ('het indienen bij de AP vastleggen kan niet voor incident DL-2026-0001: de melding aan de AP '
                     'staat op "ingediend, aanvulling nodig". Volgende stap: stuur wat er veranderd is als '
                     'vervolgmelding: breach authority follow-up DL-2026-0001 --changes TEXT.')
    assert english == ("cannot record an AP filing for incident DL-2026-0001: its AP notice is phased. Next step: "
                       "send what changed as a follow-up: breach authority follow-up DL-2026-0001 --changes TEXT.")

    with pytest.raises(InvalidTransition) as err:
        require_people("DL-2026-0001", Track(PeopleState.AWAITING_APPROVAL), {PeopleState.APPROVED},
                       "send the notices to the people")
    dutch, english = both(err.value)
    assert "Volgende stap: bekijk het bericht aan de betrokkenen (breach subjects preview DL-2026-0001)" in dutch
    assert english == ("cannot send the notices to the people for incident DL-2026-0001: the people's notice is "
                       "awaiting_approval. Next step: review the message to the people (breach subjects preview "
                       "DL-2026-0001), then approve it: breach subjects approve DL-2026-0001.")


def test_a_report_with_times_out_of_order_is_refused_in_dutch_per_field():
    with pytest.raises(InvalidInput) as err:
        parse_model(IncidentReport, {**REPORT, "occurred_from": "2026-11-21T00:00+01:00",
                                     "aware_at": "2026-11-19T09:00+01:00"}, "incident report")
    dutch, english = both(err.value)
    assert dutch == (
        "De melding van het incident is niet geldig (3 problemen):\n"
        "  - occurred_from: ligt na discovered_at; een datalek kan niet ontdekt worden voordat het gebeurde\n"
        "  - occurred_from: ligt na aware_at; een datalek kan niet bekend zijn voordat het gebeurde\n"
        "  - aware_at: ligt vóór discovered_at; het moment van bekend worden (de start van de 72 uur) valt op of na "
        "de ontdekking")
    assert english == (
        "incident report is not valid (3 problems):\n"
        "  - occurred_from: is after discovered_at; a breach cannot be discovered before it happened\n"
        "  - occurred_from: is after aware_at; a breach cannot be known before it happened\n"
        "  - aware_at: is before discovered_at; awareness (the start of the 72 hours) comes at or after discovery")
    with pytest.raises(InvalidInput) as err:
        parse_model(IncidentReport, {**REPORT, "source": "internal:IT"}, "incident report")
    dutch, english = both(err.value)
    assert "  - source: alleen een verwerker als bron krijgt een naam; schrijf alleen internal (gegeven: " \
           "'internal:IT')" in dutch
    assert "  - source: only a processor source takes a name; write just internal (got 'internal:IT')" in english
    with pytest.raises(InvalidInput) as err:
        parse_model(IncidentReport, {**REPORT, "discovered_at": "last tuesday"}, "incident report")
    dutch, english = both(err.value)
    assert "discovered_at: 'last tuesday' is geen datum en tijd; schrijf ISO 8601" in dutch
    assert "discovered_at: 'last tuesday' is not a date and time; write ISO 8601, e.g. 2026-11-24T14:30 or " \
           "2026-11-24T14:30+01:00 (got 'last tuesday')" in english
    with pytest.raises(ValueError, match="^'morgen' is not a date and time; write ISO 8601"):
        parse_time("morgen")  # the CLI's --at and the dashboard's time fields read it as a ValueError


def test_a_reason_too_short_for_the_register_reads_as_the_dashboard_said_it():
    error = InvalidInput("closed", [FieldError("--reason", reason_problem("kort")),
                                    FieldError("--lessons", reason_problem(None, "lessons"))])
    dutch, english = both(error)
    assert dutch == ("Het sluiten is niet geldig (2 problemen):\n"
                     "  - --reason: zeg in een zin waarom (10 tekens of meer)\n"
                     "  - --lessons: schrijf in een zin (10 tekens of meer) wat u van dit datalek leert")
    assert english == ("closed is not valid (2 problems):\n"
                       "  - --reason: say why in a sentence (10 characters or more)\n"
                       "  - --lessons: say what you learn from this breach in a sentence (10 characters or more)")
    assert reason_problem("a sentence that says why") is None


def test_what_keeps_an_incident_open_reads_in_dutch():
    tracks = Tracks(Frame.DECIDED, Track(AuthorityState.TO_FILE), Track(PeopleState.SENDING))
    said = Said("intake.cannot_close", id="DL-2026-0004", still_open=closing_problem(tracks), despite=True)
    with speaking("nl"):
        assert str(said) == ('incident DL-2026-0004 kan niet worden afgesloten: de melding aan de AP staat op "nog '
                             'indienen"; het informeren van de betrokkenen staat op "wordt verstuurd"; of sluit het '
                             'toch af met --despite REASON')
    assert str(said) == ("incident DL-2026-0004 cannot be closed: the AP notice is to_file; the people's notice is "
                         "sending; or close it anyway with --despite REASON")
    assert closing_problem(Tracks(Frame.DECIDED, Track(AuthorityState.FILED), Track(PeopleState.TOLD))) is None


# --- every key the code passes has its words in both languages ------------------------------------------------

def _literal_arguments(function: str, position: int) -> set[str]:
    """The string literals passed as argument `position` of every call of `function` in incidents/."""
    found = set()
    for path in (REPO_ROOT / "incidents").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == function \
                    and len(node.args) > position and isinstance(node.args[position], ast.Constant):
                found.add(node.args[position].value)
    return found


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_refused_action_and_next_step_has_its_words(language):
    actions = _literal_arguments("require", 3)
    assert {"record a decision", "record an assessment"} <= actions
    with speaking(language):
        for action, status in itertools.product(actions, Status):
            assert str(Said("lifecycle.not_now", action=action, id="DL-1", status=status.value, allowed=["assessed"]))
        for status, target in itertools.product(Status, Status):
            assert str(Said("lifecycle.cannot_become", id="DL-1", status=status.value, target=target.value))
        for action in _literal_arguments("require_authority", 3):
            for state in AuthorityState:
                assert str(Said("tracks.not_on_the_authority_track", action=action, id="DL-1", state=state.value,
                                next=AUTHORITY_NEXT[state]))
        for action in _literal_arguments("require_people", 3):
            for state in PeopleState:
                assert str(Said("tracks.not_on_the_people_track", action=action, id="DL-1", state=state.value,
                                next=PEOPLE_NEXT[state]))
        for what in _literal_arguments("reason_problem", 1) | _literal_arguments("_text", 2) | {"why", "lessons", "improvements"}:
            assert str(reason_problem(None, what))


# --- through the CLI, in the language of BREACH_LANGUAGE -----------------------------------------------------

def test_the_cli_says_a_refused_decision_and_a_short_reason_in_dutch(workspace_env, tmp_path, capsys, monkeypatch):
    path = tmp_path / "incident.yaml"
    path.write_text(yaml.safe_dump({**REPORT, "aware_at": None, "awareness_reason": None}), encoding="utf-8")
    assert main(["report", str(path), "--no-flow"]) == 0
    incident_id = capsys.readouterr().out.strip()

    monkeypatch.setenv("BREACH_LANGUAGE", "nl")
    assert main(["decide", incident_id, "--authority", "yes", "--subjects", "no", "--reason",
                 "a reason of some length", "--no-flow"]) == 2
    err = capsys.readouterr().err
    assert f'een besluit vastleggen kan niet voor incident {incident_id}: het staat op "ontdekt"' in err
    assert "Volgende stap: leg de IT-beoordeling vast met `breach assess ID FILE`" in err
    assert main(["close", incident_id, "--reason", "kort", "--lessons", "niets", "--improvements",
                 "meer controle op gedeelde mappen"]) == 2
    err = capsys.readouterr().err
    assert "--reason: zeg in een zin waarom (10 tekens of meer)" in err
    assert "--lessons: schrijf in een zin (10 tekens of meer) wat u van dit datalek leert" in err

    monkeypatch.setenv("BREACH_LANGUAGE", "en")
    assert main(["decide", incident_id, "--authority", "yes", "--subjects", "no", "--reason",
                 "a reason of some length", "--no-flow"]) == 2
    assert f"cannot record a decision for incident {incident_id}: it is detected (allowed when assessed). Next " \
           "step: record the IT assessment with `breach assess ID FILE` (the response flow alerts the team)." \
           in capsys.readouterr().err
