"""Dashboard users: adding, authenticating, disabling, changing a password or a role, the interface language
each one reads; their sessions in the register; and the count of wrong passwords the login throttle keeps."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, or_, select, text

from incidents import users
from incidents.config import _positive_count
from incidents.errors import FieldError, InvalidInput
from incidents.register.tables import (
    DashboardSessionRow,
    LoginFailureRow,
    OrganisationRow,
    UserRoleRow,
    UserRow,
)
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.services.organisations import DEFAULT_ID as DEFAULT_ORGANISATION


@dataclass(frozen=True)
class User:
    """A user as the dashboard sees one: never the password hash. `roles` maps each organisation the user serves
    (by id) to its role there; `organisation_id` is the organisation a request is about once it is known (an
    incident's, a chosen one's), and then only the role there counts (`within`)."""

    username: str
    language: str
    roles: Mapping[int, str] = field(default_factory=dict)
    organisation_id: int | None = None

    @property
    def role(self) -> str | None:
        """The role in the organisation in scope; out of scope, the role held everywhere (None when they differ)."""
        if self.organisation_id is not None:
            return self.roles.get(self.organisation_id)
        held = set(self.roles.values())
        return held.pop() if len(held) == 1 else None

    @property
    def organisation_ids(self) -> list[int]:
        return sorted(self.roles)

    def may(self, action: str) -> bool:
        """In the organisation in scope: whether its role there allows `action`; out of scope: whether some role
        does (a page lists what the user may do somewhere; the action itself is checked in its organisation)."""
        if self.organisation_id is not None:
            role = self.roles.get(self.organisation_id)
            return role is not None and users.may(role, action)
        return any(users.may(role, action) for role in self.roles.values())

    def may_in(self, action: str) -> list[int]:
        """The organisations (ids) where the user may `action`."""
        return [oid for oid, role in sorted(self.roles.items()) if users.may(role, action)]

    def only(self, organisation_ids: list[int]) -> User:
        """The user with its roles in these organisations alone (a dashboard that serves only some)."""
        return replace(self, roles={oid: role for oid, role in self.roles.items() if oid in organisation_ids})

    def within(self, organisation_id: int) -> User | None:
        """The user as one organisation sees it; None when the user holds no role there (sees nothing of it)."""
        if organisation_id not in self.roles:
            return None
        return replace(self, organisation_id=organisation_id)


def _roles(uow: UnitOfWork, user_id: int) -> dict[int, str]:
    return dict(uow.session.execute(select(UserRoleRow.organisation_id, UserRoleRow.role)
                                    .where(UserRoleRow.user_id == user_id)).all())  # type: ignore[arg-type]


def _user(uow: UnitOfWork, row: UserRow) -> User:
    return User(row.username, row.language, _roles(uow, row.id))


def _find(uow: UnitOfWork, username: str) -> UserRow | None:
    name = username.strip().lower()
    if not users.USERNAME.fullmatch(name):  # no such name is ever stored (and a NUL byte upsets PostgreSQL)
        return None
    return uow.session.scalars(select(UserRow).where(UserRow.username == name)).first()


def _slug(uow: UnitOfWork, organisation_id: int) -> str:
    slug = uow.session.scalar(select(OrganisationRow.slug).where(OrganisationRow.id == organisation_id))
    if slug is None:
        raise InvalidInput("user", [FieldError("--org", Said("users.no_organisation", id=organisation_id))])
    return slug


def add_user(uow: UnitOfWork, username: str, password: str, role: str, language: str, actor: str,
             now: datetime, organisation_id: int = DEFAULT_ORGANISATION) -> User:
    """Create a user with a salted scrypt hash of the password and its role in one organisation (more with
    `set_role`); the audit trail records who added whom."""
    username = username.strip().lower()
    problems = users.check_user(username, password, role, language)
    if problems:
        raise InvalidInput("user", problems)
    password_hash = users.hash_password(password)  # slow: outside the transaction
    with uow:
        if _find(uow, username) is not None:
            raise InvalidInput("user", [FieldError("username", Said("users.user_exists", username=username))])
        slug = _slug(uow, organisation_id)
        row = UserRow(username=username, password_hash=password_hash, language=language, created_at=now,
                      disabled=False)
        uow.session.add(row)
        uow.session.flush()
        uow.session.add(UserRoleRow(user_id=row.id, organisation_id=organisation_id, role=role))
        uow.session.flush()
        uow.record(at=now, actor=actor, incident_id=None, action="user_added", user=username, role=role,
                   **_organisation_detail(organisation_id, slug))
        uow.commit()
        return _user(uow, row)


def _organisation_detail(organisation_id: int, slug: str) -> dict[str, str]:
    """What an audit entry says of the organisation: nothing for the default one (as entries always did)."""
    return {} if organisation_id == DEFAULT_ORGANISATION else {"organisation": slug}


def exists(uow: UnitOfWork, username: str) -> bool:
    with uow:
        return _find(uow, username) is not None


def authenticate(uow: UnitOfWork, username: str, password: str) -> User | None:
    """The user when the password is right and the account is enabled; None otherwise, in about the same time."""
    with uow:
        row = _find(uow, username)
        stored = row.password_hash if row is not None else None
        found = None if row is None else _user(uow, row)
        disabled = row is None or row.disabled
    ok = users.verify_password(password, stored or users.dummy_hash())
    return found if ok and not disabled else None


def active_user(uow: UnitOfWork, username: str) -> User | None:
    """The enabled user of that name, read fresh (a disabled account loses its sessions at once)."""
    with uow:
        row = _find(uow, username)
        return None if row is None or row.disabled else _user(uow, row)


def set_language(uow: UnitOfWork, username: str, language: str) -> None:
    if language not in users.LANGUAGES:
        raise InvalidInput("language", [FieldError("language", Said("users.one_of", choices=list(users.LANGUAGES)))])
    with uow:
        row = _find(uow, username)
        if row is not None:
            row.language = language
            uow.commit()


def disable_user(uow: UnitOfWork, username: str, actor: str, now: datetime) -> None:
    with uow:
        row = _existing(uow, username)
        row.disabled = True
        ended = _end_sessions(uow, row)
        uow.record(at=now, actor=actor, incident_id=None, action="user_disabled", user=row.username,
                   sessions_ended=ended)
        uow.commit()


def set_password(uow: UnitOfWork, username: str, password: str, actor: str, now: datetime) -> None:
    """A new password; every open session of the user ends (whoever knew the old one is logged out)."""
    name = username.strip().lower()
    problems = [p for p in users.check_user(name, password, users.Role.VIEWER.value, users.LANGUAGES[0])
                if p.field == "password"]
    if problems:
        raise InvalidInput("user", problems)
    password_hash = users.hash_password(password)  # slow: outside the transaction
    with uow:
        row = _existing(uow, username)
        row.password_hash = password_hash
        ended = _end_sessions(uow, row)
        uow.record(at=now, actor=actor, incident_id=None, action="user_password_changed", user=row.username,
                   sessions_ended=ended)
        uow.commit()


def set_role(uow: UnitOfWork, username: str, role: str, actor: str, now: datetime,
             organisation_id: int = DEFAULT_ORGANISATION, *, new_only: bool = False) -> User:
    """The user's role in an organisation, new or another (with `new_only`, refused when it holds one there
    already: `breach users add` for an existing user adds an organisation, it does not change a role); every
    open session of the user ends, so the role holds from the next login on."""
    if role not in {r.value for r in users.Role}:
        raise InvalidInput("user", [FieldError("role", Said("users.one_of", choices=[r.value for r in users.Role]))])
    with uow:
        row = _existing(uow, username)
        slug = _slug(uow, organisation_id)
        held = uow.session.scalars(select(UserRoleRow).where(UserRoleRow.user_id == row.id,
                                                             UserRoleRow.organisation_id == organisation_id)).first()
        if new_only and held is not None:
            raise InvalidInput("user", [FieldError("--org", Said(
                "users.role_held", username=row.username, role=held.role, organisation=slug))])
        before = held.role if held is not None else None
        if held is None:
            uow.session.add(UserRoleRow(user_id=row.id, organisation_id=organisation_id, role=role))
        else:
            held.role = role
        uow.session.flush()
        ended = _end_sessions(uow, row)
        uow.record(at=now, actor=actor, incident_id=None, action="user_role_changed", user=row.username,
                   role=role, previous_role=before, sessions_ended=ended,
                   **_organisation_detail(organisation_id, slug))
        uow.commit()
        return _user(uow, row).within(organisation_id) or _user(uow, row)


def revoke_role(uow: UnitOfWork, username: str, actor: str, now: datetime, organisation_id: int) -> User:
    """The user no longer serves the organisation: its role there goes and its sessions end; from then on the
    user sees nothing of that organisation."""
    with uow:
        row = _existing(uow, username)
        slug = _slug(uow, organisation_id)
        held = uow.session.scalars(select(UserRoleRow).where(UserRoleRow.user_id == row.id,
                                                             UserRoleRow.organisation_id == organisation_id)).first()
        if held is None:
            raise InvalidInput("user", [FieldError("--org", Said("users.no_role_there", username=row.username,
                                                                 organisation=slug))])
        before = held.role
        uow.session.delete(held)
        uow.session.flush()
        ended = _end_sessions(uow, row)
        uow.record(at=now, actor=actor, incident_id=None, action="user_role_revoked", user=row.username,
                   previous_role=before, sessions_ended=ended, organisation=slug)
        uow.commit()
        return _user(uow, row)


def _existing(uow: UnitOfWork, username: str) -> UserRow:
    row = _find(uow, username)
    if row is None:
        raise InvalidInput("user", [FieldError("username", Said("users.no_user", username=username))])
    return row


def list_users(uow: UnitOfWork) -> list[tuple[User, bool]]:
    """Every user with whether the account is disabled."""
    with uow:
        rows = list(uow.session.scalars(select(UserRow).order_by(UserRow.username)))
        roles: dict[int, dict[int, str]] = {}
        for user_id, organisation_id, role in uow.session.execute(
                select(UserRoleRow.user_id, UserRoleRow.organisation_id, UserRoleRow.role)):
            roles.setdefault(user_id, {})[organisation_id] = role
        return [(User(r.username, r.language, roles.get(r.id, {})), r.disabled) for r in rows]


# --- sessions -----------------------------------------------------------------------------------------------

IDLE_VARIABLE = "BREACH_SESSION_IDLE_MINUTES"
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often: a read is not a write


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: `idle` since its last request (BREACH_SESSION_IDLE_MINUTES, default 30) and
    `absolute` since the login (12 h, a working day), whichever ends first."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SessionPolicy:
        value = (os.environ if env is None else env).get(IDLE_VARIABLE, "").strip()
        if not value:
            return cls()
        return cls(idle=timedelta(minutes=_positive_count(IDLE_VARIABLE, value)))

    def ends_at(self, created_at: datetime, last_seen_at: datetime) -> datetime:
        return min(last_seen_at + self.idle, created_at + self.absolute)


@dataclass(frozen=True)
class OpenSession:
    """A live session as the dashboard uses it: the user read fresh from the register, and the CSRF token."""

    user: User
    csrf: str
    language: str | None


@dataclass(frozen=True)
class SessionInfo:
    """A session as `breach users sessions` shows it: times only, never the id or the token."""

    created_at: datetime
    last_seen_at: datetime
    ends_at: datetime
    language: str | None


def session_hash(session_id: str) -> str:
    """What the register keeps of a session id: its SHA-256 (the id has 256 random bits; no salt is needed)."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _expired(policy: SessionPolicy, now: datetime) -> ColumnElement[bool]:
    return or_(DashboardSessionRow.last_seen_at <= now - policy.idle,
               DashboardSessionRow.created_at <= now - policy.absolute)


