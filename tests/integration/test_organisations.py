"""Several organisations in one register, on SQLite and PostgreSQL: each incident belongs to one and is handled
under its profile; commands name the organisation (--org, BREACH_ORG) or find it from the incident; another
organisation's incident is not there; reminders and alerts go to the incident's own team; a closed incident keeps
the profile version it was closed under; a register of one organisation becomes "default" with its audit trail
intact."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from incidents.audit import verify
from incidents.register.tables import AuditRow, IncidentRow
from incidents.services import organisations
from incidents.workspace import Workspace
from tests.conftest import EXAMPLES
from tests.integration.conftest_sendgrid import fake_sendgrid  # noqa: F401

JANSEN_TEAM = "bakker@jansen.example"


def jansen_profile(tmp_path: Path, team_name: str = "Bakker Jansen") -> Path:
    text = (EXAMPLES / "profile.yaml").read_text(encoding="utf-8")
    text = text.replace("  name: Qoers\n", "  name: Bakkerij Jansen\n", 1)
    text = text.replace("email: info@qoers.nl", f"email: {JANSEN_TEAM}")
    text = text.replace("name: Privacycontact Qoers", f"name: {team_name}")
    text = text.replace("it-deskundige@example.nl", "it@jansen.example")
    path = tmp_path / f"jansen-{team_name.replace(' ', '-')}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def two(cli, tmp_path):
    """Qoers (the workspace's own profile: "default") and Bakkerij Jansen, an incident each."""
    assert cli("org", "add", "jansen", str(jansen_profile(tmp_path)))[0] == 0
    report = str(EXAMPLES / "incident.yaml")
    code, own, _ = cli("--org", "default", "report", report, "--no-flow")
    assert code == 0
    code, theirs, _ = cli("--org", "jansen", "report", report, "--no-flow")
    assert code == 0
    return own.strip(), theirs.strip()


def test_each_incident_belongs_to_the_organisation_it_was_reported_for(cli, two):
    own, theirs = two
    code, out, _ = cli("list")
    assert code == 0 and "ORGANISATION" in out
    rows = {line.split()[1]: line.split()[0] for line in out.splitlines()[1:]}
    assert rows == {own: "default", theirs: "jansen"}
    code, out, _ = cli("--org", "jansen", "list", "--json")
    assert [(i["id"], i["organisation"]) for i in json.loads(out)["incidents"]] == [(theirs, "jansen")]
    code, out, _ = cli("org", "list", "--json")
    assert {o["slug"]: (o["name"], o["incidents"]) for o in json.loads(out)} == {
        "default": ("Qoers", 1), "jansen": ("Bakkerij Jansen", 1)}


def test_with_several_organisations_a_new_report_must_name_one(cli, two):
    code, _, err = cli("report", str(EXAMPLES / "incident.yaml"), "--no-flow")
    assert code == 2 and "--org SLUG or BREACH_ORG" in err and "default, jansen" in err
    code, _, err = cli("--org", "nobody", "report", str(EXAMPLES / "incident.yaml"), "--no-flow")
    assert code == 2 and "there is no organisation 'nobody'" in err


def test_another_organisations_incident_is_not_there(cli, two):
    own, theirs = two
    code, _, err = cli("--org", "jansen", "show", own)
    assert code == 2 and f"unknown incident id '{own}'" in err
    code, out, _ = cli("--org", "jansen", "show", theirs)
    assert code == 0 and theirs in out
    code, out, _ = cli("show", theirs)  # without --org: the incident says whose it is
    assert code == 0


def test_an_incident_is_handled_under_its_organisations_profile(cli, two, tmp_path):
    from flows.response import alert_incident_team

    own, theirs = two
    ws = Workspace()
    assert ws.profile_for(theirs).organisation.name == "Bakkerij Jansen"
    assert ws.profile_for(own).organisation.name == "Qoers"
    alert_incident_team.fn(theirs)  # the response flow's task, as the flow runs it
    outbox = Path(ws.settings.outbox) / theirs / "team_alert"
    sent = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml")]
    assert sent and all(str(m["To"]).endswith("@jansen.example>") for m in sent)
    assert any("Bakkerij Jansen" in str(m["From"]) for m in sent)
    # a consultant's inbox holds the alerts of several clients: the subject says whose breach it is
    assert all(str(m["Subject"]).startswith(f"[Datalek {theirs} (Bakkerij Jansen)] ") for m in sent)


def test_the_deadline_watch_reminds_each_organisations_own_team(cli, two):
    from flows.deadlines import send_reminders

    own, theirs = two  # reported with their awareness days ago: the AP clock has run out
    counts = send_reminders.fn()
    assert counts["sent"] >= 2
    outbox = Path(Workspace().settings.outbox)
    to = {incident: {str(message_from_bytes(p.read_bytes(), policy=policy.default)["To"])
                     for p in (outbox / incident).glob("reminder-*/*.eml")} for incident in (own, theirs)}
    assert to[theirs] and all(t.endswith("@jansen.example>") for t in to[theirs])
    assert to[own] and not any("jansen" in t for t in to[own])
    subjects = {incident: {str(message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"])
                           for p in (outbox / incident).glob("reminder-*/*.eml")} for incident in (own, theirs)}
    assert all(f"{theirs} (Bakkerij Jansen):" in s for s in subjects[theirs])
    assert all(f"{own} (Qoers):" in s for s in subjects[own])


def test_a_closed_incident_keeps_the_profile_it_was_handled_under(cli, two, tmp_path):
    _own, theirs = two
    code, _, _ = cli("dismiss", theirs, "--reason", "only test data of the bakery, no real customers")
    assert code == 0
    code, out, _ = cli("org", "update", "jansen", str(jansen_profile(tmp_path, "Nieuwe Contactpersoon")))
    assert code == 0 and "version 2" in out
    code, out, _ = cli("org", "update", "jansen", str(jansen_profile(tmp_path, "Nieuwe Contactpersoon")))
    assert "unchanged (version 2)" in out
    ws = Workspace()
    assert ws.profile_for(theirs).privacy_contact.name == "Bakker Jansen"  # as when it was closed
    code, new, _ = cli("--org", "jansen", "report", str(EXAMPLES / "incident.yaml"), "--no-flow")
    assert ws.profile_for(new.strip()).privacy_contact.name == "Nieuwe Contactpersoon"
    with ws.uow() as uow:
        assert uow.session.get(IncidentRow, theirs).profile_version == 1
        assert uow.session.get(IncidentRow, new.strip()).profile_version == 2
        actions = [a for a in uow.session.scalars(select(AuditRow.action))]
    assert actions.count("organisation_added") == 1 and actions.count("profile_recorded") == 1


def test_the_default_organisations_profile_is_the_file(cli, two, tmp_path):
    code, _, err = cli("org", "update", "default", str(jansen_profile(tmp_path)))
    assert code == 2 and "edit that file" in err
    code, _, err = cli("org", "add", "Bad Name!", str(jansen_profile(tmp_path)))
    assert code == 2 and "lower-case letters" in err
    code, _, err = cli("org", "add", "jansen", str(jansen_profile(tmp_path)))
    assert code == 2 and "there is an organisation 'jansen' already" in err
    code, out, _ = cli("org", "show", "jansen")
    assert code == 0 and "Bakkerij Jansen" in out and "incidents     1" in out


def test_a_register_of_one_organisation_becomes_default_with_its_audit_trail_intact(cli, workspace_env):
    """The register of the previous release (schema 0019), with an incident and its audit trail, migrated."""
    from alembic import command

    from incidents.register.db import alembic_config, engine_for, migrate

    code, out, _ = cli("report", str(EXAMPLES / "incident.yaml"), "--no-flow")
    incident_id = out.strip()
    url = workspace_env["BREACH_DATABASE_URL"]
    config = alembic_config(url)
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0019")  # as the previous release left it
    migrate(url)
    ws = Workspace()
    with ws.uow() as uow:
        assert uow.session.get(IncidentRow, incident_id).organisation_id == organisations.DEFAULT_ID
        assert verify(uow.session.scalars(select(AuditRow).order_by(AuditRow.seq)).all())[1] == []
    assert [o.slug for o in organisations.organisations(ws.uow())] == ["default"]
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "intact" in out
    code, out, _ = cli("show", incident_id)  # one organisation: no --org needed, as before
    assert code == 0 and "ORGANISATION" not in out


def test_the_overview_lists_each_organisation_nearest_deadline_first(cli, two, tmp_path):
    own, theirs = two
    code, _, _ = cli("dismiss", own, "--reason", "only test data of the coaching, no real people")
    assert code == 0
    code, out, _ = cli("org", "overview")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("ORGANISATION") and len(lines) == 3
    assert lines[1].split()[:2] == ["jansen", "1"] and theirs in lines[1]  # its AP clock runs: first
    assert lines[2].split()[:3] == ["default", "0", "-"]
    code, out, _ = cli("org", "overview", "--csv")
    import csv as csv_module

    rows = list(csv_module.DictReader(out.splitlines()))
    assert [(r["organisation"], r["open_incidents"], r["nearest_incident"], r["incidents_this_year"])
            for r in rows] == [("jansen", "1", theirs, "1"), ("default", "0", "", "1")]


def test_each_organisation_sends_with_its_own_sendgrid_key_and_sender(cli, tmp_path, fake_sendgrid, monkeypatch):  # noqa: F811
    """sending.sendgrid_key_env and sending.mail_from in a profile: that organisation's mail goes out with its own
    key (read from the variable it names, never stored) and from its own address."""
    from flows.response import alert_incident_team
    from tests.support.fake_sendgrid import accepted

    profile = jansen_profile(tmp_path)
    profile.write_text(profile.read_text(encoding="utf-8") + "sending:\n  mail_from: meldingen@jansen.example\n"
                       "  sendgrid_key_env: JANSEN_SENDGRID_KEY\n", encoding="utf-8")
    assert cli("org", "add", "jansen", str(profile))[0] == 0
    monkeypatch.setenv("BREACH_EMAIL_BACKEND", "sendgrid")
    monkeypatch.setenv("BREACH_SENDGRID_API_KEY", "SG.installation-key")
    monkeypatch.setenv("BREACH_SENDGRID_HOST", fake_sendgrid.url)
    _, theirs, _ = cli("--org", "jansen", "report", str(EXAMPLES / "incident.yaml"), "--no-flow")
    _, own, _ = cli("--org", "default", "report", str(EXAMPLES / "incident.yaml"), "--no-flow")

    with pytest.raises(Exception, match="JANSEN_SENDGRID_KEY"):  # not set: said, nothing sent with another key
        alert_incident_team.fn(theirs.strip())
    assert fake_sendgrid.requests == []
    monkeypatch.setenv("JANSEN_SENDGRID_KEY", "SG.jansen-key")
    fake_sendgrid.script(accepted(), accepted())
    alert_incident_team.fn(theirs.strip())
    alert_incident_team.fn(own.strip())
    keys = [r.headers.get("Authorization") for r in fake_sendgrid.requests]
    senders = [r.body["from"]["email"] for r in fake_sendgrid.requests]
    assert keys == ["Bearer SG.jansen-key", "Bearer SG.installation-key"]
    assert senders == ["meldingen@jansen.example", "info@qoers.nl"]


def test_show_names_the_organisation_when_there_are_several(cli, two):
    _own, theirs = two
    code, out, _ = cli("show", theirs)
    assert code == 0 and "organisation  jansen (Bakkerij Jansen)" in out.splitlines()[1]
    code, out, _ = cli("show", theirs, "--json")
    assert json.loads(out)["organisation"] == "jansen"


def test_the_response_runs_are_named_with_the_incident_and_its_organisation(two):
    from flows.naming import run_names

    own, theirs = two
    assert run_names(theirs) == [f"incident-{theirs}-jansen", f"incident-{theirs}"]  # (and a run of before)
    assert run_names(own)[0] == f"incident-{own}-default"
    assert run_names("DL-2026-9999") == ["incident-DL-2026-9999"]
