"""SendGrid's Event Webhook: is a request really from SendGrid, and what its events mean for each person's status.

Pure: no register, no web framework. SendGrid signs each request with ECDSA on the P-256 curve over SHA-256 of the
`X-Twilio-Email-Event-Webhook-Timestamp` header followed by the raw body; the signature (base64, DER) is in
`X-Twilio-Email-Event-Webhook-Signature`, and the public key (base64 DER, SubjectPublicKeyInfo) is shown in
SendGrid's Mail Settings when signing is turned on. A request that is not signed, signed wrongly, or signed
longer ago than MAX_AGE_SECONDS (a replay) is refused.

Each event is a JSON object with SendGrid's fields (`event`, `reason`, `status`, `type`, ...) and, at the top
level, the custom arguments of the message: `incident_id`, `kind`, `batch`, `recipient` (the register's key of
the person, `subject-<id>`; see incidents.notify.sendgrid_backend) and `organisation` (its id in the register,
checked against the person's incident). Events that do not concern a message to an
affected person (the first notice, `subject_notice`, or the follow-up, `subject_update`) are ignored.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from incidents.errors import ConfigurationError, FieldError, InvalidInput
from incidents.said import Said
from incidents.subjects import clean_text

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
PUBLIC_KEY_VARIABLE = "BREACH_SENDGRID_WEBHOOK_PUBLIC_KEY"
MAX_AGE_SECONDS = 600  # older than this: a replay, or a retry SendGrid should sign again
MAX_AHEAD_SECONDS = 60  # a timestamp this far ahead of our clock is refused; less is clock skew
MAX_REASON = 300  # characters of SendGrid's bounce or drop reason kept for the worklist

# SendGrid's delivery events and the status each one means for the person.
STATUS_OF_EVENT = {
    "processed": "sent",  # SendGrid has the message
    "deferred": "deferred",  # the receiving server said "later"; SendGrid keeps trying (up to 72 hours)
    "delivered": "delivered",  # the receiving server accepted it
    "bounce": "bounced",  # the receiving server refused it (also type "blocked")
    "dropped": "dropped",  # SendGrid did not even try (an address that bounced before, an invalid one)
}
# A person's status only moves up this order, whatever order the events arrive in (SendGrid does not promise
# an order, and retries a batch it thinks failed): the strongest state wins. A bounce outranks a delivery, since
# an asynchronous bounce can follow one, and a person who might not have the message must get a letter: a
# second notice is the lesser evil next to a missing one.
RANK = {"sending": 0, "sent": 1, "deferred": 2, "delivered": 3, "bounced": 4, "dropped": 5}
FAILED = frozenset({"bounced", "dropped"})

_INCIDENT_ID = re.compile(r"[A-Za-z]{2}-\d{4}-\d{4,6}")
_SUBJECT_KEY = re.compile(r"subject-(\d{1,18})")
_TIMESTAMP = re.compile(r"\d{1,12}")


class WebhookRefused(Exception):
    """The request is not proven to come from SendGrid now. `status` is the HTTP answer: 401 when it is not
    signed at all, 403 when the signature is wrong or old; `reason` says which, without any of its content."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def load_public_key(text: str, variable: str = PUBLIC_KEY_VARIABLE) -> ec.EllipticCurvePublicKey:
    """SendGrid's verification key as Mail Settings shows it (base64 DER); a PEM block works too. `variable`
    names where it was read, for the error."""
    cleaned = re.sub(r"-----(BEGIN|END) PUBLIC KEY-----|\s", "", text)
    try:
        key = serialization.load_der_public_key(base64.b64decode(cleaned, validate=True))
    except (binascii.Error, ValueError, UnsupportedAlgorithm):
        raise ConfigurationError(Said("webhooks.not_a_public_key", variable=variable)) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ConfigurationError(Said("webhooks.not_a_p256_key", variable=variable))
    return key


