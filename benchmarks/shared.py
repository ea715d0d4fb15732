"""What the benchmarks share: an assessed incident in a fresh workspace, to notify people of."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def assessed_incident(ws, now: datetime) -> str:  # type: ignore[no-untyped-def]
    """An incident reported an hour after awareness and assessed with the Qoers example's facts; its id."""
    from incidents import services
    from incidents.model import AssessmentFacts, IncidentReport
    from incidents.validation import load_document, parse_model

    report = IncidentReport(title="Newsletter list exposed", description="The newsletter list was readable online.",
                            discovered_at=now - timedelta(hours=2), aware_at=now - timedelta(hours=1),
                            awareness_reason="A short check confirmed that personal data were affected.",
                            source="internal", reported_by="bench")
    incident_id = services.report_incident(ws.uow(), ws.profile, report, "bench", now)
    facts = parse_model(AssessmentFacts, load_document(ROOT / "examples/qoers/assessment.yaml", "a"), "a")
    services.record_assessment(ws.uow(), ws.profile, incident_id, facts, "bench", now)
    return incident_id
