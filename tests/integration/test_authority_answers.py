"""The AP form questions no register fact supplies (1.3, 2.1, 2.2, 5.2) can be answered by a person; the
notice, the check and the EU template then use the answers."""

from __future__ import annotations

import pytest

from incidents.errors import InvalidInput
from incidents.services import authority
from tests.integration.test_authority import TEMPLATES, drive_incident


def answer_all(uow, incident_id: str, now) -> None:
    authority.record_authority_answer(uow, incident_id, "1.3", ["none"], "po", now)
    authority.record_authority_answer(uow, incident_id, "2.1", ["nl"], "po", now)
    authority.record_authority_answer(uow, incident_id, "2.2", ["none"], "po", now)
    authority.record_authority_answer(uow, incident_id, "5.2", ["published"], "po", now)


def test_answered_questions_leave_the_open_list_and_show_in_the_notice(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    before = {a.number for a in authority.check_authority_notice(uow, profile, incident_id, now).check.unanswered}
    assert {"1.3", "2.1", "2.2", "5.2"} <= before
    answer_all(uow, incident_id, now)
    after = {a.number for a in authority.check_authority_notice(uow, profile, incident_id, now).check.unanswered}
    assert not ({"1.3", "2.1", "2.2", "5.2"} & after)
    draft = authority.draft_authority_notice(uow, profile, TEMPLATES, tmp_path / "notices", incident_id, now)
    text = next(p for p in draft if p.name.endswith(".nl.txt")).read_text(encoding="utf-8")
    assert "persoonsgegevens per ongeluk gepubliceerd" in text and "alleen NL" in text


def test_a_later_answer_replaces_the_earlier_one(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    authority.record_authority_answer(uow, incident_id, "2.1", ["NL"], "po", now)
    authority.record_authority_answer(uow, incident_id, "2.1", ["NL", "BE"], "po", now)
    with uow:
        assert authority._recorded_answers(uow, incident_id)["2.1"] == ["NL", "BE"]


@pytest.mark.parametrize("question,values,field", [
    ("5.2", ["leaked"], "question 5.2"),
    ("5.2", ["published", "post_lost"], "question 5.2"),
    ("2.1", ["Netherlands"], "question 2.1"),
    ("4.1", ["yesterday"], "question"),
])
def test_a_wrong_answer_is_refused_with_the_choices_and_nothing_is_written(uow, profile, now, tmp_path, question,
                                                                        values, field):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    with pytest.raises(InvalidInput) as err:
        authority.record_authority_answer(uow, incident_id, question, values, "po", now)
    assert err.value.errors[0].field == field
    with uow:
        assert authority._recorded_answers(uow, incident_id) == {}
