"""Dashboard users: salted slow password hashes and who may do what (roles), as plain functions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from enum import StrEnum

from incidents.errors import FieldError
from incidents.notify.render import LANGUAGES  # the languages the templates speak
from incidents.said import Said


class Role(StrEnum):
    VIEWER = "viewer"
    RESPONDER = "responder"
    PRIVACY_OFFICER = "privacy_officer"



# What each role may do. Only the privacy officer decides on notifying and records the filing at the AP:
# the decision is the controller's (GDPR art. 33(1), 34(1)), taken for it by the one person it appointed.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "view": frozenset(Role),
    "report": frozenset({Role.RESPONDER, Role.PRIVACY_OFFICER}),
    "assess": frozenset({Role.RESPONDER, Role.PRIVACY_OFFICER}),
    "dispatch": frozenset({Role.RESPONDER, Role.PRIVACY_OFFICER}),
    # names and addresses of people without a usable address: only those who must write or call them
    "worklist": frozenset({Role.RESPONDER, Role.PRIVACY_OFFICER}),
    "decide": frozenset({Role.PRIVACY_OFFICER}),
    # what goes out to the people in the organisation's name (art. 34(2)): written by the team, approved by the
    # privacy officer
    "approve": frozenset({Role.PRIVACY_OFFICER}),
    "file": frozenset({Role.PRIVACY_OFFICER}),
    # closing the file on an incident, or dismissing it as no breach: what the register says of it (art. 33(5))
    "close": frozenset({Role.PRIVACY_OFFICER}),
    # keeping the people's data longer than the profile's period (GDPR art. 5(1)(e)), for a reason
    "retention": frozenset({Role.PRIVACY_OFFICER}),
}


def may(role: str, action: str) -> bool:
    """True when a user with `role` may perform `action` (an unknown role or action may nothing)."""
    allowed = PERMISSIONS.get(action)
    return allowed is not None and role in {r.value for r in allowed}


# --- passwords ---------------------------------------------------------------------------------------------

# scrypt with the OWASP Password Storage Cheat Sheet's minimum: N=2^17, r=8, p=1 (128 MiB, ~0.4 s). The
# parameters are stored in each hash, so raising them later leaves existing hashes verifiable.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing a megabyte-long "password" is work an attacker should not get for free
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")

# 128 MiB per hash: a few at a time, so a burst of logins cannot exhaust the machine's memory.
_HASHING = threading.BoundedSemaphore(2)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    with _HASHING:
        return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                              maxmem=256 * n * r * p, dklen=KEY_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$key`, with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time comparison; a malformed stored hash verifies nothing."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(key)
        actual = _scrypt(password[:MAX_PASSWORD], _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# A real hash of a random password: checking against it when the user does not exist costs the same time
# as checking a real user, so the answer's timing does not tell which usernames exist.
_DUMMY: list[str] = []


def dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY[0]


# --- checks on new users -----------------------------------------------------------------------------------

def check_user(username: str, password: str, role: str, language: str) -> list[FieldError]:
    problems = []
    if not USERNAME.match(username):
        problems.append(FieldError("username", Said("users.username_format")))
    if len(password) < MIN_PASSWORD:
        problems.append(FieldError("password", Said("users.password_too_short", count=MIN_PASSWORD)))
    elif len(password) > MAX_PASSWORD:
        problems.append(FieldError("password", Said("users.password_too_long", count=MAX_PASSWORD)))
    elif password.strip().casefold() == username.casefold():
        problems.append(FieldError("password", Said("users.password_is_username")))
    if role not in {r.value for r in Role}:
        problems.append(FieldError("role", Said("users.one_of", choices=[r.value for r in Role])))
    if language not in LANGUAGES:
        problems.append(FieldError("language", Said("users.one_of", choices=list(LANGUAGES))))
    return problems
