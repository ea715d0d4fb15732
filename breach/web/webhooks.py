"""SendGrid's Event Webhook: the one route without a login or CSRF token, protected by SendGrid's signature.

SendGrid posts batches of delivery events here (Settings > Mail Settings > Event Webhook, with "Signed Event
Webhook Requests" on); the verification key it shows goes in BREACH_SENDGRID_WEBHOOK_PUBLIC_KEY. Without the
key every request is answered 503, so SendGrid keeps its events and retries until it is configured.

An organisation that sends with its own SendGrid account (its profile's sending.sendgrid_key_env) points that
account's Event Webhook at /webhooks/sendgrid/events/<slug>; the account's verification key goes in the variable
its profile names in sending.sendgrid_webhook_key_env. Events posted there change that organisation's people only.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from breach.web.auth import client_address
from incidents.errors import ConfigurationError, InvalidInput
from incidents.said import Said
from incidents.services.deliveries import record_deliveries
from incidents.services.organisations import organisation_ids
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
from incidents.workspace import Workspace

log = logging.getLogger("breach.web")

PATH = "/webhooks/sendgrid/events"
router = APIRouter(include_in_schema=False)  # deliberately no login, no CSRF: the signature is the proof

_keys: dict[str, EllipticCurvePublicKey] = {}  # the loaded key per configured text: parsed once, a changed variable is seen


def _public_key(variable: str) -> EllipticCurvePublicKey | None:
    text = os.environ.get(variable, "").strip()
    if not text:
        return None
    if text not in _keys:
        if len(_keys) > 100:  # keys of variables changed since: not kept for ever
            _keys.clear()
        _keys[text] = load_public_key(text, variable)
    return _keys[text]


@dataclass(frozen=True)
class Account:
    """Whose SendGrid account a request says it comes from: the variable with its verification key, and the
    organisation whose people its events may change (None: the installation's account, any organisation's)."""

    variable: str
    organisation_id: int | None


def _account(ws: Workspace, organisation: str | None) -> Account | None:
    """The installation's account, or the organisation's (its profile's sending.sendgrid_webhook_key_env, else the
    installation's key); None for an organisation that does not exist."""
    if organisation is None:
        return Account(PUBLIC_KEY_VARIABLE, None)
    wanted = organisation.strip().lower()
    found = next((oid for oid, slug in organisation_ids(ws.reader()).items() if slug == wanted), None)
    if found is None:
        return None
    profile, _version = ws.newest_profile(found)
    return Account(profile.sending.sendgrid_webhook_key_env or PUBLIC_KEY_VARIABLE, found)


@router.post(PATH)
async def sendgrid_events(request: Request) -> JSONResponse:
    """Events from the installation's SendGrid account (BREACH_SENDGRID_WEBHOOK_PUBLIC_KEY)."""
    return await _events(request, None)


@router.post(PATH + "/{organisation}")
async def organisation_events(request: Request, organisation: str) -> JSONResponse:
    """Events from one organisation's own SendGrid account, verified with its key: they change its people only."""
    return await _events(request, organisation[:40])


async def _events(request: Request, organisation: str | None) -> JSONResponse:
    signature, timestamp = request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER)
    if not signature or not timestamp:  # whatever the configuration: nothing unsigned gets further
        return _refused(request, WebhookRefused(401, "not signed"))
    ws = request.app.state.workspace
    account = await run_in_threadpool(_account, ws, organisation)
    if account is None:  # answered as a signature that does not verify: no list of organisations for anyone
        return _refused(request, WebhookRefused(403, "wrong signature"))
    try:
        key = _public_key(account.variable)
    except ConfigurationError as exc:
        log.error("sendgrid webhook: %s", exc)
        key = None
    if key is None:
        return JSONResponse({"detail": str(Said("web_webhooks.not_configured", variable=account.variable))},
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
    recorded = await run_in_threadpool(record_deliveries, ws.uow(), parsed.events, now_utc(), account.organisation_id)
    log.info("sendgrid webhook: %d events, %d about people, changed %s, unchanged %d, unknown %d",
             parsed.received, recorded.people, recorded.changed, recorded.unchanged, recorded.unknown)
    return JSONResponse({"received": parsed.received, "ignored": parsed.ignored, "people": recorded.people,
                         "changed": recorded.changed, "unchanged": recorded.unchanged,
                         "unknown": recorded.unknown})


def _refused(request: Request, refused: WebhookRefused) -> JSONResponse:
    log.warning("sendgrid webhook: refused a request from %s: %s", client_address(request), refused.reason)
    return JSONResponse({"detail": refused.reason}, status_code=refused.status)
