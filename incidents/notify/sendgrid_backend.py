"""The `sendgrid` e-mail backend: SendGrid's v3 Mail Send API through the official `sendgrid` client.

One request carries up to 1 000 personalizations; each personalization is one recipient (one `to` address,
so nobody sees another's address) with that person's substitutions. The request body is built from plain
dicts: the client's helper classes cost about 10 µs a person and add nothing we need.

Where the custom arguments go: SendGrid accepts `custom_args` both on the message and on each
personalization (a personalization's values win, and events carry the merged set). SendGrid's own OpenAPI
description types the message-level `custom_args` as a *string*, so a spec-validating mock (Prism) refuses
the object SendGrid expects there; the personalization-level one is an object in both. We therefore put the
custom arguments on every personalization: valid for the spec and for SendGrid, same webhook events. Each
personalization also carries `recipient`, the register's key of that person (`subject-<id>`, `team-<n>`: no
personal data), so that a delivery event (incidents.webhooks) finds the person it is about.

Retries: 429, 5xx, connection errors and timeouts are retried with exponential backoff (1, 2, 4 … s, at most
60 s); a 429 with `X-RateLimit-Reset` (epoch seconds) waits until then instead (1 s to 120 s). Any other 4xx
is final. A retried timeout can deliver a batch twice (SendGrid has no idempotency key): a duplicate notice
is the lesser evil next to a missing one.

Nothing here logs or raises with the API key or personal data: exception texts are stored in the register.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from incidents.errors import ConfigurationError, DispatchFailed
from incidents.notify.email import (
    HTML_TOKENS,
    TEXT_TOKENS,
    Address,
    Message,
    Recipient,
    Sent,
    batched,
    escape_html,
    substitutions,
)
from incidents.said import Said

log = logging.getLogger(__name__)

DEFAULT_HOST = "https://api.sendgrid.com"
MAX_PERSONALIZATIONS = 1000  # SendGrid's limit per request (and the spec's maxItems)
JSON_TEXT = {"Content-Type": "application/json; charset=utf-8"}  # see _post
BACKOFF_BASE = 1.0  # seconds before the first retry; doubles per attempt
BACKOFF_MAX = 60.0
RESET_MIN = 1.0  # X-RateLimit-Reset is whole epoch seconds: never hammer on rounding or clock skew
RESET_MAX = 120.0  # a reset further away (a daily quota) is not worth blocking the flow for
_DETAIL_MAX = 500  # characters of an unparseable error body kept in the message

_EMAIL = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
# Every request turns the account's tracking off: without `tracking_settings` a message inherits the account's
# click and open tracking, and a tracking pixel or rewritten links in a breach notice need consent
# (Telecommunicatiewet art. 11.7a) and make it look like marketing or phishing.
NO_TRACKING: dict[str, dict[str, bool]] = {
    "click_tracking": {"enable": False, "enable_text": False},
    "open_tracking": {"enable": False},
    "subscription_tracking": {"enable": False},
    "ganalytics": {"enable": False},
}
_PERSONALIZATION_FIELD = re.compile(r"^personalizations\.(\d+)\b")
# The substitution tokens of a person's name as JSON keys, "-name-": and "-name_html-": (see body)
_NAME_TEXT = encode_basestring_ascii(TEXT_TOKENS["name"]) + ":"
_NAME_HTML = encode_basestring_ascii(HTML_TOKENS["name"]) + ":"


class _OnlyRequestLines(logging.Filter):
    """python_http_client logs, at DEBUG, the request headers (`Authorization: Bearer <key>`), the payload
    (every address and name) and error bodies. Keep only its "POST Request: <url>" lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a record we cannot read is a record we do not pass on
            return False
        return re.match(r"^[A-Z]+ Request: ", text) is not None


def _install_log_filter() -> None:
    logger = logging.getLogger("python_http_client.client")
    if not any(isinstance(f, _OnlyRequestLines) for f in logger.filters):
        logger.addFilter(_OnlyRequestLines())


_install_log_filter()


class SendGridDispatchFailed(DispatchFailed):
    """SendGrid did not take a batch. `accepted` lists the recipient keys of the batches it did take before,
    so the caller can record who already got the message; `status` is the last HTTP status (None for a
    connection error or timeout), `batch` the 1-based number of the failing batch."""

    def __init__(self, text: Said | str, *, accepted: Sequence[str] = (), status: int | None = None,
                 batch: int | None = None, retryable: bool = False):
        super().__init__(text)
        self.accepted = list(accepted)
        self.status = status
        self.batch = batch
        self.retryable = retryable  # True when the service was unavailable, not refusing the request

    def __reduce__(self):  # survives pickling (Prefect keeps task exceptions) with its attributes
        return (_rebuild, (self.args[0], self.accepted, self.status, self.batch, self.retryable))