def start_session(uow: UnitOfWork, username: str, csrf: str, language: str | None, now: datetime,
                  policy: SessionPolicy) -> str | None:
    """A new session for an enabled user: the secret id for the cookie (None when the user is gone or disabled).
    Sessions past their time, anyone's, are deleted on the way."""
    session_id = secrets.token_urlsafe(32)
    with uow:
        row = _find(uow, username)
        if row is None or row.disabled:
            return None
        uow.session.execute(delete(DashboardSessionRow).where(_expired(policy, now)))
        uow.session.add(DashboardSessionRow(id_hash=session_hash(session_id), user_id=row.id, csrf=csrf,
                                            language=language if language in users.LANGUAGES else None,
                                            created_at=now, last_seen_at=now))
        uow.commit()
    return session_id


def open_session(uow: UnitOfWork, session_id: str, now: datetime, policy: SessionPolicy,
                 reading: UnitOfWork | None = None) -> OpenSession | None:
    """The live session of this id with its enabled user; None (and the row deleted) when it has expired. Read
    through `reading` when it is given (every request does this: no write lock), written through `uow` only when
    the row must change (expired, or last used a minute ago or more)."""
    with reading or uow as r:
        found = r.session.execute(
            select(DashboardSessionRow, UserRow).join(UserRow, UserRow.id == DashboardSessionRow.user_id)
            .where(DashboardSessionRow.id_hash == session_hash(session_id))).first()
        if found is None:
            return None
        row, user = found
        expired = user.disabled or now >= policy.ends_at(row.created_at, row.last_seen_at)
        opened = None if expired else OpenSession(_user(r, user), row.csrf, row.language)
        if not expired and now - row.last_seen_at < TOUCH_EVERY:
            return opened
    with uow:
        current = uow.session.get(DashboardSessionRow, session_hash(session_id))
        if current is None:  # ended meanwhile
            return None
        if expired:
            uow.session.delete(current)
        else:
            current.last_seen_at = now
        uow.commit()
    return opened


