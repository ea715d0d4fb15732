"""A command answers at once; the response flow it starts finishes in the background."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.test_cli import report_file  # noqa: F401

pytestmark = pytest.mark.prefect
REPO = Path(__file__).resolve().parents[2]


def breach(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "breach.cli", *args], cwd=REPO, env=env, capture_output=True, check=False,
                          text=True, timeout=120)


def test_report_answers_before_the_flow_and_the_flow_alerts_the_team(workspace_env, report_file, tmp_path):  # noqa: F811
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}, **workspace_env,
           "HOME": str(tmp_path)}
    result = breach("report", str(report_file), env=env)
    assert result.returncode == 0, result.stderr
    incident_id = result.stdout.strip()
    assert "started in the background" in result.stderr

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        result = breach("show", incident_id, "--json", env=env)
        assert result.returncode == 0, result.stderr
        shown = json.loads(result.stdout)
        if shown["status"] == "under_assessment":
            break
        time.sleep(1)
    assert shown["status"] == "under_assessment", shown
    assert [n["kind"] for n in shown["notices"]] == ["team_alert"]
    log = Path(workspace_env["BREACH_HOME"]) / "logs" / f"{incident_id}.log"
    assert "Traceback" not in log.read_text()
