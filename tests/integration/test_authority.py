"""The AP notice from the register, on SQLite and PostgreSQL: golden notices, filing, follow-up, withdrawal,
the e-mail to the privacy contact, `breach authority` and the register export.

Golden files live in tests/golden/authority/; after a deliberate change of wording, regenerate them with
    BREACH_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/integration/test_authority.py -k golden
and read the diff before committing it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from breach.authority_cmd import add_commands
from incidents import services
from incidents.errors import BreachError, InvalidInput, InvalidTransition
from incidents.model import AssessmentFacts, Decision, IncidentReport
from incidents.notify.email import OutboxBackend
from incidents.register.tables import (
    AuditRow,
    AuthorityFilingRow,
    MessageTextRow,
    NoticeRow,
    RecommendationRow,
    SubjectRow,
)
from incidents.services import authority
from incidents.times import iso
from incidents.validation import load_document, parse_model
from incidents.views import latest_recommendations
from incidents.workspace import Workspace
from tests.conftest import EXAMPLES
from tests.integration.conftest_sendgrid import prism_url  # noqa: F401
from tests.support.review import approve_as_drafted

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "authority"
UPDATE = os.environ.get("BREACH_UPDATE_GOLDEN") == "1"
HOSTILE = "{{ 7*7 }} <script>alert(1)</script>"


# --- incidents as a privacy officer records them -------------------------------------------------------------

def at(now: datetime, hours: float) -> str:
    return (now + timedelta(hours=hours)).isoformat()


def drive_report(now: datetime, **changes: object) -> IncidentReport:
    """The Qoers example (a Drive folder open to anyone with the link), its times moved to the test's clock."""
    data = load_document(EXAMPLES / "incident.yaml", "incident")
    data.update(occurred_from=at(now, -24 * 50), occurred_until=at(now, -4), discovered_at=at(now, -18),
                aware_at=at(now, -4), **changes)
    return parse_model(IncidentReport, data, "incident")


def newsletter_report(now: datetime) -> IncidentReport:
    return parse_model(IncidentReport, {
        "title": "Nieuwsbriefaccount bij SendinBlue overgenomen",
        "description": "SendinBlue meldde dat een aanvaller met een gelekt wachtwoord in ons account is ingelogd en "
                       "de lijst van nieuwsbriefabonnees heeft gedownload.",
        "occurred_from": at(now, -30), "occurred_until": at(now, -26), "discovered_at": at(now, -24),
        "aware_at": at(now, -20), "source": "processor:SendinBlue", "reported_by": "Privacycontact Qoers",
        "systems": ["Nieuwsbrief (SendinBlue)"],
    }, "incident")


def drive_assessment() -> AssessmentFacts:
    return parse_model(AssessmentFacts, load_document(EXAMPLES / "assessment.yaml", "a"), "a")


def newsletter_assessment() -> AssessmentFacts:
    return parse_model(AssessmentFacts, {
        "summary": "Een aanvaller heeft met een gelekt wachtwoord de lijst van nieuwsbriefabonnees gedownload.",
        "breach": {"confidentiality": "unknown_recipients", "malicious": True},
        "data": {"categories": ["naam", "contactgegevens"], "ease_of_identification": "maximum"},
        "subjects": {"count_min": 580, "count_max": 600, "groups": ["nieuwsbriefabonnees"],
                     "contact_effort": "individual"},
        "containment": {"exfiltration": "confirmed", "measures_make_high_risk_unlikely": True},
        "measures": "Wachtwoord vervangen, tweestapsverificatie aangezet, SendinBlue-sessies beëindigd.",
    }, "a")


def recommend(uow, incident_id: str, now: datetime, level: str, score: float, *, subjects: bool) -> None:
    """A recommendation as the engine stores it, fixed here so that the golden notices show a severity (9.3)
    that does not move when the engine's weights are tuned."""
    with uow:
        assessment = uow.latest_assessment(incident_id)
        engine = latest_recommendations(uow, incident_id)[0]  # its legal findings, as the engine found them
        uow.session.add(RecommendationRow(
            incident_id=incident_id, assessment_id=assessment.id, computed_at=now, score=score, level=level,
            dpc=3.0, ei=1.0, cb=0.5, notify_authority=True, notify_subjects=subjects, public_communication=False,
            **{name: getattr(engine, name) for name in FINDINGS}))
        uow.commit()


