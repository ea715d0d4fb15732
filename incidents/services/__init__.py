"""The service layer: the single entry point for every action, called alike by the CLI, the flow and the dashboard.

Each function takes plain values and a unit of work, loads through it, applies the domain rules and commits
once at the end; a failure anywhere leaves nothing half-written.
"""

from incidents.services.authority import (
    AuthorityCheck,
    Filed,
    NoticeVersion,
    check_authority_notice,
    draft_authority_notice,
    edpb_answers,
    mail_authority_notice,
    notice_versions,
    prepare_authority_notice,
    record_filing,
    record_follow_up,
    record_withdrawal,
)
from incidents.services.common import Outcome
from incidents.services.dispatch import notify_subjects, notify_update
from incidents.services.intake import (
    Decided,
    close,
    decide,
    dismiss,
    record_assessment,
    record_decision,
    report_incident,
)
from incidents.services.people import ImportResult, import_subjects
from incidents.services.progress import (
    advance,
    decision_of,
    progress,
    record_request,
    request_dispatch,
    waiting_for,
    waiting_for_views,
)
from incidents.services.recommendation import (
    describe,
    evaluate,
    explain,
    explain_incident,
    explain_scope,
    recommendation_of,
    scope_of,
)
from incidents.services.review import (
    approve_message,
    draft_message,
    edit_message,
    latest_version,
    test_send,
    write_preview,
)
from incidents.services.team import alert_team, tell_team_advice_changed

__all__ = [
    "AuthorityCheck",
    "Decided",
    "Filed",
    "ImportResult",
    "NoticeVersion",
    "Outcome",
    "advance",
    "alert_team",
    "approve_message",
    "check_authority_notice",
    "close",
    "decide",
    "decision_of",
    "describe",
    "dismiss",
    "draft_authority_notice",
    "draft_message",
    "edit_message",
    "edpb_answers",
    "evaluate",
    "explain",
    "explain_incident",
    "explain_scope",
    "import_subjects",
    "latest_version",
    "mail_authority_notice",
    "notice_versions",
    "notify_subjects",
    "notify_update",
    "prepare_authority_notice",
    "progress",
    "recommendation_of",
    "record_assessment",
    "record_decision",
    "record_filing",
    "record_follow_up",
    "record_request",
    "record_withdrawal",
    "report_incident",
    "request_dispatch",
    "scope_of",
    "tell_team_advice_changed",
    "test_send",
    "waiting_for",
    "waiting_for_views",
    "write_preview",
]
