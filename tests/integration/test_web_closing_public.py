"""The dashboard's last steps: the public communication of art. 34(3)(c) (write it, record it online) and closing
or dismissing an incident, each with its role, its field errors in the user's language, and its audit entry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from incidents import services
from incidents.register.tables import AuditRow, IncidentRow, NoticeRow
from tests.integration.test_public_notice import assessment
from tests.integration.test_web_security import Dashboard, _assessed, _decided, dashboard  # noqa: F401


def _status(board: Dashboard, incident_id: str) -> str:
    with board.ws.uow() as uow:
        return uow.session.get(IncidentRow, incident_id).status


def _actor(board: Dashboard, action: str) -> str:
    with board.ws.uow() as uow:
        return uow.session.scalars(select(AuditRow.actor).where(AuditRow.action == action)
                                   .order_by(AuditRow.seq.desc())).first()


def _invalid(html: str, field: str) -> bool:
    return re.search(rf'name="{field}"[^>]*aria-invalid="true"', html) is not None


# --- closing and dismissing ---------------------------------------------------------------------------------

def test_only_the_privacy_officer_sees_and_may_use_closing(dashboard):  # noqa: F811
    incident_id = _assessed(dashboard)
    responder = dashboard.login("rick")
    assert f"/incidents/{incident_id}/closing" not in responder.get(f"/incidents/{incident_id}").text
    assert responder.get(f"/incidents/{incident_id}/closing").status_code == 403
    refused = responder.post(f"/incidents/{incident_id}/closing", data={
        "csrf_token": dashboard.token(responder), "outcome": "dismiss", "reason": "only brochures, no personal data"})
    assert refused.status_code == 403 and _status(dashboard, incident_id) == "assessed"

    officer = dashboard.login("olga")
    assert f"/incidents/{incident_id}/closing" in officer.get(f"/incidents/{incident_id}").text


def test_a_bad_closing_names_the_field_in_dutch_and_changes_nothing(dashboard):  # noqa: F811
    incident_id = _assessed(dashboard)
    officer = dashboard.login("olga")  # her dashboard is in Dutch
    token = dashboard.token(officer)
    short = officer.post(f"/incidents/{incident_id}/closing",
                         data={"csrf_token": token, "outcome": "dismiss", "reason": "nee"})
    assert short.status_code == 422 and _invalid(short.text, "reason")
    assert "zeg in een zin waarom (10 tekens of meer)" in short.text
    no_choice = officer.post(f"/incidents/{incident_id}/closing",
                             data={"csrf_token": token, "reason": "only brochures, no personal data"})
    assert no_choice.status_code == 422 and "kies: afgesloten, of vervallen (geen datalek)" in no_choice.text
    assert _status(dashboard, incident_id) == "assessed"


def test_the_privacy_officer_dismisses_an_incident_that_was_no_breach(dashboard):  # noqa: F811
    incident_id = _assessed(dashboard)
    officer = dashboard.login("olga")
    answer = officer.post(f"/incidents/{incident_id}/closing", data={
        "csrf_token": dashboard.token(officer), "outcome": "dismiss",
        "reason": "the export held only test data, no real employees"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/incidents/{incident_id}?done=dismissed"
    assert _status(dashboard, incident_id) == "dismissed"
    page = officer.get(answer.headers["location"]).text
    assert "Het incident is vervallen" in page and f"/incidents/{incident_id}/closing" not in page
    assert _actor(dashboard, "status_changed") == "olga"  # the newest move: to dismissed
    again = officer.post(f"/incidents/{incident_id}/closing", data={
        "csrf_token": dashboard.token(officer), "outcome": "close", "reason": "closing it a second time",
        "lessons": "payroll exports went out unchecked", "improvements": "a second person checks each export"})
    assert again.status_code == 409 and _status(dashboard, incident_id) == "dismissed"


# --- the public communication --------------------------------------------------------------------------------

def _owed_public_notice(board: Dashboard) -> str:
    """An incident whose people are too many to contact one by one: the advice is a public communication."""
    ws, now = board.ws, datetime.now(UTC)
    incident_id = board.incident()
    services.record_assessment(ws.uow(), ws.profile, incident_id, assessment(), "it", now)
    services.decide(ws.uow(), incident_id, "olga", now, templates=ws.settings.templates_dir, language="nl")
    return incident_id


def test_a_responder_writes_the_public_communication_and_records_it_online(dashboard):  # noqa: F811
    incident_id = _owed_public_notice(dashboard)
    responder = dashboard.login("rick")  # English
    page = responder.get(f"/incidents/{incident_id}").text
    assert f'class="button primary" href="/incidents/{incident_id}/public"' in page  # the step it waits for
    assert ">decided, AP notification under way</span>" in page  # assessed, but no longer awaiting the decision

    token = dashboard.token(responder)
    bad = responder.post(f"/incidents/{incident_id}/public", data={"csrf_token": token, "url": "javascript:alert(1)"})
    assert bad.status_code == 422 and _invalid(bad.text, "url")
    written = responder.post(f"/incidents/{incident_id}/public",
                             data={"csrf_token": token, "url": "https://www.qoers.nl/datalek"})
    assert written.status_code == 303, written.text
    form = responder.get(f"/incidents/{incident_id}/public").text
    assert "Version 1: written, not yet published" in form and "Record: it is online" not in form
    assert "awaits the privacy officer" in form  # nothing goes online unapproved
    refused = responder.post(f"/incidents/{incident_id}/public/approve", data={"csrf_token": token})
    assert refused.status_code == 403
    officer = dashboard.login("olga")
    page = officer.get(f"/incidents/{incident_id}/public").text
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page)
    assert digest, "the privacy officer gets no approval form"
    approved = officer.post(f"/incidents/{incident_id}/public/approve", data={
        "csrf_token": dashboard.token(officer), "version": "1", "digest": digest.group(1)})
    assert approved.headers["location"] == f"/incidents/{incident_id}?done=public_approved"
    assert _actor(dashboard, "message_approved") == "olga"
    form = responder.get(f"/incidents/{incident_id}/public").text
    assert "Approved by olga" in form and "Record: it is online" in form

    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    early = responder.post(f"/incidents/{incident_id}/public/published",
                           data={"csrf_token": token, "published_at": future})
    assert early.status_code == 422 and _invalid(early.text, "published_at")
    online = responder.post(f"/incidents/{incident_id}/public/published", data={"csrf_token": token})
    assert online.status_code == 303
    assert online.headers["location"] == f"/incidents/{incident_id}?done=public_published"
    with dashboard.ws.uow() as uow:
        assert uow.session.scalars(select(NoticeRow.status).where(NoticeRow.kind == "public_notice")).one() == \
            "published"
    assert _actor(dashboard, "public_notice_published") == "rick"
    assert (incident_id, None) in dashboard.launched  # the flow moves the incident on
    assert "Version 1: published" in responder.get(f"/incidents/{incident_id}/public").text
    shown = responder.get(f"/incidents/{incident_id}").text
    assert "public communication (GDPR art. 34(3)(c)) (version 1): published" in shown


def test_a_viewer_may_not_write_or_publish_it(dashboard):  # noqa: F811
    incident_id = _owed_public_notice(dashboard)
    viewer = dashboard.login("vera")
    token = dashboard.token(viewer)
    assert viewer.get(f"/incidents/{incident_id}/public").status_code == 403
    assert viewer.post(f"/incidents/{incident_id}/public", data={"csrf_token": token}).status_code == 403
    assert viewer.post(f"/incidents/{incident_id}/public/published", data={"csrf_token": token}).status_code == 403
    with dashboard.ws.uow() as uow:
        assert "public_notice" not in set(uow.session.scalars(select(NoticeRow.kind)))


def test_the_written_files_can_be_downloaded_to_put_online_and_nothing_else(dashboard):  # noqa: F811
    incident_id = _owed_public_notice(dashboard)
    responder = dashboard.login("rick")
    responder.post(f"/incidents/{incident_id}/public",
                   data={"csrf_token": dashboard.token(responder), "url": "https://www.qoers.nl/datalek"})
    form = responder.get(f"/incidents/{incident_id}/public").text
    links = re.findall(rf'href="(/incidents/{incident_id}/public/[^"]+)"', form)
    assert len(links) == 6  # page as HTML and as text, and the short message, in Dutch and English

    page = responder.get(f"/incidents/{incident_id}/public/public-notice-v1.nl.html")
    written = dashboard.ws.settings.notices_dir / incident_id / "public-notice-v1.nl.html"
    assert page.status_code == 200 and page.content == written.read_bytes()
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-disposition"] == 'attachment; filename="public-notice-v1.nl.html"'
    message = responder.get(f"/incidents/{incident_id}/public/public-message-v1.en.txt")
    assert message.status_code == 200 and "https://www.qoers.nl/datalek" in message.text

    for other in ("public-notice-v2.nl.html", "authority-notice-v1.nl.txt", "..%2F..%2Fregister.db",
                  "public-notice-v1.nl.html.tmp"):
        assert responder.get(f"/incidents/{incident_id}/public/{other}").status_code == 404, other


# --- a late filing (GDPR art. 33(1)) ------------------------------------------------------------------------

def test_a_late_filing_from_the_dashboard_needs_the_reasons_and_keeps_a_notice_version_that_quotes_them(
        dashboard):  # noqa: F811
    incident_id = _assessed(dashboard)
    officer = dashboard.login("olga")
    _decided(dashboard, officer, incident_id)
    ws = dashboard.ws
    with ws.uow() as uow:  # the breach became known four days ago
        row = uow.session.get(IncidentRow, incident_id)
        row.aware_at = row.discovered_at = datetime.now(UTC) - timedelta(hours=96)
        uow.commit()
    services.prepare_authority_notice(ws.uow(), ws.profile, ws.settings.templates_dir, ws.settings.notices_dir,
                                      incident_id, datetime.now(UTC))  # what the response flow does
    token = dashboard.token(officer)
    refused = officer.post(f"/incidents/{incident_id}/filing", data={"csrf_token": token, "reference": "M-77"})
    assert refused.status_code == 422 and _invalid(refused.text, "delay_reason")
    assert "art. 33 lid 1 AVG vraagt de redenen van de vertraging" in refused.text
    reason = "De IT-leverancier gaf de lijst van geopende bestanden pas na vier dagen."
    answer = officer.post(f"/incidents/{incident_id}/filing",
                          data={"csrf_token": token, "reference": "M-77", "delay_reason": reason})
    assert answer.status_code == 303, answer.text
    with ws.uow() as uow:
        versions = uow.session.scalars(select(NoticeRow).where(
            NoticeRow.incident_id == incident_id, NoticeRow.kind == "authority_notice")
            .order_by(NoticeRow.version)).all()
        assert [v.version for v in versions] == [1, 2]
        kept = (ws.settings.notices_dir / incident_id / "authority-notice-v2.nl.txt").read_text(encoding="utf-8")
    assert reason in kept and "M-77" in kept


def test_the_list_and_the_incident_page_show_both_tracks(dashboard):  # noqa: F811
    incident_id = _assessed(dashboard)
    officer = dashboard.login("olga")  # Dutch
    _decided(dashboard, officer, incident_id)
    page = officer.get(f"/incidents/{incident_id}").text
    assert 'id="authority-track" data-state="to_file">Melding aan de AP: nog indienen' in page
    assert 'id="people-track" data-state="not_required">Betrokkenen: niet nodig' in page
    listed = officer.get("/incidents").text
    assert 'data-track="authority" data-state="to_file">nog indienen' in listed
    api = dashboard.login("rick").get(f"/api/incidents/{incident_id}").json()
    assert api["tracks"]["authority"]["state"] == "to_file" and api["tracks"]["people"]["state"] == "not_required"


def test_the_dashboard_and_the_cli_decide_with_the_same_defaults_and_record_the_same_rows(dashboard):  # noqa: F811
    """`breach decide ID` and the dashboard's form left as it comes (the advice's answers, no reason) call the
    same service: the same decision rows, the advice's reasons as the reason, ids, times and actors aside."""
    from breach.cli import main
    from incidents.register.tables import DecisionRow

    by_cli, by_form = _assessed(dashboard), _assessed(dashboard)
    assert main(["decide", by_cli, "--no-flow"]) == 0
    officer = dashboard.login("olga")
    form = officer.get(f"/incidents/{by_form}/decision").text
    assert re.search(r'name="notify_authority" value="yes" checked', form)  # the advice, preselected
    answer = officer.post(f"/incidents/{by_form}/decision", data={"csrf_token": dashboard.token(officer)})
    assert answer.status_code == 303, answer.text
    fields = ("notify_authority", "notify_subjects", "reason", "follows_recommendation")
    with dashboard.ws.uow() as uow:
        rows = {r.incident_id: [getattr(r, f) for f in fields] for r in uow.session.scalars(select(DecisionRow))}
    assert rows[by_cli] == rows[by_form]
    assert rows[by_form][3] is True and len(rows[by_form][2]) > 20

    departing = _assessed(dashboard)
    refused = officer.post(f"/incidents/{departing}/decision", data={
        "csrf_token": dashboard.token(officer), "notify_authority": "no", "notify_subjects": "no"})
    assert refused.status_code == 422 and _invalid(refused.text, "reason")
    assert "het besluit wijkt af van het advies" in refused.text


def test_the_incident_page_shows_the_processors_agreed_deadline_and_that_it_was_missed(dashboard):  # noqa: F811
    """GDPR art. 33(2): the profile agrees 24 hours with WordPress; it told us 30 hours after its discovery."""
    from tests.integration.test_web_security import _basic, _report

    now = datetime.now(UTC)
    report = _report(source="processor:WordPress", discovered_at=(now - timedelta(hours=32)).isoformat(),
                     aware_at=(now - timedelta(hours=2)).isoformat())
    answer = dashboard.login("rick").post("/api/incidents", json=report, headers=_basic("rick"))
    assert answer.status_code == 201, answer.text
    page = dashboard.login("olga").get(f"/incidents/{answer.json()['id']}").text
    clock = re.search(r'<p id="processor-clock">(.*?)</p>', page, re.DOTALL)
    assert clock and "art. 33 lid 2 AVG" in clock.group(1) and "(te laat)" in clock.group(1)
