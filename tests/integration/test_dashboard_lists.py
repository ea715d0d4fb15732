"""The lists read many incidents at once: the same views as one by one, and every open incident on some page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from breach.web import api, pages
from incidents import services
from incidents.export import csv_lines, register_rows, to_csv
from incidents.model import AssessmentFacts, Decision, IncidentReport
from incidents.validation import load_document, parse_model
from incidents.views import authority_clock_view, incident_view, incident_views, open_clocks, open_count
from incidents.workspace import Workspace
from tests.integration.test_register import the_assessment
from tests.integration.test_web_security import PASSWORD, Dashboard, dashboard  # noqa: F401
from tests.support.decided import decided

ROOT = Path(__file__).resolve().parents[2]


def _register(ws: Workspace, now: datetime) -> list[str]:
    facts = parse_model(AssessmentFacts, load_document(ROOT / "examples/qoers/assessment.yaml", "a"), "a")
    ids = []
    for i, stage in enumerate(["reported", "assessed", "decided", "dismissed", "closed", "reported"]):
        at = now - timedelta(hours=30 * i)
        report = IncidentReport(title=f"Incident {i}", description="A list was readable online.",
                                discovered_at=at - timedelta(hours=2), aware_at=at - timedelta(hours=1),
                                awareness_reason="A short check confirmed that personal data were affected.",
                                source="internal", reported_by="test")
        incident_id = services.report_incident(ws.uow(), ws.profile, report, "test", at)
        ids.append(incident_id)
        if stage == "dismissed":
            services.dismiss(ws.uow(), incident_id, "Not personal data after all: test records.", "test", at)
        if stage in ("reported", "dismissed"):
            continue
        services.record_assessment(ws.uow(), ws.profile, incident_id, facts, "test", at)
        services.record_assessment(ws.uow(), ws.profile, incident_id, facts, "test", at)  # superseded once
        if stage == "decided":
            services.decide(ws.uow(), incident_id, "test", at, templates=ws.settings.templates_dir)
        if stage == "closed":
            services.record_decision(ws.uow(), incident_id, Decision(
                notify_authority=False, notify_subjects=False, reason="Encrypted, key safe: no risk."), "test", at)
            services.close(ws.uow(), incident_id, "Contained and documented.", "test", at,
                           lessons="Check the sharing settings.", improvements="Named people only.")
    return ids


def test_the_views_read_at_once_are_the_views_read_one_by_one(dashboard):  # noqa: F811
    ws, now = dashboard.ws, datetime.now(UTC)
    ids = _register(ws, now)
    with ws.uow() as uow:
        together = incident_views(uow, uow.incidents(), now)
    with ws.uow() as uow:
        alone = [incident_view(uow, i, now) for i in ids]
    assert sorted(together, key=lambda v: v.id) == sorted(alone, key=lambda v: v.id)
    with ws.uow() as uow:
        waiting = services.waiting_for_views(uow, together)
    assert waiting == {i: services.waiting_for(ws.uow(), i) for i in ids}
    assert "".join(csv_lines(ws.uow(), now)) == to_csv(register_rows(ws.uow(), now))


@pytest.mark.parametrize("batch", [1, 3])
def test_views_and_the_register_export_read_in_rounds_are_the_same(dashboard, monkeypatch, batch):  # noqa: F811
    """Read a round of BATCH incidents at a time, the views, the API's list and the CSV are what one round gives."""
    import incidents.export
    import incidents.views

    ws, now = dashboard.ws, datetime.now(UTC)
    _register(ws, now)
    with ws.uow() as uow:
        whole = incident_views(uow, uow.incidents(), now)
    csv_whole = "".join(csv_lines(ws.uow(), now))
    listed_whole = dashboard.login("olga").get("/api/incidents").json()
    for module in (incidents.views, incidents.export, api):
        monkeypatch.setattr(module, "BATCH", batch)
    with ws.uow() as uow:
        assert incident_views(uow, uow.incidents(), now) == whole
    rounds = list(csv_lines(ws.uow(), now))
    assert len(rounds) == 1 + -(-len(whole) // batch) and "".join(rounds) == csv_whole
    listed = dashboard.login("olga").get("/api/incidents").json()
    assert [s["id"] for s in listed["incidents"]] == [s["id"] for s in listed_whole["incidents"]]


def test_every_open_incident_is_on_one_page_of_the_list_most_urgent_first(dashboard, monkeypatch):  # noqa: F811
    ws = dashboard.ws
    ids = _register(ws, datetime.now(UTC))
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    client = dashboard.login("olga")
    seen: list[str] = []
    for number in (1, 2):  # four open incidents, two a page
        page = client.get(f"/incidents?page={number}")
        assert page.status_code == 200
        seen += re.findall(r'data-incident="([^"]+)"', page.text)
    with ws.uow() as uow:
        open_ids = {row.id for row in uow.incidents() if row.status not in ("closed", "dismissed")}
    assert sorted(seen) == sorted(open_ids) and len(seen) == len(set(seen))
    assert seen[0] == ids[-1]  # reported 150 hours ago, never decided: the most overdue AP clock
    register = [re.findall(r'data-incident="([^"]+)"', client.get(f"/register?page={n}").text) for n in (1, 2, 3)]
    assert [i for page in register for i in page] == ids[::-1]  # every incident, the first reported first
    assert 'rel="next"' in client.get("/register?page=1").text


def test_the_database_orders_the_open_clocks_as_the_clock_rule_does(dashboard):  # noqa: F811
    """The open list is sorted in the database (incidents.views.authority_clock_phase); the order must be the one
    the AP clock's own rule gives (authority_clock_view, urgency): running clocks by deadline (overdue, red, amber,
    ok), then those stopped by a filing, then those a decision or a dismissal made moot."""
    ws, now = dashboard.ws, datetime.now(UTC)
    made: dict[str, str] = {}

    def report(name: str, aware_hours_ago: float) -> str:
        at = now - timedelta(hours=aware_hours_ago)
        incident_id = services.report_incident(ws.uow(), ws.profile, IncidentReport(
            title=f"Incident {name}", description="A list was readable online.", discovered_at=at - timedelta(hours=1),
            aware_at=at, awareness_reason="A short check confirmed that personal data were affected.",
            source="internal", reported_by="test"), "test", now)
        made[incident_id] = name
        return incident_id

    def decide(incident_id: str, *, authority: bool) -> None:
        services.record_decision(ws.uow(), incident_id, Decision(
            notify_authority=authority, notify_subjects=False, reason="As the assessment found."), "po", now)

    for name, hours in [("ok", 10), ("amber", 60), ("red", 68), ("overdue", 80), ("ok-tie", 10), ("overdue-2", 200)]:
        report(name, hours)
    decided(ws, report("decided-yes-running", 30), now)
    filed = report("filed", 50)
    decided(ws, filed, now)
    services.record_filing(ws.uow(), filed, "M-2026-000001", now - timedelta(hours=1), None, "po", now,
                           profile=ws.profile, templates=ws.settings.templates_dir,
                           notices_dir=ws.settings.notices_dir)
    for name, hours in [("moot", 75), ("moot-early", 5)]:
        incident_id = report(name, hours)
        services.record_assessment(ws.uow(), ws.profile, incident_id, the_assessment(), "it", now)
        decide(incident_id, authority=False)
    services.dismiss(ws.uow(), report("dismissed", 90), "Not personal data after all: test records.", "test", now)

    with ws.reader() as uow:
        in_database = [row.id for row in open_clocks(uow, [1], 0, 100)]
        assert open_count(uow, [1]) == len(in_database) == len(made) - 1  # the dismissed one is not open
        rows = sorted(uow.incidents(), key=lambda row: (row.reported_at, row.id))
        by_rule = []
        for row in rows:
            if row.status in ("closed", "dismissed"):
                continue
            view = incident_view(uow, row.id, now)
            clock = authority_clock_view(row, uow.latest_decision(row.id),
                                         view.filings[0].filed_at if view.filings else None, now)
            assert clock == view.authority_clock
            by_rule.append((pages.URGENCY_ORDER.index(pages.urgency(clock)), clock.due_at, row.id))
    expected = [incident_id for *_, incident_id in sorted(by_rule, key=lambda k: k[:2])]
    assert [made[i] for i in in_database] == [made[i] for i in expected]
    # what that order is, in the words of the test's names
    assert [made[i] for i in in_database] == [
        "overdue-2", "overdue", "red", "amber", "decided-yes-running", "ok", "ok-tie", "filed", "moot", "moot-early"]


def test_the_overview_counted_in_the_database_is_what_the_incidents_views_say(dashboard, tmp_path):  # noqa: F811
    """`breach org overview` and /organisations count in the database; each number must be the one the views of
    every incident give (how the overview was made before, ten thousand views for a register that size)."""
    from incidents.notify.email import OutboxBackend
    from incidents.services import organisations
    from incidents.subjects import notified
    from incidents.times import local
    from tests.support.review import approve_as_drafted

    ws, now = dashboard.ws, datetime.now(UTC)
    _register(ws, now)
    last_year = now - timedelta(days=400)
    old = services.report_incident(ws.uow(), ws.profile, IncidentReport(
        title="Incident of last year", description="A list was readable online.",
        discovered_at=last_year - timedelta(hours=2), aware_at=last_year - timedelta(hours=1),
        awareness_reason="A short check confirmed that personal data were affected.", source="internal",
        reported_by="test"), "test", last_year)
    for incident_id in (old, told := _report(ws, now, 100)):  # told, and filed late: its clock stopped
        decided(ws, incident_id, now)
    approve_as_drafted(ws.uow(), ws.profile, told, now)
    services.notify_subjects(ws.uow(), ws.profile, OutboxBackend(tmp_path / "outbox"), ws.settings.templates_dir,
                             told, None, now)
    services.record_filing(ws.uow(), told, "M-2026-000002", now, "The processor's list came after four days.",
                           "po", now, profile=ws.profile,
                           templates=ws.settings.templates_dir, notices_dir=ws.settings.notices_dir)
    _report(ws, now, 80)  # overdue
    _report(ws, now, 1)  # the nearest running clock is the overdue one, not this one

    (shown,) = organisations.overview(ws.reader(), now)
    with ws.reader() as uow:
        views = incident_views(uow, uow.incidents(), now)
    open_views = [v for v in views if v.is_open]
    running = [v for v in open_views if v.authority_clock.state in ("running", "overdue")]
    nearest = min(running, key=lambda v: (v.authority_clock.due_at, v.reported_at, v.id))
    this_year = [v for v in views if local(v.reported_at).year == local(now).year]
    filed = sum(1 for v in this_year if v.filings)
    assert (shown.open_incidents, shown.nearest_due_at, shown.nearest_incident, shown.overdue) == (
        len(open_views), nearest.authority_clock.due_at, nearest.id, sum(1 for v in open_views if v.overdue))
    assert (shown.incidents_this_year, shown.notified_to_authority, shown.not_notified_to_authority) == (
        len(this_year), filed, len(this_year) - filed)
    assert shown.people_told == sum(notified(v.subjects) for v in this_year)
    # and they are what this register holds: the test would pass on two wrong computations that agree
    assert shown.people_told > 0 and filed == 1 and shown.overdue >= 2 and len(this_year) == len(views) - 1


def _report(ws: Workspace, now: datetime, aware_hours_ago: float) -> str:
    at = now - timedelta(hours=aware_hours_ago)
    return services.report_incident(ws.uow(), ws.profile, IncidentReport(
        title="Incident for the overview", description="A list was readable online.",
        discovered_at=at - timedelta(hours=1), aware_at=at,
        awareness_reason="A short check confirmed that personal data were affected.", source="internal",
        reported_by="test"), "test", now)


def test_the_api_lists_each_incident_as_its_own_status_says(dashboard):  # noqa: F811
    """GET /api/incidents builds the statuses a few hundred at a time; each is the one GET /api/incidents/ID gives."""
    ids = _register(dashboard.ws, datetime.now(UTC))
    client = dashboard.login("olga")
    listed = client.get("/api/incidents")
    assert listed.status_code == 200
    statuses = listed.json()["incidents"]
    assert [s["id"] for s in statuses] == ids[::-1]  # the first reported first
    for status in statuses:
        alone = client.get(f"/api/incidents/{status['id']}").json()
        for moving in (status, alone):  # hours left move between the two requests
            moving["authority_clock"].pop("hours_left")
            moving["tracks"]["authority"].pop("hours_left", None)
        assert status == alone


def test_the_dashboard_compiles_its_pages_before_the_first_request(dashboard, monkeypatch):  # noqa: F811
    """A server starts the app (its lifespan) before it takes requests: by then every template the pages use is
    compiled, so a worker's first visitors do not each wait behind compiling (most of a second under load)."""
    from fastapi.testclient import TestClient

    from breach.web.app import create_app
    from incidents.notify import render

    ids = _register(dashboard.ws, datetime.now(UTC))
    render._environment.cache_clear()  # as in a new worker: nothing compiled yet
    compiled: list[str] = []
    original = render.Sandbox.compile

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(render.Sandbox, "compile", compile)
    app = create_app(dashboard.ws, launcher=lambda *args: None)
    assert compiled == []  # made, not yet started
    with TestClient(app, follow_redirects=False) as client:  # started
        assert any(name.endswith("dashboard/incident.html.j2") for name in compiled)
        compiled.clear()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        assert client.post("/login", data={"username": "olga", "password": PASSWORD,
                                           "csrf_token": token.group(1)}).status_code == 303
        for path in ["/incidents", "/register", "/organisations", *(f"/incidents/{i}" for i in ids),
                     "/incidents/new", f"/incidents/{ids[0]}/assessment", f"/incidents/{ids[2]}/decision"]:
            assert client.get(path).status_code == 200, path
    assert compiled == []


def test_a_started_dashboard_keeps_what_it_holds_from_its_start_out_of_full_collections(dashboard):  # noqa: F811
    """What a worker holds from its start on (app, routes, compiled templates) is frozen out of the cyclic
    collector's full sweeps, which found nothing there and cost a sixth of the register's CSV export, and the
    youngest objects are swept less often; an app that stops leaves the collector as it was, so a process that
    goes on (these tests) keeps nothing it does not use."""
    import gc

    from fastapi.testclient import TestClient

    from breach.web.app import GC_YOUNG, create_app

    app = create_app(dashboard.ws, launcher=lambda *args: None)
    assert gc.get_freeze_count() == 0
    before = gc.get_threshold()
    with TestClient(app, follow_redirects=False) as client:
        assert gc.get_freeze_count() > 10_000  # the app and everything imported before it
        assert gc.get_threshold() == (GC_YOUNG, *before[1:])  # a page's short-lived objects mostly freed unswept
        assert client.get("/login").status_code == 200
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def test_an_incident_page_is_read_in_one_transaction_with_few_queries(dashboard):  # noqa: F811
    """The incident page reads what it shows in one transaction (its view, what it waits for, its history, the
    advice, the people kept): on PostgreSQL every query is a round trip, and reading each part in a transaction
    of its own took 39 queries (the session's included), the incident itself eight times."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    ws, now = dashboard.ws, datetime.now(UTC)
    incident_id = services.report_incident(ws.uow(), ws.profile, IncidentReport(
        title="Coaching reports readable", description="A list was readable online.",
        discovered_at=now - timedelta(hours=2), aware_at=now - timedelta(hours=1),
        awareness_reason="A short check confirmed it.", source="internal", reported_by="test"), "test", now)
    decided(ws, incident_id, now)  # assessed, people linked, decision to tell both, AP notice prepared
    client = dashboard.login("olga")
    assert client.get(f"/incidents/{incident_id}").status_code == 200
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        page = client.get(f"/incidents/{incident_id}")
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert page.status_code == 200 and incident_id in page.text
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 27, "\n".join(reads)
    assert sum(1 for s in reads if "FROM incidents" in s and "WHERE incidents.id =" in s) <= 4  # was 8
