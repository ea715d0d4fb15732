"""Shared fixtures: a fresh register on SQLite and on PostgreSQL, the Qoers profile, a clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from incidents.config import EXAMPLE_PROFILE, REPO_ROOT, Settings
from incidents.profile import Profile, load_profile
from incidents.register.unit_of_work import UnitOfWork
from tests.unit.test_edpb_mapping import every_edpb_export_is_valid  # noqa: F401 (every EU export is validated)

EXAMPLES = REPO_ROOT / "examples" / "qoers"
POSTGRES_URL = os.environ.get("BREACH_TEST_POSTGRES_URL", "").strip()
REQUIRE_POSTGRES = os.environ.get("BREACH_REQUIRE_POSTGRES") == "1"


@contextmanager
def database_beside(url: str, suffix: str) -> Iterator[str]:
    """A fresh database next to the one of `url` on its server (named after it and `suffix`), dropped after."""
    base = make_url(url)
    name = f"{base.database}_{suffix}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    created = base.set(database=name).render_as_string(hide_password=False)
    try:
        yield created
    finally:
        from incidents.register.db import engine_for

        engine_for(created).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test process's own on the server of BREACH_TEST_POSTGRES_URL, dropped at the end."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("BREACH_TEST_POSTGRES_URL is not set and BREACH_REQUIRE_POSTGRES=1")
        pytest.skip("no PostgreSQL: set BREACH_TEST_POSTGRES_URL (make test does it via .ci/postgres.sh)")
    with database_beside(POSTGRES_URL, str(os.getpid())) as url:
        yield url


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that uses the register runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'register.db'}"
    url = request.getfixturevalue("postgres_url")
    from incidents.register.db import engine_for

    engine_for(url).dispose()  # no pooled connection may outlive the dropped schema
    _reset_postgres(url)
    return url


@pytest.fixture
def uow(database_url: str) -> UnitOfWork:
    return UnitOfWork(database_url)


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile(EXAMPLE_PROFILE)


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def workspace_env(tmp_path: Path, database_url: str) -> Iterator[dict[str, str]]:
    """Environment of a workspace in tmp_path on the test's database; applied to os.environ for the test."""
    env = {
        "BREACH_HOME": str(tmp_path / "ws"),
        "BREACH_PROFILE": str(EXAMPLE_PROFILE),
        "BREACH_DATABASE_URL": database_url,
        "BREACH_EMAIL_BACKEND": "outbox",
        "BREACH_USER": "tester",
        "BREACH_LANGUAGE": "en",  # the CLI's lines in English (the profile's language is Dutch); nl: test_cli_language
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def settings(workspace_env: dict[str, str]) -> Settings:
    return Settings.from_env(workspace_env)


@pytest.fixture
def cli(workspace_env, capsys):
    """`cli("show", "DL-2026-0001")` runs the `breach` command in this process: (exit code, stdout, stderr)."""
    from breach.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run
