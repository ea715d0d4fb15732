"""Users and roles per organisation, on SQLite and PostgreSQL: a user holds a role in each organisation it serves
and sees nothing of any other. Every route of the dashboard, the API and the downloads answers 404 for another
organisation's incident (as for one that does not exist) and writes nothing; a user of several organisations
sees every open clock in one list, reports for the organisation it chooses, and downloads each register apart."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from breach.web import create_app
from incidents import users as user_rules
from incidents.model import IncidentReport
from incidents.profile import load_profile
from incidents.register.tables import AuditRow, IncidentRow
from incidents.services import organisations, users
from incidents.services.intake import report_incident
from incidents.workspace import Workspace
from tests.integration.test_organisations import jansen_profile
from tests.integration.test_web_security import PASSWORD, _basic, _csrf, _report, app_routes

QOERS_TITLE = "Coaching reports shared by public link"
JANSEN_TITLE = "Bakery customer list on a lost USB stick"


class Two:
    """Qoers ("default") and Bakkerij Jansen ("jansen"), an incident each; olga serves Qoers, jan the bakery,
    cora (a consultant) both: responder at Qoers, privacy officer at the bakery."""

    def __init__(self, tmp_path) -> None:
        self.ws = Workspace()
        now = datetime.now(UTC)
        self.ws.check_profiles()  # the default organisation's profile file, recorded
        jansen = organisations.add_organisation(self.ws.uow(), "jansen", load_profile(jansen_profile(tmp_path)),
                                                "test", now)
        self.jansen_id = jansen.id
        users.add_user(self.ws.uow(), "olga", PASSWORD, "privacy_officer", "en", "test", now)
        users.add_user(self.ws.uow(), "jan", PASSWORD, "privacy_officer", "en", "test", now, jansen.id)
        users.add_user(self.ws.uow(), "cora", PASSWORD, "responder", "en", "test", now)
        users.set_role(self.ws.uow(), "cora", "privacy_officer", "test", now, jansen.id)
        self.own = self._report(organisations.DEFAULT_ID, QOERS_TITLE, hours=60)
        self.theirs = self._report(jansen.id, JANSEN_TITLE, hours=20)  # the nearer AP deadline
        self.app = create_app(self.ws, launcher=lambda *args: None)

    def _report(self, organisation_id: int, title: str, hours: int) -> str:
        from datetime import timedelta

        profile, version = self.ws.newest_profile(organisation_id)
        aware = datetime.now(UTC) - timedelta(hours=72 - hours)
        report = IncidentReport.model_validate(_report(title=title, discovered_at=aware.isoformat(),
                                                       aware_at=aware.isoformat()))
        return report_incident(self.ws.uow(), profile, report, "test", datetime.now(UTC),
                               organisation_id=organisation_id, profile_version=version)

    def login(self, name: str):
        from fastapi.testclient import TestClient

        client = TestClient(self.app, follow_redirects=False)
        token = _csrf(client.get("/login").text)
        answer = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 303, answer.text
        client.headers["x-csrf-token"] = _csrf(client.get("/incidents").text)  # the API's header, for POSTs
        return client

    def audit_entries(self) -> int:
        with self.ws.uow() as uow:
            return int(uow.session.scalar(select(func.count()).select_from(AuditRow)) or 0)


@pytest.fixture
def two(workspace_env, tmp_path, monkeypatch) -> Two:
    monkeypatch.setattr(user_rules, "SCRYPT_N", 2**10)  # fast hashes for tests
    return Two(tmp_path)


def _concrete(route_path: str, incident_id: str) -> str:
    return (route_path.replace("{incident_id}", incident_id).replace("{version}", "1")
            .replace("{language}", "nl").replace("{filename}", "public-notice-v1.nl.html"))


def test_every_route_about_another_organisations_incident_answers_404_and_writes_nothing(two):
    olga = two.login("olga")
    token = olga.headers["x-csrf-token"]
    before = two.audit_entries()
    probed = 0
    for route_path, methods in app_routes(two.app):
        if methods is None or "{incident_id}" not in route_path:
            continue
        for method in sorted(methods - {"HEAD"}):
            path = _concrete(route_path, two.theirs)
            form = {"csrf_token": token, "organisation": "jansen"} if method == "POST" else None
            answer = olga.request(method, path, data=None if path.startswith("/api/") else form)
            probed += 1
            assert answer.status_code == 404, f"{method} {path}: {answer.status_code}"
            assert JANSEN_TITLE not in answer.text and "Bakkerij" not in answer.text, f"{method} {path}"
            # the same answer as for an incident that does not exist: nothing tells the two apart
            unknown = olga.request(method, _concrete(route_path, "DL-2026-9999"),
                                   data=None if path.startswith("/api/") else form)
            assert unknown.status_code == 404, f"{method} {path}"
            assert unknown.text.replace("DL-2026-9999", "ID") == answer.text.replace(two.theirs, "ID"), path
    assert probed >= 25
    assert two.audit_entries() == before  # nothing recorded about the bakery's incident, nothing half-done
    # the same routes do answer for her own organisation's incident
    assert olga.get(f"/incidents/{two.own}").status_code == 200
    assert olga.get(f"/incidents/{two.own}/decision").status_code == 200
    assert olga.get(f"/api/incidents/{two.own}").json()["organisation"] == "default"


def test_the_api_with_http_basic_is_scoped_the_same_way(two):
    from fastapi.testclient import TestClient

    client = TestClient(two.app)
    assert client.get(f"/api/incidents/{two.theirs}", headers=_basic("olga")).status_code == 404
    assert client.get(f"/api/incidents/{two.theirs}", headers=_basic("jan")).status_code == 200
    listed = client.get("/api/incidents", headers=_basic("olga")).json()["incidents"]
    assert [(i["id"], i["organisation"]) for i in listed] == [(two.own, "default")]
    listed = client.get("/api/incidents", headers=_basic("cora")).json()["incidents"]
    assert {(i["id"], i["organisation"]) for i in listed} == {(two.own, "default"), (two.theirs, "jansen")}


def test_the_lists_and_the_register_show_only_the_users_organisations(two):
    olga = two.login("olga")
    for page in ("/incidents", "/register"):
        text = olga.get(page).text
        assert two.own in text and QOERS_TITLE in text
        assert two.theirs not in text and JANSEN_TITLE not in text and "Bakkerij" not in text
    rows = list(csv.DictReader(io.StringIO(olga.get("/register.csv").text)))
    assert [r["id"] for r in rows] == [two.own]
    assert olga.get("/register.csv?org=jansen").status_code == 404  # not hers: as if it did not exist


def test_a_user_of_both_organisations_sees_every_open_clock_in_one_list_nearest_deadline_first(two):
    cora = two.login("cora")
    text = cora.get("/incidents").text
    assert text.index(two.theirs) < text.index(two.own)  # the bakery's AP deadline is the nearer one
    assert "Bakkerij Jansen" in text and "Qoers" in text  # each row names its organisation
    assert "<th scope=\"col\">Organisation</th>" in text
    olga_text = two.login("olga").get("/incidents").text
    assert "<th scope=\"col\">Organisation</th>" not in olga_text  # one organisation: no column for it


def test_a_user_of_both_downloads_each_organisations_register_apart(two):
    cora = two.login("cora")
    page = cora.get("/register").text
    assert 'href="/register.csv?org=default"' in page and 'href="/register.csv?org=jansen"' in page
    choose = cora.get("/register.csv")
    assert choose.status_code == 400 and "Choose an organisation" in choose.text
    bakery = cora.get("/register.csv?org=jansen")
    assert bakery.status_code == 200 and "jansen" in bakery.headers["content-disposition"]
    assert [r["id"] for r in csv.DictReader(io.StringIO(bakery.text))] == [two.theirs]


def test_the_role_that_counts_is_the_one_held_in_the_incidents_organisation(two):
    cora = two.login("cora")
    assert cora.get(f"/incidents/{two.own}/decision").status_code == 403  # a responder at Qoers
    assert cora.get(f"/incidents/{two.theirs}/decision").status_code == 200  # the privacy officer at the bakery
    assert "(responder)" in cora.get(f"/incidents/{two.own}").text
    assert "(privacy officer)" in cora.get(f"/incidents/{two.theirs}").text


def test_a_report_is_made_for_the_organisation_the_user_chooses(two):
    cora = two.login("cora")
    chooser = cora.get("/incidents/new").text
    assert 'href="/incidents/new?org=default"' in chooser and 'href="/incidents/new?org=jansen"' in chooser
    form = cora.get("/incidents/new?org=jansen").text
    assert 'name="organisation" value="jansen"' in form and "Organisation: Bakkerij Jansen" in form
    values = {k: v for k, v in _report(title="Till receipts with loyalty numbers in the bin").items()
              if k in ("title", "description", "awareness_reason", "reported_by")}
    values |= {"discovered_at": "2026-12-01T09:00", "aware_at": "2026-12-01T10:00", "source_kind": "internal",
               "csrf_token": cora.headers["x-csrf-token"], "organisation": "jansen"}
    answer = cora.post("/incidents/new", data=values)
    assert answer.status_code == 303, answer.text
    new = answer.headers["location"].split("/")[2].split("?")[0]
    with two.ws.uow() as uow:
        assert uow.session.get(IncidentRow, new).organisation_id == two.jansen_id
    # olga serves Qoers alone: a form naming the bakery is refused as if it did not exist, nothing recorded
    olga = two.login("olga")
    before = two.audit_entries()
    refused = olga.post("/incidents/new", data={**values, "csrf_token": olga.headers["x-csrf-token"]})
    assert refused.status_code == 404 and two.audit_entries() == before


def test_the_api_report_names_the_organisation_when_the_user_serves_several(two):
    from fastapi.testclient import TestClient

    client = TestClient(two.app)
    answer = client.post("/api/incidents", json=_report(), headers=_basic("cora"))
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "org"
    assert "default, jansen" in answer.json()["errors"][0]["message"]
    answer = client.post("/api/incidents?org=jansen", json=_report(), headers=_basic("cora"))
    assert answer.status_code == 201 and answer.json()["organisation"] == "jansen"
    answer = client.post("/api/incidents", json=_report(), headers=_basic("olga"))  # one organisation: hers
    assert answer.status_code == 201 and answer.json()["organisation"] == "default"
    assert client.post("/api/incidents?org=jansen", json=_report(), headers=_basic("olga")).status_code == 404


def test_roles_are_given_and_taken_per_organisation_from_the_cli(cli, two, tmp_path):
    code, out, _ = cli("users", "add", "jan", "--role", "viewer", "--org", "default")  # exists: no password asked
    assert code == 0 and "jan is now viewer in default" in out
    code, _, err = cli("users", "add", "jan", "--role", "responder", "--org", "default")
    assert code == 2 and "'jan' is viewer in 'default' already" in err and "breach users role" in err
    code, out, _ = cli("users", "list")
    line = next(line for line in out.splitlines() if line.startswith("jan "))
    assert "viewer in default, privacy_officer in jansen" in line
    code, out, _ = cli("users", "list", "--org", "jansen")
    assert {line.split()[0] for line in out.splitlines()} == {"cora", "jan"}
    jan = two.login("jan")
    assert two.own in jan.get("/incidents").text  # now a viewer at Qoers as well
    code, out, _ = cli("users", "revoke", "jan", "--org", "default")
    assert code == 0 and "no longer has a role in default" in out
    assert jan.get("/incidents").status_code == 303  # the role change ended the session
    jan = two.login("jan")
    assert two.own not in jan.get("/incidents").text
    assert jan.get(f"/incidents/{two.own}").status_code == 404
    code, _, err = cli("users", "revoke", "jan", "--org", "default")
    assert code == 2 and "'jan' holds no role in 'default'" in err
    with two.ws.uow() as uow:
        actions = [a for a in uow.session.scalars(select(AuditRow.action).order_by(AuditRow.seq))]
    assert actions[-2:] == ["user_role_changed", "user_role_revoked"]
    code, out, _ = cli("audit", "verify")
    assert code == 0


def test_a_register_of_the_previous_release_keeps_its_users_roles_in_the_default_organisation(cli, workspace_env,
                                                                                              monkeypatch):
    """Schema 0020 (roles on the users themselves), with users and an incident with its people and its AP
    notice, migrated: each user holds its role in the default organisation and sees what it saw; the people, the
    notices and the audit chain are as they were."""
    from alembic import command
    from sqlalchemy import text

    from incidents import services
    from incidents.audit import verify
    from incidents.register.db import alembic_config, engine_for, migrate
    from tests.integration.test_register import a_report
    from tests.support.decided import decided

    monkeypatch.setattr(user_rules, "SCRYPT_N", 2**10)
    ws = Workspace()
    now = datetime.now(UTC)
    users.add_user(ws.uow(), "olga", PASSWORD, "privacy_officer", "nl", "test", now)
    users.add_user(ws.uow(), "vera", PASSWORD, "viewer", "en", "test", now)
    incident_id = services.report_incident(ws.uow(), ws.profile, a_report(now), "po", now)
    decided(ws, incident_id, now)
    url = workspace_env["BREACH_DATABASE_URL"]
    tables = ("subjects", "notices", "audit_log", "incidents", "users")

    def counts() -> dict[str, int]:
        with engine_for(url).connect() as connection:
            return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}

    config = alembic_config(url)
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0020")  # as the previous release left it: users.role
    with engine_for(url).connect() as connection:
        assert dict(connection.execute(text("SELECT username, role FROM users")).all()) == {
            "olga": "privacy_officer", "vera": "viewer"}
    before = counts()
    assert before["subjects"] > 30 and before["notices"] >= 1
    migrate(url)
    assert counts() == before
    ws = Workspace()
    assert {u.username: dict(u.roles) for u, _ in users.list_users(ws.uow())} == {
        "olga": {1: "privacy_officer"}, "vera": {1: "viewer"}}
    with ws.uow() as uow:
        assert verify(uow.session.scalars(select(AuditRow).order_by(AuditRow.seq)).all())[1] == []
    from fastapi.testclient import TestClient

    client = TestClient(create_app(ws, launcher=lambda *args: None))
    status = client.get(f"/api/incidents/{incident_id}", headers=_basic("vera"))
    assert status.status_code == 200 and status.json()["subjects"]["total"] == before["subjects"]
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "intact" in out


def test_the_overview_shows_each_organisation_the_user_serves_nearest_deadline_first(two):
    cora = two.login("cora")
    page = cora.get("/organisations").text
    assert 'href="/organisations"' in page  # in the navigation of someone who serves several
    assert page.index('data-organisation="jansen"') < page.index('data-organisation="default"')
    assert f'href="/incidents/{two.theirs}"' in page and "Bakkerij Jansen" in page
    rows = list(csv.DictReader(io.StringIO(cora.get("/organisations.csv").text)))
    assert [(r["organisation"], r["open_incidents"], r["nearest_incident"]) for r in rows] == [
        ("jansen", "1", two.theirs), ("default", "1", two.own)]
    olga = two.login("olga")
    assert 'href="/organisations"' not in olga.get("/incidents").text
    rows = list(csv.DictReader(io.StringIO(olga.get("/organisations.csv").text)))
    assert [r["organisation"] for r in rows] == ["default"]  # nothing of the bakery, not even its name


def test_the_incident_page_names_the_organisation_for_someone_who_serves_several(two):
    page = two.login("cora").get(f"/incidents/{two.theirs}").text
    assert f'{two.theirs}</span> <span class="organisation">(Bakkerij Jansen)</span>' in page
    assert 'class="organisation"' not in two.login("jan").get(f"/incidents/{two.theirs}").text


def test_the_register_export_of_the_cli_is_one_organisations(cli, two):
    code, out, _ = cli("--org", "jansen", "register", "export", "--format", "csv")
    assert code == 0 and [r["id"] for r in csv.DictReader(io.StringIO(out))] == [two.theirs]
    code, _, err = cli("register", "export", "--format", "csv")
    assert code == 2 and "--org SLUG or BREACH_ORG" in err


def test_a_profile_update_leaves_a_closed_incidents_ap_notice_as_it_was(cli, two, tmp_path):
    """The AP notice of a closed incident is made from the profile version it was closed under, also when it is
    made again later (the EU template's export renders it afresh)."""
    from incidents import services
    from incidents.model import Decision
    from tests.integration.test_register import the_assessment

    now = datetime.now(UTC)
    profile = two.ws.profile_for(two.theirs)
    services.record_assessment(two.ws.uow(), profile, two.theirs, the_assessment(), "it", now)
    services.record_decision(two.ws.uow(), two.theirs, Decision(notify_authority=True, notify_subjects=False,
                                                                reason="the bakery tells the AP; people not at risk"),
                             "po", now)
    services.prepare_authority_notice(two.ws.uow(), profile, two.ws.settings.templates_dir,
                                      two.ws.settings.notices_dir, two.theirs, now)  # as the response flow does
    code, _, err = cli("authority", "filed", two.theirs, "--reference", "M-1", "--no-flow")
    assert code == 0, err
    code, _, err = cli("close", two.theirs, "--reason", "contained; the AP was told",
                       "--lessons", "public links to customer lists are off", "--improvements", "a check each month")
    assert code == 0, err
    code, before, err = cli("authority", "export", two.theirs, "--format", "edpb-json")
    assert code == 0, err
    assert cli("org", "update", "jansen", str(jansen_profile(tmp_path, "Nieuwe Contactpersoon")))[0] == 0
    code, after, _ = cli("authority", "export", two.theirs, "--format", "edpb-json")
    assert after == before and "Nieuwe Contactpersoon" not in after and "Bakker Jansen" in before
