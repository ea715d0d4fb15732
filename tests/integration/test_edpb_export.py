"""The EU template from the register, on SQLite and PostgreSQL: a first notice, a follow-up, a withdrawal, a
breach a processor reported and a late notice, each exported and validated against the template's schema (every
export, by the autouse fixture every_edpb_export_is_valid); the AP notice and the export of the same incident
agree on every fact they share; `breach authority export` and `breach register export --with-edpb`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from incidents import edpb, services
from incidents.model import Decision
from incidents.notify.email import OutboxBackend
from incidents.services import authority
from incidents.times import local, parse_time, show
from incidents.workspace import Workspace
from tests.integration.test_authority import (  # noqa: F401  (breach, recorded: fixtures)
    TEMPLATES,
    breach,
    drive_incident,
    drive_report,
    newsletter_incident,
    recorded,
    rendering,
    version_file,
)
from tests.support.review import approve_as_drafted
from tests.unit.test_edpb_mapping import assert_valid, every_edpb_export_is_valid  # noqa: F401
from tests.unit.test_templates import answer


def export(uow, profile, incident_id: str, now: datetime, language: str = "nl") -> dict[str, Any]:
    return edpb.render_document(TEMPLATES, language, authority.edpb_answers(uow, profile, incident_id, now))


# --- the five kinds of notice -------------------------------------------------------------------------------

def test_a_first_notice_exports_as_new_and_incomplete(uow, profile, now, tmp_path,
                                                      every_edpb_export_is_valid):  # noqa: F811
    incident_id = drive_incident(uow, profile, now, tmp_path)

    d = export(uow, profile, incident_id, now)

    assert (d["field_3"], d["field_4"], d["field_7"]) == ("a", "b", incident_id)
    assert "field_6" not in d and "field_49" not in d
    assert d["field_50"] == "c"  # a coachee told us
    assert every_edpb_export_is_valid == [d]


def test_a_follow_up_refers_to_the_meldnummer_of_the_notice_before(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    t1, t2 = now + timedelta(hours=1), now + timedelta(hours=2)
    authority.record_filing(uow, incident_id, "M-2026-004200", t1, None, "po", t1)

    after_first = export(uow, profile, incident_id, t1)
    authority.record_follow_up(uow, profile, TEMPLATES, tmp_path / "notices", incident_id,
                               "Het aantal betrokkenen is nu bekend.", "M-2026-004201", t2, "po", t2)
    after_follow_up = export(uow, profile, incident_id, t2)

    assert (after_first["field_3"], after_first["field_4"], after_first["field_6"]) == ("b", "b", "M-2026-004200")
    assert after_follow_up["field_6"] == "M-2026-004201"


def test_a_withdrawal_exports_as_follow_up_withdraw_with_its_reason(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    t1, t2 = now + timedelta(hours=1), now + timedelta(hours=5)
    authority.record_filing(uow, incident_id, "M-10", t1, None, "po", t1)
    authority.record_withdrawal(uow, profile, TEMPLATES, tmp_path / "notices", incident_id,
                                "De map bleek alleen testbestanden zonder echte namen te bevatten.", None, t2,
                                "po", t2)

    d = export(uow, profile, incident_id, t2 + timedelta(days=1))

    assert (d["field_3"], d["field_4"], d["field_6"]) == ("b", "c", "M-10")
    assert d["field_5"] == "De map bleek alleen testbestanden zonder echte namen te bevatten."
    assert d["field_89"] == "c"


def test_a_breach_a_processor_reported_says_so_with_the_day_it_told_us(uow, profile, now, tmp_path):
    incident_id = newsletter_incident(uow, profile, now, tmp_path)

    d = export(uow, profile, incident_id, now)

    with uow:
        aware = uow.incident(incident_id).aware_at
    assert d["field_50"] == "b"  # detection and communication by the data processor
    assert d["field_52"] == local(aware).date().isoformat()
    assert (d["field_38"], d["field_40"]) == ("a", "SendinBlue")
    assert "SendinBlue: verwerker (art. 28 AVG); heeft de inbreuk aan ons gemeld" in d["field_39"]
    assert "48 uur" in d["field_53"]
    assert d["field_65"] == "g"  # nieuwsbriefabonnees: subscribers
    assert (d["field_97"], d["field_100"]) == ("e", "b")  # passwords replaced: art. 34(3)(b)


def test_a_late_notice_gives_the_reasons_once_recorded_and_says_to_be_determined_before(uow, profile, now,
                                                                                         tmp_path):
    incident_id = newsletter_incident(uow, profile, now, tmp_path)
    late = now + timedelta(hours=60)  # 80 hours after SendinBlue told us

    draft = authority.edpb_answers(uow, profile, incident_id, late)
    authority.record_filing(uow, incident_id, "M-2026-004211", late,
                            "SendinBlue gaf de lijst van getroffen accounts pas na drie dagen.", "po", late,
                            **rendering(profile, tmp_path))
    filed = export(uow, profile, incident_id, late)

    assert draft.answers[49].pending == ("filings.delay_reason",)
    assert edpb.render_document(TEMPLATES, "nl", draft)["field_49"] == "nog te bepalen"
    assert filed["field_49"] == "SendinBlue gaf de lijst van getroffen accounts pas na drie dagen."
    assert "field_49" not in export(uow, profile, newsletter_incident(uow, profile, now, tmp_path), now)


# --- one answer set: the AP notice and the EU template agree ---------------------------------------------

def amsterdam(value: str) -> str:
    """An ISO 8601 time of the export as the AP notice shows times."""
    return show(parse_time(value))


def lines(text: str) -> list[str]:
    return [line.removeprefix("- ").strip() for line in text.splitlines() if line.startswith("- ")]


def test_the_ap_notice_and_the_eu_template_agree_on_every_shared_fact(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    ap = version_file(tmp_path, incident_id, 1).read_text(encoding="utf-8")  # the AP notice the flow kept
    d = export(uow, profile, incident_id, now)

    # times
    assert f"Begin: {amsterdam(d['field_46'])}\nEinde: {amsterdam(d['field_47'])}" == answer(ap, "4.1")
    assert f"Bekend geworden op (begin van de 72 uur): {amsterdam(d['field_48'])}" in answer(ap, "4.2")
    assert re.search(r"Ontdekt op: (.+)", answer(ap, "4.2"))[1] in d["field_51"]
    # counts
    assert answer(ap, "7.3") == "Minimaal 39, maximaal 45."
    assert (d["field_67"], d["field_68"]) == ("b", 45) and "minimaal 39, maximaal 45" in d["field_66"]
    assert "39–45 records of meer" in answer(ap, "6.3") and "39–45 records of meer" in d["field_71"]
    # categories of data and of people
    for kind in lines(answer(ap, "6.1")) + lines(answer(ap, "6.2")):
        assert kind in d["field_71"], kind
    assert d["field_70"] == ["b", "k"]  # contact details, health (coachverslagen)
    assert "klanten (coachees)" in answer(ap, "7.1") and d["field_65"] == "a"
    # what happened, how serious, measures, telling the people
    assert answer(ap, "5.3") == d["field_62"]
    assert answer(ap, "8.1") == d["field_76"]
    assert answer(ap, "9.3") in d["field_90"] and d["field_87"] == "c"  # aanzienlijk: severe
    assert answer(ap, "10.2") == d["field_92"] == d["field_95"]
    assert "Ja, de betrokkenen worden geïnformeerd." in answer(ap, "10.1") and d["field_97"] == "b"
    # the organisation and the reporting person
    assert f"Naam: {d['field_21']}" in answer(ap, "3.2") and f"KvK-nummer: {d['field_11']}" in answer(ap, "3.1")


def test_a_fact_changed_in_the_register_shows_in_both_forms(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    before = export(uow, profile, incident_id, now)
    later = now + timedelta(hours=2)
    approve_as_drafted(uow, profile, incident_id, later)
    services.notify_subjects(uow, profile, OutboxBackend(tmp_path / "outbox"), TEMPLATES, incident_id, None, later)

    paths = authority.draft_authority_notice(uow, profile, TEMPLATES, tmp_path / "notices", incident_id, later)
    draft = next(p for p in paths if p.name == "authority-notice-draft.nl.txt").read_text(encoding="utf-8")
    after = export(uow, profile, incident_id, later)

    assert before["field_97"] == "b" and "field_98" not in before
    assert f"Verstuurd op: {show(later)}" in answer(draft, "10.1")
    assert (after["field_97"], after["field_98"], after["field_104"]) == ("a", local(later).date().isoformat(), "a")


# --- the command line --------------------------------------------------------------------------------------

def test_export_writes_the_json_document_and_lists_what_is_to_be_determined(breach, recorded):  # noqa: F811
    code, out, err = breach("authority", "export", recorded, "--format", "edpb-json")

    assert code == 0
    d = json.loads(out)
    assert_valid(d)
    assert (d["field_3"], d["field_4"], d["field_12"]) == ("a", "b", "Qoers")
    assert "veld 60  Soort incident" in err and "answers.incident_kind" in err


def test_export_writes_a_readable_page_in_dutch_and_english(breach, recorded, tmp_path):  # noqa: F811
    out_file = tmp_path / "eu.html"
    code, out, err = breach("authority", "export", recorded, "--format", "edpb-html", "--lang", "en",
                            "-o", str(out_file))
    assert code == 0 and out == "" and str(out_file) in err
    page = out_file.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h2>3.1 Timeline</h2>" in page

    code, out, _ = breach("authority", "export", recorded, "--format", "edpb-html", "--lang", "nl")
    assert code == 0 and "<h2>3.1 Tijdlijn</h2>" in out and "Nieuwe melding" in out


def test_export_without_an_assessment_is_refused_with_the_missing_answers(breach, workspace_env):  # noqa: F811
    from incidents.times import now_utc

    ws = Workspace()
    real = now_utc()
    incident_id = services.report_incident(ws.uow(), ws.profile, drive_report(real), "po", real)

    code, out, err = breach("authority", "export", incident_id, "--format", "edpb-json")

    assert code == 2 and out == ""
    assert "field_55" in err and f"breach assess {incident_id}" in err


def test_register_export_can_carry_each_notified_breach_in_the_eu_template(breach, workspace_env):  # noqa: F811
    from incidents.times import now_utc

    ws = Workspace()
    real = now_utc()
    notified = drive_incident(ws.uow(), ws.profile, real, ws.settings.home)
    not_notified = services.report_incident(ws.uow(), ws.profile, drive_report(real, title="Intern gedeeld"), "po",
                                            real)
    from tests.integration.test_authority import drive_assessment

    services.record_assessment(ws.uow(), ws.profile, not_notified, drive_assessment(), "it", real)
    services.record_decision(ws.uow(), not_notified, Decision(
        notify_authority=False, notify_subjects=False,
        reason="Alleen de eigen medewerker zag de map; geen risico voor de coachees."), "po", real)

    code, out, _ = breach("register", "export", "--format", "json", "--with-edpb")

    rows = {r["id"]: r for r in json.loads(out)["register"]}
    assert code == 0
    assert_valid(rows[notified]["edpb"]["document"])
    assert "field_60" in rows[notified]["edpb"]["to_be_determined"]
    assert "edpb" not in rows[not_notified]
    code, _, err = breach("register", "export", "--format", "csv", "--with-edpb")
    assert code == 2 and "--with-edpb" in err


def test_export_explains_itself(breach, capsys):  # noqa: F811
    import pytest

    with pytest.raises(SystemExit) as exit_:
        breach("authority", "export", "--help")
    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    assert "edpb-json" in help_text and "edpb-html" in help_text


def test_the_readable_page_escapes_what_the_register_holds(uow, profile, now, tmp_path):
    hostile = "{{ 7*7 }} <script>alert(1)</script>"
    incident_id = drive_incident(uow, profile, now, tmp_path, title=f"Map {hostile}", description=hostile,
                                 reported_by=hostile)
    for language in ("nl", "en"):
        page = edpb.render_html(TEMPLATES, language, authority.edpb_answers(uow, profile, incident_id, now))
        assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "{{ 7*7 }}" in page and ">49<" not in page


def test_templates_folder_is_the_one_the_commands_use():
    assert TEMPLATES == Path(__file__).resolve().parents[2] / "templates"
