"""deadline_watch: every running clock's escalation ladder, run on a schedule; each reminder goes out once."""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

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


@flow(name="deadline_watch", persist_result=False)
def deadline_watch() -> dict[str, int]:
    """Remind the incident team, then the privacy contact, before a legal deadline passes."""
    counts = send_reminders()
    get_run_logger().info("reminders due: %(due)s, sent: %(sent)s, taken by another watch: "
                          "%(taken_by_another_watch)s", counts)
    return counts
