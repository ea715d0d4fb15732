"""Fixtures for the SendGrid loopback tests; import them explicitly:

    from tests.integration.conftest_sendgrid import fake_sendgrid, prism_url  # noqa: F401

`fake_sendgrid`: the project's scriptable fake (tests/support/fake_sendgrid.py), one per test.
`prism_url`: Prism (npm's @stoplight/prism-cli) serving SendGrid's own OpenAPI description of /v3/mail/send
as a validating mock, one per test module. Without node_modules/.bin/prism those tests are skipped, unless
BREACH_REQUIRE_PRISM=1 (CI), which makes a missing or broken Prism a failure. BREACH_PRISM overrides the
path of the prism executable.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_sendgrid import FakeSendGrid

REPO = Path(__file__).resolve().parents[2]
PRISM = Path(os.environ.get("BREACH_PRISM") or REPO / "node_modules" / ".bin" / "prism")
SPEC = Path(os.environ.get("BREACH_SENDGRID_OPENAPI")
            or REPO / "tests" / "support" / "sendgrid" / "mail-send.openapi.json")
STARTUP_SECONDS = 60.0


@pytest.fixture
def fake_sendgrid() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as fake:
        yield fake


def _unavailable(reason: str) -> None:
    if os.environ.get("BREACH_REQUIRE_PRISM") == "1":
        pytest.fail(f"{reason} (BREACH_REQUIRE_PRISM=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not PRISM.exists():
        _unavailable(f"Prism is not installed ({PRISM} is missing): run `make setup-dev`, or "
                     "`npm install --no-save @stoplight/prism-cli@5.9.0` in the repository")
    if not SPEC.exists():
        _unavailable(f"SendGrid's OpenAPI description is not at {SPEC} (set BREACH_SENDGRID_OPENAPI)")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    with log_path.open("wb") as log:  # a file, not a pipe: a full pipe would stall Prism
        process = subprocess.Popen(
            [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), "--errors", str(SPEC)],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so teardown ends node and anything it started
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(port):
            if process.poll() is not None:
                _unavailable(f"Prism exited with {process.returncode} before answering:\n"
                             f"{log_path.read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                _unavailable(f"Prism did not answer on 127.0.0.1:{port} within {STARTUP_SECONDS:.0f} s:\n"
                             f"{log_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)
