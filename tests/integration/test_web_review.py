"""The dashboard's review of the message to the people (GDPR art. 34(2)): the same service as `breach subjects
preview|edit|test-send|approve`; the team edits and tests, only the privacy officer approves."""

from __future__ import annotations

import re

import pytest

from incidents import services
from incidents.register.tables import AuditRow
from tests.conftest import EXAMPLES
from tests.integration.test_web_security import Dashboard, _assessed, _decided, dashboard  # noqa: F401


@pytest.fixture
def board(dashboard: Dashboard) -> Dashboard:  # noqa: F811 - the dashboard of test_web_security, by a short name
    return dashboard


def _told(board: Dashboard) -> str:
    """An incident decided to be told one by one, with its list of people (35 Dutch, 5 English)."""
    incident_id = _assessed(board)
    _decided(board, board.login("olga"), incident_id, subjects="yes")
    from incidents.times import now_utc

    services.import_subjects(board.ws.uow(), incident_id, EXAMPLES / "subjects.csv", "rick", now_utc())
    return incident_id


def _version_and_digest(page: str) -> tuple[str, str]:
    version = re.search(r'name="version" value="(\d+)"', page)
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page)
    assert version and digest, "the page has no approval form"
    return version.group(1), digest.group(1)


def test_the_review_page_shows_each_language_as_on_a_phone_without_anyones_name(board):
    incident_id = _told(board)
    rick = board.login("rick")

    page = rick.get(f"/incidents/{incident_id}/message")

    assert page.status_code == 200
    assert "Version 1" in page.text and "awaiting approval" in page.text
    assert "Only the privacy officer can approve the message." in page.text and 'name="digest"' not in page.text
    frames = re.findall(r'<iframe class="phone" src="([^"]+)"', page.text)
    assert frames == [f"/incidents/{incident_id}/message/preview-v1.{lang}.html" for lang in ("nl", "en")]
    preview = rick.get(frames[0])
    assert preview.status_code == 200 and "Beste heer/mevrouw," in preview.text
    assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    assert "script-src" not in preview.headers["content-security-policy"]  # default-src 'none': no script
    assert preview.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]  # the page itself is never framed
    assert rick.get(f"/incidents/{incident_id}/message/preview-v9.nl.html").status_code == 404


def test_only_the_privacy_officer_approves_and_the_flow_goes_on(board):
    incident_id = _told(board)
    rick, olga = board.login("rick"), board.login("olga")
    version, digest = _version_and_digest(olga.get(f"/incidents/{incident_id}/message").text)

    refused = rick.post(f"/incidents/{incident_id}/message/approve", data={
        "csrf_token": board.token(rick), "version": version, "digest": digest})
    assert refused.status_code == 403
    answer = olga.post(f"/incidents/{incident_id}/message/approve", data={
        "csrf_token": board.token(olga), "version": version, "digest": digest})

    assert answer.status_code == 303 and answer.headers["location"].endswith("?done=approved")
    assert board.launched[-1] == (incident_id, "subject_notice_approval")
    approved = services.latest_version(board.ws.uow(), incident_id)
    assert approved is not None and (approved.approved_by, approved.digest) == ("olga", digest)
    assert "goedgekeurd door olga" in olga.get(f"/incidents/{incident_id}/message").text


def test_an_edit_meanwhile_is_never_approved_unseen(board):
    incident_id = _told(board)
    olga = board.login("olga")
    page = olga.get(f"/incidents/{incident_id}/message").text
    version, digest = _version_and_digest(page)
    fields = dict(re.findall(r'<textarea id="f-([a-z]{2}\.[a-z]+)" name="[^"]+" rows="\d+"[^>]*>([^<]*)</textarea>',
                             page))
    assert set(fields) == {f"{lang}.{part}" for lang in ("nl", "en") for part in
                           ("happened", "data", "meaning", "done", "advice", "contact", "complaint")}

    rick = board.login("rick")
    edited = {**fields, "nl.done": "Wij hebben de map dezelfde dag afgesloten.",
              "en.done": "We closed the folder the same day."}
    saved = rick.post(f"/incidents/{incident_id}/message", data={"csrf_token": board.token(rick), **edited})
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved-2")

    stale = olga.post(f"/incidents/{incident_id}/message/approve", data={
        "csrf_token": board.token(olga), "version": version, "digest": digest})
    assert stale.status_code == 409 and "Iemand heeft intussen een nieuwe versie opgeslagen" in stale.text
    assert "Versie 2" in stale.text and "We closed the folder the same day." in stale.text


