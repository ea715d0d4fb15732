"""deadline_watch's service: each reminder exactly once, even late, twice, or at the same time."""

from __future__ import annotations

import threading
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import select

from incidents import services
from incidents.model import Decision
from incidents.notify.email import OutboxBackend
from incidents.register.tables import ReminderRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.services.reminders import send_due_reminders
from tests.conftest import EXAMPLES
from tests.integration.test_register import a_report, the_assessment
from tests.support.review import approve_as_drafted

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TARGET = timedelta(hours=24)


def reported(uow, profile, now, aware_hours_ago: float) -> str:
    report = a_report(now, aware_at=(now - timedelta(hours=aware_hours_ago)).isoformat(),
                      discovered_at=(now - timedelta(hours=aware_hours_ago + 1)).isoformat())
    return services.report_incident(uow, profile, report, "po", now)


def watch(uow, profile, tmp_path, now):
    return send_due_reminders(uow, profile, OutboxBackend(tmp_path / "outbox"), TEMPLATES, None, now, TARGET)


def reminders(uow, incident_id):
    with uow:
        return {(r.clock, r.step): r.status for r in uow.session.scalars(
            select(ReminderRow).where(ReminderRow.incident_id == incident_id))}


def test_the_team_is_reminded_once_after_a_day(uow, profile, now, tmp_path):
    incident_id = reported(uow, profile, now, aware_hours_ago=30)
    assert watch(uow, profile, tmp_path, now)["sent"] == 1
    assert watch(uow, profile, tmp_path, now + timedelta(minutes=15))["sent"] == 0
    emails = list((tmp_path / "outbox" / incident_id / "reminder-authority_notice-24h").glob("*.eml"))
    assert len(emails) == len(profile.incident_team)
    text = emails[0].read_text(encoding="utf-8")
    assert "42,0 uur" in text and incident_id in text and "breach assess" in text
    assert "Stand: melding aan de AP: nog geen besluit; betrokkenen: nog geen besluit." in text  # both tracks


def test_two_watches_at_the_same_time_send_once(database_url, profile, now, tmp_path):
    uow = UnitOfWork(database_url)
    incident_id = reported(uow, profile, now, aware_hours_ago=50)
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        watch(UnitOfWork(database_url, prepare=False), profile, tmp_path, now))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["sent"] for r in results) == [0, 1]
    assert reminders(uow, incident_id) == {("authority_notice", "48h"): "sent",
                                           ("authority_notice", "24h"): "superseded"}


def test_a_watch_down_for_a_day_sends_the_current_rung_only(uow, profile, now, tmp_path):
    incident_id = reported(uow, profile, now, aware_hours_ago=25)
    watch(uow, profile, tmp_path, now)
    later = now + timedelta(hours=43)  # 68 h after awareness: 48h was missed, 66h is due
    assert watch(uow, profile, tmp_path, later)["sent"] == 1
    assert reminders(uow, incident_id) == {("authority_notice", "24h"): "sent",
                                           ("authority_notice", "48h"): "superseded",
                                           ("authority_notice", "66h"): "sent"}
    escalated = list((tmp_path / "outbox" / incident_id / "reminder-authority_notice-66h").glob("*.eml"))
    assert len(escalated) == len({m.email for m in profile.incident_team} | {profile.privacy_contact.email})


def test_after_expiry_the_message_says_the_deadline_passed(uow, profile, now, tmp_path):
    incident_id = reported(uow, profile, now, aware_hours_ago=75)
    watch(uow, profile, tmp_path, now)
    email = next((tmp_path / "outbox" / incident_id / "reminder-authority_notice-expired").glob("*.eml"))
    assert "verstreken" in email.read_text(encoding="utf-8")


def test_no_ap_reminders_when_the_decision_says_the_ap_need_not_be_told(uow, profile, now, tmp_path):
    incident_id = reported(uow, profile, now, aware_hours_ago=10)
    services.record_assessment(uow, profile, incident_id, the_assessment(), "it", now)
    services.record_decision(uow, incident_id, Decision(notify_authority=False, notify_subjects=False,
                                                        reason="only public data, no risk"), "po", now)
    assert watch(uow, profile, tmp_path, now + timedelta(hours=30))["due"] == 0


