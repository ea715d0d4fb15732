"""The SendGrid backend at the seam: python_http_client's `Client._make_request` (the one call that opens a
socket, which the library keeps separate "so we can mock it easily") is replaced, so the real client still
builds the URL, the headers and the JSON body we assert on."""

from __future__ import annotations

import http.client
import json
import logging
import pickle
import urllib.error
from collections import deque
from dataclasses import dataclass
from email.message import Message as HeaderMessage
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_http_client import exceptions as http_errors

from incidents.errors import ConfigurationError, DispatchFailed
from incidents.notify.email import Address, Message, Recipient
from incidents.notify.sendgrid_backend import (
    SendGridBackend,
    SendGridDispatchFailed,
    backend_from_settings,
)

KEY = "SG.unit-test-key.abcdefghijklmnopqrstuvwxyz0123456789"
HOST = "http://sendgrid.invalid"
NOW = 1_900_000_000.0  # the injected clock


# -- the wire -----------------------------------------------------------------------------------------------


def _headers(values: dict[str, str] | None = None) -> HeaderMessage:
    headers = HeaderMessage()  # what urllib hands the client: case-insensitive
    for name, value in (values or {}).items():
        headers[name] = value
    return headers


class _Response:
    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, _headers(headers)

    def getcode(self) -> int:
        return self.status

    def read(self) -> bytes:
        return self.body

    def info(self) -> HeaderMessage:
        return self.headers


def error(status: int, message: str = "error", field: str | None = None,
          headers: dict[str, str] | None = None, body: bytes | None = None) -> http_errors.HTTPError:
    """The exception the client raises for an HTTP error (it maps the status to a class)."""
    if body is None:
        body = json.dumps({"errors": [{"message": message, "field": field, "help": None}]}).encode()
    cls = http_errors.err_dict.get(status, http_errors.HTTPError)
    return cls(status, "reason", body, _headers(headers))


@dataclass
class Call:
    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    timeout: float | None


