"""Production shape: a real `prefect server` and a process worker on loopback run the deployments of
prefect.yaml; an incident reported with `breach report` starts the response by an event, the run suspends
for each human step and `breach assess / decide / authority filed` resume it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXAMPLES = REPO / "examples" / "qoers"
pytestmark = pytest.mark.prefect


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout: float = 90.0, every: float = 0.5):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen[bytes], twice: bool = False) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    if twice:  # a Prefect worker only stops on the second signal
        time.sleep(3)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def server_env(home: Path, **breach: str) -> dict[str, str]:
    """The environment of a Prefect server on a free loopback port, its workers and the `breach` commands, in
    `home`, with these BREACH_* settings besides the workspace's own."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "BREACH_"))}
    return {
        **clean,
        "HOME": str(home),
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "BREACH_PROJECT_DIR": str(REPO),
        "BREACH_HOME": str(home / "ws"),
        "BREACH_PROFILE": str(EXAMPLES / "profile.yaml"),
        "BREACH_USER": "e2e",
        "BREACH_LANGUAGE": "en",  # the lines asserted are the English ones
        "PORT": str(port),
        **breach,
    }


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return server_env(tmp_path_factory.mktemp("server"))


@pytest.fixture(scope="module")
def server(env) -> Iterator[str]:
    log = open(Path(env["HOME"]) / "server.log", "wb")  # noqa: SIM115 (open while the server runs)
    process = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", env["PORT"]],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    health = f"{env['PREFECT_API_URL']}/health"

    def healthy() -> bool:
        try:
            return urllib.request.urlopen(health, timeout=2).status == 200
        except OSError:
            return False

    try:
        wait_for("the Prefect server", healthy, timeout=120)
        yield env["PREFECT_API_URL"]
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="module")
def worker(env, server) -> Iterator[Path]:
    def prefect(*args: str) -> None:
        subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=REPO, check=True, capture_output=True,
                       timeout=180)

    prefect("work-pool", "create", "breach", "--type", "process")
    prefect("--no-prompt", "deploy", "--all")
    log_path = Path(env["HOME"]) / "worker.log"
    log = open(log_path, "wb")  # noqa: SIM115 (open while the worker runs)
    process = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "breach"], env=env, cwd=REPO,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield log_path
    finally:
        stop(process, twice=True)
        log.close()


def breach(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "breach"), *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False)


