"""An organisation's own wording, on SQLite and PostgreSQL: a profile's folder of templates replaces the shipped
ones of the same name for that organisation's messages alone; it is rehearsed before it is accepted (a template
that does not render, or one that may not be replaced, refuses the profile and nothing is recorded), and it is
kept with the profile's version, so a closed incident keeps the words it was handled under."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from incidents import services
from incidents.config import SHIPPED_TEMPLATES
from incidents.services import organisations
from incidents.workspace import Workspace
from tests.conftest import EXAMPLES
from tests.integration.test_organisations import jansen_profile
from tests.support.decided import decided

SHIPPED_LINE = "Wij nemen graag de tijd voor u."
OWN_LINE = "Bel de bakker gerust, ook op zaterdag."
OWN_SUBJECT = "[Bakkerij datalek {{ incident.id }}] {{ incident.title }}\n"


def with_wording(tmp_path: Path, files: dict[str, str], name: str = "jansen") -> Path:
    """The bakery's profile with `wording: wording/` and these files in that folder."""
    profile = jansen_profile(tmp_path)
    folder = tmp_path / f"{name}-wording"
    for file, text in files.items():
        (folder / file).parent.mkdir(parents=True, exist_ok=True)
        (folder / file).write_text(text, encoding="utf-8")
    path = tmp_path / f"{name}.yaml"
    path.write_text(profile.read_text(encoding="utf-8") + f"wording: {folder.name}/\n", encoding="utf-8")
    return path


def own_proposal() -> str:
    text = (SHIPPED_TEMPLATES / "nl" / "subjects" / "_proposal.j2").read_text(encoding="utf-8")
    assert SHIPPED_LINE in text
    return text.replace(SHIPPED_LINE, OWN_LINE)


def test_an_organisations_own_wording_is_used_for_its_messages_alone(cli, tmp_path):
    from flows.response import alert_incident_team, draft_message_to_people

    code, _, err = cli("org", "add", "jansen", str(with_wording(tmp_path, {
        "nl/subjects/_proposal.j2": own_proposal(), "nl/team/alert.subject.j2": OWN_SUBJECT})))
    assert code == 0, err
    report = str(EXAMPLES / "incident.yaml")
    theirs = cli("--org", "jansen", "report", report, "--no-flow")[1].strip()
    own = cli("--org", "default", "report", report, "--no-flow")[1].strip()
    ws = Workspace()
    for incident_id in (theirs, own):
        decided(ws, incident_id, datetime.now(UTC), notice=False)
        draft_message_to_people.fn(incident_id)  # the response flow's task
        alert_incident_team.fn(incident_id)
    theirs_text = services.latest_version(ws.uow(), theirs).rendered["nl"].text
    own_text = services.latest_version(ws.uow(), own).rendered["nl"].text
    assert OWN_LINE in theirs_text and SHIPPED_LINE not in theirs_text
    assert SHIPPED_LINE in own_text and OWN_LINE not in own_text  # Qoers keeps the shipped words
    assert "What happened" not in theirs_text  # (one language per message: the Dutch one)

    def subjects(incident_id: str) -> set[str]:
        folder = ws.settings.outbox / incident_id / "team_alert"
        return {str(message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]) for p in folder.glob("*.eml")}

    assert subjects(theirs) and all(s.startswith(f"[Bakkerij datalek {theirs}]") for s in subjects(theirs))
    assert all(s.startswith(f"[Datalek {own} (Qoers)]") for s in subjects(own))


