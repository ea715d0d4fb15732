"""The names of the response flow's runs: the incident and its organisation (`incident-DL-2026-0001-jansen`), so
a Prefect UI that serves the clients of one privacy officer shows whose breach each run is about. Only the id
and the organisation's slug: nothing personal."""

from __future__ import annotations

from incidents.errors import UnknownIncident
from incidents.services.organisations import handled
from incidents.workspace import Workspace

BEFORE_ORGANISATIONS = "incident-{incident_id}"  # the name of runs started by earlier releases


def run_name(incident_id: str, organisation: str) -> str:
    return f"incident-{incident_id}-{organisation}"


def run_names(incident_id: str) -> list[str]:
    """Every name a run of this incident may have: this release's, and the earlier one without the organisation
    (a run that waits since before the upgrade is still found and resumed)."""
    old = BEFORE_ORGANISATIONS.format(incident_id=incident_id)
    try:
        return [run_name(incident_id, handled(Workspace().uow(), incident_id).slug), old]
    except UnknownIncident:
        return [old]


def current_run_name() -> str:
    """The name of the run being started (Prefect calls this with the run's parameters in its runtime)."""
    from prefect.runtime import flow_run

    return run_names(str(flow_run.parameters["incident_id"]))[0]
