"""The message to the people is reviewed and approved before anyone gets it (GDPR art. 34(2)), on SQLite and
PostgreSQL: a draft per language, edits as new versions, a test send to the team only, approval by digest."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from incidents import services
from incidents.errors import InvalidInput, InvalidTransition
from incidents.model import Decision
from incidents.notify.email import OutboxBackend
from incidents.register.tables import AuditRow, MessageTextRow
from incidents.services.dispatch import WAITING_FOR_APPROVAL
from incidents.views import incident_view
from tests.conftest import EXAMPLES
from tests.integration.test_register import TEMPLATES, a_report, the_assessment


@pytest.fixture
def decided(uow, profile, now, tmp_path):
    """An incident with its assessment, its list of 40 people (35 Dutch, 5 English) and the decision to tell
    them; the flow's drafting step done."""
    mailer = OutboxBackend(tmp_path / "outbox")
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    services.record_assessment(uow, profile, incident_id, the_assessment(), "it", now)
    services.import_subjects(uow, incident_id, EXAMPLES / "subjects.csv", "po", now)
    services.record_decision(uow, incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                        reason="health data open to anyone: high risk"), "po", now)
    services.draft_message(uow, profile, TEMPLATES, incident_id, "response-flow", now)
    return incident_id, mailer


def sent(tmp_path, incident_id, kind="subject_notice"):
    return sorted((tmp_path / "outbox" / incident_id / kind).glob("*.eml"))


def actions(uow, incident_id):
    with uow:
        return [(r.action, r.actor) for r in uow.session.scalars(
            select(AuditRow).where(AuditRow.incident_id == incident_id).order_by(AuditRow.seq))]


def test_nobody_is_told_before_a_person_approves_the_message(uow, profile, now, tmp_path, decided):
    incident_id, mailer = decided

    outcome = services.notify_subjects(uow, profile, mailer, TEMPLATES, incident_id, None, now)

    assert (outcome.done, outcome.detail) == (False, WAITING_FOR_APPROVAL)
    assert sent(tmp_path, incident_id) == []
    assert "subject_notice_approval" in services.advance(uow, incident_id, now)
    with uow:
        view = incident_view(uow, incident_id, now)
        assert view.tracks.people.state.value == "awaiting_approval"
        assert uow.subject_counts(incident_id)["pending"] == 38
    with pytest.raises(InvalidTransition, match="breach subjects approve"):
        services.request_dispatch(uow, incident_id, "po", now)


def test_the_approved_version_is_what_everyone_gets(uow, profile, now, tmp_path, decided):
    incident_id, mailer = decided
    draft = services.latest_version(uow, incident_id)
    assert draft is not None and draft.version == 1 and draft.languages == ["nl", "en"]

    approved = services.approve_message(uow, incident_id, "anne", now + timedelta(minutes=5),
                                        version=1, digest_prefix=draft.digest[:12])
    services.notify_subjects(uow, profile, mailer, TEMPLATES, incident_id, None, now + timedelta(minutes=6))

    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sent(tmp_path, incident_id)]
    assert len(mails) == 38
    dutch = draft.rendered["nl"].text.replace("-name-", "Anouk Verbeek")
    assert any(m.get_body(("plain",)).get_content().replace("\r\n", "\n") == dutch for m in mails)
    with uow:
        kept = {(t.version, t.language) for t in uow.session.scalars(select(MessageTextRow).where(
            MessageTextRow.incident_id == incident_id))}
        view = incident_view(uow, incident_id, now)
    assert kept == {(1, "nl"), (1, "en")}
    assert (view.message.version, view.message.approved_by) == (1, "anne")
    assert ("message_approved", "anne") in actions(uow, incident_id)
    assert approved.run_input() == {"version": 1, "digest": draft.digest, "approved_by": "anne"}


def test_an_edit_makes_a_new_version_that_needs_a_new_approval(uow, profile, now, tmp_path, decided):
    incident_id, mailer = decided
    services.approve_message(uow, incident_id, "anne", now)

    happened = {"nl": "Een map met coachverslagen was een week lang te openen voor iedereen met de link.",
                "en": "A folder with coaching reports could be opened by anyone with the link for a week."}
    services.edit_message(uow, profile, TEMPLATES, incident_id, {"nl": {"happened": happened["nl"]}}, "anne", now)
    edited = services.edit_message(uow, profile, TEMPLATES, incident_id, {"en": {"happened": happened["en"]}}, "anne",
                                   now)

    assert edited.version == 3 and not edited.approved
    assert happened["en"] in edited.rendered["en"].text and happened["nl"] in edited.rendered["nl"].html
    outcome = services.notify_subjects(uow, profile, mailer, TEMPLATES, incident_id, None, now)
    assert outcome.detail == WAITING_FOR_APPROVAL and sent(tmp_path, incident_id) == []
    with pytest.raises(InvalidInput, match="version 1 is not the newest"):
        services.approve_message(uow, incident_id, "anne", now, version=1)
    with pytest.raises(InvalidInput, match="does not match version 3"):
        services.approve_message(uow, incident_id, "anne", now, digest_prefix="0000000000")

    services.approve_message(uow, incident_id, "anne", now, version=3)
    services.notify_subjects(uow, profile, mailer, TEMPLATES, incident_id, None, now)
    bodies = [p.read_bytes().decode("utf-8", "replace") for p in sent(tmp_path, incident_id)]
    assert len(bodies) == 38
    assert [a for a, _ in actions(uow, incident_id) if a.startswith("message_")] == [
        "message_drafted", "message_approved", "message_edited", "message_edited", "message_approved"]
    # the same texts again make no new version
    same = services.edit_message(uow, profile, TEMPLATES, incident_id, {"en": {"happened": happened["en"]}}, "anne",
                                 now)
    assert (same.version, same.approved) == (3, True)