def _rebuild(text, accepted, status, batch, retryable):
    return SendGridDispatchFailed(text, accepted=accepted, status=status, batch=batch, retryable=retryable)


class SendGridBackend:
    """Hands a message to SendGrid, up to `batch_size` recipients a request, one personalization each."""

    name = "sendgrid"

    def __init__(self, api_key: str, host: str | None = None, sandbox: bool = False, batch_size: int = 1000,
                 max_attempts: int = 5, sleep: Callable[[float], Any] = time.sleep, timeout: float = 30,
                 clock: Callable[[], float] = time.time):
        if not api_key:
            raise ConfigurationError(Said("sendgrid_backend.missing_key"))
        if not 1 <= batch_size <= MAX_PERSONALIZATIONS:
            raise ValueError(f"batch_size must be between 1 and {MAX_PERSONALIZATIONS}, not {batch_size}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        if timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout}")
        self.host = (host or DEFAULT_HOST).rstrip("/")
        self.sandbox = sandbox
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._secrets = tuple(s for s in (api_key, api_key.strip()) if s)
        self._client = SendGridAPIClient(api_key=api_key, host=self.host)
        self.location = _without_credentials(self.host)

    def __repr__(self) -> str:  # never the key
        return (f"SendGridBackend(host={self.location!r}, sandbox={self.sandbox}, "
                f"batch_size={self.batch_size})")

    # -- the EmailBackend protocol ---------------------------------------------------------------------------

    def send(self, message: Message, recipients: Sequence[Recipient]) -> Sent:
        recipients = list(recipients)
        total = math.ceil(len(recipients) / self.batch_size)
        accepted: list[str] = []
        message_ids: list[str] = []
        for number, chunk in enumerate(batched(recipients, self.batch_size), start=1):
            body = self.body(message, chunk, batch_key(message, number))
            try:
                status, attempts, message_id = self._post(body)
            except _Refused as refused:
                raise SendGridDispatchFailed(
                    self._describe(refused, message, chunk, number, total, accepted),
                    accepted=accepted, status=refused.status, batch=number, retryable=refused.retryable,
                ) from None
            accepted.extend(r.key for r in chunk)
            if message_id:
                message_ids.append(message_id)
            log.info("sendgrid: %s %s batch %d/%d accepted: %d recipients, HTTP %d, %d attempt(s)",
                     message.incident_id, message.kind, number, total, len(chunk), status, attempts)
        return Sent(accepted=accepted, location=self.location, message_ids=message_ids)

    # -- the request body ------------------------------------------------------------------------------------

    def payload(self, message: Message, recipients: Sequence[Recipient], batch: str) -> dict[str, Any]:
        """The body of one request as plain dicts, in the shape of SendGrid's OpenAPI description."""
        custom_args, body = self._envelope(message, batch)
        personalizations = []
        for key, (email, name), fields in recipients:
            personalization: dict[str, Any] = {"to": [{"email": email, "name": name} if name else {"email": email}]}
            if fields:
                personalization["substitutions"] = substitutions(fields)
            personalization["custom_args"] = {**custom_args, "recipient": key}
            personalizations.append(personalization)
        return {"personalizations": personalizations, **body}

    def body(self, message: Message, recipients: Sequence[Recipient], batch: str) -> str:
        """payload() as the JSON text that is sent, written in one pass.

        The part every person shares (the content, the sender, the batch's custom_args) is encoded once a
        request; per person only the address, the substitutions and the recipient key are, each string by the
        json module's own C encoder. Building and then encoding a dict per person took twice as long, and this
        loop runs once for each person notified. tests/unit/test_sendgrid_backend.py holds it to json.loads(
        body) == payload() for arbitrary text.
        """
        custom_args, rest = self._envelope(message, batch)
        shared = json.dumps(custom_args)[:-1] + ',"recipient":'  # '{"incident_id": ..., "batch": ...,'
        q = encode_basestring_ascii
        people = []
        for key, (email, name), fields in recipients:
            to = f'{{"email":{q(email)},"name":{q(name)}}}' if name else f'{{"email":{q(email)}}}'
            if len(fields) == 1 and (value := fields.get("name")) is not None:
                # what substitutions() makes of a name alone (a subject notice has nothing else), its tokens
                # encoded once: the general case below took half of this loop's time
                subs = f"{_NAME_TEXT}{q(value)},{_NAME_HTML}{q(escape_html(value))}"
                people.append(f'{{"to":[{to}],"substitutions":{{{subs}}},"custom_args":{shared}{q(key)}}}}}')
            elif fields:
                subs = ",".join(f"{q(token)}:{q(value)}" for token, value in substitutions(fields).items())
                people.append(f'{{"to":[{to}],"substitutions":{{{subs}}},"custom_args":{shared}{q(key)}}}}}')
            else:
                people.append(f'{{"to":[{to}],"custom_args":{shared}{q(key)}}}}}')
        return '{"personalizations":[' + ",".join(people) + "]," + json.dumps(rest)[1:]

    def _envelope(self, message: Message, batch: str) -> tuple[dict[str, str], dict[str, Any]]:
        """What every person of one request shares: the custom_args (without the recipient) and the rest of
        the body (without the personalizations)."""
        custom_args = {str(k): str(v) for k, v in message.custom_args.items()}
        custom_args.update(incident_id=message.incident_id, kind=message.kind, batch=batch)
        content = []
        if message.text:
            content.append({"type": "text/plain", "value": message.text})  # SendGrid wants text/plain first
        if message.html:
            content.append({"type": "text/html", "value": message.html})
        if not content:
            raise SendGridDispatchFailed(Said("sendgrid_backend.empty_message", kind=message.kind,
                                              id=message.incident_id))
        body: dict[str, Any] = {
            "from": _address(message.sender),
            "subject": message.subject,
            "content": content,
        }
        if message.reply_to is not None:
            body["reply_to"] = _address(message.reply_to)
        if message.attachments:
            body["attachments"] = [
                {"content": base64.b64encode(a.content).decode("ascii"), "type": a.content_type,
                 "filename": a.filename, "disposition": "attachment"}
                for a in message.attachments
            ]
        body["tracking_settings"] = NO_TRACKING
        if self.sandbox:
            body["mail_settings"] = {"sandbox_mode": {"enable": True}}
        return custom_args, body

    # -- one request, retried ------------------------------------------------------------------------------

    def _post(self, body: str) -> tuple[int, int, str | None]:
        """POST /v3/mail/send until a 2xx; returns (status, attempts, SendGrid's X-Message-Id) or raises
        _Refused."""
        attempt = 0
        while True:
            attempt += 1
            wait: float
            try:
                # the body is JSON text already: python_http_client encodes a str as it is when the Content-Type
                # is not exactly "application/json" (for that one it would json.dumps the body a second time)
                response = self._client.client.mail.send.post(request_body=body, timeout=self.timeout,
                                                              request_headers=JSON_TEXT)
            except HTTPError as exc:
                status = int(exc.status_code)
                if status != 429 and status < 500:
                    raise _Refused(status, exc.body, exc.headers, attempt, retryable=False) from None
                if attempt >= self.max_attempts:
                    raise _Refused(status, exc.body, exc.headers, attempt, retryable=True) from None
                wait = self._wait(attempt, exc.headers if status == 429 else None)
                log.warning("sendgrid: HTTP %d (attempt %d of %d); retrying in %.1f s",
                            status, attempt, self.max_attempts, wait)
            except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, cut off
                if attempt >= self.max_attempts:
                    raise _Refused(None, None, None, attempt, retryable=True, problem=_problem(exc)) from None
                wait = self._wait(attempt, None)
                log.warning("sendgrid: %s (attempt %d of %d); retrying in %.1f s",  # a log reads in English
                            Said("sendgrid_backend.connection_problem", problem=_problem(exc)).render("en"),
                            attempt, self.max_attempts, wait)
            else:
                status = int(response.status_code)
                if 200 <= status < 300:  # 202 Accepted; 200 in sandbox mode
                    message_id = _header(response.headers, "X-Message-Id")
                    return status, attempt, str(message_id)[:100] if message_id else None
                raise _Refused(status, response.body, response.headers, attempt, retryable=False)
            self._sleep(wait)

    def _wait(self, attempt: int, headers: Any) -> float:
        reset = _header(headers, "X-RateLimit-Reset") if headers is not None else None
        if reset is not None:
            try:
                until = float(reset)
            except ValueError:
                until = None
            if until is not None and math.isfinite(until):
                return min(RESET_MAX, max(RESET_MIN, until - self._clock()))
        return min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1))

    # -- what the user reads --------------------------------------------------------------------------------

    def _describe(self, refused: _Refused, message: Message, chunk: Sequence[Recipient], number: int,
                  total: int, accepted: Sequence[str]) -> Said:
        """Why a batch was not taken, in words of templates/<lang>/errors/sendgrid_backend.j2. Every text that
        goes into it is redacted first, so the error holds no API key and no address, whoever reads it."""
        r = self._redact
        details = [{k: [r(m) for m in v] if isinstance(v, list) else r(v) for k, v in d.items()}
                   for d in _error_details(refused.body, refused.headers, chunk)]
        return Said("sendgrid_backend.refused", status=refused.status, retryable=refused.retryable,
                    attempts=refused.attempts, location=r(self.location), problem=r(refused.problem),
                    batch=number, batches=total, recipients=len(chunk), kind=r(message.kind),
                    id=r(message.incident_id), details=details, accepted=len(accepted))

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[api key]")
        return _EMAIL.sub("<address>", text)


