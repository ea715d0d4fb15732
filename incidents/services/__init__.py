"""The service layer: the single entry point for every action, called alike by the CLI, the flow and the dashboard.

Each function takes plain values and a unit of work, loads through it, applies the domain rules and commits
once at the end; a failure anywhere leaves nothing half-written.
"""

from incidents.services.authority import prepare_authority_notice, record_filing
from incidents.services.common import Outcome
from incidents.services.intake import close, dismiss, record_assessment, record_decision, report_incident
from incidents.services.progress import advance, decision_of, progress, waiting_for
from incidents.services.subjects import ImportResult, import_subjects, notify_subjects
from incidents.services.team import alert_team

__all__ = [
    "ImportResult", "Outcome", "advance", "alert_team", "close", "decision_of", "dismiss", "import_subjects",
    "notify_subjects", "prepare_authority_notice", "progress", "record_assessment", "record_decision",
    "record_filing", "report_incident", "waiting_for",
]
