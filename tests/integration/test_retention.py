"""The people's data of an incident deleted when their purpose ends (GDPR art. 5(1)(e)), on SQLite and PostgreSQL:
after the purge no byte of a name or address is left in the register's file, the workspace or the outbox, while
the counts, the register export, the AP notice and the audit trail read as before, and a person who asks can
still be told whether and when they were told (art. 15)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from breach.cli import main
from incidents import services
from incidents.audit import verify
from incidents.errors import InvalidInput, InvalidTransition
from incidents.register.tables import AuditRow, ReminderRow, SubjectRow
from incidents.retention import RetentionRule
from incidents.services import retention
from tests.conftest import EXAMPLES
from tests.integration.test_register import full_response
from tests.integration.test_web_security import dashboard  # noqa: F401

SECRET = b"s" * 32
RULE = RetentionRule()


def people() -> list[tuple[str, str]]:
    """Each person of the example list as the CSV has them (name, address)."""
    with open(EXAMPLES / "subjects.csv", encoding="utf-8") as f:
        return [(r["name"], r["email"]) for r in csv.DictReader(f)]


def stored(uow, incident_id) -> list[str]:
    """Every name and address the register holds for the incident's people, as stored (searched for after)."""
    with uow:
        rows = uow.session.execute(select(SubjectRow.name, SubjectRow.email, SubjectRow.postal_address).where(
            SubjectRow.incident_id == incident_id)).all()
    found = [v for row in rows for v in row if v]
    assert len(found) > 39
    return found


def _closed(uow, profile, now, tmp_path) -> str:
    incident_id, _ = full_response(uow, profile, now, tmp_path)
    services.record_filing(uow, incident_id, "M-123456", now + timedelta(hours=1), None, "po", now + timedelta(hours=1))
    services.close(uow, incident_id, "all coachees informed", "po", now + timedelta(hours=2),
                   lessons="Sharing by link was open.", improvements="Sharing by link is off.")
    return incident_id


@pytest.fixture
def closed(uow, profile, now, tmp_path):
    return _closed(uow, profile, now, tmp_path)


def _snapshot(uow, incident_id):
    with uow:
        counts = uow.subject_counts(incident_id)
        languages = dict(uow.session.execute(select(SubjectRow.language, text("count(*)")).where(
            SubjectRow.incident_id == incident_id).group_by(SubjectRow.language)).all())
        dates = sorted(str(d) for d in uow.session.scalars(select(SubjectRow.notified_at).where(
            SubjectRow.incident_id == incident_id)))
    return counts, languages, dates


