"""A document over a limit is refused at once with the field named, in the dashboard, the API and the CLI alike;
the dashboard parses off its event loop, so one post cannot freeze it for everyone (issue 17, items 1 and 5)."""

from __future__ import annotations

import asyncio
import html
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from breach.web import api, forms
from incidents.register.tables import IncidentRow
from tests.integration.test_web_security import Dashboard, _basic, _report, dashboard  # noqa: F401

NESTED_20_KB = "[" * 20_000
TOO_DEEP = "nests lists and mappings more than 32 levels deep"


def _field_error(page: str, field: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(rf'<p class="error" id="e-{re.escape(field)}">(.*?)</p>', page)]


def _on_the_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# --- the dashboard ------------------------------------------------------------------------------------------------

def test_a_20_kb_nested_document_is_refused_at_once_with_the_field_named(dashboard):  # noqa: F811
    incident_id = dashboard.incident()
    client = dashboard.login("rick")
    answer = client.post(f"/incidents/{incident_id}/assessment",
                         data={"csrf_token": dashboard.token(client), "document": NESTED_20_KB})
    assert answer.status_code == 422
    [message] = _field_error(answer.text, "document")
    assert message.startswith(TOO_DEEP + " (at line 1)") and message.endswith("write it flatter")
    with dashboard.ws.uow() as uow:
        assert uow.latest_assessment(incident_id) is None


def test_the_assessment_is_parsed_and_validated_off_the_event_loop(dashboard, monkeypatch):  # noqa: F811
    incident_id = dashboard.incident()
    seen: dict[str, bool] = {}
    parse, validate = forms.parse_document, forms.validate

    def parse_document(source: str):
        seen["parse"] = _on_the_event_loop()
        return parse(source)

    def checked_validate(*args):
        seen["validate"] = _on_the_event_loop()
        return validate(*args)

    monkeypatch.setattr(forms, "parse_document", parse_document)
    monkeypatch.setattr(forms, "validate", checked_validate)
    client = dashboard.login("rick")
    document = "summary: a laptop left on a train\ndata:\n  categories: [contact]\nsubjects:\n  count_min: 3\n" \
               "  count_max: 3\nbreach:\n  confidentiality: unknown_recipients\n"
    answer = client.post(f"/incidents/{incident_id}/assessment",
                         data={"csrf_token": dashboard.token(client), "document": document})
    assert answer.status_code == 303, answer.text
    assert seen == {"parse": False, "validate": False}


def test_a_slow_document_leaves_the_login_page_answering(dashboard, monkeypatch):  # noqa: F811
    """While one post's document is being read, another request on the same event loop is answered. The reading
    is held until the login page has answered: on the event loop it would wait for itself (10 s, then fail)."""
    incident_id = dashboard.incident()
    reading, answered = threading.Event(), threading.Event()
    released: list[bool] = []
    parse = forms.parse_document

    def held(source: str):
        reading.set()
        released.append(answered.wait(10))
        return parse(source)

    monkeypatch.setattr(forms, "parse_document", held)
    client = dashboard.login("rick")
    token = dashboard.token(client)
    posted: list[int] = []
    with client:  # one event loop for every request from here on, as under uvicorn
        poster = threading.Thread(target=lambda: posted.append(client.post(
            f"/incidents/{incident_id}/assessment", data={"csrf_token": token, "document": NESTED_20_KB}
        ).status_code))
        poster.start()
        assert reading.wait(10)
        login = client.get("/login")
        answered.set()
        poster.join(20)
    assert login.status_code in (200, 303)
    assert released == [True], "the login page waited for the document to be read"
    assert posted == [422]


def test_a_pasted_document_over_the_size_limit_is_refused_with_the_field_named(dashboard):  # noqa: F811
    incident_id = dashboard.incident()
    client = dashboard.login("rick")
    answer = client.post(f"/incidents/{incident_id}/assessment",
                         data={"csrf_token": dashboard.token(client), "document": "a: " + "x" * forms.MAX_DOCUMENT})
    assert answer.status_code == 422
    assert _field_error(answer.text, "document") == [f"is longer than {forms.MAX_DOCUMENT} characters"]


