"""The dashboard's sessions. Logged in, the cookie holds only a random session id (256 bits); the session itself
(user, CSRF token, language, when it started and was last used) is a row in the register, which keeps only the
id's SHA-256. Logout deletes the row, and with it every copy of the cookie: nothing in the cookie opens anything
by itself. Before login, the cookie carries the login form's CSRF token and the chosen language, encrypted and
authenticated with the workspace's key (Fernet, from `cryptography`), and nothing else: no row is written for a
visitor who has not logged in.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.requests import Request
from starlette.responses import Response

from incidents.services import users as user_service
from incidents.services.users import SessionPolicy, User
from incidents.times import now_utc
from incidents.workspace import Workspace

COOKIE = "breach_session"
LIFETIME = 12 * 3600  # seconds: the cookie's own lifetime; a logged-in session also ends when idle (SessionPolicy)
SECRET_FILE = "dashboard-secret.key"
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32); a pre-login cookie is far longer


def clock() -> datetime:
    """Now, for sessions and the login throttle (tests move it)."""
    return now_utc()


def secret_key(home: Path, env: dict[str, str] | None = None) -> bytes:
    """BREACH_SECRET_KEY, or a key generated once into the workspace (a file only its owner can read)."""
    env = dict(os.environ if env is None else env)
    if env.get("BREACH_SECRET_KEY"):
        return env["BREACH_SECRET_KEY"].encode("utf-8")
    path = home / SECRET_FILE
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_urlsafe(48).encode("ascii"))
    return path.read_bytes().strip()


def derive(key: bytes, purpose: bytes) -> bytes:
    """A key of its own for each use of the workspace key (HKDF-SHA256), so no two uses can be confused."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"breach dashboard " + purpose).derive(key)


@dataclass
class Session:
    """The request's session. `user` is None before login; `csrf` exists from the first page on. `key` is the
    secret id of a logged-in session (only the cookie holds it), `account` its user as the register has them now.

    A route logs someone in by putting a new Session(user=...) in request.state.session, and out by putting a new
    anonymous one there; the Guard (app.py) then starts or ends the session in the register (SessionStore)."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    user: str | None = None
    language: str | None = None  # chosen before login (a user's own choice is stored with the user)
    changed: bool = False
    key: str | None = None
    account: User | None = None


class SessionStore:
    """Reads and writes sessions: the register's rows for logged-in ones, the encrypted cookie before login."""

    def __init__(self, ws: Workspace, key: bytes, policy: SessionPolicy | None = None):
        self.ws = ws
        self.policy = policy or SessionPolicy.from_env()
        self._fernet = Fernet(base64.urlsafe_b64encode(derive(key, b"pre-login cookie")))

    # --- reading ---------------------------------------------------------------------------------------------

    def load(self, value: str | None) -> Session:
        """The session of a cookie; a fresh anonymous one (to be set on the response) when it is missing, forged,
        expired or ended."""
        if value and SESSION_ID.fullmatch(value):
            found = user_service.open_session(self.ws.uow(), value, clock(), self.policy, self.ws.reader())
            if found is not None:
                return Session(csrf=found.csrf, user=found.user.username, language=found.language, key=value,
                               account=found.user)
        elif value and len(value) <= 1024:
            anonymous = self._anonymous(value)
            if anonymous is not None:
                return anonymous
        return Session(changed=True)

    def _anonymous(self, value: str) -> Session | None:
        try:
            data = json.loads(self._fernet.decrypt(value.encode("ascii"), ttl=LIFETIME))
            language = data["l"]
            return Session(csrf=str(data["c"]), language=language if isinstance(language, str) else None)
        except (InvalidToken, UnicodeError, ValueError, KeyError, TypeError):
            return None

    # --- writing ---------------------------------------------------------------------------------------------

    def persist(self, before: Session, after: Session) -> str | None:
        """Make the register follow what the request did; the new cookie value, or None to leave the cookie.

        A new session object ends the old logged-in one (logout, or a login over an open session) and, when it
        names a user, starts one in the register; a changed language is kept with a logged-in session."""
        if after is not before:
            if before.key and before.key != after.key:
                user_service.end_session(self.ws.uow(), before.key)
            if after.key:  # a session of the register put back as it was
                return None if after.key == before.key else after.key
            if after.user:
                after.key = user_service.start_session(self.ws.uow(), after.user, after.csrf,
                                                       after.language or before.language, clock(), self.policy)
                if after.key is None:  # disabled while logging in: anonymous after all
                    after.user = None
                    return self._sealed(after)
                return after.key
            return self._sealed(after)
        if not after.changed:
            return None
        if after.key:
            if after.language:
                user_service.set_session_language(self.ws.uow(), after.key, after.language)
            return None
        return self._sealed(after)

    def _sealed(self, session: Session) -> str:
        body = json.dumps({"c": session.csrf, "l": session.language}, separators=(",", ":")).encode()
        return self._fernet.encrypt(body).decode("ascii")


def save(response: Response, request: Request, value: str) -> None:
    """HttpOnly, SameSite=Lax, Secure when the request came over TLS (directly or through a trusted proxy)."""
    response.set_cookie(COOKIE, value, max_age=LIFETIME, path="/", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")


def clear(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")
