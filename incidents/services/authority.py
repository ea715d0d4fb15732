"""The notice to the Autoriteit Persoonsgegevens: rendering it and recording its filing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from incidents.errors import FieldError, InvalidInput, InvalidTransition
from incidents.notify.render import render
from incidents.profile import Profile
from incidents.register.tables import (
    AuthorityFilingRow,
)
from incidents.register.unit_of_work import UnitOfWork
from incidents.services.common import (
    Outcome,
    categories_of,
    claim_notice,
)
from incidents.views import incident_view


def prepare_authority_notice(uow: UnitOfWork, profile: Profile, templates: Path, notices_dir: Path,
                             incident_id: str, now: datetime) -> Outcome:
    """Render the AP notice (Dutch, the form's language, plus an English reading copy), once per incident."""
    with uow:
        row = uow.incident(incident_id)
        decision = uow.latest_decision(row.id)
        if decision is None or not decision.notify_authority:
            return Outcome("authority_notice", False, detail="no decision to notify the AP")
        notice = claim_notice(uow, row.id, "authority_notice", "file", now)
        if notice is None:
            return Outcome("authority_notice", True, detail="already prepared")
        view = incident_view(uow, row.id, now)
        counts = view.subjects
        context = {
            "incident": view, "profile": profile,
            "processor": profile.processor(row.source_processor) if row.source_processor else None,
            "categories": categories_of(profile, view.assessment.categories if view.assessment else []),
            "subjects": {"total": sum(counts.values()), "unreachable": counts.get("unreachable", 0),
                      "reachable": sum(counts.values()) - counts.get("unreachable", 0)},
            "generated_at": now, "late": now > row.authority_due_at, "version": notice.version,
        }
        folder = notices_dir / row.id
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for language in ("nl", "en"):
            for suffix in ("html", "txt"):
                path = folder / f"authority-notice-v{notice.version}.{language}.{suffix}"
                body = render(templates, language, f"authority/notice.{suffix}.j2", **context)
                tmp = path.with_suffix(path.suffix + ".tmp")
                tmp.write_text(body, encoding="utf-8")
                tmp.replace(path)
                written.append(path)
        notice.status, notice.finished_at, notice.location = "done", now, str(written[0])
        uow.record(at=now, actor="response-flow", incident_id=row.id, action="authority_notice_prepared",
                   version=notice.version, late=context["late"])
        uow.commit()
    return Outcome("authority_notice", True, len(written), detail=str(written[0]))


def record_filing(uow: UnitOfWork, incident_id: str, reference: str, filed_at: datetime,
                  delay_reason: str | None, actor: str, now: datetime) -> None:
    """Record that the AP notice was filed through the AP's form, with the AP's reference (meldnummer).

    GDPR art. 33(1): a notification made later than 72 hours after awareness must give the reasons for the delay.
    """
    reference = reference.strip()
    if not reference:
        raise InvalidInput("filing", [FieldError("--reference", "give the AP's reference number (meldnummer)")])
    if filed_at > now:
        raise InvalidInput("filing", [FieldError("--at", "the filing time is in the future")])
    with uow:
        row = uow.incident(incident_id)
        notice = uow.notice(row.id, "authority_notice")
        if notice is None or notice.status != "done":
            raise InvalidTransition(f"incident {row.id} has no AP notice prepared yet; the response flow prepares "
                                    "it after a decision to notify the AP")
        if filed_at < row.aware_at:
            raise InvalidInput("filing", [FieldError("--at", "the filing time is before the incident's aware_at")])
        if uow.authority_filing(row.id) is not None:
            raise InvalidTransition(f"the AP notice of incident {row.id} is recorded as filed already")
        late = filed_at > row.authority_due_at
        if late and not (delay_reason and delay_reason.strip()):
            raise InvalidInput("filing", [FieldError(
                "--delay-reason", "the notice is filed more than 72 hours after awareness; GDPR art. 33(1) "
                "requires the reasons for the delay")])
        uow.session.add(AuthorityFilingRow(
            incident_id=row.id, notice_id=notice.id, kind="first", filed_at=filed_at, filed_by=actor,
            reference=reference, delay_reason=delay_reason.strip() if late and delay_reason else None,
            recorded_at=now,
        ))
        uow.record(at=now, actor=actor, incident_id=row.id, action="authority_notice_filed", late=late)
        uow.commit()
