"""The dashboard's guards as a person (or an attacker) meets them: login, roles, CSRF, throttling, escaping, headers."""

from __future__ import annotations

import base64
import re
import stat
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from breach.web import create_app
from breach.web.session import SECRET_FILE
from incidents import services
from incidents import users as user_rules
from incidents.register.tables import AuditRow, DecisionRow, IncidentRow
from incidents.services import users
from incidents.times import now_utc
from incidents.workspace import Workspace
from tests.support.review import approve_as_drafted

PASSWORD = "correct horse battery staple"
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/language")}  # everything else needs a login
SECRET_TITLE = "Payroll export mailed to the wrong client"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _basic(name: str, password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def _report(**changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {"title": SECRET_TITLE, "description": "A payroll export went to another client by e-mail.",
            "discovered_at": (now - timedelta(hours=3)).isoformat(), "aware_at": (now - timedelta(hours=2)).isoformat(),
            "awareness_reason": "A short check confirmed that personal data were affected.", "source": "internal", "reported_by": "Office manager", **changes}


class Dashboard:
    """The app on the test's register with three users; `login(name)` gives a browser-like client."""

    def __init__(self) -> None:
        self.ws = Workspace()
        self.launched: list[tuple[str, str | None]] = []
        self.app = create_app(self.ws, launcher=lambda ws, incident_id, step, run_input:
                              self.launched.append((incident_id, step)))
        now = datetime.now(UTC)
        for name, role, language in (("olga", "privacy_officer", "nl"), ("rick", "responder", "en"),
                                     ("vera", "viewer", "en")):
            users.add_user(self.ws.uow(), name, PASSWORD, role, language, "test", now)

    def client(self, **kwargs: object) -> TestClient:
        return TestClient(self.app, follow_redirects=False, **kwargs)  # type: ignore[arg-type]

    def login(self, name: str, **kwargs: object) -> TestClient:
        client = self.client(**kwargs)
        token = _csrf(client.get("/login").text)
        answer = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 303, answer.text
        return client

    def token(self, client: TestClient) -> str:
        return _csrf(client.get("/incidents").text)

    def incident(self) -> str:
        answer = self.login("rick").post("/api/incidents", json=_report(), headers=_basic("rick"))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def count(self, table: type) -> int:
        with self.ws.uow() as uow:
            return len(uow.session.scalars(select(table)).all())


@pytest.fixture
def dashboard(workspace_env, monkeypatch) -> Dashboard:
    monkeypatch.setattr(user_rules, "SCRYPT_N", 2**10)  # fast hashes for tests; the parameters live in each hash
    return Dashboard()


# --- nothing without a login --------------------------------------------------------------------------------

def app_routes(app) -> list[tuple[str, set[str] | None]]:
    """(path, methods) of every route the app serves, included routers unfolded (methods None: a mount)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before 0.150 keeps the included routes flat in app.routes
        return [(r.path, getattr(r, "methods", None)) for r in app.routes]
    return [(r.path, r.methods) for r in iter_route_contexts(app.routes)]


def test_every_route_refuses_anonymous_access(dashboard):
    incident_id = dashboard.incident()
    anonymous = dashboard.client()
    checked = 0
    routes = app_routes(dashboard.app)
    for route_path, methods in routes:
        if methods is None:
            assert route_path == "/static"  # the style sheet and the countdown script, nothing else
            continue
        for method in sorted(methods - {"HEAD"}):
            path = route_path.replace("{incident_id}", incident_id)
            if (method, route_path) in PUBLIC:
                continue
            answer = anonymous.request(method, path, data={"csrf_token": "x"} if method == "POST" else None)
            checked += 1
            if path.startswith("/webhooks/"):  # no login: SendGrid signs; unsigned is refused
                assert answer.status_code == 401, f"{method} {path}"
            elif path.startswith("/api/") or path == "/openapi.json":
                assert answer.status_code == 401, f"{method} {path}"
                assert answer.headers["www-authenticate"].startswith("Basic")
            else:
                assert answer.status_code == 303, f"{method} {path}"
                assert answer.headers["location"].startswith("/login?next="), f"{method} {path}"
            assert SECRET_TITLE not in answer.text and incident_id not in answer.text
    assert checked >= 15
    assert {path for path, _ in routes} >= {
        "/incidents", "/incidents/{incident_id}", "/register", "/register.csv", "/api/incidents", "/openapi.json"}


def test_the_public_pages_show_nothing_of_the_register(dashboard):
    dashboard.incident()
    anonymous = dashboard.client()
    for answer in (anonymous.get("/login"), anonymous.get("/static/dashboard.css"), anonymous.get("/nope")):
        assert SECRET_TITLE not in answer.text


def test_wrong_credentials_on_the_api_are_refused(dashboard):
    client = dashboard.client()
    assert client.get("/api/incidents", headers=_basic("rick", "not the password")).status_code == 401
    assert client.get("/api/incidents", headers={"Authorization": "Basic !!!"}).status_code == 401
    for name in ("\x00", "rick\x00", "ri\x00ck", "rick\n", "RICK "):  # a NUL byte reached PostgreSQL: a 500
        expected = 200 if name in ("rick\n", "RICK ") else 401  # names are matched trimmed and in lower case
        assert client.get("/api/incidents", headers=_basic(name)).status_code == expected, repr(name)
    assert client.get("/api/incidents", headers=_basic("rick")).status_code == 200


def test_a_disabled_user_loses_an_open_session_at_once(dashboard):
    client = dashboard.login("vera")
    assert client.get("/incidents").status_code == 200
    users.disable_user(dashboard.ws.uow(), "vera", "test", datetime.now(UTC))
    assert client.get("/incidents").status_code == 303


def test_after_logout_the_old_cookie_opens_nothing(dashboard):
    client = dashboard.login("vera")
    token = dashboard.token(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/incidents").headers["location"].startswith("/login")


def test_the_login_page_only_sends_people_to_this_site(dashboard):
    client = dashboard.client()
    token = _csrf(client.get("/login").text)
    answer = client.post("/login", data={"username": "vera", "password": PASSWORD, "csrf_token": token,
                                         "next": "//evil.example/phish"})
    assert answer.headers["location"] == "/incidents"


# --- roles ------------------------------------------------------------------------------------------------------

def _assessed(dashboard: Dashboard) -> str:
    incident_id = dashboard.incident()
    client = dashboard.login("rick")
    document = ("summary: payroll file sent to one wrong client\ndata:\n  categories: [contact, income]\n"
                "subjects:\n  count_min: 12\n  count_max: 12\nbreach:\n  confidentiality: known_recipients\n")
    answer = client.post(f"/incidents/{incident_id}/assessment",
                         data={"csrf_token": dashboard.token(client), "document": document})
    assert answer.status_code == 303, answer.text
    return incident_id


def _decided(dashboard: Dashboard, officer: TestClient, incident_id: str, subjects: str = "no") -> None:
    """The privacy officer decides through the form: notify the AP, and the people as `subjects` says."""
    answer = officer.post(f"/incidents/{incident_id}/decision", data={
        "csrf_token": dashboard.token(officer), "notify_authority": "yes", "notify_subjects": subjects,
        "reason": "salary data of twelve employees went to another client"})
    assert answer.status_code == 303, answer.text


def test_a_viewer_cannot_decide_nor_record_anything(dashboard):
    incident_id = _assessed(dashboard)
    viewer = dashboard.login("vera")
    token = dashboard.token(viewer)
    decision = {"csrf_token": token, "notify_authority": "yes", "notify_subjects": "no",
                "reason": "salary data of twelve employees, recipient unknown to us"}
    assert viewer.get(f"/incidents/{incident_id}/decision").status_code == 403
    answer = viewer.post(f"/incidents/{incident_id}/decision", data=decision)
    assert answer.status_code == 403 and "privacy officer" in answer.text
    assert viewer.post("/incidents/new", data={"csrf_token": token, "title": "x"}).status_code == 403
    assert viewer.post("/api/incidents", json=_report(), headers={"X-CSRF-Token": token}).status_code == 403
    assert dashboard.count(DecisionRow) == 0 and dashboard.count(IncidentRow) == 1


def test_a_responder_cannot_decide_or_record_the_filing_either(dashboard):
    incident_id = _assessed(dashboard)
    responder = dashboard.login("rick")
    token = dashboard.token(responder)
    assert responder.post(f"/incidents/{incident_id}/decision",
                          data={"csrf_token": token, "notify_authority": "no", "notify_subjects": "no",
                                "reason": "not reportable in our opinion"}).status_code == 403
    assert responder.post(f"/incidents/{incident_id}/filing",
                          data={"csrf_token": token, "reference": "M-1"}).status_code == 403
    assert dashboard.count(DecisionRow) == 0


def test_the_privacy_officer_decides_and_the_audit_trail_names_her(dashboard):
    incident_id = _assessed(dashboard)
    officer = dashboard.login("olga")
    answer = officer.post(f"/incidents/{incident_id}/decision", data={
        "csrf_token": dashboard.token(officer), "notify_authority": "yes", "notify_subjects": "no",
        "reason": "salary data of twelve employees went to another client"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/incidents/{incident_id}?done=decision"
    with dashboard.ws.uow() as uow:
        entry = uow.session.scalars(select(AuditRow).where(AuditRow.action == "decision_recorded")).one()
        assert entry.actor == "olga" and entry.incident_id == incident_id
    assert (incident_id, "decision") in dashboard.launched


def test_the_privacy_officer_records_the_ap_filing_and_reads_the_notice(dashboard):
    incident_id = _assessed(dashboard)
    officer = dashboard.login("olga")
    officer.post(f"/incidents/{incident_id}/decision", data={
        "csrf_token": dashboard.token(officer), "notify_authority": "yes", "notify_subjects": "no",
        "reason": "salary data of twelve employees went to another client"})
    ws = dashboard.ws
    services.prepare_authority_notice(ws.uow(), ws.profile, ws.settings.templates_dir, ws.settings.notices_dir,
                                      incident_id, datetime.now(UTC))  # what the response flow does
    assert "/filing" in officer.get(f"/incidents/{incident_id}").text
    assert incident_id in officer.get(f"/incidents/{incident_id}/authority-notice").text
    token = dashboard.token(officer)
    empty = officer.post(f"/incidents/{incident_id}/filing", data={"csrf_token": token, "reference": " "})
    assert empty.status_code == 422 and re.search(r'name="reference"[^>]*aria-invalid="true"', empty.text)
    answer = officer.post(f"/incidents/{incident_id}/filing", data={"csrf_token": token, "reference": "M-123456"})
    assert answer.status_code == 303, answer.text
    assert "M-123456" in officer.get(f"/incidents/{incident_id}").text
    with ws.uow() as uow:
        entry = uow.session.scalars(select(AuditRow).where(AuditRow.action == "authority_notice_filed")).one()
        assert entry.actor == "olga"
    assert (incident_id, "authority_filing") in dashboard.launched


# --- CSRF ---------------------------------------------------------------------------------------------------

def test_a_form_posted_without_the_csrf_token_is_refused_and_nothing_saved(dashboard):
    client = dashboard.login("rick")
    now = datetime.now(UTC)
    form = {"title": "Lost USB stick", "description": "A USB stick with a client list was lost.",
            "discovered_at": now.strftime("%Y-%m-%dT%H:%M"), "source_kind": "internal", "reported_by": "rick"}
    assert client.post("/incidents/new", data=form).status_code == 403
    assert client.post("/incidents/new", data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post("/incidents/new", json={**form, "csrf_token": dashboard.token(client)}).status_code == 403
    assert dashboard.count(IncidentRow) == 0
    assert client.post("/incidents/new", data={**form, "csrf_token": dashboard.token(client)}).status_code == 303


def test_the_login_form_needs_its_csrf_token_too(dashboard):
    client = dashboard.client()
    client.get("/login")
    answer = client.post("/login", data={"username": "vera", "password": PASSWORD})
    assert answer.status_code == 403 and "breach_session=" not in answer.headers.get("set-cookie", "")


def test_the_api_with_a_session_cookie_needs_the_csrf_header(dashboard):
    client = dashboard.login("rick")
    assert client.post("/api/incidents", json=_report()).status_code == 403
    answer = client.post("/api/incidents", json=_report(), headers={"X-CSRF-Token": dashboard.token(client)})
    assert answer.status_code == 201


def test_the_api_takes_json_only(dashboard):
    answer = dashboard.client().post("/api/incidents", data={"title": "x"}, headers=_basic("rick"))
    assert answer.status_code == 415 and dashboard.count(IncidentRow) == 0


# --- throttling -----------------------------------------------------------------------------------------------

def test_wrong_passwords_are_throttled_then_even_the_right_one_waits(dashboard):
    client = dashboard.client()
    token = _csrf(client.get("/login").text)
    for _ in range(5):
        answer = client.post("/login", data={"username": "olga", "password": "guess", "csrf_token": token})
        assert answer.status_code == 401
    answer = client.post("/login", data={"username": "olga", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
    assert "user" not in answer.headers.get("set-cookie", "") and client.get("/incidents").status_code == 303
    assert dashboard.client().get("/api/incidents", headers=_basic("olga")).status_code == 429


def test_many_names_from_one_address_are_throttled_as_well(dashboard):
    client = dashboard.client()
    token = _csrf(client.get("/login").text)
    # per address far more than per account (5): an office behind one address is not locked by one user's typos
    for i in range(users.LoginLimits().per_address):
        client.post("/login", data={"username": f"nobody{i}", "password": "guess", "csrf_token": token})
    answer = client.post("/login", data={"username": "vera", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 429


# --- bad input --------------------------------------------------------------------------------------------------

def test_the_api_answers_422_with_the_field_errors_and_records_nothing(dashboard):
    answer = dashboard.client().post("/api/incidents", headers=_basic("rick"),
                                     json=_report(title="x", source="processor:", systems=["Nope"], extra=1))
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"title", "source", "extra"} <= fields
    assert dashboard.count(IncidentRow) == 0
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    answer = dashboard.client().post("/api/incidents", headers=_basic("rick"), json=_report(discovered_at=future))
    assert answer.status_code == 422 and "discovered_at" in {e["field"] for e in answer.json()["errors"]}


def test_a_form_with_a_missing_field_comes_back_marked_and_nothing_is_saved(dashboard):
    client = dashboard.login("rick")
    answer = client.post("/incidents/new", data={"csrf_token": dashboard.token(client), "title": "Lost phone",
                                                 "source_kind": "internal", "reported_by": "rick"})
    assert answer.status_code == 422
    assert re.search(r'name="description"[^>]*aria-invalid="true"', answer.text)
    assert 'value="Lost phone"' in answer.text  # what was typed is kept
    assert dashboard.count(IncidentRow) == 0


def test_an_assessment_with_a_wrong_value_is_refused_with_the_field_named(dashboard):
    incident_id = dashboard.incident()
    client = dashboard.login("rick")
    answer = client.post(f"/incidents/{incident_id}/assessment", data={
        "csrf_token": dashboard.token(client), "summary": "a laptop", "data.categories": "contact",
        "subjects.count_min": "5", "subjects.count_max": "2", "breach.confidentiality": "everyone"})
    assert answer.status_code == 422
    assert re.search(r'name="subjects.count_max"[^>]*aria-invalid="true"', answer.text)
    assert re.search(r'name="breach.confidentiality"[^>]*aria-invalid="true"', answer.text)
    with dashboard.ws.uow() as uow:
        assert uow.latest_assessment(incident_id) is None


# --- hostile content ------------------------------------------------------------------------------------------

def test_html_and_template_syntax_in_a_title_are_shown_as_text(dashboard):
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>{{ 7*7 }}{% raw %}'
    answer = dashboard.client().post("/api/incidents", headers=_basic("rick"), json=_report(title=hostile))
    incident_id = answer.json()["id"]
    client = dashboard.login("vera")
    for page in ("/incidents", f"/incidents/{incident_id}", "/register"):
        html = client.get(page).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
        assert "<script>alert" not in html and "<img src=x" not in html and "{{ 7*7 }}" in html, page


def test_the_people_affected_are_counted_never_listed(dashboard, tmp_path):
    incident_id = _assessed(dashboard)
    officer = dashboard.login("olga")
    officer.post(f"/incidents/{incident_id}/decision", data={
        "csrf_token": dashboard.token(officer), "notify_authority": "no", "notify_subjects": "yes",
        "reason": "salary data: the people should know"})
    people = "name,email\nJanneke Visser,janneke@example.nl\nPieter Bakker,pieter@example.nl\nKees Jansen,not-an-address\n"
    answer = officer.post(f"/incidents/{incident_id}/subjects", data={"csrf_token": dashboard.token(officer)},
                          files={"people": ("people.csv", people.encode(), "text/csv")})
    assert answer.status_code == 303, answer.text
    for page in (f"/incidents/{incident_id}", f"/incidents/{incident_id}/subjects", "/incidents", "/register",
                 "/register.csv", f"/api/incidents/{incident_id}"):
        text = officer.get(page, headers=_basic("olga") if page.startswith("/api") else None).text
        assert "Janneke" not in text and "pieter@example.nl" not in text and "not-an-address" not in text, page
    assert officer.get(f"/api/incidents/{incident_id}", headers=_basic("olga")).json()["subjects"] == {
        "total": 3, "pending": 2, "sent": 0, "unreachable": 1,
        "by_status": {"pending": 2, "unreachable": 1}}
    assert not list((dashboard.ws.settings.home / "tmp").glob("*")), "the uploaded list is not left behind"


def test_yaml_aliases_in_a_pasted_assessment_are_refused(dashboard):
    incident_id = dashboard.incident()
    client = dashboard.login("rick")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b]\n"
    answer = client.post(f"/incidents/{incident_id}/assessment",
                         data={"csrf_token": dashboard.token(client), "document": bomb})
    assert answer.status_code == 422 and "aliases" in answer.text


def test_the_register_keeps_dismissed_incidents_and_exports_them_as_csv(dashboard):
    incident_id = dashboard.incident()
    services.dismiss(dashboard.ws.uow(), incident_id, "a test message, no personal data involved", "olga",
                     datetime.now(UTC))
    client = dashboard.login("vera")
    assert incident_id not in client.get("/incidents").text
    assert incident_id in client.get("/register").text
    export = client.get("/register.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    assert export.text.splitlines()[0].startswith("id,") and incident_id in export.text and "dismissed" in export.text


# --- cookies and headers --------------------------------------------------------------------------------------

def test_the_session_cookie_is_httponly_samesite_and_secure_over_tls(dashboard):
    plain = dashboard.client().get("/login").headers["set-cookie"].lower()
    assert "httponly" in plain and "samesite=lax" in plain and "secure" not in plain
    tls = dashboard.client(base_url="https://testserver").get("/login")
    assert "secure" in tls.headers["set-cookie"].lower()
    assert tls.headers["strict-transport-security"].startswith("max-age=")


def test_every_answer_carries_the_security_headers(dashboard):
    client = dashboard.login("vera")
    for answer in (client.get("/incidents"), client.get("/login"), client.get("/nope"),
                   dashboard.client().get("/api/incidents"), client.get("/static/dashboard.css")):
        headers = answer.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    assert client.get("/incidents").headers["cache-control"] == "no-store"


def test_the_session_key_is_generated_once_into_a_private_file(dashboard):
    path = dashboard.ws.settings.home / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    create_app(dashboard.ws, launcher=lambda *args: None)
    assert path.read_bytes() == before


# --- language and time --------------------------------------------------------------------------------------

def test_each_user_reads_the_dashboard_in_their_language_and_can_switch(dashboard):
    dashboard.incident()
    dutch, english = dashboard.login("olga"), dashboard.login("vera")
    assert "Open incidenten" in dutch.get("/incidents").text
    page = english.get("/incidents").text
    assert "Open incidents" in page and "h left" in page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T", page), "times carry the Amsterdam zone"
    english.post("/language", data={"csrf_token": dashboard.token(english), "language": "nl", "next": "/register"})
    assert "Register van datalekken" in english.get("/register").text


def test_a_new_password_must_be_long_and_is_stored_salted_and_slow(workspace_env):
    ws = Workspace()
    with pytest.raises(Exception, match="at least 12"):
        users.add_user(ws.uow(), "sam", "short", "viewer", "nl", "test", datetime.now(UTC))
    stored = user_rules.hash_password(PASSWORD)
    assert stored.startswith(f"scrypt${2**17}$8$1$") and stored != user_rules.hash_password(PASSWORD)
    assert user_rules.verify_password(PASSWORD, stored) and not user_rules.verify_password("wrong", stored)


def test_an_oversized_body_is_refused_before_it_is_read(dashboard):
    client = dashboard.client()
    token = _csrf(client.get("/login").text)
    answer = client.post("/login", data={"username": "x" * (2 << 20), "password": "y", "csrf_token": token})
    assert answer.status_code == 413

    def chunks():
        yield b"username=" + b"x" * (2 << 20)

    assert client.post("/login", content=chunks(),
                       headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 413


def test_the_incident_page_explains_the_advice_line_by_line_with_sources(dashboard):
    incident_id = _assessed(dashboard)
    page = dashboard.login("vera").get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    with dashboard.ws.uow() as uow:
        from incidents.register.tables import RecommendationReasonRow

        sources = {r.source for r in uow.session.scalars(select(RecommendationReasonRow))
                   if r.kind == "reason"}
    assert sources and all(f"({source})" in page.text for source in sources)  # every reason with its source
    assert page.text.count('<ul class="reasons">') == 2  # the severity breakdown and the reasons


def test_the_worklist_is_for_those_who_must_call_or_write_and_its_export_is_audited(dashboard, tmp_path):
    incident_id = dashboard.incident()
    people = tmp_path / "people.csv"
    people.write_text("name,email\nAn Zonderadres,\n=HYPERLINK(\"x\"),not-an-address\nBo,bo@example.com\n",
                      encoding="utf-8")
    from incidents import services
    from incidents.times import now_utc

    services.import_subjects(dashboard.ws.uow(), incident_id, people, "rick", now_utc())
    assert dashboard.login("vera").get(f"/incidents/{incident_id}/worklist.csv").status_code == 403
    responder = dashboard.login("rick")
    page = responder.get(f"/incidents/{incident_id}")
    assert f"/incidents/{incident_id}/worklist.csv" in page.text and "An Zonderadres" not in page.text
    answer = responder.get(f"/incidents/{incident_id}/worklist.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.splitlines()
    assert len(lines) == 3 and "An Zonderadres" in answer.text and "'=HYPERLINK" in answer.text
    with dashboard.ws.uow() as uow:
        entry = uow.session.scalars(select(AuditRow).where(AuditRow.action == "worklist_exported")).one()
        assert entry.actor == "rick" and '"people":2' in entry.details


def test_starting_the_notices_from_the_page_is_audited_with_the_user(dashboard):
    incident_id = _assessed(dashboard)
    responder = dashboard.login("rick")
    early = responder.post(f"/incidents/{incident_id}/dispatch", data={"csrf_token": dashboard.token(responder)})
    assert early.headers["location"].endswith("?done=dispatch_refused")  # no decision to tell them yet
    assert dashboard.count(AuditRow) and not _dispatch_requests(dashboard)
    _decided(dashboard, dashboard.login("olga"), incident_id, subjects="yes")
    unapproved = responder.post(f"/incidents/{incident_id}/dispatch", data={"csrf_token": dashboard.token(responder)})
    assert unapproved.headers["location"].endswith("?done=dispatch_refused")  # the message is not approved yet
    approve_as_drafted(dashboard.ws.uow(), dashboard.ws.profile, incident_id, now_utc())
    answer = responder.post(f"/incidents/{incident_id}/dispatch", data={"csrf_token": dashboard.token(responder)})
    assert answer.status_code == 303 and answer.headers["location"].endswith("?done=dispatch")
    with dashboard.ws.uow() as uow:
        entry = uow.session.scalars(select(AuditRow).where(AuditRow.action == "subject_dispatch_requested")).one()
        assert entry.actor == "rick"


def _dispatch_requests(board: Dashboard) -> list[AuditRow]:
    with board.ws.uow() as uow:
        return list(uow.session.scalars(select(AuditRow).where(AuditRow.action == "subject_dispatch_requested")))

