"""The recommendation in the workflow, on SQLite and PostgreSQL: stored with each assessment, the default of the
decision, a departure only with a written justification in the register and the audit trail, a changed advice
flagged; and `breach recommend` on its own."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete, func, select

from incidents.errors import BreachError, InvalidInput
from incidents.model import AssessmentFacts, Decision
from incidents.register.tables import (
    AuditRow,
    DecisionRow,
    RecommendationReasonRow,
    RecommendationRow,
)
from incidents.services.intake import decide, record_assessment, record_decision, report_incident
from incidents.services.recommendation import explain_incident, recommendation_of, scope_of
from incidents.times import now_utc
from incidents.views import incident_view
from incidents.workspace import Workspace
from tests.conftest import EXAMPLES
from tests.integration.test_register import a_report, the_assessment

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
CASES = sorted((ROOT / "tests" / "cases").glob("*.yaml"))


def encrypted(facts: AssessmentFacts) -> AssessmentFacts:
    """The example's facts, had the folder been encrypted with a safe key: no notification at all."""
    return facts.model_copy(update={"protection": facts.protection.model_copy(
        update={"encryption": "state_of_the_art", "key_compromised": False})})


def assessed(uow, profile, now, facts: AssessmentFacts | None = None) -> str:
    incident_id = report_incident(uow, profile, a_report(now), "po", now)
    record_assessment(uow, profile, incident_id, facts or the_assessment(), "it", now)
    return incident_id


def actions(uow, incident_id: str) -> list[str]:
    with uow:
        return list(uow.session.scalars(select(AuditRow.action).where(AuditRow.incident_id == incident_id)
                                        .order_by(AuditRow.seq)))


def audit_details(uow, incident_id: str, action: str) -> dict:
    with uow:
        row = uow.session.scalars(select(AuditRow).where(AuditRow.incident_id == incident_id,
                                                         AuditRow.action == action)).one()
        return json.loads(row.details)


def test_the_recommendation_is_stored_with_the_assessment(uow, profile, now):
    incident_id = assessed(uow, profile, now)
    with uow:
        view = incident_view(uow, incident_id, now)
        reasons = uow.session.scalar(select(func.count()).select_from(RecommendationReasonRow))
    r = view.recommendation
    assert r is not None and (r.score, r.level) == (4.5, "very_high")
    assert (r.notify_authority, r.notify_subjects, r.public_communication) == (True, True, False)
    assert r.changed is False and reasons == len(r.lines)
    assert [li.code for li in r.lines][:1] == ["dpc_base"] and r.lines[0].detail == "health"
    assert "recommendation_computed" in actions(uow, incident_id)
    assert audit_details(uow, incident_id, "recommendation_computed")["level"] == "very_high"


def test_the_stored_recommendation_reads_in_the_chosen_language(uow, profile, now):
    incident_id = assessed(uow, profile, now)
    nl = explain_incident(uow, incident_id, TEMPLATES, "nl")
    en = explain_incident(uow, incident_id, TEMPLATES, "en")
    assert nl is not None and en is not None
    assert "coachverslagen (gezondheid)" in nl["severity"]["breakdown"][0]
    assert any("Notify the Dutch Data Protection Authority" in r["text"] for r in en["reasons"])
    assert nl["changed"] is False


def test_the_decision_defaults_to_the_recommendation(uow, profile, now):
    incident_id = assessed(uow, profile, now)
    decide(uow, incident_id, "po", now, templates=TEMPLATES, language="nl")
    with uow:
        decision = uow.latest_decision(incident_id)
        recommendation = uow.session.scalars(select(RecommendationRow)).one()
        assert (decision.notify_authority, decision.notify_subjects) == (True, True)
        assert decision.follows_recommendation is True and decision.recommendation_id == recommendation.id
        # the controller's reasoning in sentences, the advice's factors in words, cited as Dutch law is cited
        assert decision.reason.startswith("Wij melden het datalek bij de Autoriteit Persoonsgegevens: het brengt "
                                          "waarschijnlijk een risico mee")
        assert "Wij informeren de betrokkenen onverwijld" in decision.reason and "zeer hoog" in decision.reason
        assert "(art. 33 lid 1 AVG)" in decision.reason
        assert "GDPR" not in decision.reason and "[" not in decision.reason and "4,5" not in decision.reason
    assert "decision_departs_from_recommendation" not in actions(uow, incident_id)
    assert audit_details(uow, incident_id, "decision_recorded")["follows_recommendation"] is True


def test_one_answer_given_the_other_defaults(uow, profile, now):
    incident_id = assessed(uow, profile, now)
    decide(uow, incident_id, "po", now, notify_authority=True, reason="as advised; the AP must know this",
           templates=TEMPLATES)
    with uow:
        decision = uow.latest_decision(incident_id)
        assert (decision.notify_authority, decision.notify_subjects, decision.follows_recommendation) == (
            True, True, True)
        assert decision.reason == "as advised; the AP must know this"


