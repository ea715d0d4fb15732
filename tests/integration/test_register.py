"""The register on SQLite and PostgreSQL: an incident from report to notices, through the service layer."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from incidents import audit, services
from incidents.errors import InvalidInput, InvalidTransition, UnknownIncident
from incidents.lifecycle import Status
from incidents.model import AssessmentFacts, Decision, IncidentReport
from incidents.notify.email import OutboxBackend
from incidents.register.tables import AuditRow, IncidentRow, SubjectRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.validation import load_document, parse_model
from incidents.views import incident_view
from tests.conftest import EXAMPLES
from tests.support.review import approve_as_drafted

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def a_report(now, **changes) -> IncidentReport:
    data = {
        "title": "Drive folder shared by public link",
        "description": "A folder with coaching reports was shared with anyone who has the link.",
        "discovered_at": (now - timedelta(hours=5)).isoformat(),
        "aware_at": (now - timedelta(hours=2)).isoformat(),
        "awareness_reason": "A short check confirmed that personal data were affected.",
        "source": "data_subject",
        "reported_by": "Privacycontact Qoers",
        "systems": ["Coachverslagen (Google Drive)"],
        **changes,
    }
    return parse_model(IncidentReport, data, "report")


def the_assessment() -> AssessmentFacts:
    return parse_model(AssessmentFacts, load_document(EXAMPLES / "assessment.yaml", "a"), "a")


def test_ids_are_numbered_per_year(uow, profile, now):
    first = services.report_incident(uow, profile, a_report(now), "po", now)
    second = services.report_incident(uow, profile, a_report(now), "po", now)
    assert (first, second) == ("DL-2026-0001", "DL-2026-0002")


def test_reports_at_once_in_a_year_without_incidents_each_get_their_own_id(database_url, profile, now):
    UnitOfWork(database_url)  # the schema, before the reporters start
    start, ids, failed = threading.Barrier(6), [], []

    def report() -> None:
        start.wait()
        try:
            ids.append(services.report_incident(UnitOfWork(database_url, prepare=False), profile, a_report(now),
                                                "po", now))
        except IntegrityError as exc:  # the year's counter made twice: a report refused
            failed.append(exc)

    threads = [threading.Thread(target=report) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failed, failed
    assert sorted(ids) == [f"DL-2026-000{n}" for n in range(1, 7)]


def test_a_reported_incident_is_in_the_register_with_its_clock(uow, profile, now):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    with uow:
        view = incident_view(uow, incident_id, now)
    assert view.status == Status.DETECTED
    assert view.authority_clock.due_at == view.aware_at + timedelta(hours=72)
    assert view.authority_clock.hours_left == pytest.approx(70.0)
    assert view.systems == ["Coachverslagen (Google Drive)"]
    assert view.aware_at.tzinfo is not None


def test_an_unknown_processor_or_system_writes_nothing(uow, profile, now):
    with pytest.raises(InvalidInput) as err:
        services.report_incident(uow, profile, a_report(now, source="processor:Dropbox", systems=["Excel"]), "po", now)
    assert {e.field for e in err.value.errors} == {"source", "systems.0"}
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(IncidentRow)) == 0
        assert uow.session.scalar(select(func.count()).select_from(AuditRow)) == 0


def test_a_processor_source_is_recorded_with_the_profiles_spelling(uow, profile, now):
    incident_id = services.report_incident(uow, profile, a_report(now, source="processor:google drive"), "po", now)
    with uow:
        assert uow.incident(incident_id).source_processor == "Google Drive"


def test_unknown_incident_id_is_a_clear_error(uow, profile, now):
    with pytest.raises(UnknownIncident, match="breach list"):
        services.record_decision(uow, "DL-2026-9999", Decision(notify_authority=True, notify_subjects=True,
                                                                reason="because it is high risk"), "po", now)


def test_deciding_before_the_assessment_is_refused(uow, profile, now):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    with pytest.raises(InvalidTransition, match="breach assess"):
        services.record_decision(uow, incident_id, Decision(notify_authority=True, notify_subjects=False,
                                                            reason="the AP must know about this"), "po", now)


def test_an_assessment_with_an_unknown_category_writes_nothing(uow, profile, now):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    facts = the_assessment().model_copy(update={"data": the_assessment().data.model_copy(
        update={"categories": ["coachverslagen", "horoscopes"]})})
    with pytest.raises(InvalidInput) as err:
        services.record_assessment(uow, profile, incident_id, facts, "it", now)
    assert err.value.errors[0].field == "data.categories.1"
    with uow:
        assert uow.incident(incident_id).status == Status.DETECTED
        assert uow.latest_assessment(incident_id) is None


def test_the_assessment_is_stored_as_rows_with_own_categories_mapped(uow, profile, now):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    services.record_assessment(uow, profile, incident_id, the_assessment(), "it", now)
    with uow:
        row = uow.latest_assessment(incident_id)
        assert {(c.category, c.vocabulary) for c in row.categories} >= {("coachverslagen", "health")}
        assert uow.incident(incident_id).status == Status.ASSESSED


def full_response(uow, profile, now, tmp_path, *, authority=True, subjects=True):
    mailer = OutboxBackend(tmp_path / "outbox")
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    services.alert_team(uow, profile, mailer, TEMPLATES, incident_id, None, now)
    services.record_assessment(uow, profile, incident_id, the_assessment(), "it", now)
    services.import_subjects(uow, incident_id, EXAMPLES / "subjects.csv", "po", now)
    services.record_decision(uow, incident_id, Decision(notify_authority=authority, notify_subjects=subjects,
                                                        reason="health data open to anyone: high risk"), "po", now)
    services.prepare_authority_notice(uow, profile, TEMPLATES, tmp_path / "notices", incident_id, now)
    if subjects:
        approve_as_drafted(uow, profile, incident_id, now)
    services.notify_subjects(uow, profile, mailer, TEMPLATES, incident_id, None, now)
    return incident_id, mailer


def test_the_whole_response_produces_notices_and_moves_the_lifecycle(uow, profile, now, tmp_path):
    incident_id, _mailer = full_response(uow, profile, now, tmp_path)
    assert services.advance(uow, incident_id, now) == ["authority_filing"]
    notice = tmp_path / "notices" / incident_id / "authority-notice-v1.nl.html"
    assert incident_id in notice.read_text(encoding="utf-8")
    sent = sorted((tmp_path / "outbox" / incident_id / "subject_notice").glob("*.eml"))
    with uow:
        counts = uow.subject_counts(incident_id)
    assert counts["sent"] == len(sent) and counts["unreachable"] >= 1
    first = message_from_bytes(sent[0].read_bytes(), policy=policy.default)
    assert first["To"].addresses[0].addr_spec.endswith(("example.com", "example.nl"))
    assert "-name-" not in first.get_body(("plain",)).get_content()

    services.record_filing(uow, incident_id, "M-123456", now + timedelta(hours=1), None, "po", now + timedelta(hours=1))
    assert services.advance(uow, incident_id, now) == ["closing"]
    with uow:
        assert uow.incident(incident_id).status == Status.SUBJECTS_NOTIFIED
    services.close(uow, incident_id, "all coachees informed; sharing policy changed", "po", now,
                   lessons="Sharing by link was open by default.", improvements="Sharing by link is now turned off.")
    with uow:
        assert uow.incident(incident_id).status == Status.CLOSED


def test_stages_run_again_do_nothing_twice(uow, profile, now, tmp_path):
    incident_id, mailer = full_response(uow, profile, now, tmp_path)
    before = sorted(p.stat().st_mtime_ns for p in (tmp_path / "outbox").rglob("*.eml"))
    again = services.alert_team(uow, profile, mailer, TEMPLATES, incident_id, None, now)
    assert again.detail == "already sent"
    assert services.notify_subjects(uow, profile, mailer, TEMPLATES, incident_id, None, now).detail == "already sent"
    assert services.prepare_authority_notice(uow, profile, TEMPLATES, tmp_path / "notices", incident_id,
                                             now).detail == "already prepared"
    assert sorted(p.stat().st_mtime_ns for p in (tmp_path / "outbox").rglob("*.eml")) == before


def test_no_authority_no_subjects_goes_straight_to_closing(uow, profile, now, tmp_path):
    incident_id, _ = full_response(uow, profile, now, tmp_path, authority=False, subjects=False)
    assert services.advance(uow, incident_id, now) == ["closing"]
    with uow:
        assert uow.incident(incident_id).status == Status.SUBJECTS_NOT_REQUIRED
        assert uow.notice(incident_id, "authority_notice") is None


def test_a_late_filing_needs_the_reasons_for_the_delay(uow, profile, now, tmp_path):
    incident_id, _ = full_response(uow, profile, now, tmp_path)
    late = now + timedelta(hours=80)
    with pytest.raises(InvalidInput) as err:
        services.record_filing(uow, incident_id, "M-1", late, None, "po", late)
    assert err.value.errors[0].field == "--delay-reason"
    filed = services.record_filing(uow, incident_id, "M-1", late, "the processor told us only on day three", "po",
                                   late, profile=profile, templates=TEMPLATES, notices_dir=tmp_path / "notices")
    assert filed.late and filed.version == 2


def test_importing_the_same_people_twice_links_them_once(uow, profile, now):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    first = services.import_subjects(uow, incident_id, EXAMPLES / "subjects.csv", "po", now)
    second = services.import_subjects(uow, incident_id, EXAMPLES / "subjects.csv", "po", now)
    assert first.added > 0 and second.added == 0 and second.already_linked == first.added


def test_a_bad_csv_links_nobody(uow, profile, now, tmp_path):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email,language\nAn,an@example.com,nl\nJean,jean@example.com,fr\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        services.import_subjects(uow, incident_id, bad, "po", now)
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(SubjectRow)) == 0


def test_dismissed_incident_stays_in_the_register(uow, profile, now):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    services.dismiss(uow, incident_id, "the folder held only public brochures", "po", now)
    with uow:
        view = incident_view(uow, incident_id, now)
    assert view.status == Status.DISMISSED and view.authority_clock.state == "not_required"


def test_audit_trail_verifies_and_detects_an_edit_and_a_deletion(uow, profile, now, tmp_path):
    full_response(uow, profile, now, tmp_path)
    with uow:
        count, problems = audit.verify(uow.session.scalars(select(AuditRow).order_by(AuditRow.seq)))
    assert count >= 6 and problems == []
    with uow:
        uow.session.execute(text("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2"))
        uow.session.execute(text("DELETE FROM audit_log WHERE seq = 4"))
        uow.commit()
    with uow:
        _, problems = audit.verify(uow.session.scalars(select(AuditRow).order_by(AuditRow.seq)))
    assert {p.seq for p in problems} == {2, 5}
    assert any("edited" in p.what for p in problems) and any("missing" in p.what for p in problems)


def test_a_kept_head_shows_entries_cut_off_the_end_and_a_rewritten_tail(uow, profile, now, tmp_path):
    full_response(uow, profile, now, tmp_path)

    def check(*kept: audit.Head) -> tuple[int, list[audit.Problem], audit.Head | None]:
        with uow:
            rows = list(uow.session.scalars(select(AuditRow).order_by(AuditRow.seq)))
            return (*audit.verify(rows, kept), audit.head_of(rows))

    count, problems, head = check()
    assert problems == [] and head is not None and head.seq == count
    kept = audit.parse_head(str(head))  # as a person copies it: ENTRY and 16 digits of the hash
    assert check(kept)[1] == []

    with uow:  # the last two entries deleted: the chain that is left still links up
        uow.session.execute(text("DELETE FROM audit_log WHERE seq > :seq"), {"seq": head.seq - 2})
        uow.commit()
    assert check()[1] == []  # the chain alone cannot tell
    assert [(p.seq, "cut off the end" in p.what) for p in check(kept)[1]] == [(head.seq, True)]

    with uow:  # and re-appended with other content, each entry hashed and linked anew
        for _ in range(2):
            audit.append(uow.session, at=now, actor="someone else", incident_id=None, action="covered_up",
                         details={})
        uow.commit()
    assert check()[1] == []
    assert [(p.seq, "rewritten" in p.what) for p in check(kept)[1]] == [(head.seq, True)]


def test_a_head_that_is_not_entry_colon_hash_is_refused_naming_the_option():
    from incidents.errors import InvalidInput

    for text_ in ("", "42", "42:xyz", "42:3f9a", "-1:3f9a0c1d2e4b5a69"):
        with pytest.raises(InvalidInput) as refused:
            audit.parse_head(text_)
        assert refused.value.errors[0].field == "--expect"


def test_audit_entries_hold_no_personal_data(uow, profile, now, tmp_path):
    full_response(uow, profile, now, tmp_path)
    with uow:
        details = " ".join(uow.session.scalars(select(AuditRow.details)))
        names = [n for n in uow.session.scalars(select(SubjectRow.name)) if n]
    assert "@" not in details
    assert not any(name in details for name in names)


def test_migrations_build_the_same_schema_as_the_tables(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from incidents.register.db import engine_for, migrate
    from incidents.register.tables import Base

    migrate(database_url)
    with engine_for(database_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_every_migration_can_be_undone_and_redone(database_url):
    from alembic import command

    from incidents.register.db import alembic_config, current_revision, engine_for

    config = alembic_config(database_url)
    with engine_for(database_url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        command.downgrade(config, "base")
        command.upgrade(config, "head")
    from incidents.register.db import SCHEMA_HEAD

    assert current_revision(database_url) == SCHEMA_HEAD


def test_a_register_of_an_earlier_release_upgrades_with_its_people_and_its_written_public_notice(database_url):
    """0005 -> head: the people stay linked, a public communication recorded 'done' (written) becomes 'prepared'
    (written, not known to be online), and the new table is there, empty."""
    from alembic import command

    from incidents.register.db import alembic_config, engine_for, migrate

    config = alembic_config(database_url)
    with engine_for(database_url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    with engine_for(database_url).begin() as connection:
        connection.execute(text(
            "INSERT INTO incidents (id, title, description, source_kind, reported_by, aware_at, discovered_at, "
            "reported_at, status, status_changed_at, authority_due_at) VALUES ('DL-2026-0001', 't', 'd', "
            "'internal', 'po', '2026-11-25 10:00:00+00', '2026-11-25 09:00:00+00', '2026-11-25 10:00:00+00', "
            "'assessed', '2026-11-25 10:00:00+00', '2026-11-28 10:00:00+00')"))
        connection.execute(text(
            "INSERT INTO notices (incident_id, kind, version, status, started_at, finished_at, recipients, backend) "
            "VALUES ('DL-2026-0001', 'public_notice', 1, 'done', '2026-11-25 10:00:00+00', "
            "'2026-11-25 10:00:00+00', 0, 'file')"))
        connection.execute(text(
            "INSERT INTO subjects (incident_id, name, email, email_key, language, status, source_line) "
            "VALUES ('DL-2026-0001', 'An', 'an@example.nl', 'an@example.nl', 'nl', 'pending', 2)"))
    migrate(database_url)
    with engine_for(database_url).connect() as connection:
        assert connection.execute(text("SELECT status, finished_at FROM notices")).all() == [("prepared", None)]
        assert connection.execute(text("SELECT email, status FROM subjects")).all() == [("an@example.nl", "pending")]
        assert connection.execute(text("SELECT count(*) FROM message_texts")).scalar() == 0


def test_a_register_before_the_stored_findings_gets_them_from_its_recommendations_and_assessments(
        uow, profile, now, database_url):
    """0009 -> head: each recommendation's legal findings come from the reasons stored with it and its
    assessment, the same as the engine stores them today."""
    from alembic import command

    from incidents.register.db import alembic_config, engine_for, migrate
    from incidents.views import latest_recommendations

    shared = the_assessment().model_dump()
    cases = {
        "high": {},
        "encrypted": {"protection": {"encryption": "state_of_the_art"}},
        "criminal, disproportionate": {"data": {**shared["data"], "categories": ["name", "criminal"]},
                                       "subjects": {**shared["subjects"], "contact_effort": "disproportionate"},
                                       "containment": {"measures_make_high_risk_unlikely": True}},
    }
    stored = {}
    for name, changes in cases.items():
        incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
        services.record_assessment(uow, profile, incident_id, AssessmentFacts.model_validate({**shared, **changes}),
                                   "it", now)
        with uow:
            stored[name] = incident_view(uow, incident_id, now).recommendation.findings
    assert stored["high"].high_risk and stored["high"].special_categories and not stored["high"].exemptions
    assert stored["encrypted"].unintelligible == "encryption"
    assert stored["criminal, disproportionate"].criminal_data
    assert stored["criminal, disproportionate"].exemptions == ["measures", "public_communication"]
    config = alembic_config(database_url)
    with engine_for(database_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    migrate(database_url)
    with uow:
        rows = [latest_recommendations(uow, row.id)[0] for row in uow.incidents()]
        assert [incident_view(uow, r.incident_id, now).recommendation.findings for r in rows] == list(stored.values())


def test_a_register_of_the_previous_release_shows_both_tracks_and_its_audit_chain_verifies(
        uow, profile, now, tmp_path, database_url):
    """0008 (the release before the tracks) -> head: each incident's tracks come from its decision, filings and
    notices; nothing was stored to migrate but how many questions a filing left open, which an older filing does
    not know (it reads "filed"). The audit chain is untouched."""
    from alembic import command

    from incidents.register.db import alembic_config, engine_for, migrate

    told_filed, _ = full_response(uow, profile, now, tmp_path)
    services.record_filing(uow, told_filed, "M-1", now + timedelta(hours=1), None, "po", now + timedelta(hours=1))
    to_file, _ = full_response(uow, profile, now, tmp_path / "second")
    undecided = services.report_incident(uow, profile, a_report(now), "po", now)

    def states() -> dict[str, tuple[str, str]]:
        with uow:
            return {i: (incident_view(uow, i, now).tracks.authority.state.value,
                        incident_view(uow, i, now).tracks.people.state.value) for i in (told_filed, to_file, undecided)}

    before = states()
    assert before == {told_filed: ("filed", "told"), to_file: ("to_file", "told"),
                      undecided: ("undecided", "undecided")}
    config = alembic_config(database_url)
    with engine_for(database_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    migrate(database_url)
    assert states() == before
    with uow:
        count, problems = audit.verify(uow.session.scalars(select(AuditRow).order_by(AuditRow.seq)))
    assert count > 10 and problems == []


def test_a_list_of_values_as_one_parameter_finds_exactly_the_rows_listed(uow, profile, now):
    """incident_views asks for the incidents of a page or a chunk as one parameter (json_each on SQLite, an array
    on PostgreSQL): the same rows as `IN (...)`, for text and integer keys, odd characters and an empty list."""
    from incidents.register.tables import OrganisationRow
    from incidents.register.unit_of_work import any_of

    ids = [services.report_incident(uow, profile, a_report(now), "po", now) for _ in range(3)]
    with uow:
        dialect = uow.session.connection().dialect.name
        for wanted in ([ids[0], ids[2]], [ids[1], "DL-0000-'; DROP TABLE incidents; --", "é\"x"], [], ids * 2):
            found = uow.session.scalars(select(IncidentRow.id).where(any_of(IncidentRow.id, wanted, dialect)))
            assert sorted(found) == sorted(set(wanted) & set(ids))
        organisations = uow.session.scalars(select(OrganisationRow.id)).all()
        assert list(uow.session.scalars(select(OrganisationRow.id).where(
            any_of(OrganisationRow.id, [*organisations, 10**9], dialect)))) == sorted(organisations)


@pytest.mark.parametrize(("stored", "read"), [
    (None, None),  # as the register writes it: UTC without an offset, to the microsecond
    ("2026-11-25 09:00:00.000250", datetime(2026, 11, 25, 9, 0, 0, 250, tzinfo=UTC)),
    ("2026-11-25T10:00:00+01:00", datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),  # written with an offset of its own
    ("2026-11-25", datetime(2026, 11, 25, 0, 0, tzinfo=UTC)),  # a date alone
    ("2026-11-25T10:00:00.250+01", datetime(2026, 11, 25, 9, 0, 0, 250000, tzinfo=UTC)),  # as long as ours
])
def test_sqlite_times_are_read_as_aware_utc_whatever_text_holds_them(tmp_path, profile, now, stored, read):
    uow = UnitOfWork(f"sqlite:///{tmp_path / 'register.db'}")
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    with uow:
        if stored is not None:
            uow.session.execute(text("UPDATE incidents SET discovered_at = :v WHERE id = :id"),
                                {"v": stored, "id": incident_id})
        row = uow.session.connection().execute(select(IncidentRow.discovered_at, IncidentRow.reported_at)).one()
    assert row.discovered_at == (read or a_report(now).discovered_at) and row.discovered_at.tzinfo is UTC
    assert row.reported_at == now and row.reported_at.tzinfo is UTC
