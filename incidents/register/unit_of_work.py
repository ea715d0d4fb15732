"""The unit of work: one transaction per service call, rolled back unless committed (nothing half-written)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Self

from sqlalchemy import ColumnElement, any_, bindparam, event, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from incidents import audit
from incidents.errors import UnknownIncident
from incidents.register.db import migrate, session_factory
from incidents.register.tables import (
    AssessmentRow,
    AuthorityFilingRow,
    DecisionRow,
    DispatchBatchRow,
    IncidentRow,
    NoticeRow,
    SubjectRow,
)


def as_sending(counts: dict[str, int], in_flight: int) -> dict[str, int]:
    """Counts per status with `in_flight` of the pending people shown as 'sending' (UnitOfWork.in_flight)."""
    if in_flight:
        counts = {**counts, "sending": counts.get("sending", 0) + in_flight}
        counts["pending"] = counts.get("pending", 0) - in_flight
        if not counts["pending"]:
            del counts["pending"]
    return counts


def any_of(column: Any, values: Iterable[Any], dialect: str) -> ColumnElement[bool]:
    """`column IN values` for hundreds of values as one bound parameter: a JSON array read by json_each on
    SQLite, an array on PostgreSQL. SQLAlchemy's `column.in_(values)` binds and renders each value on every
    execution (most of the time of a list's queries when they find little); the database answers the same."""
    values = list(values)
    if dialect == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    listed = func.json_each(bindparam(None, json.dumps(values))).table_valued("value")
    return column.in_(select(listed.c.value))  # type: ignore[no-any-return]


class ReadOnly(RuntimeError):
    """Something tried to write through a unit of work that only reads: a bug in the caller, not bad input."""


def _refuse_writing(session: Session, *_: object) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnly("this unit of work only reads; use a writing one (Workspace.uow) to record")


def _refuse_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnly("this unit of work only reads; use a writing one (Workspace.uow) to record")


class UnitOfWork:
    """`with uow:` opens a session; `uow.commit()` ends it well; leaving without commit rolls back.

    A unit of work made `reading` only reads (the dashboard's pages): on SQLite its transaction takes no write
    lock, so neither a long write nor another reader holds it up; writing in it is refused (ReadOnly)."""

    def __init__(self, url: str, *, prepare: bool = True, reading: bool = False):
        self.url = url
        if prepare:
            migrate(url)
        self.reading = reading
        self._factory: sessionmaker[Session] = session_factory(url, reading)
        self.session: Session

    def __enter__(self) -> Self:
        self.session = self._factory()
        if self.reading:
            event.listen(self.session, "before_flush", _refuse_writing)
            event.listen(self.session, "do_orm_execute", _refuse_statement)
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    # --- the repository: how the services load things ------------------------------------------------

    def incident(self, incident_id: str) -> IncidentRow:
        row = self.session.get(IncidentRow, incident_id.strip().upper())
        if row is None:
            raise UnknownIncident(incident_id)
        return row

    def incidents(self, organisation_ids: list[int] | None = None) -> list[IncidentRow]:
        """Every incident (of these organisations), in the order reported."""
        query = select(IncidentRow).order_by(IncidentRow.reported_at, IncidentRow.id)
        if organisation_ids is not None:
            query = query.where(IncidentRow.organisation_id.in_(organisation_ids))
        return list(self.session.scalars(query))

    def latest_assessment(self, incident_id: str) -> AssessmentRow | None:
        return self.session.scalars(
            select(AssessmentRow).where(AssessmentRow.incident_id == incident_id).order_by(AssessmentRow.id.desc())
        ).first()

    def latest_decision(self, incident_id: str) -> DecisionRow | None:
        return self.session.scalars(
            select(DecisionRow).where(DecisionRow.incident_id == incident_id).order_by(DecisionRow.id.desc())
        ).first()

    def notice(self, incident_id: str, kind: str) -> NoticeRow | None:
        return self.session.scalars(
            select(NoticeRow).where(NoticeRow.incident_id == incident_id, NoticeRow.kind == kind)
        ).first()

    def notices(self, incident_id: str) -> list[NoticeRow]:
        return list(
            self.session.scalars(select(NoticeRow).where(NoticeRow.incident_id == incident_id).order_by(NoticeRow.id))
        )

    def authority_filings(self, incident_id: str) -> list[AuthorityFilingRow]:
        """Every filing at the AP (first, follow-ups, a withdrawal), oldest first."""
        return list(self.session.scalars(select(AuthorityFilingRow).where(AuthorityFilingRow.incident_id == incident_id)
                                         .order_by(AuthorityFilingRow.id)))

    def authority_filing(self, incident_id: str) -> AuthorityFilingRow | None:
        return self.session.scalars(
            select(AuthorityFilingRow).where(AuthorityFilingRow.incident_id == incident_id)
            .order_by(AuthorityFilingRow.id)  # the first filing stops the AP clock; follow-ups do not move it
        ).first()

    def subject_counts(self, incident_id: str, in_flight: bool = True) -> dict[str, int]:
        """Per status of the first message, the incident's people; with `in_flight`, those of a batch on its
        way to the mail service count as 'sending' (see in_flight)."""
        rows = self.session.execute(
            select(SubjectRow.status, func.count()).where(SubjectRow.incident_id == incident_id).group_by(
                SubjectRow.status
            )
        )
        counts = {status: count for status, count in rows}
        return as_sending(counts, self.in_flight([incident_id]).get(incident_id, 0)) if in_flight else counts

    def update_counts(self, incident_id: str, in_flight: bool = True) -> dict[str, int]:
        """Per status of the follow-up (pending, sending, sent, delivered, bounced, ...), the people it is for."""
        rows = self.session.execute(
            select(SubjectRow.update_status, func.count()).where(
                SubjectRow.incident_id == incident_id, SubjectRow.update_status.is_not(None)).group_by(
                SubjectRow.update_status))
        counts = {str(status): count for status, count in rows}
        if not in_flight:
            return counts
        return as_sending(counts, self.in_flight([incident_id], "subject_update").get(incident_id, 0))

    def in_flight(self, incident_ids: list[str], kind: str = "subject_notice") -> dict[str, int]:
        """Per incident, its people still pending in a batch a dispatch claimed and has not marked: the request
        may be at the mail service (incidents.services.dispatch). A person's own row says 'pending' until the
        mark; what people read says 'sending', as it did when each person was marked before the request."""
        status = SubjectRow.status if kind == "subject_notice" else SubjectRow.update_status
        found: dict[str, int] = {}
        for incident_id, language, first, last in self.session.execute(
                select(DispatchBatchRow.incident_id, DispatchBatchRow.language, DispatchBatchRow.first_id,
                       DispatchBatchRow.last_id).where(
                    any_of(DispatchBatchRow.incident_id, incident_ids, self.session.connection().dialect.name),
                    DispatchBatchRow.kind == kind,
                    DispatchBatchRow.status == "sending", DispatchBatchRow.first_id.is_not(None))):
            found[incident_id] = found.get(incident_id, 0) + (self.session.scalar(
                select(func.count()).where(SubjectRow.incident_id == incident_id, SubjectRow.language == language,
                                           SubjectRow.id.between(first, last), status == "pending")) or 0)
        return found

    def record(self, *, at: datetime, actor: str, incident_id: str | None, action: str, **details: Any) -> None:
        audit.append(self.session, at=at, actor=actor, incident_id=incident_id, action=action, details=details)
