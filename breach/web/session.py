"""The session cookie: signed (HMAC-SHA256) with the workspace's secret key, holding a user name and a CSRF token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "breach_session"
LIFETIME = 12 * 3600  # seconds: one working day; then log in again
SECRET_FILE = "dashboard-secret.key"


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


@dataclass
class Session:
    """What the cookie carries. `user` is None before login; `csrf` exists from the first page on."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    user: str | None = None
    language: str | None = None  # chosen before login (a user's own choice is stored with the user)
    issued: int = field(default_factory=lambda: int(time.time()))
    changed: bool = False

    def data(self) -> dict[str, Any]:
        return {"c": self.csrf, "u": self.user, "l": self.language, "i": self.issued}


class Signer:
    def __init__(self, key: bytes):
        # a key of its own for the cookie, so the workspace key could sign other things without confusion
        self._key = hmac.new(key, b"breach dashboard session cookie", hashlib.sha256).digest()

    def _mac(self, body: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._key, body, hashlib.sha256).digest()).decode().rstrip("=")

    def dumps(self, session: Session) -> str:
        body = base64.urlsafe_b64encode(json.dumps(session.data(), separators=(",", ":")).encode()).decode()
        return f"{body.rstrip('=')}.{self._mac(body.rstrip('=').encode())}"

    def loads(self, value: str | None) -> Session | None:
        """The session in a cookie, or None when it is missing, forged or expired."""
        if not value or value.count(".") != 1 or len(value) > 4096:
            return None
        body, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac(body.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            session = Session(csrf=str(data["c"]), user=data["u"], language=data["l"], issued=int(data["i"]))
        except (ValueError, KeyError, TypeError):
            return None
        if not (0 <= time.time() - session.issued < LIFETIME):
            return None
        return session


def load(request: Request, signer: Signer) -> Session:
    """The request's session; a fresh anonymous one (to be set on the response) when there is none."""
    session = signer.loads(request.cookies.get(COOKIE))
    if session is None:
        session = Session(changed=True)
    return session


def save(response: Response, request: Request, signer: Signer, session: Session) -> None:
    """HttpOnly, SameSite=Lax, Secure when the request came over TLS (directly or through a proxy)."""
    response.set_cookie(COOKIE, signer.dumps(session), max_age=LIFETIME, path="/", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")


def clear(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")
