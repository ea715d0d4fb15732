"""deadline_watch: every running clock's escalation ladder, run on a schedule; each reminder goes out once."""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from incidents.services import retention
from incidents.services.reminders import send_due_reminders
from incidents.times import now_utc
from incidents.workspace import Workspace


@task(name="send the reminders that are due", cache_policy=NO_CACHE, persist_result=False, retries=2,
      retry_delay_seconds=10)
def send_reminders() -> dict[str, int]:
    ws = Workspace()
    s = ws.settings
    return send_due_reminders(ws.uow(), ws.profile, ws.mailer, s.templates_dir, s.mail_from, now_utc(),
                              timedelta(hours=s.subject_target_hours))


@task(name="delete the people's data past their period", cache_policy=NO_CACHE, persist_result=False, retries=2,
      retry_delay_seconds=10)
def apply_retention() -> dict[str, int]:
    """GDPR art. 5(1)(e): warn the team 14 days ahead, then delete the people's data of incidents past their
    period (incidents.services.retention); counts only leave this task."""
    ws = Workspace()
    s, rule, now = ws.settings, ws.profile.retention, now_utc()
    warned = retention.send_retention_warnings(ws.uow(), ws.profile, ws.mailer, s.templates_dir, s.mail_from, now)
    report = retention.run_retention(ws.uow(), rule, retention.workspace_secret(s.home), s.outbox, now,
                                     "deadline-watch")
    return {**warned, "purged_incidents": len(report.purged),
            "purged_people": sum(int(str(r.get("people", 0))) for r in report.purged),
            "outbox_files_deleted": report.files_deleted}


@flow(name="deadline_watch", persist_result=False)
def deadline_watch() -> dict[str, int]:
    """Remind the incident team, then the privacy contact, before a legal deadline passes; keep the people's data
    no longer than the profile says."""
    counts = send_reminders()
    get_run_logger().info("reminders due: %(due)s, sent: %(sent)s, taken by another watch: "
                          "%(taken_by_another_watch)s", counts)
    kept = apply_retention()
    get_run_logger().info("retention: %(warned)s warned, %(purged_people)s people's data deleted in "
                          "%(purged_incidents)s incident(s)", kept)
    return {**counts, **kept}