class _Refused(Exception):
    def __init__(self, status: int | None, body: Any, headers: Any, attempts: int, *, retryable: bool,
                 problem: str = ""):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers
        self.attempts, self.retryable, self.problem = attempts, retryable, problem


def batch_key(message: Message, number: int) -> str:
    """The same incident, kind and batch number give the same key, so delivery events can be matched up."""
    return f"{message.incident_id}:{message.kind}:{number}"


def backend_from_settings(api_key: str | None, host: str | None = None,
                          sandbox: bool = False) -> SendGridBackend:
    key = (api_key or "").strip()
    if not key:
        raise ConfigurationError(Said("sendgrid_backend.missing_key"))
    return SendGridBackend(api_key=key, host=(host or "").strip() or None, sandbox=sandbox)


def _address(address: Address) -> dict[str, str]:
    result = {"email": address.email}
    if address.name:
        result["name"] = address.name
    return result


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    value = getter(name)
    if value is None and isinstance(headers, Mapping):  # a plain dict is case-sensitive
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return None if value is None else str(value)


def _problem(exc: BaseException) -> str:
    """What went wrong with the connection: a key of `connection_problem` in templates/<lang>/errors/
    sendgrid_backend.j2 (timed_out, refused, closed, cut_off), or the exception's class name."""
    reason = getattr(exc, "reason", None)  # URLError wraps the socket error
    inner = reason if isinstance(reason, BaseException) else exc
    if isinstance(inner, TimeoutError):
        return "timed_out"
    if isinstance(inner, ConnectionRefusedError):
        return "refused"
    if isinstance(inner, (ConnectionResetError, http.client.RemoteDisconnected)):
        return "closed"
    if isinstance(inner, http.client.IncompleteRead):
        return "cut_off"
    return f"{type(inner).__name__}"