def test_dutch_in_the_english_message_is_named_and_blocks_the_approval(board):
    incident_id = _told(board)
    olga = board.login("olga")
    dutch = "Wij hebben de map afgesloten en alle links verwijderd. Ook hebben wij de AP ingelicht."
    saved = olga.post(f"/incidents/{incident_id}/message", data={"csrf_token": board.token(olga),
                                                                  "en.done": dutch})
    assert saved.status_code == 303

    page = olga.get(f"/incidents/{incident_id}/message").text
    assert "Zo kan deze versie nog niet worden goedgekeurd" in page
    assert "Engels, Wat hebben wij gedaan?</a>: is in het Nederlands" in page
    assert re.search(r'<button type="submit" class="primary" disabled>', page)
    version, digest = _version_and_digest(page)
    refused = olga.post(f"/incidents/{incident_id}/message/approve", data={
        "csrf_token": board.token(olga), "version": version, "digest": digest})
    assert refused.status_code == 422


def test_a_test_send_from_the_page_goes_only_to_the_team(board):
    incident_id = _told(board)
    rick = board.login("rick")
    refused = rick.post(f"/incidents/{incident_id}/message/test", data={
        "csrf_token": board.token(rick), "to": "anouk.verbeek@example.nl"})
    assert refused.status_code == 422 and "is not an address of the incident team" in refused.text

    answer = rick.post(f"/incidents/{incident_id}/message/test", data={
        "csrf_token": board.token(rick), "to": str(board.ws.profile.privacy_contact.email)})

    assert answer.status_code == 303 and answer.headers["location"].endswith("?done=tested")
    assert len(list((board.ws.settings.outbox / incident_id / "subject_notice_test").glob("*.eml"))) == 2
    assert not (board.ws.settings.outbox / incident_id / "subject_notice").exists()
    with board.ws.uow() as uow:
        assert uow.session.query(AuditRow).filter_by(action="message_test_sent", actor="rick").count() == 1


def test_there_is_no_message_to_review_when_the_people_are_not_told_one_by_one(board):
    incident_id = _assessed(board)
    _decided(board, board.login("olga"), incident_id, subjects="no")
    assert board.login("rick").get(f"/incidents/{incident_id}/message").status_code == 404


def test_the_letters_are_downloaded_by_the_team_and_recorded_as_posted(board):
    pytest.importorskip("weasyprint")
    from incidents.times import now_utc

    incident_id = _assessed(board)
    _decided(board, board.login("olga"), incident_id, subjects="yes")
    people = board.ws.settings.home / "people.csv"
    people.write_text("name,email,address\nGerrit de Vries,,Dorpsstraat 12 / 1234 AB  Ergenshuizen\n"
                      "An,an@example.nl,\n", encoding="utf-8")
    services.import_subjects(board.ws.uow(), incident_id, people, "rick", now_utc())
    services.draft_message(board.ws.uow(), board.ws.profile, board.ws.settings.templates_dir, incident_id, "rick",
                           now_utc())
    rick, vera = board.login("rick"), board.login("vera")
    refused = rick.get(f"/incidents/{incident_id}/letters.pdf")
    assert refused.status_code == 409 and "not approved yet" in refused.text  # nothing printed unapproved
    services.approve_message(board.ws.uow(), incident_id, "olga", now_utc())

    assert vera.get(f"/incidents/{incident_id}/letters.pdf").status_code == 403
    page = rick.get(f"/incidents/{incident_id}/subjects").text
    assert "Download the letters (PDF)" in page
    pdf = rick.get(f"/incidents/{incident_id}/letters.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.headers["cache-control"] == "no-store"
    posted = rick.post(f"/incidents/{incident_id}/letters/posted", data={"csrf_token": board.token(rick)})
    assert posted.headers["location"].endswith("?done=letters_posted")
    with board.ws.uow() as uow:
        assert uow.subject_counts(incident_id).get("posted") == 1
        assert uow.session.query(AuditRow).filter_by(action="letters_written", actor="rick").count() == 1


def test_the_timeline_speaks_in_sentences_without_raw_keys(board):
    incident_id = _told(board)
    services.draft_message(board.ws.uow(), board.ws.profile, board.ws.settings.templates_dir, incident_id,
                           "response-flow", __import__("incidents.times", fromlist=["now_utc"]).now_utc())
    page = board.login("olga").get(f"/incidents/{incident_id}").text
    timeline = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[page.index('id="timeline"'):]))
    assert "Besluit: melden bij de AP: ja; betrokkenen informeren: ja." in timeline
    assert "Versie 1 van het bericht aan de betrokkenen geschreven" in timeline
    assert "de afhandeling (automatisch)" in timeline
    for raw in ("notify_authority", "response-flow", "score:", "True", "digest:", "_"):
        assert raw not in timeline, raw
    assert "privacy officer" not in re.sub(r"<[^>]+>", " ", page)  # a Dutch page speaks Dutch