def verify(key: ec.EllipticCurvePublicKey, body: bytes, signature: str | None, timestamp: str | None,
           now: float) -> None:
    """Return when SendGrid signed exactly this body with this timestamp, recently; raise WebhookRefused if not."""
    if not signature or not timestamp:
        raise WebhookRefused(401, "not signed")
    timestamp = timestamp.strip()
    if not _TIMESTAMP.fullmatch(timestamp):
        raise WebhookRefused(403, "bad timestamp")
    try:
        key.verify(base64.b64decode(signature.strip(), validate=True), timestamp.encode("ascii") + body,
                   ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise WebhookRefused(403, "wrong signature") from None
    age = now - int(timestamp)
    if age > MAX_AGE_SECONDS:
        raise WebhookRefused(403, "stale timestamp")
    if age < -MAX_AHEAD_SECONDS:
        raise WebhookRefused(403, "timestamp in the future")


KINDS = ("subject_notice", "subject_update")  # the messages to affected people: the first one and the follow-up


@dataclass(frozen=True)
class DeliveryEvent:
    """What one event says about one person's notice: ids and a status; the reason only for a failure."""

    incident_id: str
    subject_id: int
    status: str
    reason: str | None = None
    kind: str = "subject_notice"  # or "subject_update": the follow-up, whose status is kept apart
    organisation: int | None = None  # the organisation the message was sent for (None: sent before it was said)


@dataclass(frozen=True)
class ParsedEvents:
    events: list[DeliveryEvent]
    received: int  # events in the request
    ignored: int  # not about a notice to an affected person, or not a delivery event


def parse_events(body: bytes) -> ParsedEvents:
    """The delivery events about notices to affected people in a (verified) request body.

    InvalidInput when the body is not a JSON array; events of other messages (the team alert, another
    application on the same SendGrid account) and engagement events (open, click, ...) are counted as ignored.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidInput("event webhook request", [FieldError("(body)", Said("webhooks.body_not_json"))]) from None
    if not isinstance(data, list):
        raise InvalidInput("event webhook request", [FieldError("(body)", Said("webhooks.body_not_an_array"))])
    events = [e for e in (event_of(item) for item in data) if e is not None]
    return ParsedEvents(events, len(data), len(data) - len(events))


def event_of(item: object) -> DeliveryEvent | None:
    """One SendGrid event as a DeliveryEvent, or None when it is not one we act on."""
    if not isinstance(item, Mapping):
        return None
    status = STATUS_OF_EVENT.get(_text(item.get("event")))
    incident_id = _text(item.get("incident_id"))
    key = _SUBJECT_KEY.fullmatch(_text(item.get("recipient")))
    kind = _text(item.get("kind"))
    if status is None or key is None or kind not in KINDS or not _INCIDENT_ID.fullmatch(incident_id):
        return None
    reason = None
    if status in FAILED:
        said = " ".join(p for p in (_text(item.get("status")), _text(item.get("reason"))) if p)
        reason = clean_text(said)[:MAX_REASON] or status
    organisation = _text(item.get("organisation"))
    if organisation and not organisation.isdigit():
        return None  # not a message of this register
    return DeliveryEvent(incident_id.upper(), int(key.group(1)), status, reason, kind,
                         int(organisation) if organisation else None)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def raises(current: str, new: str, claimed: bool = False) -> bool:
    """Whether an event saying `new` moves a person who is `current`: only up RANK, and never someone the
    service did not take the message for (unreachable, pending). A pending person of a `claimed` batch is the
    exception: the dispatcher sent the request and has not yet marked its people sent, and the event may
    come first."""
    if current == "pending":
        return claimed
    return current in RANK and RANK[new] > RANK[current]


def weaker_than(status: str) -> list[str]:
    """The statuses an event saying `status` may replace."""
    return [s for s, rank in RANK.items() if rank < RANK[status]]


def strongest(events: Iterable[DeliveryEvent]) -> dict[tuple[str, int, str], DeliveryEvent]:
    """Per (incident, person, message) the event with the strongest status (the first of equals)."""
    best: dict[tuple[str, int, str], DeliveryEvent] = {}
    for event in events:
        key = (event.incident_id, event.subject_id, event.kind)
        if key not in best or RANK[event.status] > RANK[best[key].status]:
            best[key] = event
    return best