FINDINGS = ("risk", "high_risk", "high_risk_grounds", "unintelligible", "later_measures", "disproportionate_effort",
            "special_categories", "criminal_data")


def drive_incident(uow, profile, now, tmp_path: Path, **changes: object) -> str:
    """Reported, assessed, recommended, people imported, decided; the notice prepared in tmp_path/notices."""
    incident_id = services.report_incident(uow, profile, drive_report(now, **changes), "po", now)
    services.record_assessment(uow, profile, incident_id, drive_assessment(), "it", now)
    recommend(uow, incident_id, now, "high", 3.5, subjects=True)
    services.import_subjects(uow, incident_id, EXAMPLES / "subjects.csv", "po", now)
    services.record_decision(uow, incident_id, Decision(
        notify_authority=True, notify_subjects=True,
        reason="Coachverslagen (gezondheidsgegevens) waren weken voor iedereen met de link te openen."), "po", now)
    authority.prepare_authority_notice(uow, profile, TEMPLATES, tmp_path / "notices", incident_id, now)
    return incident_id


def newsletter_incident(uow, profile, now, tmp_path: Path) -> str:
    incident_id = services.report_incident(uow, profile, newsletter_report(now), "po", now)
    services.record_assessment(uow, profile, incident_id, newsletter_assessment(), "it", now)
    recommend(uow, incident_id, now, "medium", 2.25, subjects=False)
    services.record_decision(uow, incident_id, Decision(
        notify_authority=True, notify_subjects=False,
        reason="Alleen naam en e-mailadres; alle wachtwoorden vervangen voor misbruik mogelijk was."), "po", now)
    authority.prepare_authority_notice(uow, profile, TEMPLATES, tmp_path / "notices", incident_id, now)
    return incident_id


def rendering(profile, tmp_path: Path) -> dict[str, object]:
    return {"profile": profile, "templates": TEMPLATES, "notices_dir": tmp_path / "notices"}


def version_file(tmp_path: Path, incident_id: str, version: int, lang: str = "nl", ext: str = "txt") -> Path:
    return tmp_path / "notices" / incident_id / f"authority-notice-v{version}.{lang}.{ext}"


def count(uow, table) -> int:
    with uow:
        return uow.session.scalar(select(func.count()).select_from(table))


# --- golden notices ---------------------------------------------------------------------------------------

def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; create it with BREACH_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file; if intended, regenerate (see module doc)"


def test_golden_first_notice_answers_every_question_in_dutch(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)

    text = version_file(tmp_path, incident_id, 1).read_text(encoding="utf-8")
    assert_golden("drive-v1.nl.txt", text)
    assert_golden("drive-v1.nl.html", version_file(tmp_path, incident_id, 1, ext="html").read_text(encoding="utf-8"))
    assert_golden("drive-v1.en.txt", version_file(tmp_path, incident_id, 1, "en").read_text(encoding="utf-8"))
    for question in authority_questions():
        assert f"\n{question}  " in text


def test_golden_processor_breach_filed_late_gives_the_reasons_and_names_the_processor(uow, profile, now,
                                                                                       tmp_path):
    incident_id = newsletter_incident(uow, profile, now, tmp_path)
    late = now + timedelta(hours=60)  # 80 hours after SendinBlue told us
    filed = authority.record_filing(uow, incident_id, "M-2026-004211", late,
                                    "SendinBlue gaf de lijst van getroffen accounts pas na drie dagen.", "po", late,
                                    **rendering(profile, tmp_path))

    assert (filed.version, filed.late) == (2, True)
    text = version_file(tmp_path, incident_id, 2).read_text(encoding="utf-8")
    assert_golden("newsletter-late-v2.nl.txt", text)
    assert_golden("newsletter-late-v2.nl.html",
                  version_file(tmp_path, incident_id, 2, ext="html").read_text(encoding="utf-8"))
    assert "Reden van de vertraging: SendinBlue gaf de lijst" in text
    assert "Verwerker: SendinBlue (nieuwsbrief" in text and "48 uur" in text
    assert "meldde de verwerker SendinBlue ons de inbreuk" in text