def end_session(uow: UnitOfWork, session_id: str) -> None:
    """Logout: the session is gone from the register, so its cookie opens nothing any more."""
    with uow:
        uow.session.execute(delete(DashboardSessionRow).where(
            DashboardSessionRow.id_hash == session_hash(session_id)))
        uow.commit()


def set_session_language(uow: UnitOfWork, session_id: str, language: str) -> None:
    with uow:
        row = uow.session.get(DashboardSessionRow, session_hash(session_id))
        if row is not None and language in users.LANGUAGES:
            row.language = language
            uow.commit()


def sessions_of(uow: UnitOfWork, username: str, now: datetime, policy: SessionPolicy) -> list[SessionInfo]:
    """The user's live sessions, oldest first."""
    with uow:
        row = _existing(uow, username)
        rows = uow.session.scalars(select(DashboardSessionRow).where(DashboardSessionRow.user_id == row.id)
                                   .order_by(DashboardSessionRow.created_at))
        infos = [SessionInfo(r.created_at, r.last_seen_at, policy.ends_at(r.created_at, r.last_seen_at), r.language)
                 for r in rows]
    return [info for info in infos if info.ends_at > now]


def end_sessions(uow: UnitOfWork, username: str, actor: str, now: datetime) -> int:
    """End every session of the user at once (audited): how many there were."""
    with uow:
        row = _existing(uow, username)
        ended = _end_sessions(uow, row)
        uow.record(at=now, actor=actor, incident_id=None, action="user_sessions_ended", user=row.username,
                   sessions_ended=ended)
        uow.commit()
        return ended


