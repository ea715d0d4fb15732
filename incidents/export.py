"""The art. 33(5) register export: every breach with its facts, effects and remedial action, notified or not."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from incidents.register.tables import AuthorityFilingRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.times import iso
from incidents.views import IncidentView, incident_view

COLUMNS = [
    "id", "title", "status", "description", "source", "reported_by", "systems",
    "occurred_from", "occurred_until", "discovered_at", "aware_at", "reported_at",
    "authority_due_at", "authority_clock", "overdue",
    "assessment_summary", "confidentiality", "integrity", "availability", "malicious", "categories",
    "count_min", "count_max", "groups", "measures",
    "notify_authority", "notify_subjects", "decision_reason", "decided_by", "decided_at",
    "authority_notice_prepared_at", "authority_filed_at", "authority_reference", "delay_reason",
    "subjects_total", "subjects_sent", "subjects_unreachable", "closing_reason",
]


def register_rows(uow: UnitOfWork, now: datetime) -> list[dict[str, Any]]:
    with uow:
        views = [incident_view(uow, row.id, now) for row in uow.incidents()]
        filings = {f.incident_id: f for f in uow.session.scalars(select(AuthorityFilingRow))}
        return [_row(v, filings.get(v.id)) for v in views]


def _row(v: IncidentView, filing: AuthorityFilingRow | None) -> dict[str, Any]:
    a, d = v.assessment, v.decision
    notice = v.notice("authority_notice")
    return {
        "id": v.id, "title": v.title, "status": v.status.value, "description": v.description,
        "source": v.source_kind + (f":{v.source_processor}" if v.source_processor else ""),
        "reported_by": v.reported_by, "systems": "; ".join(v.systems),
        "occurred_from": iso(v.occurred_from), "occurred_until": iso(v.occurred_until),
        "discovered_at": iso(v.discovered_at), "aware_at": iso(v.aware_at), "reported_at": iso(v.reported_at),
        "authority_due_at": iso(v.authority_clock.due_at), "authority_clock": v.authority_clock.state,
        "overdue": v.overdue,
        "assessment_summary": a.summary if a else None,
        "confidentiality": a.confidentiality if a else None, "integrity": a.integrity if a else None,
        "availability": a.availability if a else None, "malicious": a.malicious if a else None,
        "categories": "; ".join(a.categories) if a else None,
        "count_min": a.count_min if a else None, "count_max": a.count_max if a else None,
        "groups": "; ".join(a.groups) if a else None, "measures": a.measures if a else None,
        "notify_authority": d.notify_authority if d else None, "notify_subjects": d.notify_subjects if d else None,
        "decision_reason": d.reason if d else None, "decided_by": d.decided_by if d else None,
        "decided_at": iso(d.decided_at) if d else None,
        "authority_notice_prepared_at": iso(notice.finished_at) if notice else None,
        "authority_filed_at": iso(filing.filed_at) if filing else None,
        "authority_reference": filing.reference if filing else None,
        "delay_reason": filing.delay_reason if filing else None,
        "subjects_total": sum(v.subjects.values()), "subjects_sent": v.subjects.get("sent", 0),
        "subjects_unreachable": v.subjects.get("unreachable", 0), "closing_reason": v.closing_reason,
    }


def inert(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is prefixed with ' so it stays text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: inert("" if row[k] is None else row[k]) for k in COLUMNS})
    return out.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps({"register": rows}, ensure_ascii=False, indent=2)
