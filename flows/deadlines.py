"""deadline_watch: every running clock's escalation ladder, run on a schedule; each reminder goes out once."""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from incidents.services import retention
from incidents.services.reminders import send_due_reminders
from incidents.times import now_utc
from incidents.workspace import Workspace


def _organisations() -> list[tuple[int, Workspace]]:
    """Each organisation of the register with the workspace that speaks for it (its profile, its team); the
    default one only while it has a profile or incidents."""
    from incidents.services.organisations import DEFAULT_ID, incidents_per_organisation, organisation_ids

    ws = Workspace()
    slugs = organisation_ids(ws.uow()) or {DEFAULT_ID: "default"}
    counts = incidents_per_organisation(ws.uow())
    found = []
    for organisation_id, slug in sorted(slugs.items()):
        one = Workspace(organisation=slug)
        if organisation_id == DEFAULT_ID and len(slugs) > 1 and not counts.get(organisation_id) \
                and not one.settings.profile_path.exists():
            continue  # an installation of several organisations that never used the default one
        found.append((organisation_id, one))
    return found


def _total(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for c in counts:
        for key, value in c.items():
            total[key] = total.get(key, 0) + value
    return total


# How long the response has to alert the team itself before the watch does it (the response starts within seconds
# of the report; a trigger lost on the way must not leave the team unaware while the AP's 72 hours run).
RESPONSE_GRACE = timedelta(minutes=5)


@task(name="alert the teams a lost start left unaware", cache_policy=NO_CACHE, persist_result=False, retries=2,
      retry_delay_seconds=10)
def alert_unaware_teams() -> dict[str, int]:
    """GDPR art. 33(1) runs from awareness, whatever the orchestration does: an incident whose response never
    began (its event lost, its run killed before the alert) gets its team alert from the watch, once, under the
    incident's lock (a response that starts meanwhile finds it sent)."""
    from incidents import services
    from incidents.register.locks import incident_lock
    from incidents.services.team import unalerted

    alerted = 0
    for organisation_id, ws in _organisations():
        for incident_id in unalerted(ws.reader(), now_utc(), RESPONSE_GRACE, organisation_id):
            ws.focus(incident_id)
            with incident_lock(ws.settings.database_url, incident_id, ws.lock_dir):
                outcome = services.alert_team(ws.uow(), ws.profile, ws.mailer, ws.templates, incident_id,
                                              ws.settings.mail_from, now_utc())
            alerted += outcome.count > 0
    return {"teams_alerted_late": alerted}


@task(name="send the reminders that are due", cache_policy=NO_CACHE, persist_result=False, retries=2,
      retry_delay_seconds=10)
def send_reminders() -> dict[str, int]:
    """Each organisation's clocks, its reminders to its own team."""
    counts = []
    for organisation_id, ws in _organisations():
        s = ws.settings
        counts.append(send_due_reminders(ws.uow(), ws.profile, ws.mailer, s.templates_dir, s.mail_from, now_utc(),
                                         timedelta(hours=s.subject_target_hours), organisation_id=organisation_id))
    return _total(counts) or {"due": 0, "sent": 0, "taken_by_another_watch": 0}


@task(name="delete the people's data past their period", cache_policy=NO_CACHE, persist_result=False, retries=2,
      retry_delay_seconds=10)
def apply_retention() -> dict[str, int]:
    """GDPR art. 5(1)(e): warn the team 14 days ahead, then delete the people's data of incidents past their
    period (incidents.services.retention), each organisation by its own rule; counts only leave this task."""
    counts = []
    for organisation_id, ws in _organisations():
        s, rule, now = ws.settings, ws.profile.retention, now_utc()
        warned = retention.send_retention_warnings(ws.uow(), ws.profile, ws.mailer, s.templates_dir, s.mail_from,
                                                   now, organisation_id=organisation_id)
        report = retention.run_retention(ws.uow(), rule, retention.workspace_secret(s.home), s.outbox, now,
                                         "deadline-watch", organisation_id=organisation_id)
        counts.append({**warned, "purged_incidents": len(report.purged),
                       "purged_people": sum(int(str(r.get("people", 0))) for r in report.purged),
                       "outbox_files_deleted": report.files_deleted})
    return _total(counts) or {"warned": 0, "purged_incidents": 0, "purged_people": 0, "outbox_files_deleted": 0}


@flow(name="deadline_watch", persist_result=False)
def deadline_watch() -> dict[str, int]:
    """Remind the incident team, then the privacy contact, before a legal deadline passes; keep the people's data
    no longer than the profile says."""
    unaware = alert_unaware_teams()
    if unaware["teams_alerted_late"]:
        get_run_logger().warning("%(teams_alerted_late)s incident(s) had no response: their teams were alerted by "
                                 "the watch", unaware)
    counts = send_reminders()
    get_run_logger().info("reminders due: %(due)s, sent: %(sent)s, taken by another watch: "
                          "%(taken_by_another_watch)s", counts)
    kept = apply_retention()
    get_run_logger().info("retention: %(warned)s warned, %(purged_people)s people's data deleted in "
                          "%(purged_incidents)s incident(s)", kept)
    return {**unaware, **counts, **kept}
