"""Two tracks in the register, as `breach list --json` and `breach show --json` give them to scripts: an incident
decided "notify both", whose people were told and whose AP notice is not filed yet, then filed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from incidents import services
from incidents.workspace import Workspace
from tests.conftest import EXAMPLES
from tests.integration.test_cli import report_file  # noqa: F401  (cli: tests/conftest.py)
from tests.integration.test_register import the_assessment
from tests.support.review import approve_as_drafted

EVALUATION = ("--lessons", "Delen via een link stond standaard open.", "--improvements", "Delen via een link staat uit.")


def told_not_filed(cli, report_file) -> str:  # noqa: F811
    incident_id = cli("report", str(report_file), "--no-flow")[1].strip()
    ws = Workspace()
    now = datetime.now(UTC)
    services.record_assessment(ws.uow(), ws.profile, incident_id, the_assessment(), "it", now)
    services.import_subjects(ws.uow(), incident_id, EXAMPLES / "subjects.csv", "po", now)
    assert cli("decide", incident_id, "--authority", "yes", "--subjects", "yes", "--no-flow")[0] == 0
    services.prepare_authority_notice(ws.uow(), ws.profile, ws.settings.templates_dir, ws.settings.notices_dir,
                                      incident_id, now)  # what the response flow does, as in the demo
    approve_as_drafted(ws.uow(), ws.profile, incident_id, now)
    services.notify_subjects(ws.uow(), ws.profile, ws.mailer, ws.settings.templates_dir, incident_id, None, now)
    return incident_id


def test_people_told_and_the_ap_notice_to_be_filed_are_two_tracks_then_the_filing_moves_only_the_ap_one(
        cli, report_file):  # noqa: F811
    incident_id = told_not_filed(cli, report_file)
    listed = json.loads(cli("list", "--json")[1])["incidents"][0]
    shown = json.loads(cli("show", incident_id, "--json")[1])
    for data in (listed, shown):
        people, authority = data["tracks"]["people"], data["tracks"]["authority"]
        assert people["state"] == "told" and people["notified"] >= 1 and people["notified"] == data["subjects"]["sent"]
        assert authority["state"] == "to_file" and authority["due_at"] == data["authority_clock"]["due_at"]
        assert data["tracks"]["frame"] == "decided"
    code, out, _ = cli("list")
    assert code == 0 and "to file, due" in out and f"told ({listed['tracks']['people']['notified']} of" in out

    assert cli("authority", "filed", incident_id, "--reference", "M-123456", "--no-flow")[0] == 0
    after = json.loads(cli("show", incident_id, "--json")[1])["tracks"]
    assert after["authority"]["state"] in ("filed", "phased", "complete")
    assert after["authority"]["reference"] == "M-123456" and after["people"]["state"] == "told"
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "intact" in out


def test_list_waiting_says_what_each_open_incident_waits_for(cli, report_file):  # noqa: F811
    incident_id = told_not_filed(cli, report_file)
    code, out, _ = cli("list", "--waiting")
    assert code == 0 and incident_id in out and f"breach authority filed {incident_id}" in out
    items = json.loads(cli("list", "--waiting", "--json")[1])["incidents"]
    assert items[0]["waiting_for"] == ["authority_filing"]


def test_closing_needs_both_duties_done_or_the_reason_for_closing_anyway(cli, report_file):  # noqa: F811
    incident_id = told_not_filed(cli, report_file)
    code, _, err = cli("close", incident_id, *EVALUATION, "--reason", "Iedereen is geïnformeerd en de map is dicht.")
    assert code == 2 and "the AP notice is to_file" in err and "--despite" in err
    assert json.loads(cli("show", incident_id, "--json")[1])["tracks"]["frame"] == "decided"

    assert cli("authority", "filed", incident_id, "--reference", "M-1", "--no-flow")[0] == 0
    code, _, _ = cli("close", incident_id, *EVALUATION, "--reason", "Iedereen is geïnformeerd en de map is dicht.")
    assert code == 0  # the lifecycle catches up with the filing first
    shown = json.loads(cli("show", incident_id, "--json")[1])
    assert shown["status"] == "closed" and shown["closed_despite"] is None


def test_closing_anyway_keeps_the_reason_and_which_duty_was_open(cli, report_file):  # noqa: F811
    incident_id = told_not_filed(cli, report_file)
    despite = "De AP heeft telefonisch laten weten dat deze melding niet nodig is."
    code, _, err = cli("close", incident_id, *EVALUATION, "--reason", "Iedereen is geïnformeerd.", "--despite", "kort")
    assert code == 2 and "--despite" in err
    assert cli("close", incident_id, *EVALUATION, "--reason", "Iedereen is geïnformeerd.", "--despite", despite)[0] == 0
    shown = json.loads(cli("show", incident_id, "--json")[1])
    assert shown["status"] == "closed" and shown["closed_despite"] == despite
    entry = next(e for e in shown["timeline"] if e["action"] == "closed_despite_open_duty")
    assert entry["details"] == {"from": "assessed", "authority": "to_file", "people": "told"}
    _, csv_text, _ = cli("register", "export", "--format", "csv")
    assert despite in csv_text
    assert cli("audit", "verify")[0] == 0


def test_closing_keeps_the_evaluation_and_the_register_the_cause_art_33_5(cli, report_file):  # noqa: F811
    incident_id = told_not_filed(cli, report_file)
    assert cli("authority", "filed", incident_id, "--reference", "M-1", "--no-flow")[0] == 0
    assert cli("authority", "answer", incident_id, "5.2", "network_folders")[0] == 0
    code, _, err = cli("close", incident_id, "--reason", "Iedereen is geïnformeerd.", "--lessons", "niets",
                       "--improvements", "")
    assert code == 2 and "--lessons" in err and "--improvements" in err
    assert json.loads(cli("show", incident_id, "--json")[1])["status"] != "closed"
    assert cli("close", incident_id, *EVALUATION, "--reason", "Iedereen is geïnformeerd.")[0] == 0
    row = json.loads(cli("register", "export", "--format", "json")[1])["register"][0]
    assert (row["lessons"], row["improvements"]) == (EVALUATION[1], EVALUATION[3])
    assert (row["incident_kind"], row["cause"]) == ("network_folders", "internal_accidental")
    assert row["severity_level"] and row["likely_consequences"] and row["measures"]
    _, html, _ = cli("register", "export", "--format", "html")
    assert "Wat we ervan leren" in html and "binnen de organisatie, per vergissing" in html
