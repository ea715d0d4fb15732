"""Delivery tracking: SendGrid's events about the messages to the affected people (the first notice and the
follow-up), applied to their status."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, or_, select

from incidents.register.tables import IncidentRow, SubjectRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.services.common import SEND_BATCH
from incidents.services.dispatch import claimed
from incidents.webhooks import FAILED, DeliveryEvent, raises, strongest, weaker_than

ACTOR = "sendgrid-webhook"  # the audit trail's actor for what SendGrid reported


@dataclass(frozen=True)
class DeliveriesRecorded:
    """Counts only (the answer to SendGrid, the audit trail)."""

    people: int  # distinct people the events were about
    changed: dict[str, int] = field(default_factory=dict)  # people moved to each status
    unchanged: int = 0  # already in that state or a stronger one (a retried or out-of-order event)
    unknown: int = 0  # no such person in that incident (another register, a deleted incident)


def record_deliveries(uow: UnitOfWork, events: Iterable[DeliveryEvent], now: datetime,
                      organisation_id: int | None = None) -> DeliveriesRecorded:
    """Apply delivery events to the people's status, in one transaction, 1 000 people a statement. With
    `organisation_id` (the events came from that organisation's own SendGrid account), only its people's.

    Idempotent and order-independent: each person keeps the strongest state any event reported (sent <
    deferred < delivered < bounced < dropped, see incidents.webhooks.RANK), so SendGrid retrying a batch, or
    sending events out of order, changes nothing twice. Bounced and dropped people keep SendGrid's reason and
    land on the alternative-channel worklist. Each incident whose people changed gets one audit entry with
    the counts.
    """
    best = strongest(events)
    changed: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    unchanged = unknown = 0
    table = cast(Table, SubjectRow.__table__)
    # a pending person of a batch claimed and not yet marked: the request went out, its event may come first
    # (asked only of pending people)
    in_flight = [case((column == "pending", claimed(table, kind)), else_=False)
                 for kind, column in (("subject_notice", table.c.status), ("subject_update", table.c.update_status))]
    with uow:
        items = iter(sorted(best.items()))
        while chunk := list(islice(items, SEND_BATCH)):
            ids = [subject_id for (_, subject_id, _), _ in chunk]
            current = {sid: (incident_id, {"subject_notice": status, "subject_update": update_status}, organisation,
                             {"subject_notice": bool(notice_claimed), "subject_update": bool(update_claimed)})
                       for sid, incident_id, status, update_status, organisation, notice_claimed, update_claimed
                       in uow.session.execute(
                           select(SubjectRow.id, SubjectRow.incident_id, SubjectRow.status, SubjectRow.update_status,
                                  IncidentRow.organisation_id, *in_flight)
                           .join(IncidentRow, IncidentRow.id == SubjectRow.incident_id)
                           .where(SubjectRow.id.in_(ids)))}
            moves: dict[tuple[str, str, bool], list[dict[str, Any]]] = defaultdict(list)
            for (incident_id, subject_id, kind), event in chunk:
                found = current.get(subject_id)
                # the person, the incident and (when the message said it) the organisation must all match: an
                # event about one organisation's message never changes another's person
                if (found is None or found[0] != incident_id or event.organisation not in (None, found[2])
                        or organisation_id not in (None, found[2])):
                    unknown += 1
                elif not raises(found[1][kind] or "", event.status, found[3][kind]):
                    unchanged += 1
                else:
                    early = found[1][kind] == "pending"  # before the dispatcher marked its batch
                    moves[(kind, event.status, early)].append({"sid": subject_id, "iid": incident_id,
                                                               "why": event.reason})
                    changed[(incident_id, kind)][event.status] += 1
            for (kind, status, early), rows in moves.items():
                # the guard repeats the rule in the database: a concurrent writer (the dispatcher settling a
                # batch, a parallel webhook request) cannot be overtaken by a weaker state. The follow-up has its
                # own status; its failure does not replace the first message's reason (that one was delivered)
                column = table.c.status if kind == "subject_notice" else table.c.update_status
                values: dict[str, Any] = {column.name: status}
                if status in FAILED and kind == "subject_notice":
                    values["problem"] = bindparam("why")
                # (the claim's condition only where it can matter: it made every statement a fifth slower)
                guard = [column == weaker for weaker in weaker_than(status)]
                if early:
                    guard.append(and_(column == "pending", claimed(table, kind)))
                statement = table.update().where(
                    table.c.id == bindparam("sid"), table.c.incident_id == bindparam("iid"),
                    or_(*guard)).values(**values)
                uow.session.execute(statement, rows)
        for (incident_id, kind), counts in sorted(changed.items()):
            uow.record(at=now, actor=ACTOR, incident_id=incident_id, action="deliveries_recorded",
                       **({"kind": kind} if kind != "subject_notice" else {}), **dict(sorted(counts.items())))
        uow.commit()
    total = Counter[str]()
    for counts in changed.values():
        total.update(counts)
    return DeliveriesRecorded(len(best), dict(sorted(total.items())), unchanged, unknown)
