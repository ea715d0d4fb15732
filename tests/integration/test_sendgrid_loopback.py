"""The SendGrid backend with the real client over real sockets on 127.0.0.1:

(a) against the project's fake (tests/support/fake_sendgrid.py): retries, refusals, batching;
(b) against Prism serving SendGrid's own OpenAPI description: the request we build is one SendGrid accepts.
"""

from __future__ import annotations

import time

import pytest
from python_http_client.exceptions import BadRequestsError
from sendgrid import SendGridAPIClient

from incidents.errors import DispatchFailed
from incidents.notify.email import Address, Message, Recipient
from incidents.notify.sendgrid_backend import SendGridBackend, SendGridDispatchFailed
from tests.integration.conftest_sendgrid import fake_sendgrid, prism_url  # noqa: F401
from tests.support.fake_sendgrid import (
    FakeSendGrid,
    accepted,
    bad_request,
    drop,
    hang,
    rate_limited,
    server_error,
)

KEY = "SG.loopback-test-key.0123456789abcdefghijklmnopqrstuvwxyz"


def message(**changes) -> Message:
    values = {
        "sender": Address("privacy@voorbeeld.nl", "Privacy Voorbeeld BV"),
        "subject": "Datalek bij Voorbeeld BV: wat er met uw gegevens is gebeurd, -name-",
        "text": "Beste -name-,\n\nOp 24 november 2026 is er een datalek geweest.",
        "html": "<p>Beste -name_html-,</p><p>Op 24 november 2026 is er een datalek geweest.</p>",
        "kind": "subject_notice",
        "incident_id": "DL-2026-0001",
        "reply_to": Address("fg@voorbeeld.nl", "Functionaris gegevensbescherming"),
        "custom_args": {"language": "nl"},
    }
    values.update(changes)
    return Message(**values)


def people(n: int) -> list[Recipient]:
    names = ["An de Vries", "Zoë <Müller> & Zn", "Jan 'Jantje' O'Brien", "Fatima \"Tima\" El Amrani"]
    return [
        Recipient(f"subject-{i}", Address(f"person{i}@voorbeeld.nl", names[i % len(names)]),
                  {"name": names[i % len(names)]})
        for i in range(n)
    ]


# -- (a) the fake -------------------------------------------------------------------------------------------


def backend_for(fake: FakeSendGrid, waits: list[float], **options) -> SendGridBackend:
    # Room for a request of 1 000 people on a busy 2-core CI machine; the tests of timeouts set their own.
    options.setdefault("timeout", 10)
    return SendGridBackend(api_key=KEY, host=fake.url, sleep=waits.append, **options)


def test_retries_429_500_timeout_and_a_dropped_connection_then_succeeds(fake_sendgrid):  # noqa: F811
    reset = int(time.time()) + 3
    fake_sendgrid.script(rate_limited(reset=reset), server_error(500), hang(5), drop(), accepted())
    waits: list[float] = []
    backend = backend_for(fake_sendgrid, waits, timeout=0.5)  # shorter than the hang
    recipients = people(3)

    sent = backend.send(message(), recipients)

    assert sent.accepted == [r.key for r in recipients] and sent.location == fake_sendgrid.url
    assert [r.answer for r in fake_sendgrid.requests] == ["429", "500", "202 after 5s", "drop", "202"]
    assert 1.0 <= waits[0] <= 3.0  # until X-RateLimit-Reset, measured against the real clock
    assert waits[1:] == [2.0, 4.0, 8.0]  # exponential backoff for the others
    bodies = [r.body for r in fake_sendgrid.requests]
    assert all(b == bodies[0] for b in bodies)  # every attempt sends the same batch


def test_the_timeout_is_the_clients_not_the_servers(fake_sendgrid):  # noqa: F811
    fake_sendgrid.script(hang(5))
    waits: list[float] = []
    started = time.monotonic()
    backend_for(fake_sendgrid, waits, timeout=0.3).send(message(), people(1))
    assert time.monotonic() - started < 3  # gave up on the hanging request after ~0.3 s, retried
    assert len(fake_sendgrid.requests) == 2


def test_gives_up_after_max_attempts(fake_sendgrid):  # noqa: F811
    fake_sendgrid.script(*[server_error(503)] * 3)
    waits: list[float] = []
    with pytest.raises(DispatchFailed, match=r"after 3 attempt\(s\): last answer HTTP 503"):
        backend_for(fake_sendgrid, waits, max_attempts=3).send(message(), people(1))
    assert len(fake_sendgrid.requests) == 3 and waits == [1.0, 2.0]


def test_a_400_is_dispatch_failed_with_sendgrids_message_and_is_not_retried(fake_sendgrid):  # noqa: F811
    fake_sendgrid.script(bad_request("The from address does not match a verified Sender Identity.", "from"))
    waits: list[float] = []

    with pytest.raises(DispatchFailed) as caught:
        backend_for(fake_sendgrid, waits).send(message(), people(2))

    text = str(caught.value)
    assert "HTTP 400" in text and "does not match a verified Sender Identity" in text and "field from" in text
    assert KEY not in text
    assert len(fake_sendgrid.requests) == 1 and waits == []