def test_the_report_form_is_validated_off_the_event_loop(dashboard, monkeypatch):  # noqa: F811
    seen: list[bool] = []
    validate = forms.validate

    def checked_validate(*args):
        seen.append(_on_the_event_loop())
        return validate(*args)

    monkeypatch.setattr(forms, "validate", checked_validate)
    client = dashboard.login("rick")
    answer = client.post("/incidents/new", data={"csrf_token": dashboard.token(client), "title": "Lost phone",
                                                 "source_kind": "internal", "reported_by": "rick"})
    assert answer.status_code == 422 and seen == [False]


# --- the API ------------------------------------------------------------------------------------------------------

def test_the_api_refuses_a_deep_report_with_the_document_named_and_reads_it_off_the_loop(dashboard, monkeypatch):  # noqa: F811
    seen: list[bool] = []
    parse = api.parse_json

    def parse_json(body):
        seen.append(_on_the_event_loop())
        return parse(body)

    monkeypatch.setattr(api, "parse_json", parse_json)
    for body in ('{"title": ' + "[" * 100_000 + "]" * 100_000 + "}", "[" * 20_000):
        answer = dashboard.client().post("/api/incidents", headers={**_basic("rick"),
                                                                    "Content-Type": "application/json"},
                                         content=body)
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["errors"]
        assert error["field"] == "(document)" and error["message"].startswith(TOO_DEEP)
    assert seen == [False, False]
    answer = dashboard.client().post("/api/incidents", headers=_basic("rick"), json=_report())
    assert answer.status_code == 201  # an ordinary report still goes through
    assert dashboard.count(IncidentRow) == 1


def test_the_api_still_says_not_json_for_what_is_not_json(dashboard):  # noqa: F811
    answer = dashboard.client().post("/api/incidents", headers={**_basic("rick"), "Content-Type": "application/json"},
                                     content="{nope")
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "(document)", "message": "is not valid JSON"}]


# --- the CLI ------------------------------------------------------------------------------------------------------

@pytest.fixture
def report_file(tmp_path):
    now = datetime.now(UTC)
    path = tmp_path / "incident.yaml"
    path.write_text(yaml.safe_dump({
        "title": "Drive folder shared by public link",
        "description": "A folder with coaching reports was shared with anyone who has the link.",
        "discovered_at": (now - timedelta(hours=20)).isoformat(), "aware_at": (now - timedelta(hours=10)).isoformat(),
        "awareness_reason": "A short check confirmed that personal data were affected.",
        "source": "data_subject", "reported_by": "Privacycontact Qoers"}), encoding="utf-8")
    return path


def _written(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.mark.parametrize(("name", "text"), [
    ("deep.yaml", "- " * 100_000 + "x\n"),
    ("deep-mapping.yaml", "title:\n" + "".join("  " * i + "- a:\n" for i in range(1, 200))),
    ("deep.json", '{"a":' * 100_000 + '"x"' + "}" * 100_000),
    ("deep-list.json", "[" * 100_000 + "]" * 100_000),
])
def test_a_100_000_deep_report_exits_2_with_the_file_named(cli, tmp_path, name, text):
    path = _written(tmp_path, name, text)
    code, out, err = cli("report", str(path), "--no-flow")
    assert code == 2 and out == ""
    assert f"- file: {path} {TOO_DEEP}" in err and "Traceback" not in err


def test_a_10_mb_report_exits_2_with_the_file_named(cli, tmp_path):
    path = _written(tmp_path, "big.yaml", b"title: " + b"x" * (10 * 1024 * 1024) + b"\n")
    code, out, err = cli("report", str(path), "--no-flow")
    assert code == 2 and out == ""
    assert f"- file: {path} is larger than 1024 KB" in err
    code, _, err = cli("list", "--json")
    assert code == 0


def test_a_deep_assessment_file_exits_2_too(cli, tmp_path, report_file):
    code, out, _ = cli("report", str(report_file), "--no-flow")
    assert code == 0
    path = _written(tmp_path, "assessment.yaml", "summary: x\ndata:\n  categories: " + "[" * 2_000 + "\n")
    code, _, err = cli("assess", out.strip(), str(path), "--no-flow")
    assert code == 2 and f"- file: {path} {TOO_DEEP} (at line 3)" in err