def test_departing_from_the_recommendation_without_a_justification_is_refused_and_writes_nothing(uow, profile, now):
    incident_id = assessed(uow, profile, now)
    before = actions(uow, incident_id)
    with pytest.raises(InvalidInput) as err:
        decide(uow, incident_id, "po", now, notify_subjects=False, templates=TEMPLATES)
    assert err.value.errors[0].field == "--reason" and "departs from the recommendation" in str(err.value)
    with uow:
        assert uow.latest_decision(incident_id) is None
    assert actions(uow, incident_id) == before


def test_a_justified_departure_is_kept_in_the_register_and_the_audit_trail(uow, profile, now):
    incident_id = assessed(uow, profile, now)
    justification = "the coachees were told in person the same day; a letter adds nothing"
    decide(uow, incident_id, "po", now, notify_subjects=False, reason=justification, templates=TEMPLATES)
    with uow:
        decision = uow.latest_decision(incident_id)
        assert (decision.notify_authority, decision.notify_subjects) == (True, False)
        assert decision.follows_recommendation is False and decision.reason == justification
    details = audit_details(uow, incident_id, "decision_departs_from_recommendation")
    assert details["recommended"]["notify_subjects"] is True and details["decided"]["notify_subjects"] is False
    assert justification not in json.dumps(details)  # free text stays out of the audit trail


def test_a_decision_with_both_answers_is_compared_with_the_recommendation_too(uow, profile, now):
    incident_id = assessed(uow, profile, now)
    record_decision(uow, incident_id, Decision(notify_authority=False, notify_subjects=False,
                                               reason="the link was never opened by anyone but the coachee"),
                    "po", now)
    with uow:
        assert uow.latest_decision(incident_id).follows_recommendation is False
    assert "decision_departs_from_recommendation" in actions(uow, incident_id)


def test_a_replaced_assessment_recomputes_and_flags_a_changed_advice(uow, profile, now):
    incident_id = assessed(uow, profile, now)
    record_assessment(uow, profile, incident_id, encrypted(the_assessment()), "it", now + timedelta(hours=1))
    r = recommendation_of(uow, incident_id)
    assert r is not None and r.changed is True
    assert (r.notify_authority, r.notify_subjects) == (False, False)
    assert r.previous == {"notify_authority": True, "notify_subjects": True, "public_communication": False}
    details = audit_details(uow, incident_id, "recommendation_changed")
    assert details["before"]["notify_authority"] is True and details["after"]["notify_authority"] is False
    described = explain_incident(uow, incident_id, TEMPLATES, "en")
    assert described is not None and described["changed"] is True

    record_assessment(uow, profile, incident_id, encrypted(the_assessment()), "it", now + timedelta(hours=2))
    r = recommendation_of(uow, incident_id)
    assert r is not None and r.changed is False
    assert actions(uow, incident_id).count("recommendation_changed") == 1


def test_the_decision_follows_the_latest_recommendation(uow, profile, now):
    incident_id = assessed(uow, profile, now)
    record_assessment(uow, profile, incident_id, encrypted(the_assessment()), "it", now)
    decide(uow, incident_id, "po", now, templates=TEMPLATES, language="en")
    with uow:
        decision = uow.latest_decision(incident_id)
        assert (decision.notify_authority, decision.notify_subjects, decision.follows_recommendation) == (
            False, False, True)
        assert decision.reason.startswith("We do not notify the Dutch Data Protection Authority (AP)")


def test_an_assessment_recorded_before_the_engine_gets_its_recommendation_when_deciding(uow, profile, now):
    incident_id = assessed(uow, profile, now)
    with uow:
        uow.session.execute(delete(RecommendationReasonRow))
        uow.session.execute(delete(RecommendationRow))
        uow.commit()
    decide(uow, incident_id, "po", now, templates=TEMPLATES)
    with uow:
        decision = uow.session.scalars(select(DecisionRow)).one()
        assert decision.follows_recommendation is True and decision.recommendation_id is not None


def test_the_inventory_proposes_the_scope_and_points_out_what_the_assessment_left_out(uow, profile, now):
    incident_id = report_incident(uow, profile, a_report(now), "po", now)
    proposal, check = scope_of(uow, profile, incident_id)
    assert proposal.categories == ["coachverslagen", "naam", "contactgegevens"]
    assert (proposal.count_min, proposal.count_max, check) == (150, 150, None)
    record_assessment(uow, profile, incident_id, the_assessment(), "it", now)
    _, check = scope_of(uow, profile, incident_id)
    assert check is not None and check.missing == ["name"] and not check.extra and not check.count_above


# --- `breach recommend` ----------------------------------------------------------------------------------

