"""The JSON API against its own OpenAPI description: whatever schemathesis sends, no server error answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from breach.web import create_app
from incidents import users as user_rules
from incidents.services import users
from incidents.workspace import Workspace

PASSWORD = "a long enough passphrase"
EXAMPLES = 150  # per operation


@pytest.fixture
def session(workspace_env, monkeypatch):
    """The app on the test's register, and a logged-in responder: the session cookie and its CSRF token."""
    monkeypatch.setattr(user_rules, "SCRYPT_N", 2**10)  # fast hashes for tests; the parameters live in each hash
    ws = Workspace()
    app = create_app(ws, launcher=lambda *args: None)
    users.add_user(ws.uow(), "intake", PASSWORD, "responder", "en", "test", datetime.now(UTC))
    client = TestClient(app)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "intake", "password": PASSWORD, "csrf_token": token})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/incidents").text).group(1)
    return app, dict(client.cookies), token


def test_the_api_answers_every_generated_request_without_a_server_error(session):
    """Every operation of /openapi.json, with schemathesis' generated data (valid and not): never a 5xx."""
    schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (the dev extra has it)")
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    app, cookies, token = session
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, cookies=cookies)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /api/incidents", "GET /api/incidents/{incident_id}"}
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            case.call_and_validate(cookies=cookies, headers={"X-CSRF-Token": token}, checks=[not_a_server_error])

        call()
