"""Flows under concurrency, in the production shape: the register on PostgreSQL, a real `prefect server` and two
process workers on one pool. Twenty incidents reported within seconds are each alerted to the team exactly once,
every run is named after its incident and organisation, two deadline watches running at the same time send each
reminder once, and neither worker logs an error."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from incidents.register.tables import AuditRow, IncidentRow, NoticeRow
from tests.conftest import database_beside
from tests.e2e.test_prefect_server import BIN, EXAMPLES, REPO, server, server_env, stop, wait_for  # noqa: F401

pytestmark = pytest.mark.prefect
INCIDENTS = 20


@pytest.fixture(scope="module")
def register(postgres_url: str) -> Iterator[str]:
    """A database of this module's own beside the test process's one (its schema is not reset under the flows)."""
    with database_beside(postgres_url, "flows") as url:
        yield url


@pytest.fixture(scope="module")
def prefect_database(postgres_url: str) -> Iterator[str]:
    """The Prefect server's own database on PostgreSQL, as in production: on its default SQLite, a server busy
    with twenty runs at once refused an automation's run-deployment action (503, "database is locked")."""
    with database_beside(postgres_url, "prefect") as url:
        yield url.replace("postgresql+psycopg://", "postgresql+asyncpg://", 1)


@pytest.fixture(scope="module")
def env(tmp_path_factory, register, prefect_database) -> dict[str, str]:
    return {**server_env(tmp_path_factory.mktemp("concurrency"), BREACH_DATABASE_URL=register),
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_database}


@pytest.fixture(scope="module")
def workers(env, server) -> Iterator[list[Path]]:  # noqa: F811
    def prefect(*args: str) -> None:
        subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=REPO, check=True, capture_output=True,
                       timeout=180)

    prefect("work-pool", "create", "breach", "--type", "process")
    prefect("--no-prompt", "deploy", "--all")
    started = []
    for name in ("first", "second"):
        log_path = Path(env["HOME"]) / f"worker-{name}.log"
        log = open(log_path, "wb")  # noqa: SIM115 (open while the worker runs)
        process = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "breach", "--name", name],
                                   env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append((process, log, log_path))
    try:
        yield [log_path for _, _, log_path in started]
    finally:
        for process, log, _ in started:
            stop(process, twice=True)
            log.close()


def _python(env: dict[str, str], code: str, *args: str, timeout: int = 180) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _flow_runs(env: dict[str, str], flow: str) -> list[dict[str, str]]:
    code = ("import json, sys\n"
            "from prefect.client.orchestration import get_client\n"
            "from prefect.client.schemas.filters import FlowFilter, FlowFilterName\n"
            "with get_client(sync_client=True) as client:\n"
            "    runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[sys.argv[1]])),"
            " limit=200)\n"
            "print(json.dumps([{'name': r.name, 'state': r.state.type.value if r.state else '',"
            " 'incident': (r.parameters or {}).get('incident_id', '')} for r in runs]))\n")
    return json.loads(_python(env, code, flow))


def test_twenty_incidents_at_once_on_two_workers_each_alerted_once_each_reminder_once(env, workers, register):
    # twenty reports within seconds, as one intake would send them (each announces itself to the server)
    started = time.monotonic()
    out = _python(env, ("import sys\nfrom breach.cli import main\n"
                        f"for _ in range({INCIDENTS}):\n"
                        "    assert main(['report', sys.argv[1]]) == 0\n"), str(EXAMPLES / "incident.yaml"))
    ids = out.split()
    assert len(ids) == len(set(ids)) == INCIDENTS
    assert time.monotonic() - started < 60
    engine = create_engine(register)

    def alerted() -> int:
        with engine.connect() as conn:
            return len(conn.execute(select(NoticeRow.incident_id).where(
                NoticeRow.kind == "team_alert", NoticeRow.status == "done")).all())

    wait_for("every team alert", lambda: alerted() == INCIDENTS, timeout=600, every=2)
    # every run waits for its assessment (or has ended): none is still running when we count
    wait_for("every run to settle", lambda: all(r["state"] in ("PAUSED", "COMPLETED") for r in
                                                _flow_runs(env, "incident_response")), timeout=600, every=3)
    runs = _flow_runs(env, "incident_response")
    assert {r["incident"] for r in runs} == set(ids)
    assert all(r["name"] == f"incident-{r['incident']}-default" for r in runs), [r["name"] for r in runs]

    # two deadline watches at the same time, on the two workers: each reminder goes out once
    for _ in range(2):
        subprocess.run([str(BIN / "prefect"), "deployment", "run", "deadline_watch/deadline-watch"], env=env,
                       cwd=REPO, check=True, capture_output=True, timeout=120)
    def watched() -> bool:  # (the deployment's schedule may have started one more: all that ran must complete)
        ran = [r["state"] for r in _flow_runs(env, "deadline_watch") if r["state"] != "SCHEDULED"]
        return len(ran) >= 2 and set(ran) == {"COMPLETED"}

    wait_for("both deadline watches", watched, timeout=600, every=3)

    with engine.connect() as conn:
        audit = conn.execute(select(AuditRow.incident_id, AuditRow.action, AuditRow.details)
                             .where(AuditRow.action.in_(["team_alerted", "reminder_sent"]))).all()
        statuses = conn.execute(select(IncidentRow.id, IncidentRow.status)).all()
    engine.dispose()
    alerts = Counter(incident_id for incident_id, action, _ in audit if action == "team_alerted")
    assert alerts == {incident_id: 1 for incident_id in ids}  # each team alerted exactly once
    reminders = Counter((incident_id, json.loads(details).get("clock"), json.loads(details).get("step"))
                        for incident_id, action, details in audit if action == "reminder_sent")
    assert reminders and set(reminders.values()) == {1}  # each reminder once
    assert {incident_id for incident_id, _, _ in reminders} == set(ids)  # every overdue clock was reminded
    assert {status for _, status in statuses} == {"under_assessment"}

    for log_path in workers:
        log = log_path.read_text(errors="replace")
        assert "Traceback" not in log and "| ERROR" not in log, log[-3000:]
    assert all("incident_response" in p.read_text(errors="replace") for p in workers)  # both did some of the work