def test_an_english_message_is_english_throughout(uow, profile, now, decided):
    incident_id, _ = decided
    dutch = "Wij hebben de map meteen afgesloten en alle links verwijderd. Ook hebben wij de AP ingelicht."
    services.edit_message(uow, profile, TEMPLATES, incident_id, {"en": {"done": dutch}}, "anne", now)
    with pytest.raises(InvalidInput) as refused:
        services.approve_message(uow, incident_id, "anne", now)
    assert [e.field for e in refused.value.errors] == ["en.done"]

    # rewritten in Dutch only: the English reader would miss it
    services.edit_message(uow, profile, TEMPLATES, incident_id, {"en": {"done": "We closed the folder at once."}},
                          "anne", now)
    services.edit_message(uow, profile, TEMPLATES, incident_id, {"nl": {"advice": "- Let op phishing.\n- Bel ons."}},
                          "anne", now)
    with pytest.raises(InvalidInput) as refused:
        services.approve_message(uow, incident_id, "anne", now)
    assert [e.field for e in refused.value.errors] == ["en.advice"]
    assert "rewritten in Dutch only" in refused.value.errors[0].message


def test_a_test_send_goes_only_to_the_team(uow, profile, now, tmp_path, decided):
    incident_id, mailer = decided
    with pytest.raises(InvalidInput, match="--to"):
        services.test_send(uow, profile, mailer, incident_id, "anouk.verbeek@example.nl", "anne", now, None)

    languages = services.test_send(uow, profile, mailer, incident_id, "IT-deskundige@example.nl", "anne", now, None)

    assert languages == ["nl", "en"]
    tests = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sent(tmp_path, incident_id, "subject_notice_test")]
    assert [m["To"].addresses[0].addr_spec for m in tests] == ["it-deskundige@example.nl"] * 2
    greetings = sorted(m.get_body(("plain",)).get_content().splitlines()[0] for m in tests)
    assert greetings == ["Beste IT-deskundige (extern),", "Dear IT-deskundige (extern),"]
    assert sent(tmp_path, incident_id) == []  # nobody on the list
    assert ("message_test_sent", "anne") in actions(uow, incident_id)


def test_the_preview_is_the_message_as_recipients_get_it(uow, profile, now, tmp_path, decided):
    incident_id, _ = decided
    version, paths = services.write_preview(uow, profile, TEMPLATES, tmp_path / "notices", incident_id, "anne", now)

    assert [p.name for p in paths] == [f"subject-notice-v1.{lang}.{ext}" for lang in ("nl", "en")
                                       for ext in ("html", "txt")]
    html, text = paths[0].read_text(encoding="utf-8"), paths[1].read_text(encoding="utf-8")
    assert "Beste heer/mevrouw," in text and "-name" not in text + html
    assert html.replace("-name_html-", "heer/mevrouw") != html or "heer/mevrouw" in html
    assert version.rendered["nl"].text.replace("-name-", "heer/mevrouw") == text


def test_a_new_language_on_the_list_needs_its_own_approval(uow, profile, now, tmp_path):
    mailer = OutboxBackend(tmp_path / "outbox")
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    services.record_assessment(uow, profile, incident_id, the_assessment(), "it", now)
    services.record_decision(uow, incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                        reason="health data open to anyone: high risk"), "po", now)
    first = services.draft_message(uow, profile, TEMPLATES, incident_id, "response-flow", now)
    assert first is not None and first.languages == ["nl"]  # no list yet: the organisation's language
    services.approve_message(uow, incident_id, "anne", now)

    services.import_subjects(uow, incident_id, EXAMPLES / "subjects.csv", "po", now)
    second = services.draft_message(uow, profile, TEMPLATES, incident_id, "response-flow", now)

    assert second is not None and (second.version, second.languages, second.approved) == (2, ["nl", "en"], False)
    assert second.parts["nl"] == first.parts["nl"]
    assert services.notify_subjects(uow, profile, mailer, TEMPLATES, incident_id, None, now).detail == \
        WAITING_FOR_APPROVAL


def test_the_draft_says_je_when_the_organisation_does(uow, profile, now, tmp_path):
    informal = profile.model_copy(update={"organisation": profile.organisation.model_copy(
        update={"address_form": "je"})})
    incident_id = services.report_incident(uow, informal, a_report(now), "po", now)
    services.record_assessment(uow, informal, incident_id, the_assessment(), "it", now)
    services.record_decision(uow, incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                        reason="health data open to anyone: high risk"), "po", now)
    draft = services.draft_message(uow, informal, TEMPLATES, incident_id, "response-flow", now)
    assert draft is not None
    words = {w for text in draft.parts["nl"].values() for w in re.findall(r"[A-Za-z]+", text)}
    assert not words & {"u", "uw", "U", "Uw"} and "je" in words
    assert "Wij moeten je helaas" in draft.rendered["nl"].text