def _end_sessions(uow: UnitOfWork, row: UserRow) -> int:
    result = uow.session.execute(delete(DashboardSessionRow).where(DashboardSessionRow.user_id == row.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- the login throttle -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginLimits:
    """Wrong passwords allowed in a sliding window. Per address far more than per account: one office behind one
    address is not locked out by one person's typos, and a guesser still gets only a handful per account."""

    per_account: int = 5
    per_address: int = 50
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginAttempt:
    """An attempt counted as a failure from before its password is checked, so guesses sent at once, to any
    worker, count as well; `retry_after` > 0 (seconds): refused without checking."""

    account: str
    address_row: int | None = None
    retry_after: int = 0


_THROTTLE_LOCK = int.from_bytes(hashlib.sha256(b"breach login throttle").digest()[:8], "big", signed=True)


def claim_login_attempt(uow: UnitOfWork, account: str, address: str, limits: LoginLimits,
                        now: datetime) -> LoginAttempt:
    """Count an attempt for the account and the address (keyed hashes, see LoginFailureRow), unless either is at
    its limit. One attempt at a time decides, on SQLite (BEGIN IMMEDIATE) and PostgreSQL (an advisory lock)."""
    since = now - limits.window
    with uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            uow.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _THROTTLE_LOCK})
        uow.session.execute(delete(LoginFailureRow).where(LoginFailureRow.at <= since))
        for key, limit in ((account, limits.per_account), (address, limits.per_address)):
            count = uow.session.scalar(select(func.count()).select_from(LoginFailureRow).where(
                LoginFailureRow.key == key, LoginFailureRow.at > since)) or 0
            if count >= limit:
                # free again when the limit-th newest failure leaves the window
                at = uow.session.scalar(select(LoginFailureRow.at).where(
                    LoginFailureRow.key == key, LoginFailureRow.at > since)
                    .order_by(LoginFailureRow.at.desc()).offset(limit - 1).limit(1)) or now
                return LoginAttempt(account, None, max(1, int((at + limits.window - now).total_seconds()) + 1))
        uow.session.add(LoginFailureRow(key=account, at=now))
        address_row = LoginFailureRow(key=address, at=now)
        uow.session.add(address_row)
        uow.session.flush()
        claimed = LoginAttempt(account, address_row.id)
        uow.commit()
        return claimed


def login_succeeded(uow: UnitOfWork, attempt: LoginAttempt) -> None:
    """The right password: the account's failures are forgiven; the address keeps its others (an office's
    count is not reset by whoever logs in from it)."""
    with uow:
        uow.session.execute(delete(LoginFailureRow).where(
            (LoginFailureRow.key == attempt.account) | (LoginFailureRow.id == attempt.address_row)))
        uow.commit()