def test_the_decision_form_shows_the_ap_deadline_and_warns_when_a_decision_exists(board):
    incident_id = _assessed(board)
    olga = board.login("olga")
    form = olga.get(f"/incidents/{incident_id}/decision").text
    deadline = re.search(r'id="decision-deadline">([^<]+)<', form)
    assert deadline and "Uiterlijk melden bij de AP" in deadline.group(1) and "nog " in deadline.group(1)
    assert "Er is al een besluit" not in form
    _decided(board, olga, incident_id, subjects="no")
    again = olga.get(f"/incidents/{incident_id}/decision").text
    assert "Er is al een besluit, vastgelegd door olga" in again


def test_the_follow_up_is_reviewed_and_approved_through_the_same_page(board):
    from incidents.times import now_utc

    incident_id = _told(board)
    services.draft_message(board.ws.uow(), board.ws.profile, board.ws.settings.templates_dir, incident_id, "po",
                           now_utc())
    services.approve_message(board.ws.uow(), incident_id, "olga", now_utc())
    services.notify_subjects(board.ws.uow(), board.ws.profile, board.ws.mailer, board.ws.settings.templates_dir,
                             incident_id, None, now_utc())
    olga = board.login("olga")
    assert "/update" in olga.get(f"/incidents/{incident_id}").text
    page = olga.get(f"/incidents/{incident_id}/update").text
    assert "Vervolgbericht aan de betrokkenen" in page and "Wat hebben wij uitgezocht?" in page
    assert f"/incidents/{incident_id}/update/preview-v1.nl.html" in page
    assert "Nederlands, Wat hebben wij uitgezocht?</a>: bevat nog de aanwijzing tussen [ ]" in page  # blocks it
    version, digest = _version_and_digest(page)
    refused = olga.post(f"/incidents/{incident_id}/update/approve", data={
        "csrf_token": board.token(olga), "version": version, "digest": digest})
    assert refused.status_code == 422
    written = {f"{lang}.{part}": text for lang, found, changed in (
        ("nl", "Alleen de coachee zelf heeft de map geopend.", "Delen via een link staat nu uit."),
        ("en", "Only the coachee herself opened the folder.", "Sharing by link is now turned off."))
        for part, text in (("found", found), ("changed", changed))}
    saved = olga.post(f"/incidents/{incident_id}/update", data={"csrf_token": board.token(olga), **written})
    assert saved.headers["location"].endswith("/update?done=saved-2")
    version, digest = _version_and_digest(olga.get(f"/incidents/{incident_id}/update").text)
    approved = olga.post(f"/incidents/{incident_id}/update/approve", data={
        "csrf_token": board.token(olga), "version": version, "digest": digest})
    assert approved.headers["location"].endswith("?done=update_approved")
    assert board.launched[-1] == (incident_id, "subject_update")
