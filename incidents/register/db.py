"""The register's database: engine per URL, schema brought up to date by Alembic."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # the flow and a person's command may write at the same time
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # let SQLAlchemy emit BEGIN itself (below), so a transaction takes the write lock at its start
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _sqlite_begin_immediate(connection: object) -> None:
    # Two writers (the flow and a person's command) must not both read "the last audit entry" and then
    # both append after it: BEGIN IMMEDIATE serialises them from the first statement.
    connection.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]


def _sqlite_begin_deferred(connection: object) -> None:
    # A reading transaction takes no write lock: in WAL mode it reads one snapshot while writers go on, and a
    # long write (an import of a million people) does not keep a page from loading.
    connection.exec_driver_sql("BEGIN")  # type: ignore[attr-defined]


@cache
def engine_for(url: str, reading: bool = False) -> Engine:
    """The engine of a register; with `reading`, one whose transactions only read (on SQLite they take no write
    lock; PostgreSQL's readers never wait for writers, so it is the same engine)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_deferred if reading else _sqlite_begin_immediate)
    elif reading:
        return engine_for(url)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# The newest migration's revision. Checked against Alembic's scripts by a test, it lets a command that finds
# the schema current skip importing Alembic (a third of a second on every command).
SCHEMA_HEAD = "0022"


def current_revision(url: str) -> str | None:
    engine = engine_for(url, reading=True)  # a look, no write lock: a command must not wait for a long write
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(url: str) -> None:
    """Bring the schema to the newest revision (a no-op when it is there already)."""
    if current_revision(url) == SCHEMA_HEAD:
        return
    from alembic import command

    config = alembic_config(url)
    with engine_for(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(url: str, reading: bool = False) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(url, reading), expire_on_commit=False)


def has_register(url: str) -> bool:
    return inspect(engine_for(url, reading=True)).has_table("incidents")