def _error_details(body: Any, headers: Any, chunk: Sequence[Recipient]) -> list[dict[str, Any]]:
    """What SendGrid said, as data for the template: per `errors[]` its message, field and (for a
    personalization) the recipient's key; an unparseable body as "raw"; a validating mock's rules as "mock"."""
    details: list[dict[str, Any]] = []
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes | bytearray) else (body or "")
    parsed: Any = None
    if raw.strip():
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
    errors = parsed.get("errors") if isinstance(parsed, dict) else None
    if isinstance(errors, list):
        for error in errors:
            if not isinstance(error, dict):
                continue
            field = error.get("field")
            details.append({"message": str(error.get("message") or "").strip(), "field": str(field) if field else "",
                            "recipient": _whose(str(field), chunk) if field else ""})
    elif raw.strip():
        details.append({"raw": " ".join(raw.split())[:_DETAIL_MAX]})
    # A validating mock (Prism) answers with a placeholder body and names the broken rule in a header.
    violations = _header(headers, "sl-violations")
    if violations:
        try:
            found = [v.get("message", "") for v in json.loads(violations) if isinstance(v, dict)]
        except (ValueError, TypeError, AttributeError):
            found = []
        if found:
            details.append({"mock": [str(m) for m in found if m]})
    return details


def _whose(field: str, chunk: Sequence[Recipient]) -> str:
    """The key of the recipient a personalization's field is about, or ""."""
    match = _PERSONALIZATION_FIELD.match(field)
    if match:
        index = int(match.group(1))
        if index < len(chunk):
            return chunk[index].key
    return ""


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.username or parts.password:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url
