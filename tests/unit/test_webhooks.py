"""SendGrid's Event Webhook: only SendGrid's recent signature is believed, and each person keeps the strongest state."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from incidents.errors import ConfigurationError, InvalidInput
from incidents.webhooks import (
    MAX_AGE_SECONDS,
    DeliveryEvent,
    WebhookRefused,
    event_of,
    load_public_key,
    parse_events,
    raises,
    strongest,
    verify,
)

NOW = 1_790_000_000


def keypair() -> tuple[ec.EllipticCurvePrivateKey, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(der).decode()  # as SendGrid's Mail Settings show it


def sign(private: ec.EllipticCurvePrivateKey, body: bytes, timestamp: int) -> str:
    return base64.b64encode(private.sign(str(timestamp).encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


PRIVATE, PUBLIC = keypair()
KEY = load_public_key(PUBLIC)
BODY = json.dumps([{"email": "an@example.com", "event": "delivered", "incident_id": "DL-2026-0001",
                    "kind": "subject_notice", "batch": "b", "recipient": "subject-7"}]).encode()


def event(name: str, **fields: object) -> dict[str, object]:
    return {"event": name, "incident_id": "DL-2026-0001", "kind": "subject_notice", "recipient": "subject-7",
            "email": "an@example.com", "timestamp": NOW, **fields}


def test_a_request_signed_by_sendgrid_just_now_is_believed():
    verify(KEY, BODY, sign(PRIVATE, BODY, NOW - 5), str(NOW - 5), NOW)


def test_the_key_may_also_be_given_as_pem():
    pem = f"-----BEGIN PUBLIC KEY-----\n{PUBLIC}\n-----END PUBLIC KEY-----\n"
    verify(load_public_key(pem), BODY, sign(PRIVATE, BODY, NOW), str(NOW), NOW)


@pytest.mark.parametrize("signature, timestamp", [(None, str(NOW)), ("", str(NOW)), ("abc", None)])
def test_an_unsigned_request_is_refused_as_unauthenticated(signature, timestamp):
    with pytest.raises(WebhookRefused) as refused:
        verify(KEY, BODY, signature, timestamp, NOW)
    assert refused.value.status == 401


def test_a_tampered_body_is_refused():
    signature = sign(PRIVATE, BODY, NOW)
    tampered = BODY.replace(b"delivered", b"bounce")
    with pytest.raises(WebhookRefused) as refused:
        verify(KEY, tampered, signature, str(NOW), NOW)
    assert (refused.value.status, refused.value.reason) == (403, "wrong signature")


def test_a_timestamp_changed_after_signing_is_refused():
    with pytest.raises(WebhookRefused) as refused:
        verify(KEY, BODY, sign(PRIVATE, BODY, NOW - 900), str(NOW), NOW)
    assert refused.value.status == 403


def test_a_signature_by_another_key_is_refused():
    other, _ = keypair()
    with pytest.raises(WebhookRefused) as refused:
        verify(KEY, BODY, sign(other, BODY, NOW), str(NOW), NOW)
    assert refused.value.status == 403


@pytest.mark.parametrize("signature", ["not base64!", base64.b64encode(b"not a DER signature").decode()])
def test_a_garbled_signature_is_refused(signature):
    with pytest.raises(WebhookRefused) as refused:
        verify(KEY, BODY, signature, str(NOW), NOW)
    assert refused.value.status == 403


def test_a_replayed_request_older_than_ten_minutes_is_refused():
    then = NOW - MAX_AGE_SECONDS - 1
    with pytest.raises(WebhookRefused) as refused:
        verify(KEY, BODY, sign(PRIVATE, BODY, then), str(then), NOW)
    assert (refused.value.status, refused.value.reason) == (403, "stale timestamp")
    verify(KEY, BODY, sign(PRIVATE, BODY, then + 2), str(then + 2), NOW)  # within ten minutes: fine


def test_a_timestamp_in_the_future_is_refused():
    ahead = NOW + 3600
    with pytest.raises(WebhookRefused) as refused:
        verify(KEY, BODY, sign(PRIVATE, BODY, ahead), str(ahead), NOW)
    assert (refused.value.status, refused.value.reason) == (403, "timestamp in the future")


@pytest.mark.parametrize("timestamp", ["12.5", "-1", "1e9", "now"])
def test_a_timestamp_that_is_not_whole_seconds_is_refused(timestamp):
    with pytest.raises(WebhookRefused) as refused:
        verify(KEY, BODY, sign(PRIVATE, BODY, NOW), timestamp, NOW)
    assert refused.value.status == 403


@pytest.mark.parametrize("text", ["", "not a key", base64.b64encode(b"garbage").decode()])
def test_a_wrong_key_setting_says_where_to_find_the_right_one(text):
    with pytest.raises(ConfigurationError, match="Mail Settings"):
        load_public_key(text)


def test_a_key_on_another_curve_is_refused():
    der = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ConfigurationError, match="P-256"):
        load_public_key(base64.b64encode(der).decode())


@pytest.mark.parametrize("name, status", [("processed", "sent"), ("deferred", "deferred"),
                                          ("delivered", "delivered"), ("bounce", "bounced"), ("dropped", "dropped")])
def test_each_delivery_event_means_a_status(name, status):
    assert event_of(event(name)) == DeliveryEvent("DL-2026-0001", 7, status,
                                                  None if status not in ("bounced", "dropped") else status)


def test_a_bounce_keeps_sendgrids_reason_for_the_worklist_without_control_characters():
    found = event_of(event("bounce", status="5.1.1", reason="550 5.1.1 user unknown\r\nX-Injected: 1",
                           type="blocked"))
    assert found is not None and found.reason == "5.1.1 550 5.1.1 user unknown X-Injected: 1"


@pytest.mark.parametrize("changes", [
    {"event": "open"}, {"event": "click"}, {"event": "spamreport"}, {"event": "unsubscribe"},
    {"kind": "team_alert", "recipient": "team-0"}, {"recipient": "team-0"}, {"recipient": "subject-x"},
    {"recipient": "subject-7; DROP TABLE subjects"}, {"incident_id": "../../etc"}, {"incident_id": None},
    {"recipient": 7}, {"event": ["delivered"]},
])
def test_events_not_about_a_persons_notice_are_ignored(changes):
    assert event_of(event("delivered") | changes) is None


def test_events_without_our_custom_arguments_are_ignored():
    assert event_of({"event": "delivered", "email": "someone@example.com"}) is None


def test_the_body_must_be_a_json_array():
    for body in (b"{}", b"not json", b'"x"'):
        with pytest.raises(InvalidInput):
            parse_events(body)
    parsed = parse_events(json.dumps([event("delivered"), event("open"), 5, None]).encode())
    assert (len(parsed.events), parsed.received, parsed.ignored) == (1, 4, 3)


def test_a_status_only_moves_up_and_never_for_people_the_service_did_not_take():
    assert raises("sent", "delivered") and raises("deferred", "delivered") and raises("sending", "sent")
    assert raises("delivered", "bounced")  # an asynchronous bounce after delivery: the person needs a letter
    assert not raises("delivered", "deferred") and not raises("delivered", "sent")
    assert not raises("bounced", "delivered") and not raises("dropped", "bounced")
    assert not raises("pending", "delivered") and not raises("unreachable", "delivered")


def test_an_event_may_come_before_the_dispatcher_marks_its_batch():
    """A pending person of a claimed batch: the request went out, the mark has not been written yet."""
    assert raises("pending", "sent", claimed=True) and raises("pending", "bounced", claimed=True)
    assert not raises("unreachable", "delivered", claimed=True)


def test_the_strongest_event_per_person_wins_in_any_order():
    events = [DeliveryEvent("DL-2026-0001", 7, s) for s in ("deferred", "delivered", "sent", "deferred")]
    assert strongest(events)[("DL-2026-0001", 7, "subject_notice")].status == "delivered"
    assert strongest(reversed(events))[("DL-2026-0001", 7, "subject_notice")].status == "delivered"
    other = DeliveryEvent("DL-2026-0002", 7, "bounced", "550")
    assert strongest([*events, other])[("DL-2026-0002", 7, "subject_notice")] == other


def test_an_event_about_the_follow_up_is_kept_apart_from_the_first_message():
    update = event_of(event("bounce") | {"kind": "subject_update", "reason": "550 gone"})
    first = event_of(event("delivered"))
    assert update is not None and first is not None
    assert (update.kind, update.status, first.kind) == ("subject_update", "bounced", "subject_notice")
    best = strongest([first, update])
    assert best[("DL-2026-0001", 7, "subject_notice")].status == "delivered"
    assert best[("DL-2026-0001", 7, "subject_update")].status == "bounced"