class Wire:
    """Replays scripted answers (a status, an exception, or a _Response); 202 when the script is empty."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.script: deque[Any] = deque()

    def answer(self, *answers: Any) -> None:
        self.script.extend(answers)

    def __call__(self, opener: Any, request: Any, timeout: float | None = None) -> _Response:
        body = json.loads(request.data)
        self.calls.append(Call(request.full_url, dict(request.header_items()), body, timeout))
        answer = self.script.popleft() if self.script else 202
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, int):
            return _Response(answer)
        return answer

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [c.body for c in self.calls]


@pytest.fixture
def wire(mocker) -> Wire:
    fake = Wire()
    mocker.patch("python_http_client.client.Client._make_request", side_effect=fake)
    return fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def backend(sleeps) -> SendGridBackend:
    return SendGridBackend(api_key=KEY, host=HOST, sleep=sleeps.append, clock=lambda: NOW)


# -- messages -----------------------------------------------------------------------------------------------


def message(**changes: Any) -> Message:
    values: dict[str, Any] = {
        "sender": Address("privacy@example.nl", "Privacy Voorbeeld BV"),
        "subject": "Datalek bij Voorbeeld BV, -name-",
        "text": "Beste -name-,\n\nwe melden u een datalek.",
        "html": "<p>Beste -name_html-,</p><p>we melden u een datalek.</p>",
        "kind": "subject_notice",
        "incident_id": "DL-2026-0001",
        "reply_to": Address("dpo@example.nl", "FG"),
        "custom_args": {"language": "nl"},
    }
    values.update(changes)
    return Message(**values)


def people(n: int, start: int = 0) -> list[Recipient]:
    return [
        Recipient(f"subject-{i}", Address(f"person{i}@example.com", f"Person {i}"), {"name": f"Person {i}"})
        for i in range(start, start + n)
    ]


# -- the request body ---------------------------------------------------------------------------------------


def test_2500_recipients_go_out_in_three_requests_of_1000_1000_500(backend, wire):
    recipients = people(2500)

    sent = backend.send(message(), recipients)

    assert [len(b["personalizations"]) for b in wire.bodies] == [1000, 1000, 500]
    assert sent.accepted == [r.key for r in recipients]
    assert sent.location == HOST
    assert all(c.url == f"{HOST}/v3/mail/send" for c in wire.calls)
    batches = [{p["custom_args"]["batch"] for p in b["personalizations"]} for b in wire.bodies]
    assert batches == [{"DL-2026-0001:subject_notice:1"}, {"DL-2026-0001:subject_notice:2"},
                       {"DL-2026-0001:subject_notice:3"}]


def test_batch_size_is_configurable_and_capped_at_sendgrids_limit(sleeps, wire):
    small = SendGridBackend(api_key=KEY, host=HOST, batch_size=2, sleep=sleeps.append)
    small.send(message(), people(5))
    assert [len(b["personalizations"]) for b in wire.bodies] == [2, 2, 1]
    with pytest.raises(ValueError, match="batch_size"):
        SendGridBackend(api_key=KEY, batch_size=1001)


def test_batch_keys_are_deterministic(backend, wire):
    backend.send(message(), people(3))
    backend.send(message(), people(3))
    first, second = wire.bodies
    assert first["personalizations"][0]["custom_args"] == second["personalizations"][0]["custom_args"]


def test_each_personalization_is_one_recipient_with_only_their_address(backend, wire):
    recipients = people(7)
    backend.send(message(), recipients)

    (body,) = wire.bodies
    assert len(body["personalizations"]) == 7
    for personalization, recipient in zip(body["personalizations"], recipients, strict=True):
        assert personalization["to"] == [{"email": recipient.address.email, "name": recipient.address.name}]
        assert set(personalization) <= {"to", "substitutions", "custom_args"}  # no cc, no bcc
        others = json.dumps(personalization)
        assert all(o.address.email not in others for o in recipients if o is not recipient)


def test_an_address_without_a_name_is_sent_without_one(backend, wire):
    backend.send(message(reply_to=None), [Recipient("team-0", Address("an@example.com"))])
    (body,) = wire.bodies
    assert body["personalizations"][0] == {"to": [{"email": "an@example.com"}],
                                           "custom_args": body["personalizations"][0]["custom_args"]}
    assert "reply_to" not in body


def test_substitutions_are_per_person_and_escaped_for_the_html_token(backend, wire):
    tricky = Recipient("subject-9", Address("z@example.com"), {"name": 'Zoë <b>"&" O\'Brien'})
    backend.send(message(), [tricky])

    (body,) = wire.bodies
    assert body["personalizations"][0]["substitutions"] == {
        "-name-": 'Zoë <b>"&" O\'Brien',
        "-name_html-": "Zoë &lt;b&gt;&quot;&amp;&quot; O&#x27;Brien",
    }
    assert body["subject"] == "Datalek bij Voorbeeld BV, -name-"  # SendGrid substitutes, not us


def test_custom_args_tie_every_personalization_to_the_incident(backend, wire):
    recipients = people(3)
    backend.send(message(custom_args={"language": "nl", "version": 2}), recipients)

    (body,) = wire.bodies
    expected = {"incident_id": "DL-2026-0001", "kind": "subject_notice",
                "batch": "DL-2026-0001:subject_notice:1", "language": "nl", "version": "2"}
    # each personalization names its person by the register's key, so a delivery event finds its row
    assert [p["custom_args"] for p in body["personalizations"]] == [{**expected, "recipient": r.key}
                                                                     for r in recipients]
    # SendGrid's OpenAPI types the message-level custom_args as a string: we never send it there.
    assert "custom_args" not in body


def test_our_custom_args_win_over_a_message_that_reuses_their_names(backend, wire):
    backend.send(message(custom_args={"batch": "mine", "kind": "other"}), people(1))
    args = wire.bodies[0]["personalizations"][0]["custom_args"]
    assert args["batch"] == "DL-2026-0001:subject_notice:1" and args["kind"] == "subject_notice"


def test_sender_subject_reply_to_and_content_text_first(backend, wire):
    backend.send(message(), people(1))

    (body,) = wire.bodies
    assert body["from"] == {"email": "privacy@example.nl", "name": "Privacy Voorbeeld BV"}
    assert body["reply_to"] == {"email": "dpo@example.nl", "name": "FG"}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["content"][1]["value"].startswith("<p>Beste -name_html-")


def test_a_text_only_message_has_one_content_part(backend, wire):
    backend.send(message(html=None), people(1))
    assert wire.bodies[0]["content"] == [{"type": "text/plain", "value": message().text}]


def test_sandbox_switch(sleeps, wire):
    SendGridBackend(api_key=KEY, host=HOST, sandbox=True, sleep=sleeps.append).send(message(), people(1))
    SendGridBackend(api_key=KEY, host=HOST, sandbox=False, sleep=sleeps.append).send(message(), people(1))

    on, off = wire.bodies
    assert on["mail_settings"] == {"sandbox_mode": {"enable": True}}
    assert "mail_settings" not in off


def test_the_key_travels_only_in_the_authorization_header(backend, wire):
    backend.send(message(), people(2))
    (call,) = wire.calls
    assert call.headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in json.dumps(call.body)
    assert call.timeout == 30


def test_no_recipients_no_request(backend, wire):
    sent = backend.send(message(), [])
    assert sent.accepted == [] and wire.calls == []


# -- refusals -----------------------------------------------------------------------------------------------


def test_a_400_raises_dispatch_failed_with_sendgrids_message_field_and_status(backend, wire, sleeps):
    wire.answer(error(400, "The from address does not match a verified Sender Identity.", "from"))

    with pytest.raises(DispatchFailed) as caught:
        backend.send(message(), people(3))

    text = str(caught.value)
    assert "HTTP 400" in text
    assert "The from address does not match a verified Sender Identity" in text
    assert "field from" in text
    assert caught.value.status == 400 and caught.value.accepted == [] and not caught.value.retryable
    assert len(wire.calls) == 1 and sleeps == []  # a refusal is not retried


def test_a_refused_personalization_is_named_by_the_recipients_key_not_their_address(backend, wire):
    wire.answer(error(400, "Does not contain a valid address.", "personalizations.1.to.0.email"))

    with pytest.raises(DispatchFailed) as caught:
        backend.send(message(), people(3))

    text = str(caught.value)
    assert "personalizations.1.to.0.email" in text and "recipient subject-1" in text
    assert "person1@example.com" not in text


def test_addresses_sendgrid_echoes_are_not_copied_into_the_error(backend, wire):
    echoed = "Invalid email: person2@example.com is not allowed"
    wire.answer(error(400, echoed, "personalizations.2.to.0.email"))
    with pytest.raises(DispatchFailed) as caught:
        backend.send(message(), people(3))
    assert "person2@example.com" not in str(caught.value) and "<address>" in str(caught.value)


@pytest.mark.parametrize("status, hint", [(401, "BREACH_SENDGRID_API_KEY"), (403, "Mail Send permission"),
                                          (413, "fewer recipients")])
def test_auth_and_size_refusals_say_what_to_do(backend, wire, status, hint):
    wire.answer(error(status, "permission denied, wrong credentials"))
    with pytest.raises(DispatchFailed, match=hint) as caught:
        backend.send(message(), people(1))
    assert f"HTTP {status}" in str(caught.value)


def test_an_unparseable_error_body_is_quoted_shortly(backend, wire):
    wire.answer(error(400, body=b"<html>bad gateway config " + b"x" * 2000 + b"</html>"))
    with pytest.raises(DispatchFailed) as caught:
        backend.send(message(), people(1))
    assert "<html>bad gateway config" in str(caught.value)
    assert len(str(caught.value)) < 1000


def test_a_later_batch_failing_keeps_the_keys_of_the_batches_sendgrid_accepted(sleeps, wire):
    backend = SendGridBackend(api_key=KEY, host=HOST, batch_size=1000, sleep=sleeps.append)
    wire.answer(202, error(400, "Bad Request"))
    recipients = people(2500)

    with pytest.raises(SendGridDispatchFailed) as caught:
        backend.send(message(), recipients)

    assert caught.value.accepted == [r.key for r in recipients[:1000]]
    assert caught.value.batch == 2
    assert "batch 2 of 3" in str(caught.value) and "1000 recipients in earlier batches" in str(caught.value)
    assert len(wire.calls) == 2  # the third batch is not attempted


def test_the_exception_survives_pickling_with_its_accepted_keys():
    exc = SendGridDispatchFailed("refused", accepted=["subject-1"], status=400, batch=2)
    copy = pickle.loads(pickle.dumps(exc))
    assert isinstance(copy, DispatchFailed)
    assert (str(copy), copy.accepted, copy.status, copy.batch) == ("refused", ["subject-1"], 400, 2)


# -- retries ------------------------------------------------------------------------------------------------


def test_429_waits_until_x_ratelimit_reset_then_backs_off(backend, wire, sleeps):
    wire.answer(
        error(429, "too many requests", headers={"X-RateLimit-Reset": str(int(NOW) + 7)}),
        error(429, "too many requests"),  # no header: exponential backoff, attempt 2 -> 2 s
        error(429, "too many requests", headers={"x-ratelimit-reset": str(int(NOW) - 30)}),  # in the past
        202,
    )

    sent = backend.send(message(), people(2))

    assert sleeps == [7.0, 2.0, 1.0]
    assert len(wire.calls) == 4 and len(sent.accepted) == 2


def test_a_far_reset_is_capped(backend, wire, sleeps):
    wire.answer(error(429, headers={"X-RateLimit-Reset": str(int(NOW) + 86_400)}), 202)
    backend.send(message(), people(1))
    assert sleeps == [120.0]


def test_5xx_is_retried_with_exponential_backoff_then_given_up(backend, wire, sleeps):
    wire.answer(*[error(500, "internal error")] * 2, error(503), error(502), error(504))

    with pytest.raises(DispatchFailed) as caught:
        backend.send(message(), people(1))

    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    assert len(wire.calls) == 5
    assert "after 5 attempt(s)" in str(caught.value) and "HTTP 504" in str(caught.value)
    assert caught.value.retryable


def test_connection_errors_and_timeouts_are_retried(backend, wire, sleeps):
    wire.answer(
        urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
        TimeoutError("timed out"),
        http.client.RemoteDisconnected("Remote end closed connection without response"),
        ConnectionResetError(104, "reset"),
        202,
    )
    sent = backend.send(message(), people(1))
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    assert sent.accepted == ["subject-0"]


def test_an_unreachable_service_fails_after_max_attempts(sleeps, wire):
    backend = SendGridBackend(api_key=KEY, host=HOST, max_attempts=3, sleep=sleeps.append)
    wire.answer(*[TimeoutError("timed out")] * 3)
    with pytest.raises(DispatchFailed, match="could not be reached .* after 3 attempt.*timed out") as caught:
        backend.send(message(), people(1))
    assert caught.value.status is None and sleeps == [1.0, 2.0]


def test_a_retry_resends_the_same_body(backend, wire):
    wire.answer(error(500), 202)
    backend.send(message(), people(3))
    first, second = wire.bodies
    assert first == second


# -- secrets and personal data ------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [
    error(400, f"API key {KEY} is malformed", "Authorization"),
    error(401, "The provided authorization grant is invalid, expired, or revoked", headers={"X-Key": KEY}),
    error(500, f"upstream said Bearer {KEY}"),
    urllib.error.URLError(OSError(f"proxy refused Bearer {KEY}")),
])
def test_the_key_never_appears_in_the_exception(sleeps, wire, answer):
    backend = SendGridBackend(api_key=KEY, host=HOST, max_attempts=1, sleep=sleeps.append)
    wire.answer(answer)
    with pytest.raises(DispatchFailed) as caught:
        backend.send(message(), people(1))
    exc = caught.value
    assert KEY not in str(exc) and KEY not in repr(exc)
    assert exc.__cause__ is None and exc.__suppress_context__  # no chained client error in tracebacks
    assert KEY not in repr(backend)


def test_nothing_logged_carries_the_key_or_personal_data(backend, wire, caplog):
    caplog.set_level(logging.DEBUG)
    wire.answer(error(429, headers={"X-RateLimit-Reset": str(int(NOW) + 1)}), error(500), 202)

    backend.send(message(), people(3))

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "retrying" in logged and "accepted" in logged  # we do log, just not that
    assert KEY not in logged
    assert "@example.com" not in logged and "Person 1" not in logged


# -- configuration ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   "])
def test_a_missing_key_is_a_configuration_error(key):
    with pytest.raises(ConfigurationError, match="set BREACH_SENDGRID_API_KEY"):
        backend_from_settings(key, None, False)


def test_the_constructor_refuses_an_empty_key_rather_than_reading_sendgrid_api_key(monkeypatch):
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.from-the-environment")  # the client would silently use it
    with pytest.raises(ConfigurationError):
        SendGridBackend(api_key="")


def test_backend_from_settings(wire):
    backend = backend_from_settings(f"  {KEY} ", "http://127.0.0.1:4010/", True)
    assert backend.name == "sendgrid" and backend.sandbox and backend.location == "http://127.0.0.1:4010"
    backend.send(message(), people(1))
    assert wire.calls[0].headers["Authorization"] == f"Bearer {KEY}"
    assert backend_from_settings(KEY, None, False).location == "https://api.sendgrid.com"


def test_location_hides_credentials_in_the_host_url():
    backend = SendGridBackend(api_key=KEY, host="https://user:secret@relay.example.net:8443")
    assert backend.location == "https://relay.example.net:8443"


# -- the body as it is written -------------------------------------------------------------------------------


_text = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(people=st.lists(st.tuples(_text, _text, st.booleans()), min_size=1, max_size=5),
       subject=_text, sandbox=st.booleans(), extra=st.dictionaries(st.sampled_from(["campaign", "x"]), _text))
def test_the_body_sent_is_exactly_the_payload_for_any_text(people, subject, sandbox, extra):
    """Names with quotes, backslashes, control characters, emoji or template syntax: the JSON text written
    in one pass parses back to the same structure as the plain-dict payload."""
    message = Message(sender=Address("info@qoers.nl", 'Qoers "B.V."'), subject=subject or "s", text="Beste -name-,",
                      html="<p>Beste -name_html-,</p>", kind="subject_notice", incident_id="DL-2026-0001",
                      reply_to=Address("privacy@qoers.nl", "Privacy"), custom_args=extra)
    recipients = [Recipient(f"subject-{i}", Address(f"p{i}@example.com", name), {"name": value} if has else {})
                  for i, (name, value, has) in enumerate(people)]
    backend = SendGridBackend(api_key=KEY, host=HOST, sandbox=sandbox)
    body = backend.body(message, recipients, "DL-2026-0001:subject_notice:1")
    assert json.loads(body) == backend.payload(message, recipients, "DL-2026-0001:subject_notice:1")
    assert body.isascii()


def test_the_body_goes_out_as_json_text_once_encoded(backend, wire):
    backend.send(message(), [Recipient("subject-1", Address("an@example.com", "An"), {"name": "An"})])
    call = wire.calls[0]
    assert call.headers["Content-type"] == "application/json; charset=utf-8"
    assert call.body["personalizations"][0]["to"] == [{"email": "an@example.com", "name": "An"}]
    assert call.body["personalizations"][0]["substitutions"] == {"-name-": "An", "-name_html-": "An"}


def test_the_recipients_of_a_batch_are_the_same_tuples_as_made_one_by_one():
    from incidents.notify.email import named_recipients

    made = named_recipients([(7, "An de Vries", "an@example.com"), (9, "", "b@example.com")], "subject", "klant")
    assert made == [Recipient("subject-7", Address("an@example.com", "An de Vries"), {"name": "An de Vries"}),
                    Recipient("subject-9", Address("b@example.com", ""), {"name": "klant"})]
    assert [type(r) for r in made] == [Recipient] * 2 and made[1].address.email == "b@example.com"
    assert made[0].substitutions() == {"-name-": "An de Vries", "-name_html-": "An de Vries"}
