"""The recommendation as a service: evaluated on its own, stored with each assessment, shown in words, scoped."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from incidents.model import VOCABULARY, AssessmentFacts
from incidents.notify.render import LANGUAGES, environment, render
from incidents.profile import Profile
from incidents.recommendation import Recommendation, recommend
from incidents.register.tables import AssessmentRow, RecommendationReasonRow, RecommendationRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.scoping import ScopeCheck, ScopeProposal, check_scope, propose_scope
from incidents.severity import Category, resolve_categories
from incidents.views import RecommendationLineView, RecommendationView, latest_recommendations

ENGINE = "recommendation-engine"  # the audit trail's actor for what the engine computes, apart from people's acts


# --- evaluating ------------------------------------------------------------------------------------------

def evaluate(facts: AssessmentFacts, profile: Profile | None) -> tuple[Recommendation, list[Category]]:
    """Recommend for an assessment on its own (`breach recommend FILE`): own category names are resolved
    through the profile when there is one, else only vocabulary terms are known. Nothing is recorded."""
    categories = resolve_categories(facts.data.categories, profile)
    return recommend(facts, categories), categories


def view_of(recommendation: Recommendation) -> RecommendationView:
    s = recommendation.severity
    return RecommendationView(
        score=s.score, level=s.level, dpc=s.dpc, ei=s.ei, cb=s.cb,
        notify_authority=recommendation.notify_authority, notify_subjects=recommendation.notify_subjects,
        public_communication=recommendation.public_communication,
        lines=[RecommendationLineView(li.kind, li.code, li.detail, li.points, li.source)
               for li in recommendation.lines],
        findings=recommendation.findings,
    )


def numbers_of(facts: AssessmentFacts, categories: list[Category]) -> dict[str, Any]:
    """What the words of the lines need besides the lines themselves (counts, hours, the own category names)."""
    return _numbers(facts.subjects.count_min, facts.subjects.count_max, facts.containment.restored_within_hours,
                    [(c.name, c.term) for c in categories])


def _numbers(count_min: int, count_max: int, restored: float | None,
             categories: list[tuple[str, str]]) -> dict[str, Any]:
    names: dict[str, list[str]] = {}
    for name, term in categories:
        names.setdefault(term, []).append(name)
    return {"count_min": count_min, "count_max": count_max, "restored_within_hours": restored, "names": names,
            "classes": dict(VOCABULARY)}


# --- storing with an assessment --------------------------------------------------------------------------

def store(uow: UnitOfWork, incident_id: str, assessment_id: int, facts: AssessmentFacts,
          categories: list[Category], now: datetime) -> RecommendationRow:
    """Compute and add the recommendation for a just-recorded assessment, in the caller's transaction.

    A different outcome than the previous assessment's recommendation is flagged in the audit trail (and shown
    by RecommendationView.changed).
    """
    recommendation = recommend(facts, categories)
    previous = latest_recommendations(uow, incident_id)
    s, found = recommendation.severity, recommendation.findings
    row = RecommendationRow(
        incident_id=incident_id, assessment_id=assessment_id, computed_at=now, score=s.score, level=s.level,
        dpc=s.dpc, ei=s.ei, cb=s.cb, notify_authority=recommendation.notify_authority,
        notify_subjects=recommendation.notify_subjects, public_communication=recommendation.public_communication,
        risk=found.risk, high_risk=found.high_risk, high_risk_grounds=",".join(found.high_risk_grounds),
        unintelligible=found.unintelligible, later_measures=found.later_measures,
        disproportionate_effort=found.disproportionate_effort, special_categories=found.special_categories,
        criminal_data=found.criminal_data,
        reasons=[RecommendationReasonRow(position=i, kind=li.kind,
                                         code=f"{li.code}:{li.detail}" if li.detail else li.code,
                                         points=li.points, source=li.source)
                 for i, li in enumerate(recommendation.lines)],
    )
    uow.session.add(row)
    uow.session.flush()
    outcome = _outcome(row)
    uow.record(at=now, actor=ENGINE, incident_id=incident_id, action="recommendation_computed",
               recommendation=row.id, assessment=assessment_id, score=s.score, level=s.level, **outcome)
    if previous and _outcome(previous[0]) != outcome:
        # TODO(issue 3): also e-mail the incident team about the changed advice (a team/advice_changed template
        # and a step in the response flow); for now the audit trail, `breach show` and the dashboard flag it.
        uow.record(at=now, actor=ENGINE, incident_id=incident_id, action="recommendation_changed",
                   recommendation=row.id, previous=previous[0].id, before=_outcome(previous[0]), after=outcome)
    return row


def _outcome(row: RecommendationRow) -> dict[str, bool]:
    return {"notify_authority": row.notify_authority, "notify_subjects": row.notify_subjects,
            "public_communication": row.public_communication}


def facts_of(row: AssessmentRow) -> tuple[AssessmentFacts, list[Category]]:
    """The facts of a recorded assessment, as the engine reads them (for one recorded before the engine was)."""
    context_names = ("profiling_possible", "reveals_sensitive_insight", "vulnerable_subjects",
                     "publicly_available", "limited_insight", "full_financial_details")
    facts = AssessmentFacts.model_validate({
        "summary": row.summary,
        "breach": {"confidentiality": row.confidentiality, "integrity": row.integrity,
                   "availability": row.availability, "malicious": row.malicious,
                   "endangers_safety": row.endangers_safety},
        "data": {"categories": [c.category for c in row.categories],
                 "ease_of_identification": row.ease_of_identification,
                 "context": {name: getattr(row, name) for name in context_names}},
        "subjects": {"count_min": row.count_min, "count_max": row.count_max, "groups": [g.group for g in row.groups],
                     "contact_effort": row.contact_effort},
        "protection": {"encryption": row.encryption, "key_compromised": row.key_compromised,
                       "hashing": row.hashing, "backup_available": row.backup_available},
        "containment": {"exfiltration": row.exfiltration, "recovered": row.recovered,
                        "recipient_trusted": row.recipient_trusted,
                        "restored_within_hours": row.restored_within_hours,
                        "measures_make_high_risk_unlikely": row.measures_make_high_risk_unlikely},
        "measures": row.measures,
    })
    return facts, [Category(c.category, c.vocabulary) for c in row.categories]


def current_recommendation(uow: UnitOfWork, incident_id: str, now: datetime) -> RecommendationRow | None:
    """The recommendation for the incident's latest assessment, inside the caller's transaction; computed now
    when that assessment was recorded before there was an engine. None while there is no assessment."""
    assessment = uow.latest_assessment(incident_id)
    if assessment is None:
        return None
    rows = latest_recommendations(uow, incident_id)
    if rows and rows[0].assessment_id == assessment.id:
        return rows[0]
    facts, categories = facts_of(assessment)
    return store(uow, incident_id, assessment.id, facts, categories, now)


def recommendation_of(uow: UnitOfWork, incident_id: str) -> RecommendationView | None:
    """The stored recommendation for the latest assessment, with the changed-outcome flag; None before one."""
    with uow:
        rows = latest_recommendations(uow, uow.incident(incident_id).id)
        return RecommendationView.of(rows[0], rows[1] if len(rows) > 1 else None) if rows else None


# --- in words --------------------------------------------------------------------------------------------

def describe(view: RecommendationView, numbers: dict[str, Any], templates: Path, language: str) -> dict[str, Any]:
    """The recommendation as `breach recommend --json` prints it: severity with its breakdown, the three
    outcomes, and each reason in the chosen language with the article or guideline it rests on."""
    if language not in LANGUAGES:
        raise ValueError(f"no templates for language {language!r}; available: {', '.join(LANGUAGES)}")
    words = environment(templates).get_template(f"{language}/recommendation/lines.j2").module
    n = {**numbers, "score": view.score, "level": view.level, "dpc": view.dpc, "ei": view.ei, "cb": view.cb}

    def text(line: RecommendationLineView) -> str:
        macro = getattr(words, line.code, None)
        if macro is None:
            raise LookupError(f"templates/{language}/recommendation/lines.j2 has no text for {line.code!r}")
        return " ".join(str(macro(line.detail, line.points, n)).split())

    data: dict[str, Any] = {
        "severity": {"score": view.score, "level": view.level, "dpc": view.dpc, "ei": view.ei, "cb": view.cb,
                     "breakdown": [text(li) for li in view.lines if li.kind == "breakdown"]},
        "notify_authority": view.notify_authority,
        "notify_subjects": view.notify_subjects,
        "public_communication": view.public_communication,
        "findings": {**asdict(view.findings), "risk_level": view.findings.risk_level,
                     "exemptions": view.findings.exemptions},
        "reasons": [{"text": text(li), "source": li.source, "code": li.code}
                    for li in view.lines if li.kind == "reason"],
        "language": language,
    }
    if view.id is not None:
        data["changed"] = view.changed
        data["previous"] = view.previous
    return data


def explain(view: RecommendationView, numbers: dict[str, Any], templates: Path, language: str) -> str:
    """The readable explanation (`breach recommend FILE`, `breach show`)."""
    return explanation_of(describe(view, numbers, templates, language), templates, language)


def explanation_of(described: dict[str, Any], templates: Path, language: str) -> str:
    """The readable explanation of what describe() returned."""
    return render(templates, language, "recommendation/explanation.txt.j2", r=described)


def explain_incident(uow: UnitOfWork, incident_id: str, templates: Path, language: str) -> dict[str, Any] | None:
    """describe() for the stored recommendation of an incident's latest assessment; None before one."""
    with uow:
        return describe_latest(uow, uow.incident(incident_id).id, templates, language)