def test_the_notice_is_rendered_afresh_when_filed_so_10_1_says_who_was_told_when(uow, profile, now, tmp_path):
    """Prepared right after the decision, the notice could not say the people were told; they were told before it
    was filed, so the filed version says how many, when, and quotes the text they were sent."""
    incident_id = drive_incident(uow, profile, now, tmp_path)
    prepared = version_file(tmp_path, incident_id, 1).read_text(encoding="utf-8")
    assert "het bericht is nog niet verstuurd" in prepared
    approve_as_drafted(uow, profile, incident_id, now + timedelta(minutes=30))
    services.notify_subjects(uow, profile, OutboxBackend(tmp_path / "outbox"), TEMPLATES, incident_id, None,
                             now + timedelta(minutes=31))

    filed = authority.record_filing(uow, incident_id, "M-2026-004201", now + timedelta(hours=1), None, "po",
                                    now + timedelta(hours=1), **rendering(profile, tmp_path))

    assert filed.version == 2 and version_file(tmp_path, incident_id, 1).read_text(encoding="utf-8") == prepared
    told = version_file(tmp_path, incident_id, 2).read_text(encoding="utf-8")
    answer = told[told.index("10.1"):told.index("10.2")]
    assert "Verstuurd op: " in answer and ", aan 38 personen." in answer and "nog niet verstuurd" not in answer
    assert "Onderwerp: Belangrijk: datalek bij Qoers" in answer
    # filed again unchanged: a second incident filed straight away keeps its prepared version
    other = drive_incident(uow, profile, now, tmp_path)
    assert authority.record_filing(uow, other, "M-2026-004202", now + timedelta(hours=1), None, "po",
                                   now + timedelta(hours=1), **rendering(profile, tmp_path)).version == 1


