"""Dashboard users: adding, authenticating, disabling, and the interface language each one reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from incidents import users
from incidents.errors import FieldError, InvalidInput
from incidents.register.tables import UserRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said


@dataclass(frozen=True)
class User:
    """A user as the dashboard sees one: never the password hash."""

    username: str
    role: str
    language: str

    def may(self, action: str) -> bool:
        return users.may(self.role, action)


def _user(row: UserRow) -> User:
    return User(row.username, row.role, row.language)


def _find(uow: UnitOfWork, username: str) -> UserRow | None:
    name = username.strip().lower()
    if not users.USERNAME.fullmatch(name):  # no such name is ever stored (and a NUL byte upsets PostgreSQL)
        return None
    return uow.session.scalars(select(UserRow).where(UserRow.username == name)).first()


def add_user(uow: UnitOfWork, username: str, password: str, role: str, language: str, actor: str,
             now: datetime) -> User:
    """Create a user with a salted scrypt hash of the password; the audit trail records who added whom."""
    username = username.strip().lower()
    problems = users.check_user(username, password, role, language)
    if problems:
        raise InvalidInput("user", problems)
    password_hash = users.hash_password(password)  # slow: outside the transaction
    with uow:
        if _find(uow, username) is not None:
            raise InvalidInput("user", [FieldError("username", Said("users.user_exists", username=username))])
        row = UserRow(username=username, password_hash=password_hash, role=role, language=language,
                      created_at=now, disabled=False)
        uow.session.add(row)
        uow.session.flush()
        uow.record(at=now, actor=actor, incident_id=None, action="user_added", user=username, role=role)
        uow.commit()
        return _user(row)


def authenticate(uow: UnitOfWork, username: str, password: str) -> User | None:
    """The user when the password is right and the account is enabled; None otherwise, in about the same time."""
    with uow:
        row = _find(uow, username)
        stored = row.password_hash if row is not None else None
        found = None if row is None else _user(row)
        disabled = row is None or row.disabled
    ok = users.verify_password(password, stored or users.dummy_hash())
    return found if ok and not disabled else None


def active_user(uow: UnitOfWork, username: str) -> User | None:
    """The enabled user of that name, read fresh (a disabled account loses its sessions at once)."""
    with uow:
        row = _find(uow, username)
        return None if row is None or row.disabled else _user(row)


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
        row = _find(uow, username)
        if row is None:
            raise InvalidInput("user", [FieldError("username", Said("users.no_user", username=username))])
        row.disabled = True
        uow.record(at=now, actor=actor, incident_id=None, action="user_disabled", user=row.username)
        uow.commit()


def list_users(uow: UnitOfWork) -> list[tuple[User, bool]]:
    """Every user with whether the account is disabled."""
    with uow:
        return [(_user(r), r.disabled) for r in uow.session.scalars(select(UserRow).order_by(UserRow.username))]
