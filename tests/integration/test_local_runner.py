"""Without a Prefect server, one runner per workspace runs the response flows: bounded, one per incident, durable."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Self

import pytest

from breach import local_runner
from tests.integration.test_cli import report_file  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
RUNS = 2


def breach(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "breach.cli", *args], cwd=REPO, env=env, capture_output=True,
                          check=False, text=True, timeout=120)


@pytest.fixture
def env(workspace_env, tmp_path):
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}, **workspace_env,
            "HOME": str(tmp_path), "BREACH_LOCAL_RUNS": str(RUNS), "BREACH_RUNNER_IDLE_SECONDS": "3"}


class Processes:
    """Samples the workspace's processes (by BREACH_HOME in their environment): runners, servers, flow runs."""

    def __init__(self, home: str) -> None:
        self.marker = f"BREACH_HOME={home}".encode()
        self.most = {"runner": 0, "server": 0, "flow": 0, "all": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def now(self) -> dict[str, int]:
        counts = {"runner": 0, "server": 0, "flow": 0}
        found: dict[int, tuple[int, str]] = {}  # pid: (parent pid, command line)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if self.marker not in (entry / "environ").read_bytes().split(b"\0"):
                    continue
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            found[int(entry.name)] = (parent, cmd)
        for parent, cmd in found.values():
            if "flow runner" in cmd:
                if "flow runner" not in found.get(parent, (0, ""))[1]:  # else a child of it not yet exec'd
                    counts["runner"] += 1
            elif "uvicorn" in cmd:
                counts["server"] += 1
            elif "flow run " in cmd:
                counts["flow"] += 1
        return counts

    def _sample(self) -> None:
        while not self._stop.is_set():
            counts = self.now()
            counts["all"] = sum(counts.values())
            for k, v in counts.items():
                self.most[k] = max(self.most[k], v)
            time.sleep(0.1)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def runs(home: Path) -> list[tuple[str, float, float]]:
    """(incident, start, end) of every run the runner's log shows; end is inf while it runs."""
    open_runs: dict[str, float] = {}
    done = []
    for line in (home / "logs" / "runner.log").read_text().splitlines():
        m = re.search(r"(\d+\.\d+) (start|end) (DL-\d{4}-\d{4})", line)
        if m and m[2] == "start":
            open_runs[m[3]] = float(m[1])
        elif m:
            done.append((m[3], open_runs.pop(m[3]), float(m[1])))
    return done + [(i, t, float("inf")) for i, t in open_runs.items()]


def most_at_once(spans: list[tuple[str, float, float]]) -> int:
    return max((sum(1 for _, s, e in spans if s <= t < e) for _, t, _ in spans), default=0)


def wait_idle(home: Path, timeout: float) -> None:
    """Until nothing is queued or running and the runner exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = [p for d in ("queue", "running") for p in (home / "runner" / d).iterdir()
                   if not p.name.startswith(".")]
        if not pending and not local_runner.alive(home):
            return
        time.sleep(1)
    raise AssertionError(f"the runner did not finish: {(home / 'logs' / 'runner.log').read_text()[-3000:]}")


def alerted_once(incident_id: str, env: dict[str, str]) -> None:
    result = breach("show", incident_id, "--json", env=env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["status"] == "under_assessment", shown
    assert [n["kind"] for n in shown["notices"]] == ["team_alert"]


def test_requests_for_one_incident_coalesce_and_only_ids_pass(workspace_env, monkeypatch, tmp_path):
    from incidents.workspace import Workspace

    started = []
    monkeypatch.setattr(local_runner, "ensure_running", lambda home: started.append(home))
    ws = Workspace()
    for _ in range(3):
        log = local_runner.request(ws, "DL-2026-0001")
    local_runner.request(ws, "DL-2026-0002")
    queue = Path(workspace_env["BREACH_HOME"]) / "runner" / "queue"
    assert sorted(p.name for p in queue.iterdir()) == ["DL-2026-0001", "DL-2026-0002"]
    assert log == Path(workspace_env["BREACH_HOME"]) / "logs" / "DL-2026-0001.log"
    assert len(started) == 4  # each request makes sure a runner is alive
    with pytest.raises(ValueError):
        local_runner.request(ws, "../../etc/passwd")


@pytest.mark.prefect
def test_ten_reports_run_at_most_the_bound_at_once_one_run_per_incident(env, report_file):  # noqa: F811
    home = Path(env["BREACH_HOME"])
    ids = []
    with Processes(env["BREACH_HOME"]) as seen:
        for _ in range(10):
            result = breach("report", str(report_file), env=env)
            assert result.returncode == 0, result.stderr
            assert "started in the background" in result.stderr
            ids.append(result.stdout.strip())
        old = dict(os.environ)
        os.environ.update(env)
        try:  # the same incidents asked for again while their runs go: coalesced, never two at once
            from incidents.workspace import Workspace

            for incident_id in ids[:3] * 3:
                local_runner.request(Workspace(), incident_id)
        finally:
            os.environ.clear()
            os.environ.update(old)
        wait_idle(home, 400)
    spans = runs(home)
    assert most_at_once(spans) <= RUNS, spans
    for incident_id in ids:
        mine = [s for s in spans if s[0] == incident_id]
        assert 1 <= len(mine) <= 3, mine
        assert most_at_once(mine) == 1, mine
        assert all(e < float("inf") for _, _, e in mine)
    assert seen.most["flow"] <= RUNS, seen.most
    assert seen.most["server"] == 1, seen.most
    assert seen.most["runner"] <= 3, seen.most  # a runner started by two reports at once exits at once
    assert seen.most["all"] <= RUNS + 3, seen.most
    for incident_id in ids:
        alerted_once(incident_id, env)
        assert "Traceback" not in (home / "logs" / f"{incident_id}.log").read_text()


@pytest.mark.prefect
def test_runner_killed_while_flows_run_then_restarted_every_incident_once(env, report_file):  # noqa: F811
    home = Path(env["BREACH_HOME"])
    ids = []
    for _ in range(4):
        result = breach("report", str(report_file), env=env)
        assert result.returncode == 0, result.stderr
        ids.append(result.stdout.strip())
    deadline = time.monotonic() + 200
    while time.monotonic() < deadline and len(list((home / "runner" / "running").iterdir())) < RUNS:
        time.sleep(0.2)
    time.sleep(2)  # the flows are under way
    pid = local_runner.runner_pid(home)
    assert pid is not None
    running = sorted(p.name for p in (home / "runner" / "running").iterdir())
    assert len(running) == RUNS
    os.kill(pid, signal.SIGKILL)

    processes = Processes(env["BREACH_HOME"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(processes.now().values()):
        time.sleep(0.2)
    assert not any(processes.now().values()), processes.now()  # its server and flows ended with it
    assert not local_runner.alive(home)
    assert sorted(p.name for p in (home / "runner" / "running").iterdir()) == running  # kept for the next start

    with open(home / "logs" / "runner.log", "ab") as out:
        subprocess.Popen([sys.executable, "-m", "breach.cli", "flow", "runner"], cwd=REPO, env=env,
                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    time.sleep(2)
    wait_idle(home, 300)
    log = (home / "logs" / "runner.log").read_text()
    for incident_id in running:
        assert f"requeued {incident_id}" in log
    for incident_id in ids:
        alerted_once(incident_id, env)
