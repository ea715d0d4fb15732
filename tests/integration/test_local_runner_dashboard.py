"""Reports made through the dashboard and its API run on the workspace's one local runner, as the CLI's do."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from breach import local_runner
from incidents.times import local
from tests.integration.test_cli import the_report
from tests.integration.test_local_runner import (  # noqa: F401 (env: the workspace's environment, a fixture)
    REPO,
    RUNS,
    Processes,
    alerted_once,
    env,
    most_at_once,
    runs,
    wait_idle,
)
from tests.integration.test_web_security import PASSWORD, _basic, _csrf

USER = "rick"


@dataclass
class Dashboard:
    """`breach dashboard` in a process of its own on the workspace, and a responder logged in to it."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    cookies: httpx.Cookies
    csrf: str

    def children(self) -> list[str]:
        """The states (R, S, Z ...) of the dashboard's child processes: a runner it started and that ended is
        reaped, not left as a zombie."""
        states = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                states.append(fields[0])
        return states


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def dashboard(env: dict[str, str], tmp_path: Path) -> Iterator[Dashboard]:  # noqa: F811
    added = subprocess.run([sys.executable, "-m", "breach.cli", "users", "add", USER, "--role", "responder",
                            "--language", "en", "--password-stdin"], cwd=REPO, env=env, input=PASSWORD + "\n",
                           capture_output=True, text=True, check=False, timeout=120)
    assert added.returncode == 0, added.stderr
    port = _free_port()
    log = tmp_path / "dashboard.log"
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "breach.cli", "dashboard", "--port", str(port)], cwd=REPO,
                                   env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            deadline = time.monotonic() + 120
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    page = client.get("/login")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the dashboard did not start"
                    time.sleep(0.2)
            answer = client.post("/login", data={"username": USER, "password": PASSWORD,
                                                 "csrf_token": _csrf(page.text)})
            assert answer.status_code == 303, answer.text
            csrf = _csrf(client.get("/incidents").text)
            yield Dashboard(url, process, log, client.cookies, csrf)
    finally:
        process.terminate()
        process.wait(timeout=30)


def post_report(dashboard: Dashboard, report: dict[str, Any], door: str) -> str:
    """Report through one of the dashboard's doors: the report form (session and CSRF field), the API with the
    session (and X-CSRF-Token) or the API with HTTP Basic. Returns the new incident's id."""
    with httpx.Client(base_url=dashboard.url, timeout=120,
                      cookies=None if door == "basic" else dashboard.cookies) as client:
        if door == "form":
            form_time = "%Y-%m-%dT%H:%M"
            times = {k: local(datetime.fromisoformat(report[k])).strftime(form_time)
                     for k in ("occurred_from", "discovered_at", "aware_at")}
            answer = client.post("/incidents/new", data={
                "csrf_token": dashboard.csrf, **{k: report[k] for k in ("title", "description", "awareness_reason",
                                                                        "reported_by", "systems")},
                "source_kind": report["source"], **times})
            assert answer.status_code == 303, answer.text
            found = re.match(r"/incidents/([A-Z]{2}-\d{4}-\d{4})\?", answer.headers["location"])
            assert found, answer.headers["location"]
            return found[1]
        headers = _basic(USER) if door == "basic" else {"X-CSRF-Token": dashboard.csrf}
        answer = client.post("/api/incidents", json=report, headers=headers)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])


DOORS = ("form", "session", "basic")


def all_gone(env: dict[str, str], timeout: float = 30) -> None:  # noqa: F811
    """Until no runner, server or flow of the workspace is left (a runner that let go of its lock may still be
    stopping its server)."""
    processes = Processes(env["BREACH_HOME"])
    deadline = time.monotonic() + timeout
    while any(processes.now().values()):
        assert time.monotonic() < deadline, processes.now()
        time.sleep(0.2)


@pytest.mark.prefect
def test_ten_reports_through_the_dashboard_run_at_most_the_bound_at_once_one_run_per_incident(
        env, dashboard):  # noqa: F811
    home = Path(env["BREACH_HOME"])
    report = the_report()
    with Processes(env["BREACH_HOME"]) as seen:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=10) as pool:  # all at once, through every door
            ids = list(pool.map(lambda i: post_report(dashboard, report, DOORS[i % 3]), range(10)))
        posted = time.monotonic() - started
        assert len(set(ids)) == 10, ids
        wait_idle(home, 400)
    spans = runs(home)
    assert most_at_once(spans) <= RUNS, spans
    for incident_id in ids:
        mine = [s for s in spans if s[0] == incident_id]
        assert len(mine) == 1, mine  # run by the runner, once: the dashboard started no flow of its own
        assert all(e < float("inf") for _, _, e in mine)
    assert seen.most["flow"] <= RUNS, seen.most
    assert seen.most["server"] == 1, seen.most
    assert seen.most["runner"] == 1, (seen.most, posted)  # ten requests at once start one runner, not one each
    assert seen.most["all"] <= RUNS + 2, (seen.most, posted)
    all_gone(env)  # idle: the runner and its server end
    assert "Z" not in dashboard.children(), dashboard.children()
    for incident_id in ids:
        alerted_once(incident_id, env)
        assert "Traceback" not in (home / "logs" / f"{incident_id}.log").read_text()
    assert "Traceback" not in dashboard.log.read_text()
    assert dashboard.process.poll() is None


@pytest.mark.prefect
def test_runner_killed_while_dashboard_flows_run_then_a_dashboard_report_restarts_it_every_incident_once(
        env, dashboard):  # noqa: F811
    home = Path(env["BREACH_HOME"])
    report = the_report()
    ids = [post_report(dashboard, report, door) for door in ("basic", "session", "form", "basic")]
    processes = Processes(env["BREACH_HOME"])
    deadline = time.monotonic() + 200
    while time.monotonic() < deadline and processes.now()["flow"] < RUNS:
        time.sleep(0.2)
    time.sleep(2)  # the flows are into their work, past their interpreter's start
    pid = local_runner.runner_pid(home)
    assert pid is not None
    running = sorted(p.name for p in (home / "runner" / "running").iterdir())
    assert len(running) == RUNS
    os.kill(pid, signal.SIGKILL)

    all_gone(env)  # its server and flows ended with it
    assert not local_runner.alive(home)
    assert sorted(p.name for p in (home / "runner" / "running").iterdir()) == running  # kept for the next start

    ids.append(post_report(dashboard, report, "session"))  # the next request starts a runner: it requeues
    wait_idle(home, 300)
    log = (home / "logs" / "runner.log").read_text()
    for incident_id in running:
        assert f"requeued {incident_id}" in log
    assert most_at_once(runs(home)) <= RUNS
    for incident_id in ids:
        assert most_at_once([s for s in runs(home) if s[0] == incident_id]) == 1
        alerted_once(incident_id, env)
    all_gone(env)
    assert "Z" not in dashboard.children(), dashboard.children()
