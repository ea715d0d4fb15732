"""Delivery tracking: SendGrid's signed events reach each person's status through the dashboard's webhook.

The notices go out through the real sendgrid client to a loopback fake; the events are built from the requests
the fake received, as SendGrid builds them (its fields plus the message's custom arguments at the top level),
signed with a key whose public half is configured like SendGrid's, and posted to the running app.
"""

from __future__ import annotations

import base64
import io
import json
import time
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from breach import cli
from breach.web import create_app
from incidents import services
from incidents.model import Decision
from incidents.register.tables import AuditRow, SubjectRow
from incidents.services.people import worklist
from incidents.workspace import Workspace
from tests.conftest import EXAMPLES
from tests.integration.conftest_sendgrid import fake_sendgrid  # noqa: F401
from tests.integration.test_register import a_report, the_assessment
from tests.support.review import approve_as_drafted

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PATH = "/webhooks/sendgrid/events"
PRIVATE = ec.generate_private_key(ec.SECP256R1())
PUBLIC = base64.b64encode(PRIVATE.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


@pytest.fixture
def sendgrid(workspace_env, fake_sendgrid, monkeypatch):  # noqa: F811
    monkeypatch.setenv("BREACH_EMAIL_BACKEND", "sendgrid")
    monkeypatch.setenv("BREACH_SENDGRID_API_KEY", "SG.test-key-never-logged")
    monkeypatch.setenv("BREACH_SENDGRID_HOST", fake_sendgrid.url)
    monkeypatch.setenv("BREACH_SENDGRID_WEBHOOK_PUBLIC_KEY", PUBLIC)
    return fake_sendgrid


class Notified:
    """An incident whose people were notified through SendGrid, and the dashboard app that takes the events."""

    def __init__(self, fake, now) -> None:  # type: ignore[no-untyped-def]
        self.ws = Workspace()
        self.fake = fake
        self.id = services.report_incident(self.ws.uow(), self.ws.profile, a_report(now), "po", now)
        services.record_assessment(self.ws.uow(), self.ws.profile, self.id, the_assessment(), "it", now)
        services.import_subjects(self.ws.uow(), self.id, EXAMPLES / "subjects.csv", "po", now)
        services.record_decision(self.ws.uow(), self.id, Decision(notify_authority=True, notify_subjects=True,
                                                                  reason="health data open to anyone"), "po", now)
        approve_as_drafted(self.ws.uow(), self.ws.profile, self.id, now)
        services.notify_subjects(self.ws.uow(), self.ws.profile, self.ws.mailer, TEMPLATES, self.id, None, now)
        self.client = TestClient(create_app(self.ws, launcher=lambda *args: None))

    def personalizations(self) -> list[dict]:
        return [p for r in self.fake.requests for p in r.body["personalizations"]]

    def event(self, personalization: dict, name: str, **fields: object) -> dict[str, object]:
        """The event SendGrid posts about one personalization: its own fields, then the custom arguments."""
        return {"email": personalization["to"][0]["email"], "timestamp": int(time.time()), "event": name,
                "sg_event_id": f"ev-{name}-{time.monotonic_ns()}", "sg_message_id": "msg.filter0001",
                **fields, **personalization["custom_args"]}

    def post(self, events: list[dict], *, signed_at: int | None = None, key=PRIVATE, body: bytes | None = None,
             headers: dict[str, str] | None = None, path: str = PATH):  # type: ignore[no-untyped-def]
        body = json.dumps(events).encode() if body is None else body
        stamp = str(int(time.time()) if signed_at is None else signed_at)
        signature = base64.b64encode(key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
        sent = {"Content-Type": "application/json", "X-Twilio-Email-Event-Webhook-Signature": signature,
                "X-Twilio-Email-Event-Webhook-Timestamp": stamp} if headers is None else headers
        return self.client.post(path, content=body, headers=sent)

    def counts(self) -> dict[str, int]:
        with self.ws.uow() as uow:
            return uow.subject_counts(self.id)

    def status_of(self, personalization: dict) -> str:
        subject_id = int(personalization["custom_args"]["recipient"].removeprefix("subject-"))
        with self.ws.uow() as uow:
            return uow.session.get(SubjectRow, subject_id).status

    def audit(self, action: str) -> list[tuple[str | None, str]]:
        """(incident id, details as stored) of each audit entry with this action."""
        with self.ws.uow() as uow:
            return [(r.incident_id, r.details) for r in
                    uow.session.scalars(select(AuditRow).where(AuditRow.action == action))]


@pytest.fixture
def notified(sendgrid, now) -> Notified:
    return Notified(sendgrid, now)


def test_every_personalization_names_the_person_it_is_for(notified):
    keys = [p["custom_args"]["recipient"] for p in notified.personalizations()]
    assert len(keys) == len(set(keys)) == notified.counts()["sent"]
    assert all(key.startswith("subject-") and key.removeprefix("subject-").isdigit() for key in keys)


def test_signed_events_set_each_persons_status_and_status_shows_the_counts(notified):
    people = notified.personalizations()
    delivered, bounced, dropped, deferred = people[:4]
    answer = notified.post([
        notified.event(delivered, "processed"), notified.event(delivered, "delivered"),
        notified.event(bounced, "bounce", type="bounce", status="5.1.1", reason="550 5.1.1 user unknown"),
        notified.event(dropped, "dropped", reason="Bounced Address"),
        notified.event(deferred, "deferred", response="421 try again later", attempt="1"),
        notified.event(people[4], "open"),
    ])
    assert answer.status_code == 200, answer.text
    assert answer.json()["changed"] == {"bounced": 1, "deferred": 1, "delivered": 1, "dropped": 1}
    assert [notified.status_of(p) for p in (delivered, bounced, dropped, deferred, people[4])] == [
        "delivered", "bounced", "dropped", "deferred", "sent"]

    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["subjects", "status", notified.id, "--json"]) == 0
    counts = json.loads(out.getvalue())["counts"]
    assert counts["delivered"] == counts["bounced"] == counts["dropped"] == counts["deferred"] == 1
    assert counts["sent"] == len(people) - 4


def test_an_event_about_another_organisations_message_changes_nobody(notified):
    """Every message to the people says its organisation in its custom arguments; an event that names another
    organisation than the person's incident belongs to changes nothing (and one without it, sent before the
    organisation was said, still counts)."""
    people = notified.personalizations()
    assert all(p["custom_args"]["organisation"] == "1" for p in people)
    foreign = {**notified.event(people[0], "delivered"), "organisation": "2"}
    answer = notified.post([foreign])
    assert answer.status_code == 200 and answer.json()["changed"] == {}
    assert notified.status_of(people[0]) == "sent"
    old = notified.event(people[0], "delivered")
    old.pop("organisation")
    assert notified.post([old]).json()["changed"] == {"delivered": 1}


def test_an_organisations_own_sendgrid_account_posts_to_its_own_address_verified_with_its_key(
        notified, tmp_path, monkeypatch):
    """/webhooks/sendgrid/events/<slug>: verified with the key of that organisation's SendGrid account (its profile
    names the variable), and its events change that organisation's people only."""
    from incidents.profile import load_profile
    from incidents.services import organisations
    from incidents.times import now_utc
    from tests.integration.test_organisations import jansen_profile

    profile = jansen_profile(tmp_path)
    profile.write_text(profile.read_text(encoding="utf-8") + "sending:\n  sendgrid_key_env: JANSEN_SENDGRID_KEY\n"
                       "  sendgrid_webhook_key_env: JANSEN_WEBHOOK_KEY\n", encoding="utf-8")
    organisations.add_organisation(notified.ws.uow(), "jansen", load_profile(profile), "test", now_utc())
    jansen_key = ec.generate_private_key(ec.SECP256R1())
    monkeypatch.setenv("JANSEN_WEBHOOK_KEY", base64.b64encode(jansen_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode())
    people = notified.personalizations()  # Qoers' ("default") people
    delivered = [notified.event(people[0], "delivered")]

    # the bakery's account, signed with its key, about Qoers' people: verified, and changes nobody
    answer = notified.post(delivered, key=jansen_key, path=f"{PATH}/jansen")
    assert answer.status_code == 200 and answer.json()["changed"] == {} and answer.json()["unknown"] == 1
    # the installation's key does not open the bakery's address, nor an organisation that does not exist
    assert notified.post(delivered, path=f"{PATH}/jansen").status_code == 403
    nobody = notified.post(delivered, path=f"{PATH}/nobody")
    assert nobody.status_code == 403 and nobody.json() == notified.post(delivered, path=f"{PATH}/jansen").json()
    # nor does the bakery's key open the installation's address
    assert notified.post(delivered, key=jansen_key).status_code == 403
    assert notified.status_of(people[0]) == "sent"
    # Qoers has no account of its own: its address takes the installation's key
    answer = notified.post(delivered, path=f"{PATH}/default")
    assert answer.status_code == 200 and answer.json()["changed"] == {"delivered": 1}
    monkeypatch.delenv("JANSEN_WEBHOOK_KEY")
    answer = notified.post(delivered, key=jansen_key, path=f"{PATH}/jansen")
    assert answer.status_code == 503 and "JANSEN_WEBHOOK_KEY" in answer.text  # SendGrid retries meanwhile


def test_bounced_and_dropped_people_go_to_the_worklist_with_sendgrids_reason(notified):
    people = notified.personalizations()
    notified.post([notified.event(people[0], "bounce", status="5.1.1", reason="550 user unknown"),
                   notified.event(people[1], "dropped", reason="Invalid"),
                   notified.event(people[2], "delivered")])
    rows = worklist(notified.ws.uow(), notified.id)
    by_address = {row["email"]: row for row in rows}
    assert by_address[people[0]["to"][0]["email"]]["status"] == "bounced"
    assert by_address[people[0]["to"][0]["email"]]["problem"] == "5.1.1 550 user unknown"
    assert by_address[people[1]["to"][0]["email"]]["problem"] == "Invalid"
    assert people[2]["to"][0]["email"] not in by_address


def test_a_retried_request_changes_nothing_twice(notified):
    people = notified.personalizations()
    events = [notified.event(people[0], "delivered"), notified.event(people[1], "bounce", reason="550")]
    first, again = notified.post(events), notified.post(events)
    assert first.json()["changed"] == {"bounced": 1, "delivered": 1}
    assert again.status_code == 200 and again.json()["changed"] == {} and again.json()["unchanged"] == 2
    assert len(notified.audit("deliveries_recorded")) == 1


def test_the_strongest_state_stays_whatever_order_the_events_come_in(notified):
    people = notified.personalizations()
    notified.post([notified.event(people[0], "delivered")])
    notified.post([notified.event(people[0], "deferred"), notified.event(people[0], "processed")])
    assert notified.status_of(people[0]) == "delivered"
    notified.post([notified.event(people[0], "bounce", reason="550 mailbox gone")])  # an asynchronous bounce
    notified.post([notified.event(people[0], "delivered")])
    assert notified.status_of(people[0]) == "bounced"


def test_the_audit_trail_gets_counts_and_no_address(notified):
    people = notified.personalizations()
    notified.post([notified.event(people[0], "bounce", reason=f"550 {people[0]['to'][0]['email']} unknown")])
    ((incident_id, details),) = notified.audit("deliveries_recorded")
    assert incident_id == notified.id and json.loads(details) == {"bounced": 1}
    assert "@" not in details


def test_an_event_naming_another_incident_changes_nobody(notified):
    people = notified.personalizations()
    stray = notified.event(people[0], "bounce", reason="550") | {"incident_id": "DL-2026-9999"}
    answer = notified.post([stray])
    assert answer.json()["unknown"] == 1 and notified.status_of(people[0]) == "sent"


@pytest.mark.parametrize("problem", ["unsigned", "no timestamp", "tampered", "other key", "stale", "future"])
def test_a_request_not_signed_by_sendgrid_just_now_is_refused_and_changes_nothing(notified, problem):
    people = notified.personalizations()
    events = [notified.event(people[0], "bounce", reason="550")]
    body = json.dumps(events).encode()
    now = int(time.time())
    if problem == "unsigned":
        answer = notified.post(events, headers={"Content-Type": "application/json"})
    elif problem == "no timestamp":
        answer = notified.post(events, headers={"X-Twilio-Email-Event-Webhook-Signature": "MEUCIQ=="})
    elif problem == "tampered":
        signature = base64.b64encode(PRIVATE.sign(str(now).encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
        answer = notified.client.post(PATH, content=body.replace(b"bounce", b"dropped"), headers={
            "X-Twilio-Email-Event-Webhook-Signature": signature, "X-Twilio-Email-Event-Webhook-Timestamp": str(now)})
    elif problem == "other key":
        answer = notified.post(events, key=ec.generate_private_key(ec.SECP256R1()))
    elif problem == "stale":
        answer = notified.post(events, signed_at=now - 11 * 60)
    else:
        answer = notified.post(events, signed_at=now + 10 * 60)
    assert answer.status_code == (401 if problem in ("unsigned", "no timestamp") else 403)
    assert notified.status_of(people[0]) == "sent"
    assert notified.audit("deliveries_recorded") == []


@pytest.mark.parametrize("setting", [None, "not a key"])
def test_without_a_verification_key_signed_requests_wait_and_sendgrid_retries(notified, monkeypatch, setting):
    if setting is None:
        monkeypatch.delenv("BREACH_SENDGRID_WEBHOOK_PUBLIC_KEY")
    else:
        monkeypatch.setenv("BREACH_SENDGRID_WEBHOOK_PUBLIC_KEY", setting)
    people = notified.personalizations()
    answer = notified.post([notified.event(people[0], "delivered")])
    assert answer.status_code == 503 and "BREACH_SENDGRID_WEBHOOK_PUBLIC_KEY" in answer.text
    assert notified.status_of(people[0]) == "sent"
    unsigned = notified.post([], headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401


def test_a_signed_body_that_is_not_an_array_of_events_is_a_bad_request(notified):
    assert notified.post([], body=b'{"event": "delivered"}').status_code == 400
    assert notified.post([], body=b"[not json").status_code == 400


def test_the_webhook_needs_no_login_and_no_csrf_token(notified):
    people = notified.personalizations()
    answer = notified.post([notified.event(people[0], "delivered")])  # a fresh client: no session, no token
    assert answer.status_code == 200 and answer.json()["changed"] == {"delivered": 1}


def test_people_sendgrid_confirmed_are_not_sent_again_after_a_crash(notified, now):
    """A dispatcher killed after SendGrid took a batch leaves its people 'sending'; an event about them proves
    SendGrid has their message, so the next run does not send them a second one."""
    people = notified.personalizations()
    confirmed, unconfirmed = people[:3], people[3:6]
    ids = [int(p["custom_args"]["recipient"].removeprefix("subject-")) for p in confirmed + unconfirmed]
    with notified.ws.uow() as uow:
        uow.session.execute(update(SubjectRow).where(SubjectRow.id.in_(ids)).values(status="sending"))
        uow.commit()
    notified.post([notified.event(p, "delivered") for p in confirmed])
    notified.fake.reset()
    services.notify_subjects(notified.ws.uow(), notified.ws.profile, notified.ws.mailer, TEMPLATES, notified.id,
                             None, now)
    again = {p["to"][0]["email"] for p in notified.personalizations()}
    assert again == {p["to"][0]["email"] for p in unconfirmed}
    assert [notified.status_of(p) for p in confirmed] == ["delivered"] * 3
    assert notified.counts().get("sending", 0) == 0


def test_the_register_counts_delivered_people_as_told(notified, now):
    """The register document (art. 33(5)) counts everyone the service took the notice for, delivered or not."""
    from incidents.export import register_entries, register_rows, to_html
    from incidents.times import iso

    people = notified.personalizations()
    notified.post([notified.event(p, "delivered") for p in people[:5]])
    assert notified.counts()["delivered"] == 5
    sent = len(people)
    html = to_html(TEMPLATES, "nl", register_entries(notified.ws.uow(), now), notified.ws.profile, now)
    assert f"{sent} van {sent + 1} bericht verstuurd; 1 niet per e-mail bereikbaar" in html
    (row,) = register_rows(notified.ws.uow(), now)
    assert (row["subjects_sent"], row["subjects_notified_at"]) == (sent, iso(now))


def test_events_about_the_follow_up_change_its_own_status_and_not_the_first_messages(notified, now):
    """The update (breach subjects update) is tracked like the first message, in its own column: a bounce of the
    follow-up does not undo that the first message was delivered, nor replace that message's reason."""
    from incidents.messages import SUBJECT_UPDATE

    ws, incident_id = notified.ws, notified.id
    first = notified.personalizations()
    notified.post([notified.event(first[0], "delivered"), notified.event(first[1], "delivered")])
    services.draft_message(ws.uow(), ws.profile, TEMPLATES, incident_id, "po", now, kind=SUBJECT_UPDATE)
    services.edit_message(ws.uow(), ws.profile, TEMPLATES, incident_id, {
        lang: {"found": "Alleen de melder opende de map.", "changed": "Delen via een link staat uit."}
        for lang in ("nl", "en")}, "po", now, kind=SUBJECT_UPDATE)
    services.approve_message(ws.uow(), incident_id, "po", now, kind=SUBJECT_UPDATE)
    services.notify_update(ws.uow(), ws.profile, ws.mailer, TEMPLATES, incident_id, None, now)
    updates = [p for p in notified.personalizations()[len(first):]]
    assert updates and all(p["custom_args"]["kind"] == SUBJECT_UPDATE for p in updates)
    by_key = {p["custom_args"]["recipient"]: p for p in updates}
    bounced, delivered = by_key[first[0]["custom_args"]["recipient"]], by_key[first[1]["custom_args"]["recipient"]]

    answer = notified.post([notified.event(bounced, "bounce", status="5.1.1", reason="550 mailbox gone"),
                            notified.event(delivered, "delivered")])

    assert answer.status_code == 200 and answer.json()["changed"] == {"bounced": 1, "delivered": 1}
    with ws.uow() as uow:
        rows = {r.id: (r.status, r.update_status, r.problem) for r in uow.session.scalars(
            select(SubjectRow).where(SubjectRow.incident_id == incident_id))}
    sid = int(bounced["custom_args"]["recipient"].removeprefix("subject-"))
    assert rows[sid] == ("delivered", "bounced", None)
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["subjects", "status", incident_id, "--json"]) == 0
    status = json.loads(out.getvalue())
    assert status["update_counts"] == {"sent": len(updates) - 2, "bounced": 1, "delivered": 1}
    assert status["counts"]["delivered"] == 2
    recorded = [json.loads(d) for _, d in notified.audit("deliveries_recorded")]
    assert recorded[-1] == {"kind": SUBJECT_UPDATE, "bounced": 1, "delivered": 1}
