"""The response's e-mails through the real sendgrid client, selected by configuration, against a loopback server."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from incidents import services
from incidents.errors import DispatchFailed
from incidents.model import Decision
from incidents.register.tables import DispatchBatchRow
from incidents.workspace import Workspace
from tests.conftest import EXAMPLES
from tests.integration.conftest_sendgrid import fake_sendgrid  # noqa: F401
from tests.integration.test_register import a_report, the_assessment
from tests.support.fake_sendgrid import accepted, bad_request, server_error
from tests.support.review import approve_as_drafted

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def sendgrid_env(workspace_env, fake_sendgrid, monkeypatch):  # noqa: F811
    monkeypatch.setenv("BREACH_EMAIL_BACKEND", "sendgrid")
    monkeypatch.setenv("BREACH_SENDGRID_API_KEY", "SG.test-key-never-logged")
    monkeypatch.setenv("BREACH_SENDGRID_HOST", fake_sendgrid.url)
    return fake_sendgrid


def decided(ws: Workspace, now) -> str:
    incident_id = services.report_incident(ws.uow(), ws.profile, a_report(now), "po", now)
    services.record_assessment(ws.uow(), ws.profile, incident_id, the_assessment(), "it", now)
    services.import_subjects(ws.uow(), incident_id, EXAMPLES / "subjects.csv", "po", now)
    services.record_decision(ws.uow(), incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                             reason="health data open to anyone"), "po", now)
    approve_as_drafted(ws.uow(), ws.profile, incident_id, now)
    return incident_id


def test_configuration_selects_sendgrid_and_each_person_is_a_separate_personalization(sendgrid_env, now):
    ws = Workspace()
    assert ws.mailer.name == "sendgrid"
    incident_id = decided(ws, now)
    sendgrid_env.script(accepted(), accepted())
    services.alert_team(ws.uow(), ws.profile, ws.mailer, TEMPLATES, incident_id, None, now)
    services.notify_subjects(ws.uow(), ws.profile, ws.mailer, TEMPLATES, incident_id, None, now)
    requests = sendgrid_env.requests
    with ws.uow() as uow:
        counts = uow.subject_counts(incident_id)
    # one request for the team, one per language for the people (not one per person)
    assert len(requests) == 3
    people = [p for r in requests[1:] for p in r.body["personalizations"]]
    assert len(people) == counts["sent"] and all(len(p["to"]) == 1 for p in people)
    assert all(p["custom_args"]["incident_id"] == incident_id for p in people)
    assert "SG.test-key-never-logged" not in str([r.body for r in requests])
    with ws.uow() as uow:  # SendGrid's id of each request is the proof of sending kept after a purge
        ids = uow.session.scalars(select(DispatchBatchRow.provider_message_id).where(
            DispatchBatchRow.incident_id == incident_id)).all()
    assert len(ids) == 2 and all(i and i.startswith("fake-") for i in ids)


def test_a_server_error_is_retried_and_nobody_is_skipped(sendgrid_env, now):
    ws = Workspace()
    incident_id = decided(ws, now)
    ws.mailer.sleep = lambda _: None  # type: ignore[attr-defined]
    sendgrid_env.script(server_error(503), accepted(), accepted())
    services.notify_subjects(ws.uow(), ws.profile, ws.mailer, TEMPLATES, incident_id, None, now)
    with ws.uow() as uow:
        counts = uow.subject_counts(incident_id)
    assert counts.get("pending", 0) == 0 and counts["sent"] > 30


def test_a_refusal_is_recorded_with_sendgrids_reason_and_the_people_stay_pending(sendgrid_env, now):
    ws = Workspace()
    incident_id = decided(ws, now)
    sendgrid_env.script(bad_request("The from email does not contain a valid address.", "from.email"))
    with pytest.raises(DispatchFailed, match="from email"):
        services.notify_subjects(ws.uow(), ws.profile, ws.mailer, TEMPLATES, incident_id, None, now)
    with ws.uow() as uow:
        notice = uow.notice(incident_id, "subject_notice")
        status, error = notice.status, notice.error
        counts = uow.subject_counts(incident_id)
    assert status == "failed" and "from email" in error
    assert counts["pending"] > 30 and "sent" not in counts
    assert services.waiting_for(ws.uow(), incident_id) == ["authority_notice", "subject_notice"]


def test_no_request_carries_a_person_before_the_approval_and_every_request_disables_tracking(sendgrid_env, now):
    """Through the real client to the loopback fake: the dispatch before the approval sends nothing; the test send
    goes to the team only; after the approval everyone, with click, open and subscription tracking and Google
    Analytics off in every request (a pixel in a breach notice needs consent and looks like phishing)."""
    ws = Workspace()
    incident_id = services.report_incident(ws.uow(), ws.profile, a_report(now), "po", now)
    services.record_assessment(ws.uow(), ws.profile, incident_id, the_assessment(), "it", now)
    services.import_subjects(ws.uow(), incident_id, EXAMPLES / "subjects.csv", "po", now)
    services.record_decision(ws.uow(), incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                             reason="health data open to anyone"), "po", now)
    services.draft_message(ws.uow(), ws.profile, TEMPLATES, incident_id, "response-flow", now)
    sendgrid_env.script(*[accepted()] * 6)

    services.notify_subjects(ws.uow(), ws.profile, ws.mailer, TEMPLATES, incident_id, None, now)
    assert sendgrid_env.requests == []
    services.test_send(ws.uow(), ws.profile, ws.mailer, incident_id, "info@qoers.nl", "po", now, None)
    tests = sendgrid_env.requests
    assert {p["to"][0]["email"] for r in tests for p in r.body["personalizations"]} == {"info@qoers.nl"}

    services.approve_message(ws.uow(), incident_id, "po", now)
    services.notify_subjects(ws.uow(), ws.profile, ws.mailer, TEMPLATES, incident_id, None, now)

    requests = sendgrid_env.requests
    people = [p for r in requests[len(tests):] for p in r.body["personalizations"]]
    assert len(people) == 38
    for request in requests:
        settings = request.body["tracking_settings"]
        assert settings["click_tracking"] == {"enable": False, "enable_text": False}
        assert settings["open_tracking"]["enable"] is False
        assert settings["subscription_tracking"]["enable"] is False
        assert settings["ganalytics"]["enable"] is False
