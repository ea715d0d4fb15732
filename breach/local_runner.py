"""One local runner per workspace: the response flows the CLI and the dashboard ask for, bounded.

On the embedded default (no PREFECT_API_URL) a command or a dashboard action that records something does not
start a flow process of its own. It asks for a run of the incident (`request`): a file named after the
incident in `$BREACH_HOME/runner/queue` (asking twice is one file: requests for one incident coalesce), and it
starts the runner if none is alive (`breach flow runner`, detached; it takes the runner's lock and hands it over,
so requests that come at once start one runner).

The runner (`serve`) holds `$BREACH_HOME/runner/runner.lock` (one per workspace), starts one temporary Prefect
API server for itself on the first request, and runs the queued incidents as `breach flow run ID` processes
against it: at most BREACH_LOCAL_RUNS at once (default 2), one per incident at a time. A request is moved to
`runner/running` while its run goes and removed when it ends; a runner killed meanwhile leaves it there, and
the next runner queues it again (the flow is re-entrant: it does only what is not yet done). After
BREACH_RUNNER_IDLE_SECONDS (default 60) with nothing queued or running, it stops its server and exits.

Only incident ids cross: in file names, on command lines and in the runner's log.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import IO, Any

from incidents.workspace import Workspace

log = logging.getLogger("breach.runner")
INCIDENT_ID = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,63}$")
POLL_SECONDS = 0.5
LOCK_FD = "BREACH_RUNNER_LOCK_FD"  # the descriptor of the lock ensure_running took for the runner it starts


def runner_dir(home: Path) -> Path:
    return home / "runner"


def _dirs(home: Path) -> tuple[Path, Path]:
    queue, running = runner_dir(home) / "queue", runner_dir(home) / "running"
    queue.mkdir(parents=True, exist_ok=True)
    running.mkdir(parents=True, exist_ok=True)
    return queue, running


def flow_log(home: Path, incident_id: str) -> Path:
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"{incident_id}.log"


# --- asking for a run (the CLI, the dashboard) ----------------------------------------------------------------

def request(ws: Workspace, incident_id: str) -> Path:
    """Queue a run of the incident's response flow and make sure the workspace's runner is alive; returns the
    log its run writes to. Durable: the request is a file, kept until a run of the incident has ended."""
    if not INCIDENT_ID.match(incident_id):
        raise ValueError("not an incident id")  # ids come from the register; a path never passes
    home = ws.settings.home
    queue, _ = _dirs(home)
    target = queue / incident_id
    if not target.exists():
        partial = queue / f".{incident_id}.{os.getpid()}"
        partial.write_text(str(time.time()))
        os.replace(partial, target)  # a second request for the same incident is the same file
    ensure_running(home)
    return flow_log(home, incident_id)


def _lock_path(home: Path) -> Path:
    runner_dir(home).mkdir(parents=True, exist_ok=True)
    return runner_dir(home) / "runner.lock"


def alive(home: Path) -> bool:
    """Whether a runner holds the workspace's lock."""
    with open(_lock_path(home), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def runner_pid(home: Path) -> int | None:
    """The pid of the live runner, or None."""
    try:
        text = _lock_path(home).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and alive(home) else None


def ensure_running(home: Path) -> None:
    """Start the runner, detached, unless one is alive. The lock is taken here and handed to the runner started
    (it holds it from then on), so requests that come at once (the dashboard's threads, commands side by side)
    start one runner, not one each while the first is still starting."""
    with open(_lock_path(home), "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # a runner is alive, or being started
        lock.truncate(0)  # no pid until the runner writes its own
        logs = home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / "runner.log", "ab") as out:
            process = subprocess.Popen([sys.executable, "-m", "breach.cli", "flow", "runner"],
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True, pass_fds=(lock.fileno(),),
                                       env={**os.environ, LOCK_FD: str(lock.fileno())})
    # our copy of the lock closed, the runner's holds it; a long-lived caller (the dashboard) reaps it when it ends
    threading.Thread(target=process.wait, name="runner-reaper", daemon=True).start()


# --- the runner -----------------------------------------------------------------------------------------------

def _die_with(parent: int) -> Any:
    """For a child: end when the runner ends, even by SIGKILL (Linux; elsewhere the child ends on its own)."""
    def set_it() -> None:
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:
            os._exit(1)
    return set_it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One temporary Prefect API server (the one Prefect starts per process on the embedded default), shared by
    the runner's flow processes and ended with the runner."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float) -> str:
        import httpx
        import prefect

        port = _free_port()
        self.url = f"http://127.0.0.1:{port}/api"
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env.update({"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "error", "--lifespan", "on"],
            stdin=subprocess.DEVNULL, env=env, preexec_fn=_die_with(os.getpid()))  # noqa: PLW1509 (one thread)
        deadline = time.monotonic() + timeout
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                try:
                    if client.get(f"{self.url}/health", timeout=2).status_code == 200:
                        log.info("prefect server up on port %s (pid %s)", port, self.process.pid)
                        return self.url
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the temporary Prefect server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


class _Stop(Exception):
    pass


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop()


def serve(ws: Workspace) -> int:
    """Run queued requests until idle. Returns 0 at once when another runner holds the workspace's lock."""
    from breach.runner import prefect_environment

    handed = os.environ.pop(LOCK_FD, None)
    if handed is not None:  # started by ensure_running, which took the lock for it
        lock = open(int(handed), "a+")  # noqa: SIM115 (closed by the with below)
    else:
        lock = open(_lock_path(ws.settings.home), "a+")  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return 0
    with lock:
        prefect_environment(ws.settings.home)
        return _serve(ws, lock)


def _serve(ws: Workspace, lock: IO[str]) -> int:
    settings = ws.settings
    home = settings.home
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stdout)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _stop)
    queue, running = _dirs(home)
    for left in running.iterdir():  # a runner killed while these ran: the re-entrant flow picks them up
        os.replace(left, queue / left.name)
        log.info("requeued %s", left.name)
    log.info("runner %s: up to %s runs at once", os.getpid(), settings.local_runs)
    server = Server()
    runs: dict[str, subprocess.Popen[bytes]] = {}
    idle_since = time.monotonic()
    try:
        while True:
            for incident_id, process in list(runs.items()):
                if process.poll() is not None:
                    (running / incident_id).unlink(missing_ok=True)
                    del runs[incident_id]
                    log.info("%.3f end %s exit %s", time.time(), incident_id, process.returncode)
            waiting = sorted((p for p in queue.iterdir() if not p.name.startswith(".") and p.name not in runs),
                             key=lambda p: p.stat().st_mtime)
            while waiting and len(runs) < settings.local_runs:
                path = waiting.pop(0)
                if not INCIDENT_ID.match(path.name):
                    path.unlink(missing_ok=True)
                    continue
                if server.process is None:
                    os.environ["PREFECT_API_URL"] = server.start(
                        float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")))
                os.replace(path, running / path.name)
                runs[path.name] = _start_run(home, path.name)
                log.info("%.3f start %s pid %s", time.time(), path.name, runs[path.name].pid)
            if runs or waiting:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > settings.runner_idle_seconds:
                fcntl.flock(lock, fcntl.LOCK_UN)  # a request after this sees no runner and starts one
                if not any(not p.name.startswith(".") for p in queue.iterdir()):
                    break
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    break  # another runner took over
                idle_since = time.monotonic()
                continue
            time.sleep(POLL_SECONDS)
    except (_Stop, KeyboardInterrupt):
        log.info("runner stopped; unfinished runs are queued again on the next start")
        for process in runs.values():
            process.terminate()
        for process in runs.values():
            process.wait()
    finally:
        server.stop()
    log.info("runner %s idle: exits", os.getpid())
    return 0


def _start_run(home: Path, incident_id: str) -> subprocess.Popen[bytes]:
    with open(flow_log(home, incident_id), "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "breach.cli", "flow", "run", incident_id],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ),
                                preexec_fn=_die_with(os.getpid()))  # noqa: PLW1509 (one thread)