def test_records_show_1000_personalization_batches(fake_sendgrid):  # noqa: F811
    waits: list[float] = []
    recipients = people(2500)

    sent = backend_for(fake_sendgrid, waits).send(message(), recipients)

    assert fake_sendgrid.personalization_counts() == [1000, 1000, 500]
    assert len(sent.accepted) == 2500 and len(set(sent.accepted)) == 2500
    for number, record in enumerate(fake_sendgrid.requests, start=1):
        assert record.method == "POST" and record.path == "/v3/mail/send"
        assert record.headers["Authorization"] == f"Bearer {KEY}"
        assert record.headers["Content-Type"] == "application/json; charset=utf-8"
        assert record.headers["User-Agent"].startswith("sendgrid/")
        personalizations = record.body["personalizations"]
        assert all(len(p["to"]) == 1 for p in personalizations)
        batch = f"DL-2026-0001:subject_notice:{number}"
        assert {p["custom_args"]["batch"] for p in personalizations} == {batch}
    sent_to = [p["to"][0]["email"] for r in fake_sendgrid.requests for p in r.body["personalizations"]]
    assert sent_to == [r.address.email for r in recipients]


def test_a_later_batch_refused_reports_who_was_already_accepted(fake_sendgrid):  # noqa: F811
    fake_sendgrid.script(accepted(), bad_request("Bad Request", None))
    waits: list[float] = []
    recipients = people(1500)

    with pytest.raises(SendGridDispatchFailed) as caught:
        backend_for(fake_sendgrid, waits).send(message(), recipients)

    assert caught.value.accepted == [r.key for r in recipients[:1000]]
    assert "batch 2 of 2" in str(caught.value)


def test_nothing_listening_is_a_connection_error_after_retries():
    with FakeSendGrid() as fake:
        url = fake.url  # a port that was just free, now closed again
    waits: list[float] = []
    backend = SendGridBackend(api_key=KEY, host=url, max_attempts=2, sleep=waits.append, timeout=1)
    with pytest.raises(DispatchFailed, match="could not be reached .* the connection was refused"):
        backend.send(message(), people(1))
    assert waits == [1.0]


# -- (b) Prism: SendGrid's own OpenAPI description ----------------------------------------------------------


def built_request(host: str) -> dict:
    """The body the backend builds for one recipient, for the raw client to post (and to spoil)."""
    return SendGridBackend(api_key="SG.test", host=host).payload(message(), people(1), "DL-2026-0001:x:1")


@pytest.mark.prism
@pytest.mark.parametrize("sandbox", [True, False], ids=["sandbox", "live"])
def test_prism_accepts_the_request_we_build(prism_url, sandbox):  # noqa: F811
    backend = SendGridBackend(api_key="SG.test", host=prism_url, sandbox=sandbox, max_attempts=1)
    recipients = people(5) + [Recipient("team-0", Address("an@voorbeeld.nl"))]  # one without name or fields

    sent = backend.send(message(), recipients)

    assert sent.accepted == [r.key for r in recipients]


@pytest.mark.prism
def test_prism_accepts_a_text_only_message_without_reply_to(prism_url):  # noqa: F811
    backend = SendGridBackend(api_key="SG.test", host=prism_url, max_attempts=1)
    sent = backend.send(message(html=None, reply_to=None, custom_args={}), people(2))
    assert len(sent.accepted) == 2


@pytest.mark.prism
def test_prism_accepts_full_batches(prism_url):  # noqa: F811
    backend = SendGridBackend(api_key="SG.test", host=prism_url, max_attempts=1)
    sent = backend.send(message(), people(1001))  # 1000 + 1: the spec's maxItems is 1000
    assert len(sent.accepted) == 1001


@pytest.mark.prism
def test_prism_refuses_an_invalid_request_from_the_raw_client(prism_url):  # noqa: F811
    client = SendGridAPIClient(api_key="SG.test", host=prism_url)
    valid = built_request(prism_url)
    assert client.client.mail.send.post(request_body=valid).status_code == 202

    too_many = dict(valid, personalizations=valid["personalizations"] * 1001)
    without_to = dict(valid, personalizations=[{"substitutions": {"-name-": "An"}}])
    for body in (too_many, without_to):
        with pytest.raises(BadRequestsError) as caught:
            client.client.mail.send.post(request_body=body)
        assert caught.value.status_code == 400
        assert "sl-violations" in caught.value.headers


@pytest.mark.prism
def test_prism_documents_the_spec_quirks_we_work_around(prism_url):  # noqa: F811
    client = SendGridAPIClient(api_key="SG.test", host=prism_url)
    valid = built_request(prism_url)

    # The spec types the message-level custom_args as a string (SendGrid takes an object): hence per person.
    with pytest.raises(BadRequestsError) as caught:
        client.client.mail.send.post(request_body=dict(valid, custom_args={"incident_id": "DL-2026-0001"}))
    assert "custom_args must be string" in caught.value.headers["sl-violations"]

    # The spec sets no minItems on personalizations: Prism lets an empty list through (SendGrid would not),
    # which is why the backend never sends a request without recipients.
    assert client.client.mail.send.post(request_body=dict(valid, personalizations=[])).status_code == 202


@pytest.mark.prism
def test_prism_refusal_reaches_the_user_as_dispatch_failed_naming_the_rule(prism_url):  # noqa: F811
    backend = SendGridBackend(api_key="SG.test", host=prism_url, max_attempts=1)
    with pytest.raises(DispatchFailed) as caught:
        backend.send(message(sender=Address("not-an-address")), people(1))
    text = str(caught.value)
    assert "HTTP 400" in text and "from.email must match format" in text
