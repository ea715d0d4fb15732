"""The public communication of art. 34(3)(c): written when telling each person would be disproportionate."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from incidents import services
from incidents.errors import InvalidInput, InvalidTransition
from incidents.lifecycle import Status
from incidents.model import AssessmentFacts
from incidents.register.tables import AuditRow, NoticeRow
from incidents.services.public_notice import (
    approve_public_notice,
    prepare_public_notice,
    publish_public_notice,
)
from incidents.workspace import Workspace
from tests.conftest import EXAMPLES
from tests.integration.test_register import a_report, the_assessment
from tests.integration.test_subjects_sql import breach

HOSTILE = "{{ 7*7 }} <script>alert(1)</script>"


def assessment(contact_effort: str = "disproportionate", **changes: object) -> AssessmentFacts:
    facts = the_assessment()
    subjects = facts.subjects.model_copy(update={"contact_effort": contact_effort, "count_min": 2000,
                                                 "count_max": 5000, "groups": ["nieuwsbriefabonnees"]})
    return facts.model_copy(update={"subjects": subjects, **changes})


class Incident:
    def __init__(self, now, facts: AssessmentFacts | None = None, decide: bool = True) -> None:  # type: ignore[no-untyped-def]
        self.ws = Workspace()
        self.now = now
        self.id = services.report_incident(self.ws.uow(), self.ws.profile, a_report(now), "po", now)
        services.record_assessment(self.ws.uow(), self.ws.profile, self.id, facts or assessment(), "it", now)
        if decide:
            services.decide(self.ws.uow(), self.id, "po", now, templates=self.ws.settings.templates_dir,
                            language="nl")

    def publish(self, url: str | None = None, approve: bool = True):  # type: ignore[no-untyped-def]
        """Write a version of the public communication and, unless told otherwise, approve it as written."""
        written = prepare_public_notice(self.ws.uow(), self.ws.profile, self.ws.settings.templates_dir,
                                        self.ws.settings.notices_dir, self.id, "po", self.now, url=url)
        if approve:
            approve_public_notice(self.ws.uow(), self.id, "po", self.now, version=written.version)
        return written

    def notices(self) -> list[tuple[int, str, str | None]]:
        with self.ws.uow() as uow:
            return [(n.version, n.status, n.location) for n in uow.session.scalars(
                select(NoticeRow).where(NoticeRow.kind == "public_notice").order_by(NoticeRow.version))]

    def audit(self) -> list[dict]:
        with self.ws.uow() as uow:
            return [json.loads(d) for d in uow.session.scalars(
                select(AuditRow.details).where(AuditRow.action == "public_notice_prepared"))]

    def folder(self):  # type: ignore[no-untyped-def]
        return self.ws.settings.notices_dir / self.id


def test_when_individual_contact_is_disproportionate_a_web_page_and_a_short_message_are_written(workspace_env, now):
    incident = Incident(now)
    notice = incident.publish(url="https://www.qoers.nl/datalek")
    names = sorted(p.name for p in notice.paths)
    assert names == sorted(f"public-{kind}-v1.{lang}.{ext}" for lang in ("nl", "en")
                           for kind, ext in (("notice", "html"), ("notice", "txt"), ("message", "txt")))
    assert notice.paths[0].name == "public-notice-v1.nl.html"
    page = notice.paths[0].read_text(encoding="utf-8")
    assert "<h1>Datalek bij Qoers</h1>" in page
    assert "2000 tot 5000 mensen: nieuwsbriefabonnees" in page and "info@qoers.nl" in page
    assert incident.id in page
    english = (incident.folder() / "public-notice-v1.en.html").read_text(encoding="utf-8")
    assert "<h1>Data breach at Qoers</h1>" in english and 'lang="en"' in english


def test_the_short_message_fits_a_social_media_post_and_points_to_the_page(workspace_env, now):
    incident = Incident(now)
    incident.publish(url="https://www.qoers.nl/datalek")
    for language in ("nl", "en"):
        message = (incident.folder() / f"public-message-v1.{language}.txt").read_text(encoding="utf-8").strip()
        assert len(message) <= 280, message
        assert "\n" not in message and message.endswith("https://www.qoers.nl/datalek")
        assert "nieuwsbriefabonnees" in message


def test_without_a_url_the_short_message_points_to_the_organisations_website(workspace_env, now):
    incident = Incident(now)
    incident.publish()
    message = (incident.folder() / "public-message-v1.nl.txt").read_text(encoding="utf-8")
    assert "https://www.qoers.nl" in message


def test_it_is_recorded_as_a_notice_and_audited_and_each_run_is_a_new_kept_version(workspace_env, now):
    incident = Incident(now)
    first, second = incident.publish(), incident.publish()
    assert (first.version, second.version) == (1, 2)
    assert all(p.exists() for p in first.paths + second.paths)
    assert [(v, s) for v, s, _ in incident.notices()] == [(1, "prepared"), (2, "prepared")]
    assert incident.notices()[0][2] == str(first.paths[0])
    assert [a["version"] for a in incident.audit()] == [1, 2]
    assert all(set(a) == {"version", "files", "recommended"} for a in incident.audit())


def test_nothing_about_the_people_on_the_list_is_in_the_public_notice(workspace_env, now):
    incident = Incident(now)
    services.import_subjects(incident.ws.uow(), incident.id, EXAMPLES / "subjects.csv", "po", now)
    notice = incident.publish()
    text = " ".join(p.read_text(encoding="utf-8") for p in notice.paths)
    assert "Anouk Verbeek" not in text and "anouk.verbeek@example.nl" not in text


def test_when_each_person_can_be_reached_it_is_refused_and_nothing_is_written(workspace_env, now):
    incident = Incident(now, assessment("individual"))
    with pytest.raises(InvalidTransition, match="contact_effort: disproportionate"):
        incident.publish()
    assert incident.notices() == [] and not incident.folder().exists()


def test_before_the_decision_it_is_refused(workspace_env, now):
    incident = Incident(now, decide=False)
    with pytest.raises(InvalidTransition, match="breach decide"):
        incident.publish()
    assert incident.notices() == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "www.qoers.nl", "https://x.nl/<script>", "https://a b"])
def test_a_url_that_is_not_a_web_address_is_refused(workspace_env, now, url):
    incident = Incident(now)
    with pytest.raises(InvalidInput) as err:
        incident.publish(url=url)
    assert err.value.errors[0].field == "--url"
    assert incident.notices() == []


def test_text_from_the_assessment_stays_text_in_the_page(workspace_env, now):
    incident = Incident(now, assessment(summary=HOSTILE, measures=HOSTILE))
    notice = incident.publish()
    page = notice.paths[0].read_text(encoding="utf-8")
    assert "<script>" not in page and html.escape(HOSTILE) in page and "49" not in re.sub(r"\d{4}", "", page)
    plain = notice.paths[1].read_text(encoding="utf-8")
    assert HOSTILE in plain  # plain text for pasting: as written


def test_breach_subjects_public_writes_it_and_says_where(workspace_env, now):
    incident = Incident(now)
    code, out, err = breach("public", incident.id, "--url", "https://www.qoers.nl/datalek")
    assert code == 0, err
    assert "version 1" in out and "public-notice-v1.nl.html" in out and "public-message-v1.en.txt" in out
    code, _, err = breach("public", incident.id, "--url", "ftp://x")
    assert code == 2 and "--url" in err


# --- publishing it: what tells the people -------------------------------------------------------------------

def status_of(incident: Incident) -> str:
    with incident.ws.uow() as uow:
        return uow.incident(incident.id).status


def test_a_written_communication_waits_to_be_published_and_publishing_it_tells_the_people(workspace_env, now):
    incident = Incident(now, decide=False)
    services.decide(incident.ws.uow(), incident.id, "po", now, notify_authority=False, notify_subjects=True,
                    reason="no risk to the people's rights that the AP must hear of; the list must be told",
                    templates=incident.ws.settings.templates_dir, language="nl")
    assert services.advance(incident.ws.uow(), incident.id, now) == ["subjects_list", "subject_notice_approval"]
    incident.publish()
    assert services.advance(incident.ws.uow(), incident.id, now) == ["public_notice_publication"]
    assert status_of(incident) == Status.AUTHORITY_NOT_REQUIRED

    online = now + timedelta(hours=2)
    assert publish_public_notice(incident.ws.uow(), incident.id, "po", now + timedelta(hours=3),
                                 published_at=online) == 1
    assert services.advance(incident.ws.uow(), incident.id, now) == ["closing"]
    assert status_of(incident) == Status.SUBJECTS_NOTIFIED
    with incident.ws.uow() as uow:
        row = uow.session.scalars(select(NoticeRow).where(NoticeRow.kind == "public_notice")).one()
        assert (row.status, row.finished_at) == ("published", online)
        audit = [json.loads(d) for d in uow.session.scalars(
            select(AuditRow.details).where(AuditRow.action == "public_notice_published"))]
    assert audit == [{"version": 1, "published_at": online.isoformat()}]
    from incidents.export import register_rows
    from incidents.times import iso

    (row,) = register_rows(incident.ws.uow(), now)
    assert (row["public_notice_published_at"], row["subjects_notified_at"]) == (iso(online), None)


def test_the_newest_version_is_published_by_default_and_recording_it_again_changes_nothing(workspace_env, now):
    incident = Incident(now)
    incident.publish(), incident.publish()
    assert publish_public_notice(incident.ws.uow(), incident.id, "po", now) == 2
    assert publish_public_notice(incident.ws.uow(), incident.id, "po", now) == 2
    assert [(v, s) for v, s, _ in incident.notices()] == [(1, "prepared"), (2, "published")]
    with incident.ws.uow() as uow:
        assert len(list(uow.session.scalars(select(AuditRow).where(
            AuditRow.action == "public_notice_published")))) == 1
    assert publish_public_notice(incident.ws.uow(), incident.id, "po", now, version=1) == 1


@pytest.mark.parametrize("when, version, field", [
    (timedelta(hours=1), None, "--at"),  # in the future
    (timedelta(hours=-1), None, "--at"),  # before the version was written
    (None, 3, "--version"),
])
def test_a_bad_moment_or_version_is_refused_naming_the_option_and_nothing_changes(workspace_env, now, when, version,
                                                                                  field):
    incident = Incident(now)
    incident.publish()
    with pytest.raises(InvalidInput) as refused:
        publish_public_notice(incident.ws.uow(), incident.id, "po", now,
                              published_at=None if when is None else now + when, version=version)
    assert refused.value.errors[0].field == field
    assert [(v, s) for v, s, _ in incident.notices()] == [(1, "prepared")]


def test_a_time_given_to_the_minute_the_version_was_written_is_that_moment(workspace_env, now):
    """The dashboard offers the current minute; a version written seconds into it is published no earlier."""
    written = now.replace(second=40)
    incident = Incident(written)
    incident.publish()
    publish_public_notice(incident.ws.uow(), incident.id, "po", written + timedelta(seconds=5),
                          published_at=written.replace(second=0))
    with incident.ws.uow() as uow:
        assert uow.session.scalars(select(NoticeRow.finished_at).where(
            NoticeRow.kind == "public_notice")).one() == written


def test_nothing_goes_online_before_a_person_approved_that_version(workspace_env, now):
    incident = Incident(now)
    incident.publish(approve=False)
    assert services.advance(incident.ws.uow(), incident.id, now) == ["authority_notice", "public_notice_approval"]
    with pytest.raises(InvalidTransition, match="not approved yet"):
        publish_public_notice(incident.ws.uow(), incident.id, "po", now)

    code, out, err = breach("public", incident.id, "--approve", "--version", "1", "--no-flow")
    assert code == 0 and "version 1" in out and "approved by" in out, err
    assert publish_public_notice(incident.ws.uow(), incident.id, "po", now) == 1
    with incident.ws.uow() as uow:
        approvals = [json.loads(d) for d in uow.session.scalars(
            select(AuditRow.details).where(AuditRow.action == "message_approved"))]
    assert [(a["kind"], a["version"]) for a in approvals] == [("public_notice", 1)]


def test_nothing_written_cannot_be_published(workspace_env, now):
    incident = Incident(now)
    with pytest.raises(InvalidTransition, match="no public communication yet; write it first"):
        publish_public_notice(incident.ws.uow(), incident.id, "po", now)


def test_breach_subjects_public_published_records_it(workspace_env, now):
    incident = Incident(now)
    incident.publish()
    code, _, err = breach("public", incident.id, "--at", "2026-11-25 12:00", "--no-flow")
    assert code == 2 and "--published" in err
    code, out, err = breach("public", incident.id, "--published", "--at", "2026-11-25 12:00", "--no-flow")
    assert code == 0, err
    assert "version 1: recorded as published" in out
    assert [(v, s) for v, s, _ in incident.notices()] == [(1, "published")]
    code, shown, err = run_cli("show", incident.id)
    assert code == 0, err
    assert "public_notice version 1: published, online since 2026-11-25 12:00 CET" in shown
    code, status, err = run_cli("subjects", "status", incident.id.lower())
    assert code == 0 and status.splitlines() == ["no people linked yet",
                                                 "public communication version 1 online since 2026-11-25 12:00 CET"]
    code, status, err = run_cli("subjects", "status", incident.id, "--json")
    assert json.loads(status)["public_notice"] == {"version": 1, "published_at": "2026-11-25T12:00:00+01:00"}
    with incident.ws.uow() as uow:
        published_at = uow.session.scalars(select(NoticeRow.finished_at).where(
            NoticeRow.kind == "public_notice")).one()
    assert published_at == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # 12:00 in Amsterdam is 11:00 UTC


def test_the_ap_notice_says_when_it_was_published_and_quotes_it(workspace_env, now):
    """Question 10.1 of the AP's form: how the people were told, when, and the text."""
    from incidents.services.authority import check_authority_notice, draft_authority_notice

    incident = Incident(now)
    incident.publish(url="https://www.qoers.nl/datalek")
    open_before = {a.number: a.missing for a in check_authority_notice(
        incident.ws.uow(), incident.ws.profile, incident.id, now).check.answers.unanswered}
    assert "public_notice.published_at" in open_before["10.1"]

    publish_public_notice(incident.ws.uow(), incident.id, "po", now + timedelta(hours=1))
    paths = draft_authority_notice(incident.ws.uow(), incident.ws.profile, incident.ws.settings.templates_dir,
                                   incident.ws.settings.notices_dir, incident.id, now + timedelta(hours=1))
    dutch = next(p for p in paths if p.name.endswith(".nl.txt")).read_text(encoding="utf-8")
    answer = dutch[dutch.index("10.1"):dutch.index("10.2")]
    assert "Daarom is een openbare mededeling gedaan" in answer
    assert "Gepubliceerd op: 2026-11-25 12:00 CET." in answer
    message = (incident.folder() / "public-message-v1.nl.txt").read_text(encoding="utf-8").strip()
    assert f"Kort bericht: {message}" in answer
    page = (incident.folder() / "public-notice-v1.nl.txt").read_text(encoding="utf-8").strip()
    assert page.splitlines()[0] in answer and page.splitlines()[-1] in answer
    english = next(p for p in paths if p.name.endswith(".en.txt")).read_text(encoding="utf-8")
    assert "Short message: " in english and "Published on: 2026-11-25 12:00 CET." in english


def run_cli(*argv: str) -> tuple[int, str, str]:
    """`breach ARGV...` as a person types it."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from breach import cli

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_sending_one_by_one_is_refused_when_a_public_communication_tells_the_people(workspace_env, now):
    incident = Incident(now)  # too many to contact one by one: the advice is a public communication
    with pytest.raises(InvalidTransition, match=f"told by a public communication.*breach subjects public "
                                                f"{incident.id}"):
        services.request_dispatch(incident.ws.uow(), incident.id, "po", now)
