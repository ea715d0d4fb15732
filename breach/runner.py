"""Starting the response flow from a command: in this process, or detached so the command answers at once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from incidents.workspace import Workspace


def prefect_environment(home: Path) -> None:
    """Quiet, local defaults for Prefect unless the user configured it: no telemetry, state in the workspace."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if "PREFECT_API_URL" not in os.environ and "PREFECT_HOME" not in os.environ \
            and not (Path.home() / ".prefect" / "profiles.toml").exists():
        os.environ["PREFECT_HOME"] = str(home / "prefect")
    # the flow's own INFO lines go to Prefect (UI, API); a person at the terminal sees warnings and errors only
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    # the temporary API starts in a few seconds, but a busy 2-core machine can take much longer
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def run_here(ws: Workspace, incident_id: str) -> dict[str, Any]:
    """Run incident_response in this process (with a temporary Prefect API unless PREFECT_API_URL is set)."""
    prefect_environment(ws.settings.home)
    from flows.response import incident_response

    return incident_response(incident_id)


def run_detached(ws: Workspace, incident_id: str) -> Path:
    """Ask the workspace's local runner (breach.local_runner) for a run of the incident, starting the runner if
    none is alive: a bounded number of runs at once, one per incident, sharing one temporary Prefect server.
    Returns the log the run writes to."""
    from breach.local_runner import request

    return request(ws, incident_id)


def continue_response(ws: Workspace, incident_id: str, step: str | None = None,
                      run_input: dict[str, Any] | None = None, *, wait: bool = False) -> dict[str, Any]:
    """After something was recorded (through any door: a command, the dashboard, the API), the response flow
    goes as far as it can. The one way to do it:

    - with a Prefect server (PREFECT_API_URL), a new incident (`step` None) is announced as an event that starts
      the deployed flow, and a recorded input resumes the run that waits for `step`, with `run_input` checked
      against that step's form (flows/inputs.py) first;
    - otherwise the flow runs here (`wait`) or is queued for the workspace's local runner (breach.local_runner),
      so the caller answers at once.

    Returns what happened: {"outcome": ..., "message": ...} (the outcome's words are in templates/<lang>/cli/
    lines.j2, `flow_<outcome>`; the message is the line for a log), plus "waiting_for" after a run here or "log"
    for a detached one.
    """
    from breach import prefect_link

    if prefect_link.server_configured():
        payload = None
        if step is not None and run_input is not None:
            from flows.inputs import INPUTS

            payload = INPUTS[step].model_validate(run_input).model_dump(mode="json") if step in INPUTS \
                else run_input
        said = prefect_link.continue_on_server(incident_id, step, payload)
        return {**said, "id": incident_id, "message": LOG_LINES[said["outcome"]].format(id=incident_id, **said)}
    if wait:
        result = run_here(ws, incident_id)
        return {"outcome": "here", "message": "ran the response flow here", "waiting_for": result["waiting_for"]}
    log = run_detached(ws, incident_id)
    return {"outcome": "background", "message": f"response flow started in the background (log: {log})",
            "log": str(log)}


LOG_LINES = {  # for the dashboard's log; what a person reads comes from templates/<lang>/cli/lines.j2
    "announced": "announced {id} to the Prefect server; the deployed response flow starts",
    "resumed": "resumed flow run {run} ({run_id})",
    "started": "started a new flow run (no run was waiting)",
    "busy": "flow run {run} is busy; it reads the register and continues by itself",
}