def describe_latest(uow: UnitOfWork, incident_id: str, templates: Path, language: str) -> dict[str, Any] | None:
    """explain_incident() inside the caller's transaction."""
    rows = latest_recommendations(uow, incident_id)
    if not rows:
        return None
    assessment = uow.session.get(AssessmentRow, rows[0].assessment_id)
    assert assessment is not None
    numbers = _numbers(assessment.count_min, assessment.count_max, assessment.restored_within_hours,
                       [(c.category, c.vocabulary) for c in assessment.categories])
    view = RecommendationView.of(rows[0], rows[1] if len(rows) > 1 else None)
    return describe(view, numbers, templates, language)


# --- scoping help ----------------------------------------------------------------------------------------

def scope_of(uow: UnitOfWork, profile: Profile, incident_id: str) -> tuple[ScopeProposal, ScopeCheck | None]:
    """What the inventory proposes for the incident's systems, and how the latest assessment compares."""
    with uow:
        row = uow.incident(incident_id)
        proposal = propose_scope(profile, [s.system for s in row.systems])
        assessment = uow.latest_assessment(row.id)
        if assessment is None:
            return proposal, None
        terms = [c.vocabulary for c in assessment.categories]
        return proposal, check_scope(proposal, terms, assessment.count_min)


def explain_scope(proposal: ScopeProposal, check: ScopeCheck | None, incident_id: str, templates: Path,
                  language: str) -> str:
    return render(templates, language, "recommendation/scope.txt.j2", scope=proposal, check=check,
                  incident_id=incident_id)
