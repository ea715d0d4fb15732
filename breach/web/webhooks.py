"""SendGrid's Event Webhook: the one route without a login or CSRF token, protected by SendGrid's signature.

SendGrid posts batches of delivery events here (Settings > Mail Settings > Event Webhook, with "Signed Event
Webhook Requests" on); the verification key it shows goes in BREACH_SENDGRID_WEBHOOK_PUBLIC_KEY. Without the
key every request is answered 503, so SendGrid keeps its events and retries until it is configured.
"""

from __future__ import annotations

import logging
import os
import time

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from breach.web.auth import client_address
from incidents.errors import ConfigurationError, InvalidInput
from incidents.said import Said
from incidents.services.deliveries import record_deliveries
from incidents.times import now_utc
from incidents.webhooks import (
    PUBLIC_KEY_VARIABLE,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookRefused,
    load_public_key,
    parse_events,
    verify,
)

log = logging.getLogger("breach.web")

PATH = "/webhooks/sendgrid/events"
router = APIRouter(include_in_schema=False)  # deliberately no login, no CSRF: the signature is the proof

_keys: dict[str, EllipticCurvePublicKey] = {}  # the loaded key per configured text: parsed once, a changed variable is seen


def _public_key() -> EllipticCurvePublicKey | None:
    text = os.environ.get(PUBLIC_KEY_VARIABLE, "").strip()
    if not text:
        return None
    if text not in _keys:
        _keys.clear()
        _keys[text] = load_public_key(text)
    return _keys[text]


@router.post(PATH)
async def sendgrid_events(request: Request) -> JSONResponse:
    signature, timestamp = request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER)
    if not signature or not timestamp:  # whatever the configuration: nothing unsigned gets further
        return _refused(request, WebhookRefused(401, "not signed"))
    try:
        key = _public_key()
    except ConfigurationError as exc:
        log.error("sendgrid webhook: %s", exc)
        key = None
    if key is None:
        return JSONResponse({"detail": str(Said("web_webhooks.not_configured", variable=PUBLIC_KEY_VARIABLE))},
                            status_code=503)
    body = await request.body()
    try:
        verify(key, body, signature, timestamp, time.time())
    except WebhookRefused as refused:
        return _refused(request, refused)
    try:
        parsed = parse_events(body)
    except InvalidInput as exc:
        return JSONResponse({"detail": exc.errors[0].message}, status_code=400)
    ws = request.app.state.workspace
    recorded = await run_in_threadpool(record_deliveries, ws.uow(), parsed.events, now_utc())
    log.info("sendgrid webhook: %d events, %d about people, changed %s, unchanged %d, unknown %d",
             parsed.received, recorded.people, recorded.changed, recorded.unchanged, recorded.unknown)
    return JSONResponse({"received": parsed.received, "ignored": parsed.ignored, "people": recorded.people,
                         "changed": recorded.changed, "unchanged": recorded.unchanged,
                         "unknown": recorded.unknown})


def _refused(request: Request, refused: WebhookRefused) -> JSONResponse:
    log.warning("sendgrid webhook: refused a request from %s: %s", client_address(request), refused.reason)
    return JSONResponse({"detail": refused.reason}, status_code=refused.status)
