"""The dashboard's sessions live in the register, and so does the login throttle (issue 17, items 2 and 3).

A copied cookie stops working at logout, and when the user is disabled, gets another role or password; sessions
end when idle and after 12 hours; `breach users sessions NAME [--end]`. Wrong passwords are counted per account
and per address in the register, shared by every worker; X-Forwarded-For is believed only from the proxies
configured, and one person's typos do not lock out their office.
"""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from breach.cli import main
from breach.web import auth, create_app
from breach.web import session as web_session
from breach.web.session import COOKIE
from incidents import users as user_rules
from incidents.errors import ConfigurationError
from incidents.register.tables import AuditRow, DashboardSessionRow, LoginFailureRow, UserRow
from incidents.services import users
from incidents.workspace import Workspace
from tests.integration.test_web_security import PASSWORD, SECRET_TITLE, Dashboard, _basic, _csrf

NEW_PASSWORD = "another long enough passphrase"
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class Clock:
    """The clock of the dashboard's sessions and throttle, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def dashboard(workspace_env, monkeypatch) -> Dashboard:
    monkeypatch.setattr(user_rules, "SCRYPT_N", 2**10)  # fast hashes for tests; the parameters live in each hash
    return Dashboard()


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moved = Clock(START)
    monkeypatch.setattr(web_session, "clock", moved)
    return moved


def _sessions(dashboard: Dashboard, username: str | None = None) -> list[SimpleNamespace]:
    """The session rows in the register (of one user), as plain values."""
    query = select(DashboardSessionRow)
    if username is not None:
        query = query.join(UserRow, UserRow.id == DashboardSessionRow.user_id).where(UserRow.username == username)
    with dashboard.ws.uow() as uow:
        return [SimpleNamespace(id_hash=r.id_hash, csrf=r.csrf, language=r.language, created_at=r.created_at,
                                last_seen_at=r.last_seen_at) for r in uow.session.scalars(query)]


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def _try(client, name: str, password: str, **headers: str):  # type: ignore[no-untyped-def]
    token = _csrf(client.get("/login").text)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                       headers=headers)


# --- the cookie holds an id; the register holds the session --------------------------------------------------

def test_a_cookie_replayed_after_logout_gets_no_incident_data(dashboard):
    incident_id = dashboard.incident()
    client = dashboard.login("rick")
    copied = client.cookies[COOKIE]
    thief = dashboard.client(cookies={COOKIE: copied})
    assert thief.get("/incidents").status_code == 200  # the copy works while the session is open ...
    assert client.post("/logout", data={"csrf_token": dashboard.token(client)}).status_code == 303
    assert _hash(copied) not in {s.id_hash for s in _sessions(dashboard)}  # ... logout ended it at once
    thief = dashboard.client(cookies={COOKIE: copied})
    for path in ("/incidents", f"/incidents/{incident_id}", "/api/incidents", "/register", "/register.csv"):
        answer = thief.get(path)
        assert answer.status_code in (303, 401), path
        assert SECRET_TITLE not in answer.text and incident_id not in answer.text, path


def test_the_cookie_holds_only_a_random_id_and_the_register_only_its_hash(dashboard):
    client = dashboard.login("rick")
    value = client.cookies[COOKIE]
    assert len(value) == 43 and "rick" not in value
    (row,) = _sessions(dashboard, "rick")
    assert row.id_hash == _hash(value) != value
    assert row.csrf == dashboard.token(client) and row.csrf not in value
    assert row.created_at == row.last_seen_at
    # a forged id, or one of the right shape that was never issued, opens nothing
    for forged in ("x" * 43, row.id_hash, value[:-1] + ("A" if value[-1] != "A" else "B")):
        assert dashboard.client(cookies={COOKIE: forged}).get("/incidents").status_code == 303


def test_the_pre_login_cookie_carries_the_form_token_and_language_but_no_user(dashboard):
    client = dashboard.client()
    token = _csrf(client.get("/login").text)
    assert client.post("/language", data={"language": "en", "csrf_token": token, "next": "/login"}).status_code == 303
    anonymous = client.cookies[COOKIE]
    assert len(anonymous) > 43 and "rick" not in anonymous
    assert _sessions(dashboard) == []  # no row for a visitor who has not logged in
    forged = anonymous[:60] + ("A" if anonymous[60] != "A" else "B") + anonymous[61:]
    assert dashboard.client(cookies={COOKIE: forged}).get("/login").headers.get("set-cookie")  # a new one
    token = _csrf(client.get("/login").text)
    answer = client.post("/login", data={"username": "olga", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303
    (row,) = _sessions(dashboard, "olga")
    assert row.language == "en" and row.csrf != token  # a new token at login; the choice made before it kept
    assert client.cookies[COOKIE] != anonymous


def test_a_login_over_an_open_session_replaces_it(dashboard):
    client = dashboard.login("vera")
    first = client.cookies[COOKIE]
    token = dashboard.token(client)
    assert client.post("/login", data={"username": "vera", "password": PASSWORD, "csrf_token": token}
                       ).status_code == 303
    assert client.cookies[COOKIE] != first and len(_sessions(dashboard, "vera")) == 1
    assert dashboard.client(cookies={COOKIE: first}).get("/incidents").status_code == 303


def _disable(dashboard: Dashboard, name: str) -> None:
    users.disable_user(dashboard.ws.uow(), name, "test", datetime.now(UTC))


def _new_role(dashboard: Dashboard, name: str) -> None:
    users.set_role(dashboard.ws.uow(), name, "privacy_officer", "test", datetime.now(UTC))


def _new_password(dashboard: Dashboard, name: str) -> None:
    users.set_password(dashboard.ws.uow(), name, NEW_PASSWORD, "test", datetime.now(UTC))


@pytest.mark.parametrize("change", [_disable, _new_role, _new_password], ids=["disabled", "role", "password"])
def test_disabling_a_user_or_changing_their_role_or_password_ends_their_sessions(dashboard, change):
    laptop, phone, other = dashboard.login("vera"), dashboard.login("vera"), dashboard.login("rick")
    assert len(_sessions(dashboard, "vera")) == 2
    change(dashboard, "vera")
    assert _sessions(dashboard, "vera") == []
    for client in (laptop, phone):
        assert client.get("/incidents").status_code == 303
        assert client.get("/api/incidents").status_code == 401
    assert other.get("/incidents").status_code == 200  # someone else's session goes on


def test_a_role_change_and_a_password_change_are_audited_and_take_effect(dashboard):
    _new_role(dashboard, "vera")
    _new_password(dashboard, "vera")
    assert _try(dashboard.client(), "vera", PASSWORD).status_code == 401
    assert _try(dashboard.client(), "vera", NEW_PASSWORD).status_code == 303
    assert users.active_user(dashboard.ws.uow(), "vera").role == "privacy_officer"
    with dashboard.ws.uow() as uow:
        actions = [r.action for r in uow.session.scalars(select(AuditRow).order_by(AuditRow.seq))]
    assert actions[-2:] == ["user_role_changed", "user_password_changed"]


# --- time ---------------------------------------------------------------------------------------------------

def test_a_session_ends_when_idle_and_its_last_use_is_written_at_most_once_a_minute(dashboard, clock):
    client = dashboard.login("vera")
    clock.advance(seconds=30)
    assert client.get("/incidents").status_code == 200
    assert _sessions(dashboard, "vera")[0].last_seen_at == START  # under a minute: no write
    clock.advance(minutes=28)
    assert client.get("/incidents").status_code == 200
    assert _sessions(dashboard, "vera")[0].last_seen_at == START + timedelta(minutes=28, seconds=30)
    clock.advance(minutes=29)  # 57 minutes after login, 29 after its last use: still open
    assert client.get("/incidents").status_code == 200
    clock.advance(minutes=30)
    assert client.get("/incidents").status_code == 303
    assert _sessions(dashboard, "vera") == []


def test_a_session_ends_12_hours_after_login_however_busy(dashboard, clock):
    client = dashboard.login("vera")
    for _ in range(12 * 3 - 1):
        clock.advance(minutes=20)
        assert client.get("/incidents").status_code == 200
    clock.advance(minutes=19)
    assert client.get("/incidents").status_code == 200
    clock.advance(minutes=1)
    assert client.get("/incidents").status_code == 303


def test_the_idle_time_is_configurable(dashboard, clock, monkeypatch):
    monkeypatch.setenv("BREACH_SESSION_IDLE_MINUTES", "5")
    dashboard.app = create_app(dashboard.ws, launcher=lambda *args: None)
    client = dashboard.login("vera")
    clock.advance(minutes=4)
    assert client.get("/incidents").status_code == 200
    clock.advance(minutes=5, seconds=1)
    assert client.get("/incidents").status_code == 303
    for bad in ("0", "-3", "half an hour"):
        monkeypatch.setenv("BREACH_SESSION_IDLE_MINUTES", bad)
        with pytest.raises(ConfigurationError, match="BREACH_SESSION_IDLE_MINUTES"):
            create_app(dashboard.ws, launcher=lambda *args: None)


def test_expired_sessions_are_deleted_at_the_next_login(dashboard, clock):
    dashboard.login("vera")
    dashboard.login("rick")
    clock.advance(hours=1)
    dashboard.login("olga")
    assert {len(_sessions(dashboard, name)) for name in ("vera", "rick")} == {0}
    assert len(_sessions(dashboard)) == 1


# --- the throttle -------------------------------------------------------------------------------------------

def test_rotating_x_forwarded_for_does_not_escape_the_throttle(dashboard):
    client = dashboard.client()
    for i in range(5):
        answer = _try(client, "olga", "guess", **{"X-Forwarded-For": f"198.51.100.{i}"})
        assert answer.status_code == 401
    answer = _try(client, "olga", PASSWORD, **{"X-Forwarded-For": "203.0.113.77"})
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
    # many names, each header different: the connection's address is counted, not what the header claims
    for i in range(users.LoginLimits().per_address - 5):
        _try(client, f"nobody{i}", "guess", **{"X-Forwarded-For": f"192.0.2.{i}"})
    assert _try(client, "rick", PASSWORD, **{"X-Forwarded-For": "192.0.2.250"}).status_code == 429


def test_behind_a_trusted_proxy_the_rightmost_untrusted_address_counts(dashboard, monkeypatch):
    monkeypatch.setenv("BREACH_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.7.1")
    dashboard.app = create_app(dashboard.ws, launcher=lambda *args: None)
    proxy = dashboard.client(client=("10.1.2.3", 40000))
    for i in range(users.LoginLimits().per_address):
        # what the client wrote comes first; the proxies append the address they saw
        _try(proxy, f"nobody{i}", "guess", **{"X-Forwarded-For": f"198.51.100.{i}, 203.0.113.9, 192.168.7.1"})
    office = {"X-Forwarded-For": "203.0.113.9, 192.168.7.1"}
    assert _try(proxy, "rick", PASSWORD, **office).status_code == 429
    assert _try(proxy, "rick", PASSWORD, **{"X-Forwarded-For": "203.0.113.10"}).status_code == 303  # elsewhere
    # a client that is not a trusted proxy cannot claim to be someone else
    direct = dashboard.client(client=("203.0.113.9", 40000))
    assert _try(direct, "rick", PASSWORD, **{"X-Forwarded-For": "203.0.113.11"}).status_code == 429
    https = dashboard.client(client=("10.1.2.3", 40000))
    assert "secure" in https.get("/login", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"].lower()


def test_without_configured_proxies_forwarded_headers_are_ignored(dashboard):
    client = dashboard.client(client=("127.0.0.1", 40000))
    answer = client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.1"})
    assert "secure" not in answer.headers["set-cookie"].lower()


def test_a_bad_trusted_proxy_setting_is_refused_at_start(dashboard, monkeypatch):
    for bad in ("*", "10.0.0.1, proxy.example", "10.0.0.300"):
        monkeypatch.setenv("BREACH_TRUSTED_PROXIES", bad)
        with pytest.raises(ConfigurationError, match="BREACH_TRUSTED_PROXIES"):
            create_app(dashboard.ws, launcher=lambda *args: None)


def test_the_throttle_is_shared_by_two_dashboard_workers_on_one_register(dashboard):
    other = create_app(Workspace(), launcher=lambda *args: None)  # another process on the same register
    first, second = dashboard.client(), TestClient(other, follow_redirects=False)
    for client in (first, second, first, second, first):
        assert _try(client, "olga", "guess").status_code == 401
    for client in (first, second):
        assert _try(client, "olga", PASSWORD).status_code == 429
    assert second.get("/api/incidents", headers=_basic("olga")).status_code == 429


def test_one_users_typos_do_not_lock_out_the_office(dashboard):
    office = dashboard.client()
    for _ in range(5):
        assert _try(office, "olga", "guess").status_code == 401
    assert _try(office, "olga", PASSWORD).status_code == 429  # her account waits ...
    assert _try(dashboard.client(), "rick", PASSWORD).status_code == 303  # ... her colleagues do not
    assert dashboard.client().get("/api/incidents", headers=_basic("vera")).status_code == 200


def test_a_right_password_forgives_the_accounts_failures_but_not_the_addresss(dashboard):
    client = dashboard.client()
    for _ in range(4):
        assert _try(client, "olga", "guess").status_code == 401
    assert _try(client, "olga", PASSWORD).status_code == 303
    for _ in range(4):
        assert _try(client, "olga", "guess").status_code == 401
    assert _try(client, "olga", PASSWORD).status_code == 303
    with dashboard.ws.uow() as uow:
        keys = list(uow.session.scalars(select(LoginFailureRow.key)))
    # the account's failures are gone, the address's 8 stay (a keyed hash of the address, never the address)
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 64


def test_guesses_sent_at_once_count_before_their_passwords_are_checked(dashboard):
    throttle = dashboard.app.state.throttle
    claimed, refused = [], []

    def guess() -> None:
        try:
            claimed.append(throttle.claim("192.0.2.1", "olga"))
        except auth.Throttled as exc:
            refused.append(exc)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == users.LoginLimits().per_account and len(refused) == 7


def test_old_failures_leave_the_window(dashboard, clock):
    client = dashboard.client()
    for _ in range(5):
        assert _try(client, "olga", "guess").status_code == 401
    clock.advance(minutes=14)
    assert int(_try(client, "olga", PASSWORD).headers["retry-after"]) <= 61
    clock.advance(minutes=1, seconds=1)
    assert _try(client, "olga", PASSWORD).status_code == 303
    with dashboard.ws.uow() as uow:
        assert uow.session.scalars(select(LoginFailureRow)).all() == []


# --- breach users sessions NAME [--end] ---------------------------------------------------------------------

@pytest.fixture
def cli(dashboard, capsys):  # type: ignore[no-untyped-def]
    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_breach_users_sessions_lists_them_without_secrets_and_ends_them(dashboard, cli):
    laptop, phone = dashboard.login("vera"), dashboard.login("vera")
    code, out, _ = cli("users", "sessions", "vera")
    assert code == 0 and len(out.strip().splitlines()) == 2 and out.startswith("started ")
    for row in _sessions(dashboard, "vera"):
        assert row.id_hash not in out and row.csrf not in out
    for client in (laptop, phone):
        assert client.cookies[COOKIE] not in out
    code, out, _ = cli("users", "sessions", "VERA", "--end")
    assert code == 0 and out.strip() == "2 dashboard session(s) of vera ended"
    for client in (laptop, phone):
        assert client.get("/incidents").status_code == 303
    code, out, _ = cli("users", "sessions", "vera")
    assert code == 0 and out.strip() == "vera has no open dashboard session"
    with dashboard.ws.uow() as uow:
        entry = uow.session.scalars(select(AuditRow).where(AuditRow.action == "user_sessions_ended")).one()
        assert entry.actor == "tester" and '"sessions_ended":2' in entry.details.replace(" ", "")
    code, _, err = cli("users", "sessions", "nobody")
    assert code == 2 and "no user 'nobody'" in err


def test_breach_users_role_and_password_end_the_sessions(dashboard, cli, monkeypatch):
    client = dashboard.login("vera")
    code, out, _ = cli("users", "role", "vera", "--role", "responder")
    assert code == 0 and out.strip() == "vera is now responder: their dashboard sessions have ended"
    assert client.get("/incidents").status_code == 303
    client = dashboard.login("vera")
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    code, out, _ = cli("users", "password", "vera", "--password-stdin")
    assert code == 0 and out.startswith("password of vera changed")
    assert client.get("/incidents").status_code == 303
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = cli("users", "password", "vera", "--password-stdin")
    assert code == 2 and "at least" in err


def test_breach_dashboard_believes_no_forwarded_header_by_default(dashboard, cli, monkeypatch):
    """uvicorn's own default believed X-Forwarded-For from 127.0.0.1: a process on the machine, or a proxy
    passing the header on, could then claim any address. `breach dashboard` turns it off."""
    import uvicorn

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    assert cli("dashboard")[0] == 0
    assert served["proxy_headers"] is False and "forwarded_allow_ips" not in served
    local = TestClient(served["app"], follow_redirects=False, client=("127.0.0.1", 40000))
    for i in range(5):
        assert _try(local, "olga", "guess", **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code == 401
    assert _try(local, "olga", PASSWORD, **{"X-Forwarded-For": "198.51.100.99"}).status_code == 429
    assert cli("dashboard", "--forwarded-allow-ips", "not-an-address")[0] == 2
