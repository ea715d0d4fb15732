"""`breach demo`, the README's first command, as a newcomer sees it: one clean run that shows the whole response."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.prefect
REPO = Path(__file__).resolve().parents[2]


def test_demo_runs_clean_and_prints_what_a_privacy_officer_needs(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BREACH_", "PREFECT_"))}
    env["HOME"] = str(tmp_path)  # no ~/.prefect of the developer's
    result = subprocess.run([sys.executable, "-m", "breach.cli", "demo", "--workspace", str(tmp_path / "demo")],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERROR" not in output and "Traceback" not in output
    incident_id = re.search(r"incident\s+(DL-\d{4}-\d{4})", result.stdout).group(1)
    assert re.search(r"AP deadline\s+\d{4}-\d\d-\d\d \d\d:\d\d CES?T \(Europe/Amsterdam\), 6[56]\.\d hours left",
                     result.stdout)
    assert "notify the AP: yes" in result.stdout
    notice = tmp_path / "demo" / "notices" / incident_id / "authority-notice-v1.nl.html"
    assert str(notice) in result.stdout and notice.exists()
    emails = list((tmp_path / "demo" / "outbox" / incident_id / "subject_notice").glob("*.eml"))
    assert len(emails) > 30 and all(p.name in result.stdout for p in emails)
    assert f"id: {incident_id}" in result.stdout and "subjects_sent: " in result.stdout


def test_demo_refuses_to_wipe_a_folder_that_is_not_a_demo(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = subprocess.run([sys.executable, "-m", "breach.cli", "demo", "--workspace", str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "not a demo workspace" in result.stderr
    assert (tmp_path / "precious.txt").exists()