def test_the_people_clock_runs_from_the_decision_until_everyone_is_told(uow, profile, now, tmp_path):
    incident_id = reported(uow, profile, now, aware_hours_ago=2)
    services.record_assessment(uow, profile, incident_id, the_assessment(), "it", now)
    services.import_subjects(uow, incident_id, EXAMPLES / "subjects.csv", "po", now)
    services.record_decision(uow, incident_id, Decision(notify_authority=False, notify_subjects=True,
                                                        reason="high risk for the people"), "po", now)
    assert watch(uow, profile, tmp_path, now + timedelta(hours=13))["sent"] == 1
    assert reminders(uow, incident_id) == {("subject_notice", "half"): "sent"}
    email = next((tmp_path / "outbox" / incident_id).glob("reminder-subject_notice-*/*.eml"))
    body = message_from_bytes(email.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    assert "art. 34 lid 1 AVG: onverwijld" in " ".join(body.split())  # the Dutch text of art. 34(1)
    assert "breach subjects approve" in body  # the message waits for its approval: the reminder says so
    approve_as_drafted(uow, profile, incident_id, now)
    services.notify_subjects(uow, profile, OutboxBackend(tmp_path / "outbox"), TEMPLATES, incident_id, None, now)
    assert watch(uow, profile, tmp_path, now + timedelta(hours=25))["due"] == 0


def test_an_advised_public_communication_has_the_people_clock_until_it_is_online(uow, profile, now, tmp_path):
    """Art. 34(3)(c): no notice to each person, yet the people must still be told, by publishing it."""
    from incidents.services.public_notice import (
        approve_public_notice,
        prepare_public_notice,
        publish_public_notice,
    )
    from tests.integration.test_public_notice import assessment

    incident_id = reported(uow, profile, now, aware_hours_ago=2)
    services.record_assessment(uow, profile, incident_id, assessment(), "it", now)
    services.decide(uow, incident_id, "po", now, templates=TEMPLATES, language="nl")  # AP yes, people: public
    assert watch(uow, profile, tmp_path, now + timedelta(hours=13))["sent"] >= 1
    assert reminders(uow, incident_id)[("subject_notice", "half")] == "sent"
    mails = list((tmp_path / "outbox" / incident_id / "reminder-subject_notice-half").glob("*.eml"))
    assert mails and all("breach subjects public" in m.read_text(encoding="utf-8") for m in mails)

    prepare_public_notice(uow, profile, TEMPLATES, tmp_path / "notices", incident_id, "po", now + timedelta(hours=14))
    approve_public_notice(uow, incident_id, "po", now + timedelta(hours=14))
    publish_public_notice(uow, incident_id, "po", now + timedelta(hours=15))
    watch(uow, profile, tmp_path, now + timedelta(hours=25))
    assert [k for k in reminders(uow, incident_id) if k[0] == "subject_notice"] == [("subject_notice", "half")]


def test_a_phased_first_notice_is_chased_for_its_follow_up(uow, profile, now, tmp_path):
    from incidents.services import authority
    from tests.integration.test_authority import drive_incident

    incident_id = drive_incident(uow, profile, now, tmp_path)
    authority.record_filing(uow, incident_id, "M-77", now, None, "po", now)
    watch(uow, profile, tmp_path, now + timedelta(days=4))  # the people's clock has expired by then too
    assert reminders(uow, incident_id)[("authority_follow_up", "half")] == "sent"
    email = next((tmp_path / "outbox" / incident_id / "reminder-authority_follow_up-half").glob("*.eml"))
    assert "breach authority follow-up" in email.read_text(encoding="utf-8")
    authority.record_follow_up(uow, profile, TEMPLATES, tmp_path / "notices", incident_id, "1.3, 2.1 answered",
                               "M-77", now + timedelta(days=5), "po", now + timedelta(days=5))
    watch(uow, profile, tmp_path, now + timedelta(days=8))
    assert ("authority_follow_up", "expired") not in reminders(uow, incident_id)


def test_a_team_whose_response_never_started_is_alerted_by_the_watch_once(cli, monkeypatch):
    """A report whose trigger was lost (no response run): after the grace the watch alerts the team itself, once;
    an incident reported a moment ago, or one whose response has begun its alert, is the response's own."""
    from sqlalchemy import update

    from flows import deadlines
    from incidents.register.tables import AuditRow, IncidentRow, NoticeRow
    from incidents.times import now_utc
    from incidents.workspace import Workspace

    forgotten, fresh, busy = (cli("report", str(EXAMPLES / "incident.yaml"), "--no-flow")[1].strip()
                              for _ in range(3))
    ws = Workspace()
    with ws.uow() as uow:
        uow.session.execute(update(IncidentRow).where(IncidentRow.id.in_([forgotten, busy]))
                            .values(reported_at=now_utc() - timedelta(minutes=10)))
        uow.session.add(NoticeRow(incident_id=busy, kind="team_alert", version=1, status="sending",
                                  started_at=now_utc(), recipients=0, backend="outbox"))  # a run is alerting
        uow.commit()
    assert deadlines.alert_unaware_teams.fn() == {"teams_alerted_late": 1}
    assert deadlines.alert_unaware_teams.fn() == {"teams_alerted_late": 0}  # once
    outbox = ws.settings.outbox
    sent = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in
            (outbox / forgotten / "team_alert").glob("*.eml")]
    assert len(sent) == len(ws.profile.incident_team) and forgotten in str(sent[0]["Subject"])
    assert not (outbox / fresh).exists() and not (outbox / busy).exists()
    with ws.uow() as uow:
        alerts = uow.session.scalars(select(AuditRow.incident_id).where(AuditRow.action == "team_alerted")).all()
        assert alerts == [forgotten]
        assert uow.session.get(IncidentRow, forgotten).status == "under_assessment"