@pytest.fixture
def breach(workspace_env, capsys):
    """Runs the `breach` command: through breach.cli once `recommend` is wired there, else its own parser."""
    from breach import cli
    from breach.recommend_cmd import add_commands

    wired = " recommend " in cli.parser().format_help()

    def run(*args: str) -> tuple[int, str, str]:
        if wired:
            code = cli.main(list(args))
        else:
            p = argparse.ArgumentParser(prog="breach")
            add_commands(p.add_subparsers(dest="command", required=True))
            parsed = p.parse_args(list(args))
            try:
                code = parsed.func(Workspace(), parsed)
            except BreachError as exc:
                print(f"error: {exc}", file=sys.stderr)
                code = 2
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_recommend_prints_the_json_for_an_assessment_file(breach, monkeypatch):
    monkeypatch.delenv("BREACH_LANGUAGE")  # then the CLI speaks the profile's language
    code, out, _ = breach("recommend", str(EXAMPLES / "assessment.yaml"), "--json")
    data = json.loads(out)
    assert code == 0
    assert data["severity"]["score"] == 4.5 and data["severity"]["level"] == "very_high"
    assert (data["notify_authority"], data["notify_subjects"], data["public_communication"]) == (True, True, False)
    assert all(r["text"] and r["source"] for r in data["reasons"])
    assert "Autoriteit Persoonsgegevens" in " ".join(r["text"] for r in data["reasons"])  # the profile's language


def test_recommend_gives_the_edpbs_answer_for_every_worked_case(breach, tmp_path):
    for path in CASES:
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        file = tmp_path / f"{path.stem}.json"
        file.write_text(json.dumps(case["assessment"]), encoding="utf-8")
        code, out, _ = breach("recommend", str(file), "--json", "--lang", "en")
        data = json.loads(out)
        assert code == 0
        assert (data["notify_authority"], data["notify_subjects"]) == (
            case["expected"]["notify_authority"], case["expected"]["notify_subjects"]), path.stem


def test_recommend_without_json_explains_in_words(breach):
    code, out, _ = breach("recommend", str(EXAMPLES / "assessment.yaml"), "--lang", "en")
    assert code == 0
    assert "Notify the Dutch Data Protection Authority (GDPR art. 33):  yes" in out
    assert "Severity by ENISA (2013): 4.5, very high" in out and "[GDPR art. 34(1)" in out


def test_recommend_refuses_an_unknown_category_naming_the_field(breach, tmp_path):
    data = yaml.safe_load((EXAMPLES / "assessment.yaml").read_text(encoding="utf-8"))
    data["data"]["categories"] = ["coachverslagen", "horoscopes"]
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, out, err = breach("recommend", str(file), "--json")
    assert code == 2 and out == "" and "data.categories.1" in err


def test_recommend_scope_proposes_from_the_inventory(breach):
    ws = Workspace()
    incident_id = report_incident(ws.uow(), ws.profile, a_report(now_utc()), "po", now_utc())
    code, out, _ = breach("recommend", "--scope", incident_id, "--lang", "en")
    assert code == 0 and "Proposal from the data inventory" in out and "count_max: 150" in out
    code, out, _ = breach("recommend", "--scope", incident_id, "--json")
    assert json.loads(out)["scope"]["categories"] == ["coachverslagen", "naam", "contactgegevens"]


def test_recommend_needs_a_file_or_a_scope(breach):
    code, _, err = breach("recommend")
    assert code == 2 and "FILE" in err


def test_show_prints_the_advice_the_change_and_the_scope_in_the_profiles_language(workspace_env, monkeypatch):
    monkeypatch.delenv("BREACH_LANGUAGE")  # the CLI's language is the profile's unless BREACH_LANGUAGE says otherwise
    from breach.recommend_cmd import advice_json, advice_text

    ws = Workspace()
    now = now_utc()
    incident_id = report_incident(ws.uow(), ws.profile, a_report(now), "po", now)
    assert "Voorstel uit de gegevensinventaris" in advice_text(ws, incident_id)
    record_assessment(ws.uow(), ws.profile, incident_id, the_assessment(), "it", now)
    record_assessment(ws.uow(), ws.profile, incident_id, encrypted(the_assessment()), "it", now)
    text = advice_text(ws, incident_id)
    assert "Melden bij de Autoriteit Persoonsgegevens (art. 33 AVG):  nee" in text
    assert "GEWIJZIGD" in text and "de systemen bevatten ook naam" in text
    data = advice_json(ws, incident_id)
    assert data["recommendation"]["changed"] is True and data["scope_check"]["missing"] == ["name"]


def test_the_team_is_told_once_when_a_new_assessment_changes_the_advice(uow, profile, now, tmp_path):
    from incidents.notify.email import OutboxBackend
    from incidents.services import tell_team_advice_changed

    mailer = OutboxBackend(tmp_path / "outbox")
    incident_id = assessed(uow, profile, now)
    assert tell_team_advice_changed(uow, profile, mailer, TEMPLATES, incident_id, None, now).done is False
    record_assessment(uow, profile, incident_id, encrypted(the_assessment()), "it", now + timedelta(hours=1))
    told = tell_team_advice_changed(uow, profile, mailer, TEMPLATES, incident_id, None, now)
    again = tell_team_advice_changed(uow, profile, mailer, TEMPLATES, incident_id, None, now)
    assert told.count == len(profile.incident_team) and again.detail == "already sent"
    emails = list((tmp_path / "outbox" / incident_id).glob("advice_changed-*/*.eml"))
    assert len(emails) == len(profile.incident_team)
    text = emails[0].read_text(encoding="utf-8")
    assert "Eerder advies: AP melden ja" in text and "Nieuw advies: AP melden nee" in text