def runs(env: dict[str, str], incident_id: str) -> list:  # type: ignore[type-arg]
    code = ("import json,sys; from breach.prefect_link import _runs; "
            "print(json.dumps([{'id': str(r.id), 'state': r.state.type.value, 'key': r.state.state_details.pause_key}"
            f" for r in _runs('{incident_id}')]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return json.loads(out)


def paused_for(env: dict[str, str], incident_id: str, key: str):  # type: ignore[no-untyped-def]
    return lambda: [r for r in runs(env, incident_id) if r["state"] == "PAUSED" and r["key"] == key]


def test_an_incident_runs_on_a_server_and_waits_for_people(env, worker, tmp_path):
    now = datetime.now(UTC)
    report = tmp_path / "incident.yaml"
    report.write_text(yaml.safe_dump({
        "title": "Drive folder shared by public link",
        "description": "A folder with coaching reports was shared with anyone who has the link.",
        "discovered_at": (now - timedelta(hours=3)).isoformat(), "aware_at": (now - timedelta(hours=2)).isoformat(),
        "awareness_reason": "A short check confirmed that personal data were affected.", "source": "data_subject", "reported_by": "Privacycontact Qoers",
    }), encoding="utf-8")

    started = time.monotonic()
    result = breach(env, "report", str(report))
    assert result.returncode == 0, result.stderr
    incident_id = result.stdout.strip()
    assert "announced" in result.stderr
    outbox = Path(env["BREACH_HOME"]) / "outbox" / incident_id / "team_alert"
    wait_for("the team alert", lambda: list(outbox.glob("*.eml")), timeout=120)
    print(f"\nseconds from `breach report` to the team alert (server + worker): {time.monotonic() - started:.1f}")

    waiting = wait_for("the run to suspend for the assessment", paused_for(env, incident_id, "assessment-1"))

    # input that fails validation is refused with the field named, and the run keeps waiting
    refused = subprocess.run([sys.executable, "-c", (
        "from prefect.flow_runs import resume_flow_run; import uuid; "
        f"resume_flow_run(uuid.UUID('{waiting[0]['id']}'), run_input={{'summary': 'x'}})")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode != 0 and "Validation failed" in refused.stderr
    assert paused_for(env, incident_id, "assessment-1")()

    result = breach(env, "assess", incident_id, str(EXAMPLES / "assessment.yaml"))
    assert result.returncode == 0 and "resumed flow run" in result.stderr, result.stderr
    wait_for("the run to suspend for the decision", paused_for(env, incident_id, "decision-1"))

    result = breach(env, "decide", incident_id, "--authority", "yes", "--subjects", "no",
                    "--reason", "health data, but every coachee was already told in person")
    assert result.returncode == 0 and "resumed" in result.stderr, result.stderr
    wait_for("the run to suspend for the AP's reference", paused_for(env, incident_id, "authority-filing-1"))
    assert list((Path(env["BREACH_HOME"]) / "notices" / incident_id).glob("authority-notice-v1.nl.html"))

    result = breach(env, "authority", "filed", incident_id, "--reference", "M-2026-123")
    assert result.returncode == 0 and "resumed" in result.stderr, result.stderr
    wait_for("the run to complete",
             lambda: [r for r in runs(env, incident_id) if r["state"] == "COMPLETED"], timeout=120)
    shown = json.loads(breach(env, "show", incident_id, "--json").stdout)
    assert shown["status"] == "subjects_not_required" and shown["authority_reference"] == "M-2026-123"

    log = worker.read_text(errors="replace")
    assert "Traceback" not in log and "| ERROR" not in log, log[-3000:]


def test_on_a_server_the_run_waits_for_the_approval_of_the_message_before_anyone_is_told(env, worker, tmp_path):
    now = datetime.now(UTC)
    report = tmp_path / "incident.yaml"
    report.write_text(yaml.safe_dump({
        "title": "Drive folder shared by public link",
        "description": "A folder with coaching reports was shared with anyone who has the link.",
        "discovered_at": (now - timedelta(hours=3)).isoformat(), "aware_at": (now - timedelta(hours=2)).isoformat(),
        "awareness_reason": "A short check confirmed that personal data were affected.", "source": "data_subject",
        "reported_by": "Privacycontact Qoers",
    }), encoding="utf-8")
    incident_id = breach(env, "report", str(report)).stdout.strip()
    wait_for("the run to suspend for the assessment", paused_for(env, incident_id, "assessment-1"))
    assert breach(env, "assess", incident_id, str(EXAMPLES / "assessment.yaml")).returncode == 0
    wait_for("the run to suspend for the decision", paused_for(env, incident_id, "decision-1"))
    assert breach(env, "subjects", "import", incident_id, str(EXAMPLES / "subjects.csv"), "--no-flow").returncode == 0

    result = breach(env, "decide", incident_id, "--authority", "no", "--subjects", "yes",
                    "--reason", "coaching reports open to anyone; the AP was told by phone already")
    assert result.returncode == 0 and "resumed" in result.stderr, result.stderr
    wait_for("the run to suspend for the approval", paused_for(env, incident_id, "subject-notice-approval-1"))
    sent = Path(env["BREACH_HOME"]) / "outbox" / incident_id / "subject_notice"
    assert not sent.exists(), "someone was told before the message was approved"

    preview = breach(env, "subjects", "preview", incident_id)
    assert preview.returncode == 0 and "version 1 (awaiting approval)" in preview.stdout, preview.stderr
    result = breach(env, "subjects", "approve", incident_id, "--version", "1")
    assert result.returncode == 0 and "resumed flow run" in result.stderr, result.stderr
    wait_for("the people's e-mails", lambda: len(list(sent.glob("*.eml"))) == 38, timeout=120)
    wait_for("the run to complete",
             lambda: [r for r in runs(env, incident_id) if r["state"] == "COMPLETED"], timeout=120)
    shown = json.loads(breach(env, "show", incident_id, "--json").stdout)
    assert shown["status"] == "subjects_notified" and shown["tracks"]["people"]["state"] == "told"
