"""The follow-up to the people when the investigation ends, on SQLite and PostgreSQL: written on request, reviewed
and approved like the first message, sent to the people the first one reached by e-mail, once."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from breach.cli import main
from incidents import services
from incidents.errors import InvalidInput, InvalidTransition
from incidents.messages import SUBJECT_UPDATE
from incidents.model import Decision
from incidents.notify.email import OutboxBackend
from incidents.register.tables import SubjectRow
from incidents.services.dispatch import WAITING_FOR_APPROVAL
from tests.conftest import EXAMPLES
from tests.integration.test_register import TEMPLATES, a_report, the_assessment
from tests.support.review import approve_as_drafted

FOUND = {"nl": "Het Drive-logboek laat zien dat alleen de coachee die het meldde de map heeft geopend.",
         "en": "The Drive log shows that only the coachee who reported it opened the folder."}
CHANGED = {"nl": "Delen via een link staat nu uit voor alle mappen.",
           "en": "Sharing by link is now turned off for every folder."}


@pytest.fixture
def told(uow, profile, now, tmp_path):
    mailer = OutboxBackend(tmp_path / "outbox")
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    services.record_assessment(uow, profile, incident_id, the_assessment(), "it", now)
    services.import_subjects(uow, incident_id, EXAMPLES / "subjects.csv", "po", now)
    services.record_decision(uow, incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                        reason="coaching reports open to anyone"), "po", now)
    return incident_id, mailer


def test_the_update_goes_only_to_people_already_told(uow, profile, now, told):
    incident_id, _ = told
    with pytest.raises(InvalidTransition, match="nobody was yet"):
        services.draft_message(uow, profile, TEMPLATES, incident_id, "po", now, kind=SUBJECT_UPDATE)


def test_the_update_is_written_reviewed_approved_and_sent_once(uow, profile, now, tmp_path, told):
    incident_id, mailer = told
    approve_as_drafted(uow, profile, incident_id, now)
    services.notify_subjects(uow, profile, mailer, TEMPLATES, incident_id, None, now)

    draft = services.draft_message(uow, profile, TEMPLATES, incident_id, "po", now, kind=SUBJECT_UPDATE)
    assert draft is not None and draft.languages == ["nl", "en"]
    with pytest.raises(InvalidInput) as refused:  # the proposal's instructions in [ ] must be written out
        services.approve_message(uow, incident_id, "po", now, kind=SUBJECT_UPDATE)
    assert {e.field for e in refused.value.errors} == {f"{lang}.{part}" for lang in ("nl", "en")
                                                       for part in ("found", "changed")}
    assert services.notify_update(uow, profile, mailer, TEMPLATES, incident_id, None, now).detail == \
        WAITING_FOR_APPROVAL
    services.edit_message(uow, profile, TEMPLATES, incident_id, {
        lang: {"found": FOUND[lang], "changed": CHANGED[lang]} for lang in ("nl", "en")}, "po", now,
        kind=SUBJECT_UPDATE)
    services.approve_message(uow, incident_id, "po", now, kind=SUBJECT_UPDATE)

    outcome = services.notify_update(uow, profile, mailer, TEMPLATES, incident_id, None, now)

    updates = sorted((tmp_path / "outbox" / incident_id / SUBJECT_UPDATE).glob("*.eml"))
    assert outcome.count == len(updates) == 38
    texts = [message_from_bytes(p.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
             for p in updates]
    assert any(FOUND["nl"] in t and "Beste " in t for t in texts) and any(FOUND["en"] in t for t in texts)
    with uow:
        rows = uow.session.execute(select(SubjectRow.status, SubjectRow.update_status)
                                   .where(SubjectRow.incident_id == incident_id)).all()
    assert sorted(set(rows)) == [("sent", "sent"), ("unreachable", None)]  # the first message's status stays
    again = services.notify_update(uow, profile, mailer, TEMPLATES, incident_id, None, now)
    assert again.detail == "already sent" and len(list((tmp_path / "outbox" / incident_id / SUBJECT_UPDATE)
                                                        .glob("*.eml"))) == 38


def test_breach_subjects_update_writes_it_and_approve_update_approves_it(uow, profile, now, told, workspace_env,
                                                                         capsys):
    incident_id, _ = told
    from incidents.workspace import Workspace

    ws = Workspace()
    approve_as_drafted(ws.uow(), ws.profile, incident_id, now)
    services.notify_subjects(ws.uow(), ws.profile, ws.mailer, TEMPLATES, incident_id, None, now)
    assert main(["subjects", "update", incident_id]) == 0
    out = capsys.readouterr().out
    assert "update to the people of" in out and "version 1 (awaiting approval)" in out
    assert "subject-update-v1.nl.html" in out and "cannot be approved yet: nl.found" in out
    for lang in ("nl", "en"):
        for part, text in (("found", FOUND[lang]), ("changed", CHANGED[lang])):
            assert main(["subjects", "edit", incident_id, "--update", "--language", lang, "--part", part,
                         "--text", text]) == 0
    assert main(["subjects", "approve", incident_id, "--update", "--version", "5", "--no-flow"]) == 0
    assert "update to the people of" in capsys.readouterr().out
