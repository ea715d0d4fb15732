"""The `breach` command as a person and a script use it: ids, JSON, exit code 2 on bad input, nothing written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from breach.cli import main
from incidents.config import REPO_ROOT
from tests.conftest import EXAMPLES


def the_report() -> dict[str, Any]:
    """A report of a breach ten hours ago, as a file or the API takes it."""
    now = datetime.now(UTC)
    return {
        "title": "Drive folder shared by public link",
        "description": "A folder with coaching reports was shared with anyone who has the link.",
        "occurred_from": (now - timedelta(days=40)).isoformat(),
        "discovered_at": (now - timedelta(hours=20)).isoformat(),
        "aware_at": (now - timedelta(hours=10)).isoformat(),
        "awareness_reason": "A short check confirmed that personal data were affected.",
        "source": "data_subject",
        "reported_by": "Privacycontact Qoers",
        "systems": ["Coachverslagen (Google Drive)"],
    }


@pytest.fixture
def report_file(tmp_path):
    data = the_report()
    path = tmp_path / "incident.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_report_prints_the_new_id_for_scripts(cli, report_file):
    code, out, err = cli("report", str(report_file), "--no-flow")
    assert code == 0 and out.strip() == "DL-" + str(datetime.now(UTC).year) + "-0001"
    assert "h left" in err


def test_list_and_show_as_json_carry_status_and_deadline_with_offset(cli, report_file):
    _, out, _ = cli("report", str(report_file), "--no-flow")
    incident_id = out.strip()
    code, out, _ = cli("list", "--json")
    listed = json.loads(out)["incidents"]
    assert code == 0 and [i["id"] for i in listed] == [incident_id]
    clock = listed[0]["authority_clock"]
    due = datetime.fromisoformat(clock["due_at"])
    aware = datetime.fromisoformat(listed[0]["aware_at"])
    assert due.utcoffset() is not None and due - aware == timedelta(hours=72)
    assert clock["state"] == "running" and 61 < clock["hours_left"] < 63
    code, out, _ = cli("show", incident_id, "--json")
    shown = json.loads(out)
    assert shown["status"] == "detected" and shown["timeline"][0]["action"] == "incident_reported"
    assert shown["waiting_for"] == ["team_alert"]


def test_a_report_without_aware_at_starts_the_ap_clock_at_discovery_not_at_reporting(cli, report_file):
    data = yaml.safe_load(report_file.read_text(encoding="utf-8"))
    del data["aware_at"], data["awareness_reason"]
    report_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    _, out, _ = cli("report", str(report_file), "--no-flow")
    shown = json.loads(cli("show", out.strip(), "--json")[1])
    discovered = datetime.fromisoformat(shown["discovered_at"])
    assert abs(discovered - datetime.fromisoformat(data["discovered_at"])) < timedelta(seconds=1)
    assert datetime.fromisoformat(shown["aware_at"]) == discovered
    assert datetime.fromisoformat(shown["authority_clock"]["due_at"]) == discovered + timedelta(hours=72)


def test_a_later_awareness_without_its_reason_is_refused_and_nothing_is_recorded(cli, report_file):
    data = yaml.safe_load(report_file.read_text(encoding="utf-8"))
    del data["awareness_reason"]
    report_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, _, err = cli("report", str(report_file), "--no-flow")
    assert code == 2 and "awareness_reason" in err and "leave aware_at out" in err
    assert json.loads(cli("list", "--json")[1])["incidents"] == []


def test_the_reason_for_a_later_awareness_is_shown_and_kept_in_the_register(cli, report_file):
    _, out, _ = cli("report", str(report_file), "--no-flow")
    assert "later than the discovery because: A short check confirmed" in cli("show", out.strip())[1]
    _, csv_text, _ = cli("register", "export", "--format", "csv")
    assert "awareness_reason" in csv_text.splitlines()[0] and "A short check confirmed" in csv_text


def test_show_reads_like_a_page_for_a_person(cli, report_file):
    _, out, _ = cli("report", str(report_file), "--no-flow")
    code, out, _ = cli("show", out.strip())
    assert code == 0
    assert "AP deadline" in out and ("CET" in out or "CEST" in out) and "h left" in out
    assert "tester: Incident reported (source: reported by a person affected)." in out  # the timeline in sentences


def test_an_overdue_incident_says_so_in_the_list(cli, tmp_path):
    now = datetime.now(UTC)
    path = tmp_path / "old.json"
    path.write_text(json.dumps({
        "title": "Laptop stolen", "description": "An unencrypted laptop was stolen from a car.",
        "discovered_at": (now - timedelta(hours=80)).isoformat(), "aware_at": (now - timedelta(hours=79)).isoformat(),
        "awareness_reason": "A short check confirmed that personal data were affected.", "source": "internal", "reported_by": "Privacycontact Qoers"}), encoding="utf-8")
    cli("report", str(path), "--no-flow")
    _, out, _ = cli("list")
    assert "OVERDUE" in out
    _, out, _ = cli("list", "--json")
    assert json.loads(out)["incidents"][0]["overdue"] is True


@pytest.mark.parametrize("change,field", [
    ({"source": "processor:Dropbox"}, "source"),
    ({"systems": ["Excel sheet"]}, "systems.0"),
    ({"aware_at": "2099-01-01T00:00+01:00"}, "aware_at"),
    ({"title": None}, "title"),
])
def test_a_bad_report_exits_2_names_the_field_and_writes_nothing(cli, report_file, change, field):
    data = yaml.safe_load(report_file.read_text())
    data.update(change)
    if change.get("title", "x") is None:
        del data["title"]
    report_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, out, err = cli("report", str(report_file), "--no-flow")
    assert code == 2 and out == ""
    assert f"{field}:" in err
    _, out, _ = cli("list", "--json")
    assert json.loads(out)["incidents"] == []


def test_a_report_that_is_not_yaml_is_refused(cli, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("title: [unclosed\n", encoding="utf-8")
    code, _, err = cli("report", str(path), "--no-flow")
    assert code == 2 and "not valid YAML" in err


def test_unknown_incident_id(cli):
    code, _, err = cli("show", "DL-2026-0404")
    assert code == 2 and "unknown incident id 'DL-2026-0404'" in err


def test_a_bad_assessment_exits_2_and_the_incident_stays_unassessed(cli, report_file, tmp_path):
    _, out, _ = cli("report", str(report_file), "--no-flow")
    incident_id = out.strip()
    data = yaml.safe_load((EXAMPLES / "assessment.yaml").read_text())
    data["subjects"]["count_max"] = 1
    bad = tmp_path / "a.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, _, err = cli("assess", incident_id, str(bad), "--no-flow")
    assert code == 2 and "subjects.count_max" in err
    _, out, _ = cli("show", incident_id, "--json")
    assert json.loads(out)["assessment"] is None


def test_decide_needs_yes_or_no(cli, report_file, capsys):
    _, out, _ = cli("report", str(report_file), "--no-flow")
    with pytest.raises(SystemExit) as exit_:
        main(["decide", out.strip(), "--authority", "maybe", "--subjects", "no", "--reason", "x" * 12])
    assert exit_.value.code == 2 and "expected yes or no" in capsys.readouterr().err


def test_the_register_exports_as_csv_and_json_with_formulas_made_inert(cli, report_file):
    data = yaml.safe_load(report_file.read_text())
    data["title"] = "=HYPERLINK(\"http://evil.test\",\"click\")"
    report_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    cli("report", str(report_file), "--no-flow")
    code, out, _ = cli("register", "export", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("id,title,status")
    assert "'=HYPERLINK" in out
    _, out, _ = cli("register", "export", "--format", "json")
    assert json.loads(out)["register"][0]["title"].startswith("=HYPERLINK")


def test_audit_verify_reports_an_intact_trail_and_its_head_to_keep(cli, report_file):
    cli("report", str(report_file), "--no-flow")
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "intact: 1 entries" in out
    head = re.search(r"^head (1:[0-9a-f]{16}) ", out, re.MULTILINE)
    assert head, out
    cli("report", str(report_file), "--no-flow")
    code, out, _ = cli("audit", "verify", "--expect", head.group(1))
    assert code == 0 and "intact: 2 entries" in out and "1 kept head(s) found unchanged" in out
    code, out, _ = cli("audit", "verify", "--expect", "7:" + "0" * 16)
    assert code == 1 and "entry 7: is missing, yet it was kept as head" in out
    code, _, err = cli("audit", "verify", "--expect", "latest")
    assert code == 2 and "--expect" in err


def test_every_command_explains_itself(capsys):
    for args in (["--help"], ["report", "--help"], ["decide", "--help"], ["register", "export", "--help"],
                 ["audit", "verify", "--help"], ["subjects", "import", "--help"], ["authority", "filed", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 0
        assert "usage: breach" in capsys.readouterr().out


def test_subjects_commands_notify_report_status_and_export_the_worklist(cli, report_file, tmp_path):
    _, out, _ = cli("report", str(report_file), "--no-flow")
    incident_id = out.strip()
    cli("assess", incident_id, str(EXAMPLES / "assessment.yaml"), "--no-flow")
    code, out, _ = cli("subjects", "import", incident_id, str(EXAMPLES / "subjects.csv"), "--no-flow")
    assert code == 0 and "1 without a usable e-mail address" in out
    cli("decide", incident_id, "--authority", "no", "--subjects", "yes", "--reason", "high risk for coachees",
        "--no-flow")
    code, out, _ = cli("subjects", "notify", incident_id, "--dry-run")
    assert code == 0 and "nothing sent" in out and "nl_people: " in out
    _, out, _ = cli("subjects", "status", incident_id, "--json")
    before = json.loads(out)["counts"]
    assert before["pending"] > 30 and "sent" not in before
    code, _, err = cli("subjects", "notify", incident_id)  # nobody is told before the message is approved
    assert code == 2 and "awaiting_approval" in err and f"breach subjects preview {incident_id}" in err
    code, out, _ = cli("subjects", "preview", incident_id)
    assert code == 0 and "version 1 (awaiting approval)" in out and "subject-notice-v1.nl.html" in out
    code, out, _ = cli("subjects", "approve", incident_id, "--version", "1", "--no-flow")
    assert code == 0 and "version 1" in out and "approved by" in out
    code, out, _ = cli("subjects", "notify", incident_id)
    assert code == 0 and f"{before['pending']} people notified through outbox" in out
    _, out, _ = cli("subjects", "status", incident_id, "--json")
    assert json.loads(out)["counts"] == {"sent": before["pending"], "unreachable": 1}
    _, out, _ = cli("subjects", "notify", incident_id)
    assert "nothing to send" in out
    worklist = tmp_path / "worklist.csv"
    code, _, _ = cli("subjects", "worklist", incident_id, "-o", str(worklist))
    lines = worklist.read_text(encoding="utf-8").splitlines()
    assert code == 0 and lines[0] == "line,name,email,language,status,problem" and len(lines) == 2
    assert "unreachable" in lines[1]


def test_show_says_whether_a_processor_told_us_within_the_agreed_hours(cli, report_file):
    data = yaml.safe_load(report_file.read_text())
    data["source"] = "processor:WordPress"  # the profile agrees 24 hours with it
    aware = datetime.fromisoformat(data["aware_at"])
    data["discovered_at"] = (aware - timedelta(hours=30)).isoformat()
    data["occurred_from"] = (aware - timedelta(hours=40)).isoformat()
    report_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    _, out, _ = cli("report", str(report_file), "--no-flow")
    incident_id = out.strip()
    _, out, _ = cli("show", incident_id)
    assert "processor     WordPress had to tell us by" in out and "LATE" in out
    _, out, _ = cli("show", incident_id, "--json")
    assert json.loads(out)["processor_clock"]["state"] == "met_late"


def test_a_list_piped_into_a_reader_that_stops_early_ends_without_a_traceback(cli, report_file, workspace_env,
                                                                             tmp_path):
    assert cli("report", str(report_file), "--no-flow")[0] == 0
    reader, writer = os.pipe()
    os.close(reader)  # as `breach list | head -0`: nobody reads what the list writes
    try:
        done = subprocess.run([sys.executable, "-m", "breach.cli", "list"], cwd=REPO_ROOT, stdout=writer,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False,
                              env={**os.environ, **workspace_env, "HOME": str(tmp_path)})
    finally:
        os.close(writer)
    assert done.stderr == ""
    assert done.returncode == 141  # as a tool killed by SIGPIPE: the shell's pipefail still sees it


def test_list_and_show_answer_while_a_writer_holds_the_register(cli, report_file):
    """`breach list`, `show` and the other commands that only read: on SQLite a long write (an import, a
    dispatch) holds the register's write lock, and a command that took it too would wait for it, then fail
    ("database is locked")."""
    from sqlalchemy import update

    from incidents.register.tables import IncidentRow
    from incidents.workspace import Workspace

    _, out, _ = cli("report", str(report_file), "--no-flow")
    incident_id = out.strip()
    with Workspace().uow() as writer:  # work in progress, not yet committed
        writer.session.execute(update(IncidentRow).where(IncidentRow.id == incident_id).values(title="Renamed"))
        for command in (("list",), ("show", incident_id), ("show", incident_id, "--json"),
                        ("recommend", "--scope", incident_id), ("register", "export", "--format", "csv"),
                        ("org", "list"), ("org", "overview"), ("retention", "status"), ("users", "list")):
            code, out, err = cli(*command)
            assert code == 0, (command, err)
            assert "Renamed" not in out  # what is committed, not the writer's work in progress
        writer.commit()
    assert "Renamed" in cli("show", incident_id)[1]
