"""Starting the response flow from a command: in this process, or detached so the command answers at once."""

from __future__ import annotations

import os
import subprocess
import sys
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
    """Start `breach flow run ID` in its own session; its output goes to a log file in the workspace."""
    logs = ws.settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{incident_id}.log"
    with open(log, "ab") as out:
        subprocess.Popen(
            [sys.executable, "-m", "breach.cli", "flow", "run", incident_id],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ),
        )
    return log