def test_golden_follow_up_is_a_new_version_linked_to_the_first(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    authority.record_filing(uow, incident_id, "M-2026-004200", now + timedelta(hours=1), None, "po",
                            now + timedelta(hours=1), **rendering(profile, tmp_path))
    mailer = OutboxBackend(tmp_path / "outbox")
    approve_as_drafted(uow, profile, incident_id, now + timedelta(hours=2))
    services.notify_subjects(uow, profile, mailer, TEMPLATES, incident_id, None, now + timedelta(hours=2))
    filed = authority.record_follow_up(uow, profile, TEMPLATES, tmp_path / "notices", incident_id,
                                       "De betrokkenen zijn op 25 november per e-mail geïnformeerd (10.1).", None,
                                       now + timedelta(hours=3), "po", now + timedelta(hours=3))

    assert filed.version == 2
    follow_up_text = version_file(tmp_path, incident_id, 2).read_text(encoding="utf-8")
    assert_golden("drive-follow-up-v2.nl.txt", follow_up_text)
    # 10.1 quotes the words the people were sent, without any of their names
    told = follow_up_text[follow_up_text.index("10.1"):follow_up_text.index("10.2")]
    assert "Onderwerp: Belangrijk: datalek bij Qoers" in told and "Beste [naam]," in told
    with uow:
        names = [n for n in uow.session.scalars(select(SubjectRow.name).where(
            SubjectRow.incident_id == incident_id)) if n]
        kept = uow.session.execute(select(MessageTextRow.kind, MessageTextRow.language)).all()
        sent_in = set(uow.session.scalars(select(SubjectRow.language).where(SubjectRow.status == "sent")))
    assert names and not any(name in told for name in names)
    assert sorted(kept) == sorted(("subject_notice", language) for language in sent_in)  # once per language sent
    with uow:
        first, follow_up = uow.session.scalars(select(AuthorityFilingRow).order_by(AuthorityFilingRow.id)).all()
        assert follow_up.previous_id == first.id and follow_up.reference == "M-2026-004200"


def test_golden_register_document_for_the_ap_lists_every_breach_and_why_not_notified(uow, profile, now,
                                                                                      tmp_path):
    from incidents.export import register_entries, to_html

    drive_incident(uow, profile, now, tmp_path)
    newsletter_incident(uow, profile, now, tmp_path)
    third = services.report_incident(uow, profile, drive_report(now, title="Brochuremap gedeeld"), "po", now)
    services.dismiss(uow, third, "De map bevatte alleen openbare brochures, geen persoonsgegevens.", "po", now)

    html = to_html(TEMPLATES, "nl", register_entries(uow, now), profile, now)
    assert_golden("register.nl.html", html)
    assert "niet gemeld: geen datalek met persoonsgegevens" in html
    assert "De map bevatte alleen openbare brochures" in html


def authority_questions() -> list[str]:
    from incidents.authority_notice import QUESTIONS

    return [q.number for q in QUESTIONS if not q.late_only]


# --- filing and after: history intact --------------------------------------------------------------------

def test_a_late_filing_without_reasons_is_refused_and_writes_nothing(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    late = now + timedelta(hours=80)
    audit_before = count(uow, AuditRow)

    with pytest.raises(InvalidInput) as err:
        authority.record_filing(uow, incident_id, "M-1", late, "  ", "po", late, **rendering(profile, tmp_path))

    assert [e.field for e in err.value.errors] == ["--delay-reason"] and "art. 33(1)" in str(err.value)
    assert count(uow, AuthorityFilingRow) == 0 and count(uow, AuditRow) == audit_before
    assert not version_file(tmp_path, incident_id, 2).exists()


def test_a_late_filing_keeps_a_new_version_with_the_reasons_and_leaves_the_first_as_it_was(uow, profile, now,
                                                                                            tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    first = {p: p.read_bytes() for p in (tmp_path / "notices" / incident_id).iterdir()}
    late = now + timedelta(hours=80)

    authority.record_filing(uow, incident_id, "M-1", late, "De IT-deskundige was drie dagen onbereikbaar.", "po",
                            late, **rendering(profile, tmp_path))

    assert {p: p.read_bytes() for p in first} == first
    assert "Reden van de vertraging: De IT-deskundige was drie dagen onbereikbaar." in \
        version_file(tmp_path, incident_id, 2).read_text(encoding="utf-8")
    with uow:
        filing = uow.session.scalars(select(AuthorityFilingRow)).one()
        notice = uow.session.get(NoticeRow, filing.notice_id)
        assert notice.version == 2 and filing.filed_by == "po"


def test_a_filing_in_time_records_the_prepared_version(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    filed = authority.record_filing(uow, incident_id, " M-2026-1 ", now + timedelta(hours=2), None, "po",
                                    now + timedelta(hours=2), **rendering(profile, tmp_path))

    assert (filed.version, filed.late, filed.paths) == (1, False, [])
    with uow:
        assert uow.session.scalars(select(AuthorityFilingRow.reference)).one() == "M-2026-1"
    with pytest.raises(InvalidTransition, match="follow-up"):
        authority.record_filing(uow, incident_id, "M-2", now + timedelta(hours=3), None, "po",
                                now + timedelta(hours=3))


@pytest.mark.parametrize(("reference", "field"), [("", "--reference"), ("M-1\nM-2", "--reference"),
                                                  ("x" * 101, "--reference")])
def test_a_filing_needs_one_meldnummer(uow, profile, now, tmp_path, reference, field):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    with pytest.raises(InvalidInput) as err:
        authority.record_filing(uow, incident_id, reference, now, None, "po", now)
    assert err.value.errors[0].field == field


def test_follow_ups_and_withdrawal_keep_every_version_and_link_each_to_the_one_before(uow, profile, now,
                                                                                      tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    t = [now + timedelta(hours=h) for h in (1, 2, 3)]
    authority.record_filing(uow, incident_id, "M-10", t[0], None, "po", t[0])
    kept = {p: p.read_bytes() for p in (tmp_path / "notices" / incident_id).iterdir()}
    authority.record_follow_up(uow, profile, TEMPLATES, tmp_path / "notices", incident_id,
                               "Het einde van de inbreuk is nu bekend.", "M-11", t[1], "po", t[1])
    authority.record_withdrawal(uow, profile, TEMPLATES, tmp_path / "notices", incident_id,
                                "De map bleek alleen testbestanden zonder echte namen te bevatten.", None, t[2],
                                "po", t[2])

    assert {p: p.read_bytes() for p in kept} == kept  # nothing overwritten
    versions = authority.notice_versions(uow, incident_id)
    assert [(v.version, v.filing.kind if v.filing else None) for v in versions] == [
        (1, "first"), (2, "follow_up"), (3, "withdrawal")]
    assert [v.filing.reference for v in versions] == ["M-10", "M-11", "M-11"]
    assert versions[2].filing.previous_id == versions[1].filing.id
    assert versions[1].filing.previous_id == versions[0].filing.id
    withdrawal = version_file(tmp_path, incident_id, 3).read_text(encoding="utf-8")
    assert "Meldnummer van de melding die wordt ingetrokken: M-11" in withdrawal
    assert "alleen testbestanden" in withdrawal
    with pytest.raises(InvalidTransition, match="withdrawn"):
        authority.record_follow_up(uow, profile, TEMPLATES, tmp_path / "notices", incident_id,
                                   "Nog een wijziging na de intrekking.", None, t[2], "po", t[2])
    # the register (art. 33(5)) keeps the whole history: the first filing, the follow-up, the withdrawal
    from incidents.export import register_rows, to_csv

    (row,) = register_rows(uow, t[2])
    assert (row["authority_filed_at"], row["authority_reference"], row["authority_follow_ups"],
            row["authority_withdrawn_at"], row["authority_notice_versions"], row["authority_notification"]) == (
        iso(t[0]), "M-10", 1, iso(t[2]), 3, "withdrawn")
    assert "alleen testbestanden" in row["not_notified_reason"]
    assert [(f["kind"], f["reference"], f["version"]) for f in row["authority_filings"]] == [
        ("first", "M-10", 1), ("follow_up", "M-11", 2), ("withdrawal", "M-11", 3)]
    [cells] = list(csv.DictReader(io.StringIO(to_csv([row]))))
    assert (cells["authority_reference"], cells["authority_follow_ups"], cells["authority_notice_versions"]) == (
        "M-10", "1", "3")


def test_a_follow_up_before_the_first_filing_is_refused_with_the_way_forward(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    with pytest.raises(InvalidTransition, match="breach authority filed"):
        authority.record_follow_up(uow, profile, TEMPLATES, tmp_path / "notices", incident_id,
                                   "Het aantal betrokkenen is bekend.", None, now, "po", now)


def test_a_follow_up_says_what_changed(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    authority.record_filing(uow, incident_id, "M-10", now, None, "po", now)
    with pytest.raises(InvalidInput) as err:
        authority.record_follow_up(uow, profile, TEMPLATES, tmp_path / "notices", incident_id, "ok", None,
                                   now - timedelta(hours=1), "po", now)
    assert [e.field for e in err.value.errors] == ["--changes", "--at"]
    assert count(uow, AuthorityFilingRow) == 1


def test_audit_entries_of_filings_hold_ids_not_words(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    late = now + timedelta(hours=80)
    authority.record_filing(uow, incident_id, "M-77", late, "Vertraagd door ziekte van de privacycontactpersoon.",
                            "po", late, **rendering(profile, tmp_path))
    with uow:
        details = " ".join(uow.session.scalars(select(AuditRow.details)))
    assert "ziekte" not in details and "M-77" not in details


# --- hostile input stays inert -----------------------------------------------------------------------------

def test_html_in_any_free_text_field_is_escaped_in_the_printable_documents(uow, profile, now, tmp_path):
    from incidents.export import register_entries, to_html

    incident_id = drive_incident(uow, profile, now, tmp_path, title=f"Map {HOSTILE}", description=HOSTILE,
                                 reported_by=HOSTILE)
    late = now + timedelta(hours=80)
    authority.record_filing(uow, incident_id, "M-1", late, HOSTILE, "po", late, **rendering(profile, tmp_path))
    authority.record_follow_up(uow, profile, TEMPLATES, tmp_path / "notices", incident_id, HOSTILE, None, late,
                               "po", late)

    documents = [version_file(tmp_path, incident_id, v, lang, "html").read_text(encoding="utf-8")
                 for v in (1, 2, 3) for lang in ("nl", "en")]
    documents.append(to_html(TEMPLATES, "nl", register_entries(uow, late), profile, late))
    mailed = drive_incident(uow, profile, now, tmp_path, title=f"Map {HOSTILE}")
    authority.mail_authority_notice(uow, profile, OutboxBackend(tmp_path / "outbox"), TEMPLATES,
                                    tmp_path / "notices", mailed, None, now)
    eml = message_from_bytes(next((tmp_path / "outbox").rglob("*.eml")).read_bytes(), policy=policy.default)
    documents.append(eml.get_body(("html",)).get_content())
    for html in documents:
        assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "{{ 7*7 }}" in html and ">49<" not in html


# --- the internal e-mail ---------------------------------------------------------------------------------------

def test_the_privacy_contact_gets_the_notice_attached_with_the_hours_left_once(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    mailer = OutboxBackend(tmp_path / "outbox")

    outcome = authority.mail_authority_notice(uow, profile, mailer, TEMPLATES, tmp_path / "notices", incident_id,
                                              None, now)
    again = authority.mail_authority_notice(uow, profile, mailer, TEMPLATES, tmp_path / "notices", incident_id,
                                            None, now)

    assert (outcome.count, again.detail) == (1, "already sent")
    files = list((tmp_path / "outbox" / incident_id / "authority_mail").glob("*.eml"))
    eml = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert eml["To"].addresses[0].addr_spec == str(profile.privacy_contact.email)
    assert "nog 68,0 uur" in eml["Subject"]
    attached = {p.get_filename(): p.get_payload(decode=True) for p in eml.iter_attachments()}
    assert attached == {name: version_file(tmp_path, incident_id, 1, "nl", name.rsplit(".", 1)[1]).read_bytes()
                        for name in ("authority-notice-v1.nl.html", "authority-notice-v1.nl.txt")}
    body = eml.get_body(("plain",)).get_content()
    assert f"breach authority filed {incident_id} --reference MELDNUMMER" in body
    assert "5.2 Soort incident" in body  # the questions still open


def test_no_mail_once_the_notice_is_filed(uow, profile, now, tmp_path):
    incident_id = drive_incident(uow, profile, now, tmp_path)
    authority.record_filing(uow, incident_id, "M-1", now, None, "po", now)

    outcome = authority.mail_authority_notice(uow, profile, OutboxBackend(tmp_path / "outbox"), TEMPLATES,
                                              tmp_path / "notices", incident_id, None, now)
    assert outcome.detail == "the notice is filed already"
    assert not (tmp_path / "outbox").exists()


@pytest.mark.prism
def test_prism_accepts_the_mail_with_the_notice_attached(uow, profile, now, tmp_path, prism_url):  # noqa: F811
    from incidents.notify.sendgrid_backend import SendGridBackend

    incident_id = drive_incident(uow, profile, now, tmp_path)
    backend = SendGridBackend(api_key="SG.test", host=prism_url, max_attempts=1)
    outcome = authority.mail_authority_notice(uow, profile, backend, TEMPLATES, tmp_path / "notices",
                                              incident_id, None, now)
    assert outcome.count == 1


# --- the command line --------------------------------------------------------------------------------------

@pytest.fixture
def breach(workspace_env, capsys):
    """`breach authority ...` and `breach register ...` as the command wires them (add_commands)."""
    parser = argparse.ArgumentParser(prog="breach")
    parser.add_argument("--as", dest="actor")
    add_commands(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str) -> tuple[int, str, str]:
        args = parser.parse_args(argv)
        try:
            code = args.func(Workspace(), args)
        except BreachError as exc:
            sys.stderr.write(f"error: {exc}\n")
            code = 2
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def recorded(workspace_env):
    """An incident up to the prepared notice in the workspace the commands use; times around the real now."""
    from incidents.times import now_utc

    ws = Workspace()
    assert ws.settings.notices_dir == ws.settings.home / "notices"
    return drive_incident(ws.uow(), ws.profile, now_utc(), ws.settings.home)


def test_check_lists_the_open_questions_and_says_it_can_be_filed_as_a_first_notice(breach, recorded):
    code, out, _ = breach("authority", "check", recorded, "--lang", "nl")

    assert code == 0
    assert "Open vragen (5 van 27)" in out and "5.2  Soort incident" in out
    assert "ontbreekt: answers.incident_kind" in out
    assert "ontbreekt: subject_notice.finished_at" in out  # the people are told by the flow, later
    assert "Nu in te dienen als eerste melding" in out and "art. 33 lid 4" in out

    code, out, _ = breach("authority", "check", recorded, "--json")
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "phased" and data["can_file_now"] is True
    assert [q["number"] for q in data["unanswered"]] == ["1.3", "2.1", "2.2", "5.2", "10.1"]
    assert data["authority_clock"]["state"] == "running"


def test_check_after_72_hours_says_the_reasons_are_needed_and_exits_1(breach, workspace_env):
    from incidents.times import now_utc

    ws = Workspace()
    real = now_utc()
    report = drive_report(real).model_copy(update={"aware_at": real - timedelta(hours=75),
                                                   "discovered_at": real - timedelta(hours=76),
                                                   "occurred_until": real - timedelta(hours=75)})
    incident_id = services.report_incident(ws.uow(), ws.profile, report, "po", real)

    services.record_assessment(ws.uow(), ws.profile, incident_id, drive_assessment(), "it", real)
    services.record_decision(ws.uow(), incident_id, Decision(notify_authority=True, notify_subjects=False,
                                                             reason="gezondheidsgegevens, melden bij de AP"), "po",
                             real)
    code, out, _ = breach("authority", "check", incident_id, "--lang", "en")

    assert code == 1
    assert "Cannot be filed yet" in out and "4.5  Reasons for notifying after 72 hours" in out
    assert "--delay-reason" in out


def test_filed_follow_up_withdraw_on_the_command_line(breach, recorded):
    code, _, err = breach("--as", "Anne", "authority", "filed", recorded, "--reference", "M-2026-9", "--no-flow")
    assert code == 0 and "reference M-2026-9" in err

    code, _, err = breach("authority", "follow-up", recorded, "--changes", "Het einde is bekend.", "--draft")
    assert code == 0 and "authority-notice-draft.nl.html" in err
    code, _, err = breach("authority", "follow-up", recorded, "--changes", "Het einde is bekend.")
    assert code == 0 and "notice version 2" in err and "authority-notice-v2.nl.html" in err

    code, _, err = breach("authority", "withdraw", recorded, "--reason", "kort")
    assert code == 2 and "--reason" in err
    code, _, err = breach("authority", "withdraw", recorded, "--reason", "Alleen testgegevens, geen echte mensen.")
    assert code == 0 and "notice version 3" in err

    code, out, _ = breach("authority", "check", recorded, "--json")
    assert json.loads(out)["verdict"] == "withdrawn"
    assert [v["filing"]["kind"] for v in json.loads(out)["versions"]] == ["first", "follow_up", "withdrawal"]


def test_register_exports_as_a_printable_document_with_the_breaches_not_notified(breach, workspace_env):
    from incidents.times import now_utc

    ws = Workspace()
    real = now_utc()
    incident_id = services.report_incident(ws.uow(), ws.profile, drive_report(real), "po", real)
    services.record_assessment(ws.uow(), ws.profile, incident_id, drive_assessment(), "it", real)
    services.record_decision(ws.uow(), incident_id, Decision(
        notify_authority=False, notify_subjects=False,
        reason="Alleen de eigen medewerker zag de map; geen risico voor de coachees."), "po", real)

    code, out, _ = breach("register", "export", "--format", "html", "--lang", "nl")
    assert code == 0 and out.startswith("<!DOCTYPE html>")
    assert "niet gemeld: volgens het besluit niet nodig" in out
    assert "Alleen de eigen medewerker zag de map" in out

    code, out, _ = breach("register", "export", "--format", "json")
    row = json.loads(out)["register"][0]
    assert row["authority_notification"] == "not_required"
    assert row["not_notified_reason"].startswith("Alleen de eigen medewerker")
    code, out, _ = breach("register", "export")
    assert out.splitlines()[0].startswith("id,title,status")


def test_every_authority_command_explains_itself(breach, capsys):
    for argv in (["authority", "check", "--help"], ["authority", "filed", "--help"],
                 ["authority", "follow-up", "--help"], ["authority", "withdraw", "--help"],
                 ["register", "export", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            breach(*argv)
        assert exit_.value.code == 0
        assert "usage: breach" in capsys.readouterr().out


def test_report_yaml_example_is_a_valid_source_for_the_golden_case():
    # the golden drive case starts from examples/qoers/incident.yaml; a change there shows up in the goldens
    assert yaml.safe_load((EXAMPLES / "incident.yaml").read_text(encoding="utf-8"))["source"] == "data_subject"


def test_a_follow_up_after_72_hours_leaves_a_notice_filed_in_time_in_time(uow, profile, now, tmp_path):
    from incidents.views import incident_view

    incident_id = drive_incident(uow, profile, now, tmp_path)
    authority.record_filing(uow, incident_id, "M-10", now, None, "po", now)
    week = now + timedelta(days=7)
    authority.record_follow_up(uow, profile, TEMPLATES, tmp_path / "notices", incident_id,
                               "Het aantal betrokkenen is nu precies bekend.", "M-11", week, "po", week)
    with uow:
        view = incident_view(uow, incident_id, week)
    assert (view.authority_clock.state, view.authority_reference) == ("met", "M-10")