def _bytes_of(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _rows_of_every_table(uow) -> str:
    with uow:
        names = [r[0] for r in uow.session.execute(text(
            "SELECT name FROM sqlite_master WHERE type='table'" if uow.session.get_bind().dialect.name == "sqlite"
            else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))]
        return "\n".join(str(tuple(row)) for name in names
                         for row in uow.session.execute(text(f'SELECT * FROM "{name}"')))


def test_the_purge_deletes_every_name_and_address_and_keeps_the_proof(uow, profile, now, tmp_path, closed):
    incident_id = closed
    from incidents.export import register_rows

    before, kept = _snapshot(uow, incident_id), stored(uow, incident_id)
    register_before = register_rows(uow, now + timedelta(days=91))
    notices = {p: p.read_bytes() for p in (tmp_path / "notices").rglob("*") if p.is_file()}
    assert notices  # the AP notice was written
    assert (tmp_path / "outbox" / incident_id / "subject_notice").is_dir()
    with uow:
        chain_before = uow.session.scalar(select(text("count(*)")).select_from(AuditRow))

    # not due at 89 days; due at 91
    report = retention.run_retention(uow, RULE, SECRET, tmp_path / "outbox", now + timedelta(days=89), "watch")
    assert report.purged == [] and [p.incident_id for p in report.waiting] == [incident_id]
    at = now + timedelta(days=91)
    dry = retention.run_retention(uow, RULE, SECRET, tmp_path / "outbox", at, "watch", dry_run=True)
    assert dry.purged == [{"incident": incident_id, "people": 39, "whole_list": True}]
    assert "Anouk Verbeek" in _rows_of_every_table(uow)  # a dry run deletes nothing

    report = retention.run_retention(uow, RULE, SECRET, tmp_path / "outbox", at, "watch")

    assert report.purged[0]["people"] == 39 and report.files_deleted > 0
    dump = _rows_of_every_table(uow)
    assert [v for v in kept if v in dump or v.lower() in dump] == []
    assert not (tmp_path / "outbox" / incident_id / "subject_notice").exists()
    assert _snapshot(uow, incident_id) == before  # counts per status and language, and the dates
    assert register_rows(uow, at) == register_before  # the art. 33(5) register reads as before
    assert {p: p.read_bytes() for p in notices} == notices  # and so does the AP notice
    with uow:
        entries = uow.session.scalars(select(AuditRow).order_by(AuditRow.seq)).all()
        assert verify(entries)[1] == [] and len(entries) == chain_before + 1
        purge = json.loads(entries[-1].details)
        assert entries[-1].action == "people_purged" and purge["people"] == 39
        assert sum(purge["by_status"].values()) == 39
        assert uow.incident(incident_id).people_purged_at == at

    again = retention.run_retention(uow, RULE, SECRET, tmp_path / "outbox", at + timedelta(days=1), "watch")
    assert again.purged == []  # nothing twice


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_byte_of_a_name_or_address_is_left_in_the_sqlite_file_or_the_workspace(uow, profile, now, tmp_path,
                                                                                   closed, database_url):
    kept = stored(uow, closed)
    retention.run_retention(uow, RULE, SECRET, tmp_path / "outbox", now + timedelta(days=91), "watch")
    raw = _bytes_of(tmp_path)  # the register's file (and its WAL), the outbox, the notices
    assert (tmp_path / "register.db").exists()
    for value in kept + [v for person in people() for v in person]:
        assert value.encode() not in raw and value.lower().encode() not in raw, value


def test_a_person_who_asks_is_answered_before_and_after_the_purge(uow, profile, now, tmp_path, closed):
    told = retention.lookup(uow, closed, " Anouk.Verbeek@example.nl ", SECRET)
    assert (told.found, told.purged, told.status) == (True, False, "sent")
    retention.run_retention(uow, RULE, SECRET, tmp_path / "outbox", now + timedelta(days=91), "watch")

    after = retention.lookup(uow, closed, "anouk.verbeek@example.nl", SECRET)
    assert (after.found, after.purged, after.status, after.notified_at) == (True, True, "sent", told.notified_at)
    assert not retention.lookup(uow, closed, "someone.else@example.nl", SECRET).found
    assert not retention.lookup(uow, closed, "anouk.verbeek@example.nl", b"x" * 32).found  # another secret
    with pytest.raises(InvalidInput, match="ADDRESS"):
        retention.lookup(uow, closed, "not an address", SECRET)


def test_a_postponement_with_its_reason_keeps_the_list_and_is_audited(uow, profile, now, tmp_path, closed):
    until = now + timedelta(days=200)
    with pytest.raises(InvalidInput, match="--reason"):
        retention.postpone(uow, RULE, closed, until, "  ", "po", now)
    with pytest.raises(InvalidInput, match="--until"):
        retention.postpone(uow, RULE, closed, now - timedelta(days=1), "complaint", "po", now)

    due = retention.postpone(uow, RULE, closed, until, "complaint at the AP about the notice", "po", now)

    assert (due.due_at, due.basis) == (until, "postponed")
    report = retention.run_retention(uow, RULE, SECRET, tmp_path / "outbox", now + timedelta(days=91), "watch")
    assert report.purged == [] and report.waiting[0].due.basis == "postponed"
    with uow:
        entry = uow.session.scalars(select(AuditRow).where(AuditRow.action == "purge_postponed")).one()
        assert json.loads(entry.details)["reason"] == "complaint at the AP about the notice"
    retention.run_retention(uow, RULE, SECRET, tmp_path / "outbox", until + timedelta(seconds=1), "watch")
    with pytest.raises(InvalidTransition, match="were deleted"):
        retention.postpone(uow, RULE, closed, until + timedelta(days=9), "again", "po", until + timedelta(days=1))


def test_the_team_is_warned_once_fourteen_days_before(uow, profile, now, tmp_path, closed):
    from incidents.notify.email import OutboxBackend

    mailer = OutboxBackend(tmp_path / "outbox")
    templates = Path(__file__).resolve().parents[2] / "templates"
    assert retention.send_retention_warnings(uow, profile, mailer, templates, None,
                                             now + timedelta(days=70)) == {"warned": 0}
    at = now + timedelta(days=77)
    assert retention.send_retention_warnings(uow, profile, mailer, templates, None, at) == {"warned": 1}
    assert retention.send_retention_warnings(uow, profile, mailer, templates, None,
                                             at + timedelta(days=1)) == {"warned": 0}  # once
    mails = list((tmp_path / "outbox" / closed).glob("reminder-retention-*/*.eml"))
    assert mails and "breach retention postpone" in mails[0].read_text(encoding="utf-8")
    with uow:
        assert uow.session.scalars(select(ReminderRow).where(ReminderRow.clock == "retention")).one().status == "sent"


def test_letters_posted_are_purged_sooner_when_the_profile_says_so(uow, profile, now, tmp_path):
    from incidents.services.letters import record_posted, write_letters
    from tests.support.review import approve_as_drafted

    pytest.importorskip("weasyprint")
    incident_id, _ = full_response(uow, profile, now, tmp_path)
    approve_as_drafted(uow, profile, incident_id, now)
    templates = Path(__file__).resolve().parents[2] / "templates"
    with uow:
        uow.session.execute(SubjectRow.__table__.update().where(SubjectRow.status == "unreachable")
                            .values(postal_address="Dorpsstraat 12\n1234 AB  ERGENSHUIZEN"))
        uow.commit()
    write_letters(uow, profile, templates, incident_id, "po", now)
    posted = record_posted(uow, incident_id, "po", now)
    assert posted >= 1
    rule = RetentionRule(posted_letters_days=7)
    report = retention.run_retention(uow, rule, SECRET, tmp_path / "outbox", now + timedelta(days=8), "watch")
    assert report.purged == [{"incident": incident_id, "whole_list": False, "people": posted,
                              "by_status": {"posted": posted}, "by_language": report.purged[0]["by_language"]}]
    dump = _rows_of_every_table(uow)
    assert "ERGENSHUIZEN" not in dump and "Anouk Verbeek" in dump  # the others stay until the incident's period


def test_a_purge_killed_half_way_leaves_the_whole_list_and_a_rerun_finishes_it(uow, profile, now, tmp_path, closed,
                                                                                 database_url):
    """kill -9 while the purge's transaction is open: the list is whole afterwards; the next run purges it."""
    kept = stored(uow, closed)
    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, database_url, closed, str(tmp_path / "outbox")],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "updating"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    dump = _rows_of_every_table(uow)
    assert [v for v in kept if v not in dump] == []  # whole
    report = retention.run_retention(uow, RULE, SECRET, tmp_path / "outbox", now + timedelta(days=91), "watch")
    assert report.purged[0]["people"] == 39
    dump = _rows_of_every_table(uow)
    assert [v for v in kept if v in dump] == []


