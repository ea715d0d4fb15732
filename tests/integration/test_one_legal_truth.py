"""One legal truth: for every worked case, what the register stores as the decision and the art. 34(3) findings is
what the AP notice (10.1), the EDPB template (fields 89, 97 and 100), the register export and `breach show --json`
say about telling the people. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from incidents import services
from incidents.edpb import EXEMPTION
from incidents.export import register_rows
from incidents.model import AssessmentFacts, IncidentReport
from incidents.views import incident_view
from tests.unit.test_recommendation import CASES, load_case

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def decided_case(uow, profile, now, path: Path) -> str:
    """A worked case reported, assessed and decided as advised."""
    case = load_case(path)
    report = IncidentReport(title=case["title"][:200], description=case["facts"].strip(),
                            discovered_at=now - timedelta(hours=3), source="internal", reported_by="po")
    incident_id = services.report_incident(uow, profile, report, "po", now)
    facts = AssessmentFacts.model_validate(case["assessment"])
    services.record_assessment(uow, profile, incident_id, facts, "it", now)
    services.decide(uow, incident_id, "po", now, templates=TEMPLATES, language="nl")
    return incident_id


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_document_says_about_telling_the_people_what_the_register_decided(uow, profile, now, path):
    incident_id = decided_case(uow, profile, now, path)
    with uow:
        view = incident_view(uow, incident_id, now)
    decision, rec = view.decision, view.recommendation
    assert decision is not None and rec is not None
    findings = rec.findings
    public = findings.disproportionate_effort and (decision.notify_subjects or rec.public_communication)

    told = services.check_authority_notice(uow, profile, incident_id, now).answers.answers["10.1"].value
    assert (told["notify"], told["public"], told["exemptions"], told["high_risk"]) == (
        decision.notify_subjects, public, findings.exemptions, findings.high_risk)

    eu = {n: a.value for n, a in services.edpb_answers(uow, profile, incident_id, now).answers.items()}
    assert eu[89] == {"high": "a", "risk": "b", "none": "c"}[findings.risk_level]
    if public:
        assert (eu[97], eu[100]) == ("e", "c")
    elif decision.notify_subjects:
        assert eu[97] == "b" and 100 not in eu  # to be told: nobody is sent anything in this test
    elif findings.exemptions:
        assert (eu[97], eu[100]) == ("e", EXEMPTION[findings.exemptions[0]])
    else:
        assert eu[97] == "d" and not findings.high_risk  # not told: no high risk

    row = next(r for r in register_rows(uow, now) if r["id"] == incident_id)
    assert (row["notify_subjects"], row["high_risk"], row["art34_3_exemptions"]) == (
        decision.notify_subjects, findings.high_risk, "; ".join(findings.exemptions))

    shown = view.as_json()
    assert shown["decision"]["notify_subjects"] == decision.notify_subjects
    assert shown["recommendation"]["findings"]["high_risk"] == findings.high_risk


@pytest.mark.parametrize(("changes", "letter"), [
    ({"containment": {"exfiltration": "none", "measures_make_high_risk_unlikely": True}}, "b"),
    ({"subjects": {"count_min": 1, "count_max": 1, "contact_effort": "disproportionate"}}, "c"),
])
def test_a_high_risk_that_nobody_is_told_of_one_by_one_names_the_art_34_3_condition_everywhere(
        uow, profile, now, tmp_path, changes, letter):
    """EDPB case no. 11 (an unencrypted laptop stolen): a high risk. With later measures (34(3)(b)) or a
    disproportionate effort (34(3)(c)) the advice tells nobody one by one, and every document says why."""
    case = load_case(next(p for p in CASES if p.stem == "edpb-11-stolen-unencrypted-laptop"))
    case["assessment"] = {**case["assessment"], **changes}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case), encoding="utf-8")
    incident_id = decided_case(uow, profile, now, path)
    with uow:
        view = incident_view(uow, incident_id, now)
    assert view.recommendation is not None and view.recommendation.findings.high_risk
    assert view.decision is not None and not view.decision.notify_subjects
    eu = {n: a.value for n, a in services.edpb_answers(uow, profile, incident_id, now).answers.items()}
    assert (eu[89], eu[97], eu[100]) == ("a", "e", letter)
    row = next(r for r in register_rows(uow, now) if r["id"] == incident_id)
    assert row["high_risk"] is True and row["art34_3_exemptions"] == {"b": "measures", "c": "public_communication"}[letter]
