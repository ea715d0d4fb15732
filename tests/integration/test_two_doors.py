"""Two doors, one service per action: the same scripted incident driven through the `breach` command and through
the dashboard's HTTP forms leaves the same register rows, ids, times and actors aside. On SQLite and PostgreSQL.

The script: report, assess, import the people, decide as advised, approve the message to the people, file at the
AP, close. What the response flow
does in between (prepare the AP notice, send the e-mails, move the lifecycle) is done the same way for both.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import inspect, select

from breach.cli import main
from incidents import services
from incidents.register.tables import (
    AssessmentCategoryRow,
    AssessmentGroupRow,
    AssessmentRow,
    AuditRow,
    AuthorityFilingRow,
    DecisionRow,
    IncidentRow,
    IncidentSystemRow,
    MessageVersionRow,
    NoticeRow,
    RecommendationReasonRow,
    RecommendationRow,
    SubjectRow,
)
from incidents.times import local
from tests.conftest import EXAMPLES
from tests.integration.test_web_security import Dashboard, dashboard  # noqa: F401

TABLES = (IncidentRow, IncidentSystemRow, AssessmentRow, AssessmentCategoryRow, AssessmentGroupRow, RecommendationRow,
          RecommendationReasonRow, DecisionRow, SubjectRow, NoticeRow, AuthorityFilingRow, MessageVersionRow)
NOW = datetime.now(UTC).replace(second=0, microsecond=0)
REPORT = {
    "title": "Map met coachverslagen was openbaar te bekijken via een gedeelde link",
    "description": "Een map met coachverslagen was te openen voor iedereen met de link.",
    "discovered_at": NOW - timedelta(hours=20), "aware_at": NOW - timedelta(hours=8),
    "awareness_reason": "De volgende ochtend is de link zelf geopend om te zien of de verslagen open stonden.",
    "source": "data_subject", "reported_by": "Privacycontact Qoers", "systems": ["Coachverslagen (Google Drive)"],
}
ASSESSMENT = (EXAMPLES / "assessment.yaml").read_text(encoding="utf-8")
CLOSING = "Alle coachees zijn geïnformeerd en de map wordt niet meer gedeeld."
LESSONS = "Delen via een link stond standaard open en niemand controleerde het."
IMPROVEMENTS = "Delen via een link staat uit; elk kwartaal worden de gedeelde mappen nagelopen."


def the_flows_part(board: Dashboard, incident_id: str) -> None:
    """What the response flow does after the decision and after the filing, the same for both doors."""
    ws, now = board.ws, datetime.now(UTC)
    services.prepare_authority_notice(ws.uow(), ws.profile, ws.settings.templates_dir, ws.settings.notices_dir,
                                      incident_id, now)
    services.draft_message(ws.uow(), ws.profile, ws.settings.templates_dir, incident_id, "response-flow", now)


def the_dispatch(board: Dashboard, incident_id: str) -> None:
    """What the response flow does after the approval of the message, the same for both doors."""
    ws = board.ws
    services.notify_subjects(ws.uow(), ws.profile, ws.mailer, ws.settings.templates_dir, incident_id, None,
                             datetime.now(UTC))


def by_the_cli(board: Dashboard, tmp_path) -> str:
    report = tmp_path / "incident.yaml"
    report.write_text(yaml.safe_dump({k: v.isoformat() if isinstance(v, datetime) else v
                                      for k, v in REPORT.items()}, allow_unicode=True), encoding="utf-8")
    assessment = tmp_path / "assessment.yaml"
    assessment.write_text(ASSESSMENT, encoding="utf-8")
    with board.ws.uow() as uow:
        before = {row.id for row in uow.incidents()}
    assert main(["report", str(report), "--no-flow"]) == 0
    with board.ws.uow() as uow:
        incident_id = next(row.id for row in uow.incidents() if row.id not in before)
    assert main(["assess", incident_id, str(assessment), "--no-flow"]) == 0
    assert main(["subjects", "import", incident_id, str(EXAMPLES / "subjects.csv"), "--no-flow"]) == 0
    assert main(["decide", incident_id, "--no-flow"]) == 0
    the_flows_part(board, incident_id)
    assert main(["subjects", "preview", incident_id]) == 0
    assert main(["subjects", "approve", incident_id, "--version", "1", "--no-flow"]) == 0
    the_dispatch(board, incident_id)
    assert main(["authority", "filed", incident_id, "--reference", "M-2026-000001", "--no-flow"]) == 0
    services.advance(board.ws.uow(), incident_id, datetime.now(UTC))
    assert main(["close", incident_id, "--reason", CLOSING, "--lessons", LESSONS, "--improvements", IMPROVEMENTS]) == 0
    return incident_id


def by_the_dashboard(board: Dashboard) -> str:
    officer = board.login("olga")

    def post(path: str, data: dict[str, Any], **kwargs: Any) -> str:
        answer = officer.post(path, data={"csrf_token": board.token(officer), **data}, **kwargs)
        assert answer.status_code == 303, answer.text
        return str(answer.headers["location"])

    form_time = "%Y-%m-%dT%H:%M"
    location = post("/incidents/new", {
        "title": REPORT["title"], "description": REPORT["description"],
        "discovered_at": local(REPORT["discovered_at"]).strftime(form_time),
        "aware_at": local(REPORT["aware_at"]).strftime(form_time), "awareness_reason": REPORT["awareness_reason"],
        "source_kind": REPORT["source"], "reported_by": REPORT["reported_by"], "systems": REPORT["systems"]})
    incident_id = location.split("/")[2].split("?")[0]
    post(f"/incidents/{incident_id}/assessment", {"document": ASSESSMENT})
    with (EXAMPLES / "subjects.csv").open("rb") as people:
        post(f"/incidents/{incident_id}/subjects", {}, files={"people": ("people.csv", people, "text/csv")})
    post(f"/incidents/{incident_id}/decision", {})  # as it comes: the advice's answers, the advice's reasons
    the_flows_part(board, incident_id)
    review = officer.get(f"/incidents/{incident_id}/message").text
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', review)
    assert digest, "the review page has no approval form"
    post(f"/incidents/{incident_id}/message/approve", {"version": "1", "digest": digest.group(1)})
    the_dispatch(board, incident_id)
    post(f"/incidents/{incident_id}/filing", {"reference": "M-2026-000001"})
    services.advance(board.ws.uow(), incident_id, datetime.now(UTC))
    post(f"/incidents/{incident_id}/closing", {"outcome": "close", "reason": CLOSING, "lessons": LESSONS,
                                               "improvements": IMPROVEMENTS})
    return incident_id


def rows_of(board: Dashboard, incident_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row the incident has in each table, without ids, foreign keys, times and actors."""
    def kept(name: str) -> bool:
        return not (name == "id" or name.endswith(("_id", "_at", "_by")) or name in ("actor", "location", "backend",
                                                                                      "digest"))

    found: dict[str, list[dict[str, Any]]] = {}
    with board.ws.uow() as uow:
        session = uow.session
        assessments = [a.id for a in session.scalars(select(AssessmentRow).where(
            AssessmentRow.incident_id == incident_id))]
        recommendations = [r.id for r in session.scalars(select(RecommendationRow).where(
            RecommendationRow.incident_id == incident_id))]
        for table in TABLES:
            columns = [a.key for a in inspect(table).column_attrs]
            if "incident_id" in columns:
                where = table.incident_id == incident_id  # type: ignore[attr-defined]
            elif table is IncidentRow:
                where = IncidentRow.id == incident_id
            elif "assessment_id" in columns:
                where = table.assessment_id.in_(assessments)  # type: ignore[attr-defined]
            else:
                where = table.recommendation_id.in_(recommendations)  # type: ignore[attr-defined]
            found[table.__tablename__] = [{c: getattr(r, c) for c in columns if kept(c)}
                                          for r in session.scalars(select(table).where(where))]
        found["audit"] = [{"action": a} for a in session.scalars(
            select(AuditRow.action).where(AuditRow.incident_id == incident_id).order_by(AuditRow.seq))]
    return found


def test_the_cli_and_the_dashboard_leave_the_same_register_rows_for_the_same_incident(dashboard, tmp_path):  # noqa: F811
    by_cli = rows_of(dashboard, by_the_cli(dashboard, tmp_path))
    by_form = rows_of(dashboard, by_the_dashboard(dashboard))
    assert by_cli["incidents"][0]["status"] == "closed"
    assert by_cli["decisions"][0]["follows_recommendation"] is True
    assert len(by_cli["subjects"]) == 39 and by_cli["authority_filings"]
    for table in by_cli:
        assert by_cli[table] == by_form[table], table