# Runs the purge of one incident and stops inside its transaction, after its first UPDATE, until it is killed.
KILLED_CHILD = """
import sys, time
from datetime import UTC, datetime
from sqlalchemy.engine import Connection
from incidents.register.unit_of_work import UnitOfWork
from incidents.services import retention
url, incident_id, outbox = sys.argv[1:]
retention.CHUNK = 5
execute = Connection.execute
def stalling(self, statement, *args, **kw):
    result = execute(self, statement, *args, **kw)
    if str(statement).startswith("UPDATE subjects"):
        print("updating", flush=True)
        time.sleep(60)
    return result
Connection.execute = stalling
retention.purge_people(UnitOfWork(url), incident_id, b"s" * 32, datetime(2027, 3, 1, tzinfo=UTC), "watch")
"""


def test_the_cli_runs_the_retention_and_answers_a_lookup(uow, profile, now, tmp_path, closed, workspace_env,
                                                         capsys, monkeypatch):
    monkeypatch.setenv("BREACH_OUTBOX", str(tmp_path / "outbox"))
    at = (now + timedelta(days=91)).isoformat()
    assert main(["retention", "status", closed]) == 0
    out = capsys.readouterr().out
    assert f"{closed}: 39 people, kept until" in out and "90 days after it was closed" in out

    assert main(["retention", "run", "--dry-run", "--at", at]) == 0
    assert f"would delete the names and addresses of 39 people of {closed}" in capsys.readouterr().out
    assert main(["retention", "run", "--at", at]) == 0
    assert f"deleted the names and addresses of 39 people of {closed}" in capsys.readouterr().out
    assert (Path(workspace_env["BREACH_HOME"]) / "retention.key").stat().st_mode & 0o077 == 0

    assert main(["subjects", "lookup", closed, "bram.dewit@example.com"]) == 0
    out = capsys.readouterr().out
    assert "this address is on the list (its details were deleted" in out and "sent by e-mail on" in out
    assert main(["subjects", "lookup", closed, "nobody@example.com"]) == 0
    assert "not on the list" in capsys.readouterr().out
    assert main(["subjects", "status", closed, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["sent"] >= 1
    monkeypatch.setenv("BREACH_LANGUAGE", "nl")
    assert main(["subjects", "lookup", closed, "bram.dewit@example.com"]) == 0
    assert "dit adres staat op de lijst" in capsys.readouterr().out


def test_a_too_short_secret_in_the_environment_is_refused(tmp_path):
    from incidents.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="BREACH_RETENTION_SECRET has 5 characters"):
        retention.workspace_secret(tmp_path, {"BREACH_RETENTION_SECRET": "short"})
    assert retention.workspace_secret(tmp_path, {}) == retention.workspace_secret(tmp_path, {})
    assert os.stat(tmp_path / "retention.key").st_mode & 0o777 == 0o600


# --- the dashboard: when the data go, the copies made, and the privacy officer's postponement -------------------

def test_the_dashboard_says_when_the_data_go_and_lets_only_the_privacy_officer_postpone(dashboard, now,  # noqa: F811
                                                                                       tmp_path):
    board = dashboard
    incident_id = _closed(board.ws.uow(), board.ws.profile, now, tmp_path)
    officer, responder = board.login("olga"), board.login("rick")

    page = officer.get(f"/incidents/{incident_id}").text
    assert "De namen en adressen van de betrokkenen worden gewist op" in page and "90 dagen na het sluiten" in page
    assert "will be deleted on" in responder.get(f"/incidents/{incident_id}").text

    assert "/retention/postpone" not in responder.get(f"/incidents/{incident_id}/subjects").text
    refused = responder.post(f"/incidents/{incident_id}/retention/postpone", data={
        "csrf_token": board.token(responder), "until": "2027-12-01T12:00", "reason": "complaint"})
    assert refused.status_code == 403
    token = board.token(officer)
    bad = officer.post(f"/incidents/{incident_id}/retention/postpone",
                       data={"csrf_token": token, "until": "2027-12-01T12:00", "reason": " "})
    assert bad.status_code == 422 and "geef de reden om de lijst langer te bewaren" in bad.text
    done = officer.post(f"/incidents/{incident_id}/retention/postpone", data={
        "csrf_token": token, "until": "2027-12-01T12:00", "reason": "klacht bij de AP over het bericht"})
    assert done.status_code == 303
    assert "Het wissen is uitgesteld: klacht bij de AP over het bericht" in officer.get(
        f"/incidents/{incident_id}/subjects").text
    with board.ws.uow() as uow:
        assert uow.session.scalars(select(AuditRow.actor).where(AuditRow.action == "purge_postponed")).one() == "olga"
