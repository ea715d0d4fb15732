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
    """As breach.common.after_record does: with a Prefect server, announce a new incident or resume the run that waits
    for this step (in a thread: resuming may wait some seconds for the run to pause); otherwise start the flow in
    the background with `breach.runner.run_detached`."""
    from breach import prefect_link
    from breach.runner import run_detached

    if not prefect_link.server_configured():
        run_detached(ws, incident_id)
        return

    def tell_prefect() -> None:
        try:
            log.info("dashboard: %s", prefect_link.continue_on_server(incident_id, step, run_input))
        except Exception:  # the register has it; `breach flow run ID` continues by hand
            log.exception("dashboard: could not reach the Prefect server for %s", incident_id)

    threading.Thread(target=tell_prefect, name=f"prefect-{incident_id}", daemon=True).start()
