"""After the dashboard records something, the response flow continues: exactly as after a CLI command."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from incidents.workspace import Workspace

log = logging.getLogger("breach.web")

# launcher(ws, incident_id, step, run_input): step names what was recorded ("assessment", "decision",
# "subjects_list", "authority_filing"; None for a new incident), run_input the recorded values for a waiting run.
Launcher = Callable[[Workspace, str, str | None, dict[str, Any] | None], Any]


def continue_flow(ws: Workspace, incident_id: str, step: str | None, run_input: dict[str, Any] | None) -> None:
    """breach.runner.continue_response, as after a command, in a thread: resuming a run on a Prefect server may
    wait some seconds for it to pause, and the page answers at once. What was recorded stays recorded if it
    fails; `breach flow run ID` continues by hand."""
    from breach.runner import continue_response

    def go() -> None:
        try:
            log.info("dashboard: %s", continue_response(ws, incident_id, step, run_input)["message"])
        except Exception:
            log.exception("dashboard: could not continue the response flow for %s", incident_id)

    threading.Thread(target=go, name=f"response-{incident_id}", daemon=True).start()
