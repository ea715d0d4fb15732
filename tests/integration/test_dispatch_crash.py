"""Killing the dispatcher at any moment (kill -9) and starting it again finishes the job: everybody is told,
and the only duplicates are those of a batch in flight at a crash, which are counted and reported."""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from incidents import services
from incidents.model import Decision
from incidents.register.tables import AuditRow, DispatchBatchRow
from incidents.workspace import Workspace
from tests.integration.conftest_sendgrid import fake_sendgrid  # noqa: F401
from tests.integration.test_register import a_report, the_assessment
from tests.support.fake_sendgrid import Reply
from tests.support.review import approve_as_drafted

REPO = Path(__file__).resolve().parents[2]
PEOPLE = 4500  # six batches of at most 1 000 (nl and en)


def decided_incident(tmp_path: Path, now) -> str:
    ws = Workspace()
    incident_id = services.report_incident(ws.uow(), ws.profile, a_report(now), "po", now)
    services.record_assessment(ws.uow(), ws.profile, incident_id, the_assessment(), "it", now)
    people = tmp_path / "people.csv"
    with people.open("w", encoding="utf-8") as f:
        f.write("name,email,language\n")
        for i in range(PEOPLE):
            f.write(f"Person {i},person{i}@example.com,{'en' if i % 7 == 0 else 'nl'}\n")
    services.import_subjects(ws.uow(), incident_id, people, "po", now)
    services.record_decision(ws.uow(), incident_id, Decision(notify_authority=False, notify_subjects=True,
                                                             reason="high risk for every customer"), "po", now)
    approve_as_drafted(ws.uow(), ws.profile, incident_id, now)
    return incident_id


def test_kill_9_at_random_moments_then_restart_notifies_everybody(workspace_env, fake_sendgrid, tmp_path, now):  # noqa: F811
    incident_id = decided_incident(tmp_path, now)
    fake_sendgrid.script(*[Reply(202, delay=0.4) for _ in range(600)])  # slow enough to be caught mid-request
    rng = random.Random(20261125)
    env = {**os.environ, **workspace_env}
    crashes = 0
    for _ in range(60):
        child = subprocess.Popen([sys.executable, "-m", "tests.support.dispatch_child", incident_id,
                                  fake_sendgrid.url], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, start_new_session=True)
        time.sleep(rng.uniform(0.3, 3.0))
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            crashes += 1
            continue
        _out, err = child.communicate()
        assert child.returncode == 0, err.decode()
        break
    else:
        raise AssertionError("the dispatcher never finished")
    assert crashes >= 2  # the test proves something only when it really killed the dispatcher

    received = collections.Counter(
        p["to"][0]["email"] for r in fake_sendgrid.requests if isinstance(r.body, dict)
        for p in r.body["personalizations"])
    ws = Workspace()
    with ws.uow() as uow:
        counts = uow.subject_counts(incident_id)
        resent_batches = list(uow.session.scalars(select(DispatchBatchRow).where(DispatchBatchRow.attempts > 1)))
        reported = sum(b.recipients * (b.attempts - 1) for b in resent_batches)  # a batch may be resent twice
        audit = [r.details for r in uow.session.scalars(select(AuditRow).where(AuditRow.action == "subjects_notified"))]
    assert counts == {"sent": PEOPLE}
    assert set(received) == {f"person{i}@example.com" for i in range(PEOPLE)}  # nobody skipped
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= reported <= crashes * 1000  # only in-flight batches, and every one of them counted
    assert f'"sent_again_after_crash":{reported}' in audit[-1]  # the report counts every resend of every run
