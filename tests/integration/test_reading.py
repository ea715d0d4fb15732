"""The dashboard's pages read without a write lock: on SQLite a long write (an import, a dispatch) holds the
register's write lock, and a page must not wait for it; a unit of work that only reads refuses to write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text, update

from incidents.register.tables import IncidentRow
from incidents.register.unit_of_work import ReadOnly
from incidents.workspace import Workspace
from tests.integration.test_web_security import Dashboard, dashboard  # noqa: F401


def test_a_page_answers_while_a_writer_holds_the_register(dashboard):  # noqa: F811
    incident_id = dashboard.incident()
    reader = dashboard.login("vera")
    with dashboard.ws.uow() as writer:  # a long write in progress, e.g. a large import, not yet committed
        writer.session.execute(update(IncidentRow).where(IncidentRow.id == incident_id).values(title="Renamed"))
        for page in ("/incidents", f"/incidents/{incident_id}", "/register", "/register.csv",
                     f"/api/incidents/{incident_id}"):
            answer = reader.get(page)
            assert answer.status_code == 200, page
            assert "Renamed" not in answer.text  # what is committed, not the writer's work in progress
        writer.commit()
    assert "Renamed" in reader.get(f"/incidents/{incident_id}").text


def test_a_unit_of_work_that_only_reads_refuses_to_write(workspace_env):
    ws = Workspace()
    with ws.reader() as uow, pytest.raises(ReadOnly):
        uow.record(at=datetime.now(UTC), actor="test", incident_id=None, action="nothing")
        uow.session.flush()
    with ws.reader() as uow, pytest.raises(ReadOnly):
        uow.session.execute(update(IncidentRow).values(title="x"))
    with ws.reader() as uow:
        assert uow.session.execute(text("SELECT 1")).scalar() == 1
