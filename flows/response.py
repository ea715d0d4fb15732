"""incident_response: the stages of a breach response, in order, each a coarse task over incidents.services.

Re-entrant: the flow reads the incident's state from the register and does only what is not yet done, so
running it again (after a person recorded something, after a crash, after a resume) is always safe.
Only incident ids, counts and stage names cross into Prefect; never a name or an address.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from incidents import services
from incidents.register.locks import incident_lock
from incidents.times import now_utc
from incidents.workspace import Workspace

# The register, not Prefect's result cache, remembers what is done: NO_CACHE makes a task ask it every time.
STAGE = {"cache_policy": NO_CACHE, "persist_result": False}
OUTSIDE_WORLD = dict(STAGE, retries=3, retry_delay_seconds=[2, 10, 30])


def _workspace() -> Workspace:
    return Workspace()


@task(name="alert the incident team", **OUTSIDE_WORLD)
def alert_incident_team(incident_id: str) -> dict[str, Any]:
    ws = _workspace()
    outcome = services.alert_team(ws.uow(), ws.profile, ws.mailer, ws.settings.templates_dir, incident_id,
                                  ws.settings.mail_from, now_utc())
    return {"stage": outcome.stage, "count": outcome.count, "detail": outcome.detail}


@task(name="prepare the AP notice", **STAGE)
def prepare_authority_notice(incident_id: str) -> dict[str, Any]:
    ws = _workspace()
    outcome = services.prepare_authority_notice(ws.uow(), ws.profile, ws.settings.templates_dir,
                                                ws.settings.notices_dir, incident_id, now_utc())
    return {"stage": outcome.stage, "done": outcome.done}


@task(name="notify the affected people", **OUTSIDE_WORLD)
def notify_affected_people(incident_id: str) -> dict[str, Any]:
    ws = _workspace()
    outcome = services.notify_subjects(ws.uow(), ws.profile, ws.mailer, ws.settings.templates_dir, incident_id,
                                       ws.settings.mail_from, now_utc())
    return {"stage": outcome.stage, "done": outcome.done, "count": outcome.count, "detail": outcome.detail}


@task(name="move the incident along its lifecycle", **STAGE)
def advance_lifecycle(incident_id: str) -> list[str]:
    return services.advance(_workspace().uow(), incident_id, now_utc())


@flow(name="incident_response", flow_run_name="incident-{incident_id}", persist_result=False)
def incident_response(incident_id: str) -> dict[str, Any]:
    """Detection → IT assessment → AP notice → notices to the people; stops where a person must act."""
    logger = get_run_logger()
    ws = _workspace()
    with incident_lock(ws.settings.database_url, incident_id, ws.lock_dir):
        alert_incident_team(incident_id)
        decision = services.decision_of(ws.uow(), incident_id)
        if decision is not None:
            notify_authority, notify_subjects = decision
            if notify_authority:
                prepare_authority_notice(incident_id)
            if notify_subjects:
                notify_affected_people(incident_id)
        waiting = advance_lifecycle(incident_id)
    logger.info("incident %s waits for: %s", incident_id, ", ".join(waiting) or "nothing")
    return {"incident_id": incident_id, "waiting_for": waiting}
