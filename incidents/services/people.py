"""The affected people: linking them from a CSV or a query (counts only leave this module), and the worklist of
those who need a letter or a phone call."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from incidents.errors import InvalidTransition
from incidents.lifecycle import Status
from incidents.register.tables import (
    SubjectRow,
)
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.services.common import SEND_BATCH
from incidents.subjects import OTHER_CHANNEL, CsvSource, Person, ReadReport, Source, read_source

# Called as work advances: (people done so far, fraction done 0..1 or None when the total is unknown).
# Counts only: what crosses it may reach a terminal or a Prefect artifact.
OnProgress = Callable[[int, float | None], None]
from incidents.services.common import chunks


@dataclass
class ImportResult:
    rows: int
    added: int
    already_linked: int
    duplicates: int
    unreachable: list[tuple[int, str]] = field(default_factory=list)


def import_subjects(uow: UnitOfWork, incident_id: str, source: Path | Source, actor: str, now: datetime,
                    progress: OnProgress | None = None) -> ImportResult:
    """Link the affected people of a CSV file (a path) or a query (incidents.subjects.SqlSource) to the
    incident, in one transaction: a bad file or a failing query writes nothing."""
    report = ReadReport()
    people: Source = CsvSource(source) if isinstance(source, Path) else source
    with uow:
        row = uow.incident(incident_id)
        if row.status in (Status.CLOSED, Status.DISMISSED):
            raise InvalidTransition(Said("people.no_people_added", id=row.id, status=str(row.status)))
        postgresql = uow.session.get_bind().dialect.name == "postgresql"
        if postgresql:  # SQLite: BEGIN IMMEDIATE already made this the only writer
            uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _import_lock(row.id)})
        before = uow.session.scalar(select(func.count()).where(SubjectRow.incident_id == row.id)) or 0
        read = chunks(read_source(people, report), SEND_BATCH)
        if postgresql and not before:
            _copy(uow, row.id, read, people, report, progress)
        else:
            link = _linker(uow, row.id)
            for chunk in read:
                link(chunk)
                if progress is not None:
                    progress(report.rows, people.fraction())
        after = uow.session.scalar(select(func.count()).where(SubjectRow.incident_id == row.id)) or 0
        distinct = report.rows - report.duplicates
        result = ImportResult(rows=report.rows, added=after - before, already_linked=distinct - (after - before),
                              duplicates=report.duplicates, unreachable=report.unreachable)
        uow.record(at=now, actor=actor, incident_id=row.id, action="subjects_imported", source=people.kind,
                   rows=result.rows, added=result.added, duplicates=result.duplicates,
                   unreachable=len(result.unreachable))
        uow.commit()
    return result


_COLUMNS = "incident_id, source_line, name, email, email_key, language, problem, postal_address, status"


def _import_lock(incident_id: str) -> int:
    """The key of a PostgreSQL advisory lock that lets one import at a time link people to this incident."""
    return int.from_bytes(hashlib.sha256(f"breach import {incident_id}".encode()).digest()[:8], "big", signed=True)


def _driver_connection(uow: UnitOfWork) -> Any:
    """The database driver's own connection under the session's, in its transaction (for bulk writes)."""
    raw = uow.session.connection().connection.driver_connection
    assert raw is not None  # a checked-out connection has one
    return raw


def _row(incident_id: str, person: Person) -> tuple[object, ...]:
    """A person as a row of the subjects table, in the order of _COLUMNS."""
    return (incident_id, *person, "unreachable" if person.problem else "pending")


def _copy(uow: UnitOfWork, incident_id: str, read: Iterator[list[Person]], people: Source, report: ReadReport,
          progress: OnProgress | None) -> None:
    """PostgreSQL, an incident without people yet: COPY, which streams the rows while the server stores them
    (INSERT waits for each statement: three times as long at a million people).

    COPY cannot skip a conflict, and none can occur: the reader merged the list's duplicates, the incident had
    nobody, and the advisory lock keeps a second import of the same incident waiting until this one ends. A
    failing source fails the COPY, and the transaction writes nothing.
    """
    raw = _driver_connection(uow)
    with raw.cursor() as cursor, cursor.copy(f"COPY subjects ({_COLUMNS}) FROM STDIN") as copy:
        for chunk in read:
            for person in chunk:
                copy.write_row(_row(incident_id, person))
            if progress is not None:
                progress(report.rows, people.fraction())


# PostgreSQL: a chunk of people is one statement over arrays, not a statement per person (psycopg's
# executemany sends one INSERT per row: three times slower than this at a hundred thousand people)
_LINK_ARRAYS = text(
    "INSERT INTO subjects (incident_id, name, email, email_key, language, status, problem, source_line, "
    "postal_address) "
    "SELECT :incident, * FROM unnest(CAST(:names AS text[]), CAST(:emails AS text[]), CAST(:keys AS text[]), "
    "CAST(:languages AS text[]), CAST(:statuses AS text[]), CAST(:problems AS text[]), CAST(:lines AS int[]), "
    "CAST(:addresses AS text[])) "
    "ON CONFLICT (incident_id, email_key) DO NOTHING")


def _linker(uow: UnitOfWork, incident_id: str) -> Callable[[list[Person]], None]:
    """Insert a chunk of people, skipping those already linked (the same address, or the same line)."""
    if uow.session.get_bind().dialect.name == "postgresql":
        def link_arrays(chunk: list[Person]) -> None:
            uow.session.execute(_LINK_ARRAYS, {
                "incident": incident_id, "names": [p.name for p in chunk], "emails": [p.email for p in chunk],
                "keys": [p.email_key for p in chunk], "languages": [p.language for p in chunk],
                "statuses": ["unreachable" if p.problem else "pending" for p in chunk],
                "problems": [p.problem for p in chunk], "lines": [p.line for p in chunk],
                "addresses": [p.postal_address for p in chunk]})
        return link_arrays
    # SQLite: the driver's executemany on tuples, in the session's transaction. Through the ORM session each
    # row became a dict and was processed again by SQLAlchemy: half of the import's time.
    raw = _driver_connection(uow)
    insert = (f"INSERT INTO subjects ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
              "ON CONFLICT (incident_id, email_key) DO NOTHING")

    def link_rows(chunk: list[Person]) -> None:
        raw.executemany(insert, [_row(incident_id, p) for p in chunk])
    return link_rows


def worklist(uow: UnitOfWork, incident_id: str) -> list[dict[str, object]]:
    """The people who need another channel (a letter, a phone call): no usable address, or SendGrid reported
    that the notice bounced or was dropped."""
    with uow:
        row = uow.incident(incident_id)
        people = uow.session.execute(
            select(SubjectRow.source_line, SubjectRow.name, SubjectRow.email, SubjectRow.language,
                   SubjectRow.status, SubjectRow.problem)
            .where(SubjectRow.incident_id == row.id, SubjectRow.status.in_(OTHER_CHANNEL))
            .order_by(SubjectRow.source_line)).all()
    return [{"line": line, "name": name, "email": email or "", "language": language, "status": status,
             "problem": problem or ""} for line, name, email, language, status, problem in people]
