"""Who is asking and may they: login sessions, HTTP Basic for the API, CSRF tokens, throttling wrong passwords."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from breach.web.session import Session
from incidents.said import speak
from incidents.services import users as user_service
from incidents.services.users import User

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

@dataclass(frozen=True)
class Limits:
    per_name_and_address: int = 5  # wrong passwords for one user from one address
    per_address: int = 20  # from one address, whatever the user names
    per_name: int = 50  # for one user from anywhere: slows a spread-out attack, barely locks the user out
    window: float = 15 * 60  # seconds


class Throttle:
    """Counts wrong passwords in a sliding window, in memory (one dashboard process)."""

    MAX_KEYS = 100_000

    def __init__(self, limits: Limits | None = None, clock=time.monotonic):  # type: ignore[no-untyped-def]
        self.limits = limits or Limits()
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _keys(self, address: str, name: str) -> list[tuple[tuple[str, str], int]]:
        name = name.strip().lower()[:100]
        lim = self.limits
        return [(("both", f"{address}\x1f{name}"), lim.per_name_and_address), (("address", address), lim.per_address),
                (("name", name), lim.per_name)]

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and now - times[0] > self.limits.window:
            times.popleft()
        return times

    def check(self, address: str, name: str) -> None:
        """Raise Throttled while any counter is at its limit."""
        now = self._clock()
        with self._lock:
            for key, limit in self._keys(address, name):
                times = self._recent(key, now)
                if len(times) >= limit:
                    raise Throttled(int(self.limits.window - (now - times[0])) + 1)

    def failed(self, address: str, name: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) > self.MAX_KEYS:  # under a flood, forget the oldest counters first
                for key in list(self._failures)[: self.MAX_KEYS // 10]:
                    del self._failures[key]
            for key, _ in self._keys(address, name):
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times

    def succeeded(self, address: str, name: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(address, name)[0][0], None)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def login(request: Request, username: str, password: str) -> User | None:
    """Check a password under the throttle; Throttled when this name or address has failed too often."""
    throttle: Throttle = request.app.state.throttle
    address = client_address(request)
    throttle.check(address, username)
    user = await run_in_threadpool(user_service.authenticate, request.app.state.workspace.uow(), username, password)
    if user is None:
        throttle.failed(address, username)
        log.warning("dashboard: wrong credentials for %r from %s", username[:100], address)
        return None
    throttle.succeeded(address, username)
    return user


# --- dependencies: every protected route has both, in this order -------------------------------------------

async def require_user(request: Request) -> User:
    """The logged-in user (session cookie) or, on the API, the user of HTTP Basic credentials."""
    session = session_of(request)
    ws = request.app.state.workspace
    header = request.headers.get("authorization", "")
    if is_api(request) and header[:6].lower() == "basic ":
        username, password = _basic(header[6:])
        user = await login(request, username, password)
        if user is None:
            raise LoginRequired()
        request.state.auth = "basic"
        request.state.user = user
        return user
    if session.user:
        user = await run_in_threadpool(user_service.active_user, ws.uow(), session.user)
        if user is not None:
            request.state.auth = "session"
            request.state.user = user
            speak(user.language)  # errors raised while serving the request read in the user's language
            return user
    raise LoginRequired()


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
