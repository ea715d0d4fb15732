"""incident_response in-process (Prefect's temporary API): it advances as far as it can, is re-entrant, and
nothing personal crosses into Prefect."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from breach.runner import prefect_environment
from incidents import services
from incidents.model import AssessmentFacts, Decision
from incidents.times import now_utc
from incidents.validation import load_document, parse_model
from incidents.workspace import Workspace
from tests.conftest import EXAMPLES
from tests.integration.test_register import a_report

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="module", autouse=True)
def prefect_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect")
    saved = os.environ.get("PREFECT_HOME")
    os.environ["PREFECT_HOME"] = str(home)
    prefect_environment(home)
    yield home
    if saved is None:
        os.environ.pop("PREFECT_HOME", None)
    else:
        os.environ["PREFECT_HOME"] = saved


def test_the_flow_carries_an_incident_from_report_to_notices(workspace_env):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName, LogFilter, LogFilterFlowRunId

    from flows.response import incident_response

    ws = Workspace()
    now = now_utc()
    incident_id = services.report_incident(ws.uow(), ws.profile, a_report(now), "po", now)

    first = incident_response(incident_id)
    assert first == {"incident_id": incident_id, "waiting_for": ["assessment"]}
    alerts = list((ws.settings.outbox / incident_id / "team_alert").glob("*.eml"))
    assert len(alerts) == len(ws.profile.incident_team)

    facts = parse_model(AssessmentFacts, load_document(EXAMPLES / "assessment.yaml", "a"), "a")
    services.record_assessment(ws.uow(), ws.profile, incident_id, facts, "it", now_utc())
    services.import_subjects(ws.uow(), incident_id, EXAMPLES / "subjects.csv", "po", now_utc())
    services.record_decision(ws.uow(), incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                             reason="health data open to anyone"), "po", now_utc())
    second = incident_response(incident_id)
    assert second["waiting_for"] == ["authority_filing", "subject_notice_approval"]
    notices = list((ws.settings.notices_dir / incident_id).glob("authority-notice-v1.*"))
    assert len(notices) == 4
    assert not (ws.settings.outbox / incident_id / "subject_notice").exists()  # nobody told before the approval
    draft = services.latest_version(ws.uow(), incident_id)
    assert draft is not None and draft.languages == ["nl", "en"] and not draft.approved

    services.approve_message(ws.uow(), incident_id, "po", now_utc(), version=draft.version)
    assert incident_response(incident_id)["waiting_for"] == ["authority_filing"]
    emails = sorted((ws.settings.outbox / incident_id / "subject_notice").glob("*.eml"))
    with ws.uow() as uow:
        assert uow.subject_counts(incident_id)["sent"] == len(emails) > 30

    # re-entrant: a fourth run sends nothing again
    stamps = {p: p.stat().st_mtime_ns for p in ws.settings.outbox.rglob("*.eml")}
    assert incident_response(incident_id)["waiting_for"] == ["authority_filing"]
    assert {p: p.stat().st_mtime_ns for p in ws.settings.outbox.rglob("*.eml")} == stamps

    # what Prefect holds: the run is named after the incident and its organisation; its logs carry no address
    # or name
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            name=FlowRunFilterName(any_=[f"incident-{incident_id}-default"])))
        runs = [r for r in runs if r.start_time and r.start_time >= now]  # this test's runs (the DB is shared)
        assert len(runs) == 4 and all(r.parameters == {"incident_id": incident_id} for r in runs)
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[r.id for r in runs])))
    text = " ".join(log.message for log in logs)
    assert incident_id in text and "@" not in text
    with ws.uow() as uow:
        from sqlalchemy import select

        from incidents.register.tables import SubjectRow

        names = [n for n in uow.session.scalars(select(SubjectRow.name)) if n]
    assert not any(name in text for name in names)


def test_the_deadline_watch_deletes_the_people_data_past_their_period(workspace_env, tmp_path, monkeypatch):
    """GDPR art. 5(1)(e) on the schedule: the watch purges an incident closed longer ago than the profile's period,
    and its result holds counts only."""
    from datetime import timedelta

    from flows.deadlines import deadline_watch
    from incidents.register.tables import SubjectRow
    from tests.integration.test_retention import _closed

    profile = tmp_path / "profile.yaml"
    profile.write_text((EXAMPLES / "profile.yaml").read_text(encoding="utf-8").replace(
        "  people_days: 90 ", "  people_days: 1 "), encoding="utf-8")
    monkeypatch.setenv("BREACH_PROFILE", str(profile))
    monkeypatch.setenv("BREACH_OUTBOX", str(tmp_path / "outbox"))
    ws = Workspace()
    assert ws.profile.retention.people_days == 1
    incident_id = _closed(ws.uow(), ws.profile, now_utc() - timedelta(days=3), tmp_path)

    counts = deadline_watch()

    assert counts["purged_incidents"] == 1 and counts["purged_people"] > 30 and counts["outbox_files_deleted"] > 0
    assert all(isinstance(v, int) for v in counts.values())
    with ws.uow() as uow:
        names = uow.session.scalars(select(SubjectRow.name).where(SubjectRow.incident_id == incident_id)).all()
    assert set(names) == {""}
