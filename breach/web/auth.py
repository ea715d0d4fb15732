"""Who is asking and may they: login sessions, HTTP Basic for the API, CSRF tokens, throttling wrong passwords,
and which proxies are believed about the address."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from breach.web import session as sessions
from breach.web.session import Session, derive
from incidents.errors import ConfigurationError, UnknownIncident
from incidents.said import Said, speak
from incidents.services import organisations
from incidents.services import users as user_service
from incidents.services.organisations import organisation_of
from incidents.services.users import User
from incidents.workspace import Workspace

log = logging.getLogger("breach.web")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """No valid session or credentials: pages send the person to the login page, the API answers 401."""


class Forbidden(Exception):
    """Logged in, but the role does not allow this action."""

    def __init__(self, action: str):
        super().__init__(action)
        self.action = action


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token (a form posted from another site)."""


class Throttled(Exception):
    """Too many wrong passwords: refused without checking, until the window has passed."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def session_of(request: Request) -> Session:
    return request.state.session  # type: ignore[no-any-return]


# --- wrong passwords ----------------------------------------------------------------------------------------

class Throttle:
    """Counts wrong passwords per account and per address in the register (incidents.services.users), so every
    dashboard worker on it counts the same. Names and addresses are kept as keyed hashes only (HMAC-SHA256 with
    a key derived from the workspace's key, which every worker shares), for no longer than the window."""

    def __init__(self, ws: Workspace, key: bytes, limits: user_service.LoginLimits | None = None):
        self.ws = ws
        self.limits = limits or user_service.LoginLimits()
        self._key = derive(key, b"login throttle")

    def _hash(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}\x1f{value}".encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def claim(self, address: str, name: str) -> user_service.LoginAttempt:
        """Count this attempt as a failure until the password proves right; Throttled while either the account
        or the address is at its limit."""
        attempt = user_service.claim_login_attempt(
            self.ws.uow(), self._hash("account", name.strip().lower()[:100]), self._hash("address", network(address)),
            self.limits, sessions.clock())
        if attempt.retry_after:
            raise Throttled(attempt.retry_after)
        return attempt

    def succeeded(self, attempt: user_service.LoginAttempt) -> None:
        user_service.login_succeeded(self.ws.uow(), attempt)


def network(address: str) -> str:
    """What the per-address count is kept by: the address, or for IPv6 its /64 (one site, one device, has all of
    it, so counting single addresses there would count nothing)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


TRUSTED_PROXIES = "BREACH_TRUSTED_PROXIES"


def trusted_proxies(value: str | None) -> list[str]:
    """BREACH_TRUSTED_PROXIES: the reverse proxies (addresses or CIDR networks, comma-separated) whose
    X-Forwarded-For and X-Forwarded-Proto are believed. None by default: the address is the connection's."""
    networks = []
    for item in (value or "").split(","):
        if item.strip():
            try:
                networks.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError:
                raise ConfigurationError(Said("web_auth.not_a_proxy", name=TRUSTED_PROXIES,
                                              text=item.strip())) from None
    return networks


def client_address(request: Request) -> str:
    """The connection's address; behind a trusted proxy, the rightmost address in X-Forwarded-For that is not
    a trusted proxy (uvicorn's ProxyHeadersMiddleware, added by create_app only when proxies are configured)."""
    return request.client.host if request.client else "unknown"


async def login(request: Request, username: str, password: str) -> User | None:
    """Check a password under the throttle; Throttled when this account or address has failed too often."""
    throttle: Throttle = request.app.state.throttle
    address = client_address(request)
    attempt = await run_in_threadpool(throttle.claim, address, username)
    user = await run_in_threadpool(user_service.authenticate, request.app.state.workspace.uow(), username, password)
    if user is None:
        log.warning("dashboard: wrong credentials for %r from %s", username[:100], address)
        return None
    await run_in_threadpool(throttle.succeeded, attempt)
    return user


# --- dependencies: every protected route has both, in this order -------------------------------------------

async def require_user(request: Request) -> User:
    """The logged-in user (session cookie) or, on the API, the user of HTTP Basic credentials."""
    session = session_of(request)
    header = request.headers.get("authorization", "")
    if is_api(request) and header[:6].lower() == "basic ":
        username, password = _basic(header[6:])
        user = await login(request, username, password)
        if user is None:
            raise LoginRequired()
        request.state.auth = "basic"
    else:
        user = session.account  # read from the register with the session, for this request (SessionStore.load)
        if not session.user or user is None:
            raise LoginRequired()
        request.state.auth = "session"
        speak(user.language)  # errors raised while serving the request read in the user's language
    request.state.user = user  # (a 404 for another organisation's incident is shown to the user, as any 404)
    user = await run_in_threadpool(scoped, request, user)
    request.state.user = user
    return user


def scoped(request: Request, user: User) -> User:
    """The user as this request may see: only the organisations it holds a role in (of those this dashboard
    serves: BREACH_ORG's alone when set), and on a route about one incident only that incident's organisation,
    with the role there. An incident of an organisation the user does not serve is not there for it: 404, the
    same answer as for an id that does not exist, so nothing tells another organisation's incidents apart."""
    ws: Workspace = request.app.state.workspace
    if ws.organisation is not None:
        user = user.only([ws.organisation_id])
    incident_id = request.path_params.get("incident_id")
    if isinstance(incident_id, str):
        organisation_id = organisation_of(ws.reader(), incident_id)
        if organisation_id is not None:  # (an unknown id: the route answers 404, or 422 for a malformed one)
            within = user.within(organisation_id)
            if within is None:
                raise UnknownIncident(incident_id)
            return within
    return user


CurrentUser = Annotated[User, Depends(require_user)]


def _basic(encoded: str) -> tuple[str, str]:
    try:
        username, _, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise LoginRequired() from None
    return username, password


async def check_csrf(request: Request) -> None:
    """A state-changing request must carry the session's CSRF token: a form field, or a header on the API.

    HTTP Basic requests to the API carry no cookie a foreign page could borrow, and the API takes JSON only
    (a cross-site form cannot send that without the browser asking first), so they need no token.
    """
    if request.method in SAFE_METHODS:
        return
    if getattr(request.state, "auth", None) == "basic":
        return
    expected = session_of(request).csrf
    if is_api(request):
        given = request.headers.get(CSRF_HEADER, "")
    else:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            raise CsrfRefused()
        form = await request.form()
        value = form.get(CSRF_FIELD, "")
        given = value if isinstance(value, str) else ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfRefused()


def require(user: User, action: str) -> None:
    if not user.may(action):
        raise Forbidden(action)


# --- which organisation a request without an incident is about ---------------------------------------------

@dataclass(frozen=True)
class Chosen:
    """An organisation the user acts for: its id, slug (in links) and name (on the page)."""

    id: int
    slug: str
    name: str


def organisations_for(ws: Workspace, user: User, action: str) -> list[Chosen]:
    """The organisations where the user may `action`, in the order of their slugs."""
    allowed = set(user.may_in(action))
    return sorted((Chosen(org.id, org.slug, org.name or org.slug) for org in organisations.organisations(ws.reader())
                   if org.id in allowed), key=lambda c: c.slug)


def chosen_organisation(ws: Workspace, user: User, action: str, slug: str) -> Chosen | list[Chosen]:
    """The organisation `slug` names, or the only one where the user may `action`; the ones to choose from when
    there are several and none was named. An organisation the user does not serve is not there (404, as an
    unknown one); one where its role does not allow the action is Forbidden."""
    allowed = organisations_for(ws, user, action)
    if slug.strip():
        wanted = slug.strip().lower()
        for choice in allowed:
            if choice.slug == wanted:
                return choice
        if any(s == wanted and oid in user.roles for oid, s in organisations.organisation_ids(ws.reader()).items()):
            raise Forbidden(action)
        raise HTTPException(404)
    if not allowed:
        raise Forbidden(action)
    return allowed[0] if len(allowed) == 1 else allowed
