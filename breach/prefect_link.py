"""Talking to a Prefect server from a command: announce a new incident, resume the run that waits for input.

Used when PREFECT_API_URL is set (production: a server and a worker run the deployments of prefect.yaml).
Only ids travel: the event carries the incident id, the run input carries what the person just recorded.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

NAMESPACE = uuid.UUID("6f1d0c36-8f43-4c7e-9d55-3c2b2b1e7a10")
WAIT_FOR_PAUSE_SECONDS = 20.0


def server_configured() -> bool:
    return bool(os.environ.get("PREFECT_API_URL"))


def announce(incident_id: str, event: str, dedupe: str) -> None:
    """Emit `event` for the incident; a deployment trigger starts incident_response with its id.

    The event id is derived from `dedupe`, so announcing the same thing twice starts one run.
    """
    from prefect.events import Event
    from prefect.events.clients import get_events_client
    from prefect.events.schemas.events import Resource

    async def emit() -> None:
        async with get_events_client() as client:
            await client.emit(Event(
                event=event,
                resource=Resource({"prefect.resource.id": f"incident.{incident_id}", "incident.id": incident_id}),
                id=uuid.uuid5(NAMESPACE, f"{incident_id}:{event}:{dedupe}"),
            ))

    asyncio.run(emit())


def _runs(incident_id: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    from flows.naming import run_names

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=run_names(incident_id))))


def resume_waiting_run(incident_id: str, step: str, run_input: dict[str, Any]) -> dict[str, Any]:
    """Resume the run that waits for `step`; if none waits and none is busy, start a new run. Says what it did:
    {"outcome": "resumed" | "started" | "busy", "run": name, "run_id": id}."""
    from prefect.client.schemas.objects import StateType
    from prefect.flow_runs import resume_flow_run

    deadline = time.monotonic() + WAIT_FOR_PAUSE_SECONDS
    while True:
        runs = _runs(incident_id)
        paused = [r for r in runs if r.state and r.state.type == StateType.PAUSED
                  and (r.state.state_details.pause_key or "").startswith(f"{step.replace('_', '-')}-")]
        if paused:
            resume_flow_run(paused[0].id, run_input=run_input)
            return {"outcome": "resumed", "run": paused[0].name, "run_id": str(paused[0].id)}
        busy = [r for r in runs if r.state and r.state.type in (StateType.RUNNING, StateType.PENDING,
                                                                 StateType.SCHEDULED)]
        if not busy:
            announce(incident_id, "incident.changed", f"{step}:{time.time_ns()}")
            return {"outcome": "started"}
        if time.monotonic() > deadline:
            return {"outcome": "busy", "run": busy[0].name}
        time.sleep(1)  # a busy run is about to suspend for this input, or will see it in the register


def continue_on_server(incident_id: str, step: str | None, run_input: dict[str, Any] | None) -> dict[str, Any]:
    """After a record: a new incident is announced (the deployment's trigger starts its run); a recorded input
    resumes the run waiting for it. Says what happened."""
    if step is None:
        announce(incident_id, "incident.detected", "reported")
        return {"outcome": "announced"}
    return resume_waiting_run(incident_id, step, run_input or {})