def test_wording_that_does_not_render_is_refused_naming_the_template_and_nothing_is_recorded(cli, tmp_path):
    broken = own_proposal().replace("{% set pc = privacy_contact %}", "{% set pc = organisation.opening_hours %}")
    code, _, err = cli("org", "add", "jansen", str(with_wording(tmp_path, {"nl/subjects/_proposal.j2": broken})))
    assert code == 2
    assert "wording.nl/subjects/_proposal.j2: does not render" in err and "opening_hours" in err
    code, _, err = cli("org", "add", "jansen", str(with_wording(tmp_path, {"en/team/alert.subject.j2": "{% if %}"},
                                                                 name="syntax")))
    assert code == 2 and "wording.en/team/alert.subject.j2: does not render (line 1)" in err
    assert [o.slug for o in organisations.organisations(Workspace().uow())] == ["default"]


def test_only_the_messages_may_be_reworded_and_template_tricks_stay_inert(cli, tmp_path):
    code, _, err = cli("org", "add", "jansen", str(with_wording(tmp_path, {"nl/authority/notice.txt.j2": "x"})))
    assert code == 2 and "'nl/authority/notice.txt.j2' is not a template an organisation may word itself" in err
    hostile = OWN_SUBJECT.replace("{{ incident.title }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    code, _, err = cli("org", "add", "jansen", str(with_wording(tmp_path, {"nl/team/alert.subject.j2": hostile},
                                                                 name="hostile")))
    assert code == 2 and "does not render" in err  # the sandbox refuses it; no Python object is reached
    missing = tmp_path / "nowhere.yaml"
    missing.write_text(jansen_profile(tmp_path).read_text(encoding="utf-8") + "wording: not-there/\n",
                       encoding="utf-8")
    code, _, err = cli("org", "add", "jansen", str(missing))
    assert code == 2 and "not-there does not exist" in err


def test_a_closed_incident_keeps_the_wording_it_was_handled_under(cli, tmp_path):
    assert cli("org", "add", "jansen", str(with_wording(tmp_path, {
        "nl/subjects/_proposal.j2": own_proposal()})))[0] == 0
    report = str(EXAMPLES / "incident.yaml")
    closed = cli("--org", "jansen", "report", report, "--no-flow")[1].strip()
    assert cli("dismiss", closed, "--reason", "only test data of the bakery, no real customers")[0] == 0
    newer = own_proposal().replace(OWN_LINE, "Mail de bakker, wij antwoorden binnen een dag.")
    code, out, _ = cli("org", "update", "jansen", str(with_wording(tmp_path, {"nl/subjects/_proposal.j2": newer},
                                                                   name="jansen-2")))
    assert code == 0 and "version 2" in out
    open_one = cli("--org", "jansen", "report", report, "--no-flow")[1].strip()
    ws = Workspace()
    old = (ws.templates_for(closed) / "nl" / "subjects" / "_proposal.j2").read_text(encoding="utf-8")
    new = (ws.templates_for(open_one) / "nl" / "subjects" / "_proposal.j2").read_text(encoding="utf-8")
    assert OWN_LINE in old and "binnen een dag" in new
    assert ws.templates_for(closed) != ws.templates_for(open_one)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_workspaces_own_profile_file_may_carry_wording_too(cli, tmp_path, workspace_env, monkeypatch, language):
    """The default organisation's profile is the workspace's file: its wording is rehearsed when a new version of
    the file is read, and a broken one stops the command with the template named."""
    subject = OWN_SUBJECT if language == "nl" else "[Own words {{ incident.id }}]\n"
    path = with_wording(tmp_path, {f"{language}/team/alert.subject.j2": subject}, name="default")
    monkeypatch.setenv("BREACH_PROFILE", str(path))
    code, out, err = cli("report", str(EXAMPLES / "incident.yaml"), "--no-flow")
    assert code == 0, err
    used = Workspace().templates_for(out.strip()) / language / "team" / "alert.subject.j2"
    assert used.read_text(encoding="utf-8") == subject.strip()  # (a profile's texts are kept stripped)
    (tmp_path / "default-wording" / language / "team" / "alert.subject.j2").write_text("{{ nope(", encoding="utf-8")
    code, _, err = cli("show", out.strip())
    assert code == 2 and f"wording.{language}/team/alert.subject.j2: does not render" in err
