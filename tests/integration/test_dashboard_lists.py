"""The lists read many incidents at once: the same views as one by one, and every open incident on some page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from breach.web import pages
from incidents import services
from incidents.export import csv_lines, register_rows, to_csv
from incidents.model import AssessmentFacts, Decision, IncidentReport
from incidents.validation import load_document, parse_model
from incidents.views import incident_view, incident_views
from incidents.workspace import Workspace
from tests.integration.test_web_security import Dashboard, dashboard  # noqa: F401

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
