"""incident_response: the stages of a breach response, in order, each a coarse task over incidents.services.

Re-entrant: the flow reads the incident's state from the register and does only what is not yet done, so
running it again (after a person recorded something, after a crash, after a resume) is always safe.
Only incident ids, counts and stage names cross into Prefect; never a name or an address.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.naming import current_run_name, run_names
from incidents import services
from incidents.lifecycle import Step
from incidents.register.locks import incident_lock
from incidents.times import now_utc
from incidents.workspace import Workspace

# The register, not Prefect's result cache, remembers what is done: NO_CACHE makes a task ask it every time.
STAGE: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}
OUTSIDE_WORLD: dict[str, Any] = dict(STAGE, retries=3, retry_delay_seconds=[2, 10, 30])


def _workspace(incident_id: str | None = None) -> Workspace:
    """The workspace, speaking for the organisation of the incident (its profile, its team)."""
    ws = Workspace()
    if incident_id is not None:
        ws.focus(incident_id)
    return ws


@task(name="alert the incident team", **OUTSIDE_WORLD)
def alert_incident_team(incident_id: str) -> dict[str, Any]:
    ws = _workspace(incident_id)
    outcome = services.alert_team(ws.uow(), ws.profile, ws.mailer, ws.templates, incident_id,
                                  ws.settings.mail_from, now_utc())
    return {"stage": outcome.stage, "count": outcome.count, "detail": outcome.detail}


@task(name="tell the team when the advice changed", **OUTSIDE_WORLD)
def tell_team_advice_changed(incident_id: str) -> None:
    ws = _workspace(incident_id)
    services.tell_team_advice_changed(ws.uow(), ws.profile, ws.mailer, ws.templates, incident_id,
                                      ws.settings.mail_from, now_utc())


@task(name="prepare the AP notice", **STAGE)
def prepare_authority_notice(incident_id: str) -> dict[str, Any]:
    ws = _workspace(incident_id)
    outcome = services.prepare_authority_notice(ws.uow(), ws.profile, ws.settings.templates_dir,
                                                ws.settings.notices_dir, incident_id, now_utc())
    return {"stage": outcome.stage, "done": outcome.done}


@task(name="send the AP notice to the privacy contact", **OUTSIDE_WORLD)
def mail_authority_notice(incident_id: str) -> None:
    ws = _workspace(incident_id)
    s = ws.settings
    services.mail_authority_notice(ws.uow(), ws.profile, ws.mailer, s.templates_dir, s.notices_dir, incident_id,
                                   s.mail_from, now_utc())


@task(name="write the message to the people for review", **STAGE)
def draft_message_to_people(incident_id: str) -> dict[str, Any]:
    """The draft a person reviews and approves before anyone is told (GDPR art. 34(2)): version and state only."""
    ws = _workspace(incident_id)
    version = services.draft_message(ws.uow(), ws.profile, ws.templates, incident_id, "response-flow",
                                     now_utc())
    return {"version": version.version if version else None, "approved": bool(version and version.approved)}


@task(name="notify the affected people", task_run_name="notify the affected people of {incident_id}",
      **OUTSIDE_WORLD)
def notify_affected_people(incident_id: str, artifact_id: str) -> dict[str, Any]:
    """A chunk of the dispatch: up to BREACH_BATCHES_PER_TASK requests of 1 000 people (50 000 people by
    default), continuing where the last chunk, or an interrupted run, stopped. Ids and counts only."""
    import time

    from prefect.artifacts import update_progress_artifact

    ws = _workspace(incident_id)
    last = [0.0]

    def progress(done: int, fraction: float | None) -> None:
        if fraction is not None and (time.monotonic() - last[0] > 2 or fraction >= 1):
            update_progress_artifact(artifact_id=UUID(artifact_id), progress=round(100 * fraction, 1))
            last[0] = time.monotonic()

    outcome = services.notify_subjects(ws.uow(), ws.profile, ws.mailer, ws.templates, incident_id,
                                       ws.settings.mail_from, now_utc(), progress=progress,
                                       max_batches=ws.settings.batches_per_task)
    return {"stage": outcome.stage, "done": outcome.done, "count": outcome.count, "detail": outcome.detail,
            "more": outcome.more}


def notify_all_affected_people(incident_id: str) -> None:
    """The dispatch as a few coarse task runs (a chunk of batches each), never a task per person; a progress
    artifact shows it advancing."""
    from prefect.artifacts import create_progress_artifact

    artifact = create_progress_artifact(progress=0.0, key=f"dispatch-{incident_id.lower()}",
                                        description=f"{incident_id}: notices to the people affected (counts only)")
    while notify_affected_people(incident_id, str(artifact))["more"]:
        pass


@task(name="send the update to the people", **OUTSIDE_WORLD)
def send_update_to_people(incident_id: str) -> dict[str, Any]:
    """The follow-up when the investigation ends, once a person approved it; nothing before. Ids and counts only."""
    ws = _workspace(incident_id)
    outcome = services.notify_update(ws.uow(), ws.profile, ws.mailer, ws.templates, incident_id,
                                     ws.settings.mail_from, now_utc())
    return {"stage": outcome.stage, "done": outcome.done, "count": outcome.count}


@task(name="move the incident along its lifecycle", **STAGE)
def advance_lifecycle(incident_id: str) -> list[Step]:
    return services.advance(_workspace().uow(), incident_id, now_utc())


@task(name="publish the incident's status", **STAGE)
def publish_status(incident_id: str) -> None:
    """A keyed Prefect artifact per incident: stage and clocks, no personal data (no title, no names)."""
    from prefect.artifacts import create_markdown_artifact

    from incidents.notify.render import render
    from incidents.views import incident_view

    ws = _workspace(incident_id)
    now = now_utc()
    with ws.uow() as uow:
        view = incident_view(uow, incident_id, now)
    waiting = services.waiting_for(ws.uow(), incident_id)
    markdown = render(ws.settings.templates_dir, ws.profile.language, "prefect/incident_status.md.j2",
                      incident=view, waiting=waiting, now=now)
    create_markdown_artifact(key=f"incident-{incident_id.lower()}", markdown=markdown,
                             description=f"{incident_id}: stage and clocks")


@task(name="record what was entered in Prefect", **STAGE)
def record_input(incident_id: str, step: str, key: str) -> list[str]:
    """Record the input given through Prefect's form for `step`; the flow run holds it under `key`.

    Only the key crosses as a parameter: the input is read here, so no fact of the breach becomes a task
    parameter. Returns the refused fields (names only, no values) when the domain's rules refuse the input.
    """
    from prefect.input.run_input import read_flow_run_input
    from prefect.runtime import flow_run

    from incidents.errors import BreachError, InvalidInput
    from incidents.model import AssessmentFacts, Decision
    from incidents.validation import parse_model

    ws = _workspace(incident_id)
    data = cast(dict[str, Any], read_flow_run_input(key=f"suspended-{key}-response", flow_run_id=flow_run.id))
    actor = "prefect-ui"
    try:
        if step == "assessment":
            facts = parse_model(AssessmentFacts, data, "assessment")
            services.record_assessment(ws.uow(), ws.profile, incident_id, facts, actor, now_utc())
        elif step == "decision":
            decision = parse_model(Decision, data, "decision")
            services.decide(ws.uow(), incident_id, actor, now_utc(), notify_authority=decision.notify_authority,
                            notify_subjects=decision.notify_subjects, reason=decision.reason,
                            templates=ws.settings.templates_dir, language=ws.profile.language)
        elif step == "subject_notice_approval":
            services.approve_message(ws.uow(), incident_id, f"prefect-ui:{data['approved_by']}", now_utc(),
                                     version=data["version"], digest_prefix=data["digest"])
        elif step == "authority_filing":
            from incidents.times import as_utc

            filed_at = as_utc(data["filed_at"]) if data.get("filed_at") else now_utc()
            services.record_filing(ws.uow(), incident_id, data["reference"], filed_at, data.get("delay_reason"),
                                   actor, now_utc(), profile=ws.profile, templates=ws.settings.templates_dir,
                                   notices_dir=ws.settings.notices_dir)
    except InvalidInput as exc:
        return [e.field for e in exc.errors]  # field names only: a refused value may be personal data
    except BreachError as exc:
        return [type(exc).__name__]
    return []


def _deployed() -> bool:
    """Suspending needs a deployment; a run in this process (the embedded default) returns instead."""
    from prefect.runtime import deployment

    return deployment.id is not None


def _another_run_waits(incident_id: str, step: str) -> bool:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.client.schemas.objects import StateType
    from prefect.runtime import flow_run

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=run_names(incident_id))))
    return any(str(r.id) != str(flow_run.id) and r.state is not None and r.state.type == StateType.PAUSED
               and (r.state.state_details.pause_key or "").startswith(f"{step.replace('_', '-')}-") for r in runs)


def _wait_for_person(incident_id: str, step: str) -> bool:
    """Suspend until a person gives the input for `step` (CLI, dashboard or Prefect's form); True when recorded.

    Each attempt has its own key, so an input the domain refused is kept, reported, and the run waits again;
    on a resume the run replays from the top and every earlier attempt returns its stored input at once.
    """
    from prefect.flow_runs import suspend_flow_run

    from flows.inputs import INPUTS

    logger = get_run_logger()
    attempt = 1
    while True:
        key = f"{step.replace('_', '-')}-{attempt}"  # Prefect keys: lowercase letters, digits, dashes
        if step not in services.waiting_for(_workspace().uow(), incident_id):
            return True  # recorded meanwhile by the CLI or the dashboard, which then resume this run
        if attempt == 1 and _another_run_waits(incident_id, step):
            return False  # one waiting run per incident and step: that one is resumed, this one ends
        suspend_flow_run(wait_for_input=INPUTS[step], key=key, timeout=None)
        problems = record_input(incident_id, step, key)
        if not problems:
            return True
        logger.warning("input for %s refused (fields: %s); the run waits again", step, ", ".join(problems))
        attempt += 1


@flow(name="incident_response", flow_run_name=current_run_name, persist_result=False)
def incident_response(incident_id: str) -> dict[str, Any]:
    """Detection → IT assessment → AP notice → notices to the people; waits where a person must act.

    Deployed, the run suspends at each human step (freeing its worker) and resumes when the input arrives;
    in this process (no deployment) it returns at the first human step and is run again after the next record.
    """
    logger = get_run_logger()
    ws = _workspace(incident_id)
    while True:
        with incident_lock(ws.settings.database_url, incident_id, ws.lock_dir):
            alert_incident_team(incident_id)
            tell_team_advice_changed(incident_id)
            decision = services.decision_of(ws.uow(), incident_id)
            if decision is not None:
                notify_authority, notify_subjects = decision
                if notify_authority:
                    prepare_authority_notice(incident_id)
                    mail_authority_notice(incident_id)
                if notify_subjects:
                    draft_message_to_people(incident_id)
                    notify_all_affected_people(incident_id)  # only once a person approved the message
                    send_update_to_people(incident_id)  # the follow-up, if one was written and approved
            waiting = advance_lifecycle(incident_id)
            publish_status(incident_id)
        human = next((w for w in waiting if w in HUMAN_STEPS), None)
        if human is None or not _deployed() or not _wait_for_person(incident_id, human):
            break
    logger.info("incident %s waits for: %s", incident_id, ", ".join(waiting) or "nothing")
    return {"incident_id": incident_id, "waiting_for": waiting}


# The steps a deployed run suspends for; the others (a list of people, closing) end the run, and the next
# record starts a new one.
HUMAN_STEPS = (Step.ASSESSMENT, Step.DECISION, Step.AUTHORITY_FILING, Step.SUBJECT_NOTICE_APPROVAL)
