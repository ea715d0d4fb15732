"""The art. 33(5) register export: every breach with its facts, effects and remedial action, notified or not.

One set of entries, three renderings: CSV (one row per breach, spreadsheet-safe), JSON (with the filing
history) and a printable HTML document for the AP (templates/<lang>/register/register.html.j2).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from incidents.authority_notice import Filing, consequences_for_people
from incidents.edpb import cause
from incidents.legal import NO_FINDINGS
from incidents.notify.render import render
from incidents.profile import Profile
from incidents.register.tables import AuthorityAnswerRow, AuthorityFilingRow, IncidentRow, NoticeRow
from incidents.register.unit_of_work import UnitOfWork, any_of
from incidents.times import iso
from incidents.tracks import AuthorityState
from incidents.views import BATCH, IncidentView, incident_views, tracks_json

if TYPE_CHECKING:
    from incidents.services.organisations import Overview

CAUSES = {"a": "internal_accidental", "b": "internal_malicious", "c": "external_accidental",
          "d": "external_malicious"}

COLUMNS = [
    "id", "title", "status", "authority_track", "people_track", "description", "source", "reported_by", "systems",
    "occurred_from", "occurred_until", "discovered_at", "aware_at", "awareness_reason", "reported_at",
    "authority_due_at", "authority_clock", "overdue",
    "assessment_summary", "confidentiality", "integrity", "availability", "malicious", "categories",
    "count_min", "count_max", "groups", "measures",
    "severity_level", "high_risk", "special_categories", "criminal_data", "art34_3_exemptions",
    "likely_consequences",
    "notify_authority", "notify_subjects", "decision_reason", "decided_by", "decided_at",
    "authority_notification", "not_notified_reason",
    "authority_notice_prepared_at", "authority_filed_at", "authority_reference", "delay_reason",
    "authority_follow_ups", "authority_withdrawn_at", "authority_withdrawal_reason", "authority_notice_versions",
    "subjects_total", "subjects_sent", "subjects_unreachable", "subjects_notified_at", "public_notice_published_at",
    "closing_reason", "closed_despite", "lessons", "improvements", "incident_kind", "cause",
]


@dataclass(frozen=True)
class RegisterEntry:
    """One breach in the register: the incident as it stands, with its AP filing history."""

    incident: IncidentView
    filings: list[Filing] = field(default_factory=list)
    versions: int = 0  # kept versions of the AP notice
    incident_kind: str | None = None  # the AP form's 5.2, as answered (`breach authority answer ID 5.2 KIND`)

    @property
    def cause(self) -> str | None:
        """Where the cause lay and whether it was intended (the EDPB template's field 61, edpb.cause), from the
        kind of incident and the assessment: internal_accidental, internal_malicious, external_accidental,
        external_malicious; None while it cannot be told."""
        a = self.incident.assessment
        letter = cause(self.incident_kind, a.malicious if a else False)
        return CAUSES.get(letter) if letter else None

    @property
    def first(self) -> Filing | None:
        return next((f for f in self.filings if f.kind == "first"), None)

    @property
    def follow_ups(self) -> list[Filing]:
        return [f for f in self.filings if f.kind == "follow_up"]

    @property
    def withdrawal(self) -> Filing | None:
        return next((f for f in self.filings if f.kind == "withdrawal"), None)

    @property
    def notification(self) -> str:
        """The AP track (incidents.tracks) in the register's words: dismissed (not a personal-data breach),
        undecided, not_required, pending (decided, not filed yet), filed, filed_late (after 72 hours,
        art. 33(1)) or withdrawn."""
        track = self.incident.tracks.authority
        state, details = track.state, track.details
        if state in (AuthorityState.FILED, AuthorityState.PHASED, AuthorityState.COMPLETE):
            return "filed_late" if details["late"] else "filed"
        if state == AuthorityState.NOT_REQUIRED and details["reason"] == "not_a_breach":
            return "dismissed"
        return "pending" if state == AuthorityState.TO_FILE else state.value

    @property
    def not_notified_reason(self) -> str | None:
        """Art. 33(5): for a breach not notified, why (the decision's reason, the dismissal or the withdrawal)."""
        state = self.notification
        if state == "not_required" and self.incident.decision is not None:
            return self.incident.decision.reason
        if state == "dismissed":
            return self.incident.closing_reason
        if state == "withdrawn" and self.withdrawal is not None:
            return self.withdrawal.withdrawal_reason
        return None


def register_entries(uow: UnitOfWork, now: datetime, organisation_id: int | None = None) -> list[RegisterEntry]:
    return [entry for chunk in register_chunks(uow, now, organisation_id) for entry in chunk]


def register_chunks(uow: UnitOfWork, now: datetime, organisation_id: int | None = None
                    ) -> Iterator[list[RegisterEntry]]:
    """The register's entries in the order reported, a few thousand at a time (incidents.views.BATCH): the
    export is written while it is read, and never holds every view at once. The register of art. 33(5) is the
    controller's: with `organisation_id`, that organisation's incidents only. An advice is shown by its level
    and findings, so the views come without the recommendations' lines."""
    with uow:
        connection = uow.session.connection()  # plain rows (Core): the values only, no ORM entities
        versions: dict[int, tuple[str, int]] = {
            n.id: (n.incident_id, n.version) for n in connection.execute(
                select(NoticeRow.id, NoticeRow.incident_id, NoticeRow.version)
                .where(NoticeRow.kind == "authority_notice")).all()
        }
        filings: dict[str, list[Filing]] = {}
        for f in connection.execute(select(AuthorityFilingRow.__table__).order_by(AuthorityFilingRow.id)).all():
            filings.setdefault(f.incident_id, []).append(Filing(
                id=f.id, kind=f.kind, filed_at=f.filed_at, filed_by=f.filed_by,
                reference=f.reference, delay_reason=f.delay_reason, changes=f.changes,
                withdrawal_reason=f.withdrawal_reason, previous_id=f.previous_id,
                version=versions.get(f.notice_id, ("", None))[1]))
        counts: dict[str, int] = {}
        for incident_id, _version in versions.values():
            counts[incident_id] = counts.get(incident_id, 0) + 1
        kinds = {a.incident_id: json.loads(a.value)[0] for a in connection.execute(  # the latest answer counts
            select(AuthorityAnswerRow.incident_id, AuthorityAnswerRow.value)
            .where(AuthorityAnswerRow.question == "5.2").order_by(AuthorityAnswerRow.id)).all()}
        which = select(IncidentRow.id).order_by(IncidentRow.reported_at, IncidentRow.id)
        if organisation_id is not None:
            which = which.where(IncidentRow.organisation_id == organisation_id)
        ids = list(connection.execute(which).scalars())
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            connection = uow.session.connection()  # each chunk in a transaction of its own (see below)
            found: dict[str, Any] = {r.id: r for r in connection.execute(select(IncidentRow.__table__).where(
                any_of(IncidentRow.id, chunk, connection.dialect.name))).all()}
            views = incident_views(uow, [found[i] for i in chunk if i in found], now, lines=False)
            entries = [RegisterEntry(v, filings.get(v.id, []), counts.get(v.id, 0), kinds.get(v.id)) for v in views]
            # the transaction ends before the entries go out (on SQLite it holds the register's write lock): a
            # slow download does not keep anyone from recording; the next chunk is read in a new one
            uow.session.rollback()
            uow.session.expunge_all()
            yield entries


def register_rows(uow: UnitOfWork, now: datetime, organisation_id: int | None = None) -> list[dict[str, Any]]:
    """The register's rows: the CSV's COLUMNS, and for JSON both tracks and the AP filing history."""
    return [_json_row(e) for e in register_entries(uow, now, organisation_id)]


def _json_row(entry: RegisterEntry) -> dict[str, Any]:
    row = _row(entry)
    row["tracks"] = tracks_json(entry.incident.tracks)
    row["authority_filings"] = [
        {"kind": f.kind, "filed_at": iso(f.filed_at), "filed_by": f.filed_by, "reference": f.reference,
         "delay_reason": f.delay_reason, "changes": f.changes, "withdrawal_reason": f.withdrawal_reason,
         "version": f.version}
        for f in entry.filings
    ]
    return row


def _row(entry: RegisterEntry) -> dict[str, Any]:
    """The CSV's COLUMNS of one breach."""
    v = entry.incident
    a, d, rec = v.assessment, v.decision, v.recommendation
    found = rec.findings if rec else NO_FINDINGS
    tracks = v.tracks
    notice, told = v.notice("authority_notice"), v.notice("subject_notice")
    first, withdrawal = entry.first, entry.withdrawal
    return {
        "id": v.id, "title": v.title, "status": v.status.value, "authority_track": tracks.authority.state.value,
        "people_track": tracks.people.state.value, "description": v.description,
        "source": v.source_kind + (f":{v.source_processor}" if v.source_processor else ""),
        "reported_by": v.reported_by, "systems": "; ".join(v.systems),
        "occurred_from": iso(v.occurred_from), "occurred_until": iso(v.occurred_until),
        "discovered_at": iso(v.discovered_at), "aware_at": iso(v.aware_at),
        "awareness_reason": v.awareness_reason, "reported_at": iso(v.reported_at),
        "authority_due_at": iso(v.authority_clock.due_at), "authority_clock": v.authority_clock.state,
        "overdue": v.overdue,
        "assessment_summary": a.summary if a else None,
        "confidentiality": a.confidentiality if a else None, "integrity": a.integrity if a else None,
        "availability": a.availability if a else None, "malicious": a.malicious if a else None,
        "categories": "; ".join(a.categories) if a else None,
        "count_min": a.count_min if a else None, "count_max": a.count_max if a else None,
        "groups": "; ".join(a.groups) if a else None, "measures": a.measures if a else None,
        "severity_level": rec.level if rec else None, "high_risk": found.high_risk if rec else None,
        "special_categories": found.special_categories if rec else None,
        "criminal_data": found.criminal_data if rec else None,
        "art34_3_exemptions": "; ".join(found.exemptions) if rec else None,
        "likely_consequences": "; ".join(consequences_for_people(a)) if a else None,
        "notify_authority": d.notify_authority if d else None, "notify_subjects": d.notify_subjects if d else None,
        "decision_reason": d.reason if d else None, "decided_by": d.decided_by if d else None,
        "decided_at": iso(d.decided_at) if d else None,
        "authority_notification": entry.notification, "not_notified_reason": entry.not_notified_reason,
        "authority_notice_prepared_at": iso(notice.finished_at) if notice else None,
        "authority_filed_at": iso(first.filed_at) if first else None,
        "authority_reference": first.reference if first else None,
        "delay_reason": first.delay_reason if first else None,
        "authority_follow_ups": len(entry.follow_ups),
        "authority_withdrawn_at": iso(withdrawal.filed_at) if withdrawal else None,
        "authority_withdrawal_reason": withdrawal.withdrawal_reason if withdrawal else None,
        "authority_notice_versions": entry.versions,
        "subjects_total": sum(v.subjects.values()), "subjects_sent": v.people_notified,
        "subjects_unreachable": v.subjects.get("unreachable", 0),
        "subjects_notified_at": iso(told.finished_at) if told and told.status == "done" else None,
        "public_notice_published_at": iso(v.public_notice.finished_at) if v.public_notice else None,
        "closing_reason": v.closing_reason, "closed_despite": v.closed_despite,
        "lessons": v.lessons, "improvements": v.improvements,
        "incident_kind": entry.incident_kind, "cause": entry.cause,
    }


# What a spreadsheet may split a line of CSV on: the comma the tool writes, the semicolon of Dutch (and most
# European) Excel, a tab; and the line breaks, which a spreadsheet that split on another separator than ours (and
# so read our quotes as text) takes as the end of a row. A cell is inert when neither it nor any fragment of it
# after one of these starts, past spaces and double quotes (which a spreadsheet strips), with a character that
# starts a formula (=, +, -, @, tab, CR; OWASP's CSV injection list): each such fragment is prefixed with '.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SEPARATORS = ",;\t\r\n"
_AFTER_SEPARATOR = re.compile(f"([{re.escape(SEPARATORS)}])(?=[ \"]*[{re.escape(''.join(FORMULA_START))}])")
# a formula start after a separator (no `^|` in front: the search is four times faster without it)
_AFTER_ANY_SEPARATOR = re.compile(f"[{re.escape(SEPARATORS)}][ \"]*[{re.escape(''.join(FORMULA_START))}]")


def inert(value: Any) -> Any:
    """A cell no spreadsheet runs as a formula, whatever separator it splits the line on: `=1+1` becomes `'=1+1`,
    `x;=1+1;` becomes `x;'=1+1;` (Dutch Excel splits it on `;`). Other values are left as they are."""
    if not isinstance(value, str) or not (value.lstrip(' "')[:1] in FORMULA_START
                                          or _AFTER_ANY_SEPARATOR.search(value)):  # one look at most cells
        return value
    if _AFTER_SEPARATOR.search(value):
        value = _AFTER_SEPARATOR.sub(r"\1'", value)
    if value.lstrip(' "')[:1] in FORMULA_START:
        value = "'" + value
    return value


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_cells(row))
    return out.getvalue()


def _cells(row: dict[str, Any]) -> list[Any]:
    cells = [row[k] for k in COLUMNS]  # None is written as an empty cell
    # one look at the whole row, its text cells each after a line break (a separator, and no character a
    # formula starts with): the row matches when any of its cells would, and most rows don't
    if _AFTER_ANY_SEPARATOR.search("\n" + "\n".join([c for c in cells if c.__class__ is str])):
        return [inert(c) for c in cells]
    return cells


def csv_lines(uow: UnitOfWork, now: datetime, organisation_id: int | None = None) -> Iterator[str]:
    """to_csv(register_rows(uow, now)) in pieces, as the register is read: the header, then a piece per chunk."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield out.getvalue()
    for chunk in register_chunks(uow, now, organisation_id):
        out.seek(0)
        out.truncate()
        for entry in chunk:
            writer.writerow(_cells(_row(entry)))
        yield out.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps({"register": rows}, ensure_ascii=False, indent=2)


def to_html(templates: Path, language: str, entries: list[RegisterEntry], profile: Profile,
            generated_at: datetime) -> str:
    """The register as a printable document for the AP: every breach, notified or not, and why."""
    return render(templates, language, "register/register.html.j2", entries=entries,
                  organisation=profile.organisation, generated_at=generated_at)


OVERVIEW_COLUMNS = ("organisation", "name", "open_incidents", "nearest_ap_deadline", "nearest_incident", "overdue",
                    "incidents_this_year", "notified_to_ap", "not_notified_to_ap", "people_told")


def overview_csv(rows: list[Overview]) -> str:
    """The organisations' overview (`breach org overview --csv`, the dashboard's download): machine-readable
    columns like the register's CSV, every cell inert in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(OVERVIEW_COLUMNS)
    for o in rows:
        writer.writerow([inert(str(v)) for v in (
            o.slug, o.name or "", o.open_incidents, iso(o.nearest_due_at) if o.nearest_due_at else "",
            o.nearest_incident or "", o.overdue, o.incidents_this_year, o.notified_to_authority,
            o.not_notified_to_authority, o.people_told)])
    return out.getvalue()


WORKLIST_COLUMNS = ["line", "name", "email", "language", "status", "problem"]


def worklist_csv(rows: list[dict[str, Any]]) -> str:
    """The alternative-channel worklist as CSV, every cell inert in a spreadsheet."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=WORKLIST_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: inert(v) for k, v in row.items()})
    return out.getvalue()
