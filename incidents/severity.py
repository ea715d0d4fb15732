"""Severity of a breach by the ENISA 2013 method (SE = DPC × EI + CB), with every point traced to a fact.

The method is ENISA's "Recommendations for a methodology of the assessment of severity of personal data
breaches", working document v1.0, December 2013 (docs/domain/gdpr-breach-rules.md has its tables). The
breakdown is a list of coded lines; templates/<language>/recommendation/lines.j2 gives them words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from incidents import legal
from incidents.errors import FieldError, InvalidInput
from incidents.model import VOCABULARY, AssessmentFacts
from incidents.profile import Profile
from incidents.said import Said

ENISA = "ENISA 2013 severity methodology"
SOURCE_DPC = f"{ENISA}: data processing context (DPC)"
SOURCE_EI = f"{ENISA}: ease of identification (EI)"
SOURCE_CB = f"{ENISA}: circumstances of breach (CB)"
SOURCE_SE = f"{ENISA}: severity levels"
SOURCE_UNINTELLIGIBLE = "GDPR art. 34(3)(a); ENISA 2013: unintelligible data"

LEVELS = ("low", "medium", "high", "very_high")

CLASS_BASE: dict[str, int] = {"simple": 1, "behavioural": 2, "financial": 3, "sensitive": 4}

# Context facts that move a class's score up, and where to (ENISA's DPC table, one column per score). A class
# without an entry for a fact is not moved by it: sensitive data starts at the top.
RAISES: dict[str, dict[str, int]] = {
    "simple": {"profiling_possible": 2, "reveals_sensitive_insight": 3, "vulnerable_subjects": 4},
    "behavioural": {"profiling_possible": 3, "reveals_sensitive_insight": 4, "vulnerable_subjects": 4},
    "financial": {"profiling_possible": 4, "full_financial_details": 4, "reveals_sensitive_insight": 4,
                  "vulnerable_subjects": 4},
    "sensitive": {},
}
# Context facts that move a class's score down. Simple data has nowhere lower to go.
LOWERS: dict[str, dict[str, int]] = {
    "simple": {},
    "behavioural": {"limited_insight": 1, "publicly_available": 1},
    "financial": {"limited_insight": 2, "publicly_available": 1},
    "sensitive": {"limited_insight": 2, "publicly_available": 1},
}
RAISING_FACTS = ("profiling_possible", "reveals_sensitive_insight", "vulnerable_subjects", "full_financial_details")
LOWERING_FACTS = ("limited_insight", "publicly_available")

EI_POINTS: dict[str, float] = {"negligible": 0.25, "limited": 0.5, "significant": 0.75, "maximum": 1.0}
CONFIDENTIALITY_POINTS: dict[str, float] = {
    "none": 0.0, "no_evidence_of_access": 0.0, "known_recipients": 0.25, "unknown_recipients": 0.5, "public": 0.5,
}
INTEGRITY_POINTS: dict[str, float] = {"none": 0.0, "altered_recoverable": 0.25, "altered_unrecoverable": 0.5}
AVAILABILITY_POINTS: dict[str, float] = {
    "none": 0.0, "temporary": 0.25, "recoverable_with_difficulty": 0.25, "permanent": 0.5,
}
MALICE_POINTS = 0.5
MANY_PEOPLE = 100  # ENISA flags a breach of more than 100 people, without changing the score


@dataclass(frozen=True)
class Category:
    """One breached data category: the name the IT expert wrote and the vocabulary term it means."""

    name: str
    term: str

    @property
    def enisa_class(self) -> str:
        return VOCABULARY[self.term]


@dataclass(frozen=True)
class Line:
    """One coded line of an explanation: a step of the score (breakdown) or a legal reason (reason).

    `detail` is a value the words need (a vocabulary term, a fact's name, a level); `points` a number of the score.
    """

    kind: Literal["breakdown", "reason"]
    code: str
    source: str
    detail: str | None = None
    points: float | None = None


@dataclass(frozen=True)
class Severity:
    score: float
    level: str  # low | medium | high | very_high
    dpc: float
    ei: float
    cb: float
    breakdown: tuple[Line, ...]
    many_people: bool
    unintelligible: str | None  # encryption | hashing, when the data cannot be read


def resolve_categories(names: Sequence[str], profile: Profile | None) -> list[Category]:
    """The vocabulary term of each written category: a vocabulary term itself, or an own name from the profile."""
    categories, problems = [], []
    for i, name in enumerate(names):
        term = profile.vocabulary_of(name) if profile is not None else (name if name in VOCABULARY else None)
        if term is None:
            own = [c.name for c in profile.data_categories] if profile is not None else []
            message = Said("severity.unknown_category", name=name, own=own) if own else \
                Said("severity.no_profile_for_category", name=name)
            problems.append(FieldError(f"data.categories.{i}", message))
        else:
            categories.append(Category(name, term))
    if problems:
        raise InvalidInput("assessment", problems)
    return categories


def data_unintelligible(facts: AssessmentFacts, categories: Sequence[Category]) -> str | None:
    """incidents.legal.unintelligible (GDPR art. 34(3)(a)) for an assessment's facts."""
    p = facts.protection
    return legal.unintelligible(p.encryption, p.key_compromised, p.hashing, [c.term for c in categories])


def category_score(category: Category, facts: AssessmentFacts) -> tuple[int, list[Line]]:
    """ENISA 2013, DPC: the class's base score, moved within 1-4 by the context; each move is a line.

    Facts that raise outweigh facts that lower: with both present, only the raise applies. Credentials take the
    class of what they open (the assessment says so with full_financial_details).
    """
    cls = category.enisa_class
    context = facts.data.context
    base = CLASS_BASE[cls]
    lines = [Line("breakdown", "dpc_base", SOURCE_DPC, detail=category.term, points=base)]
    raises = dict(RAISES[cls])
    if category.term == "account_credentials":
        raises["full_financial_details"] = 4
    raising = [(fact, to) for fact, to in raises.items() if getattr(context, fact) and to > base]
    if raising:
        score = base
        for fact, to in sorted(raising, key=lambda item: item[1]):
            if to > score:
                score = to
                lines.append(Line("breakdown", "dpc_raise", SOURCE_DPC, detail=fact, points=score))
        return score, lines
    if any(getattr(context, fact) for fact in RAISING_FACTS):
        return base, lines
    lowering = [(fact, to) for fact, to in LOWERS[cls].items() if getattr(context, fact) and to < base]
    score = base
    for fact, to in sorted(lowering, key=lambda item: -item[1]):
        if to < score:
            score = to
            lines.append(Line("breakdown", "dpc_lower", SOURCE_DPC, detail=fact, points=score))
    return score, lines


def level_of(score: float) -> str:
    """ENISA 2013, severity levels: below 2 low, below 3 medium, below 4 high, from 4 very high."""
    if score < 2:
        return "low"
    if score < 3:
        return "medium"
    if score < 4:
        return "high"
    return "very_high"


def assess_severity(facts: AssessmentFacts, categories: Sequence[Category]) -> Severity:
    """ENISA 2013: SE = DPC × EI + CB. DPC is the highest category score; EI how easily people are identified;
    CB the sum of the circumstances (confidentiality, integrity, availability, malicious intent)."""
    if not categories:
        raise InvalidInput("assessment", [FieldError("data.categories", Said("severity.no_category"))])
    scored = [category_score(c, facts) for c in categories]
    dpc, dpc_lines = max(scored, key=lambda item: item[0])  # the first of the highest decides
    ei = EI_POINTS[facts.data.ease_of_identification]
    breach = facts.breach
    cb_lines = [
        Line("breakdown", "cb_confidentiality", SOURCE_CB, detail=breach.confidentiality,
             points=CONFIDENTIALITY_POINTS[breach.confidentiality]),
        Line("breakdown", "cb_integrity", SOURCE_CB, detail=breach.integrity,
             points=INTEGRITY_POINTS[breach.integrity]),
        Line("breakdown", "cb_availability", SOURCE_CB, detail=breach.availability,
             points=AVAILABILITY_POINTS[breach.availability]),
        Line("breakdown", "cb_malicious", SOURCE_CB, detail="yes" if breach.malicious else "no",
             points=MALICE_POINTS if breach.malicious else 0.0),
    ]
    cb = sum(line.points or 0.0 for line in cb_lines)
    score = round(dpc * ei + cb, 2)
    level = level_of(score)
    many = facts.subjects.count_max > MANY_PEOPLE
    unintelligible = data_unintelligible(facts, categories)
    lines = [*dpc_lines, Line("breakdown", "ei", SOURCE_EI, detail=facts.data.ease_of_identification, points=ei),
             *cb_lines, Line("breakdown", "se", SOURCE_SE, detail=level, points=score)]
    if many:
        lines.append(Line("breakdown", "flag_many_people", ENISA))
    if unintelligible:
        lines.append(Line("breakdown", "flag_unintelligible", SOURCE_UNINTELLIGIBLE, detail=unintelligible))
    return Severity(score=score, level=level, dpc=float(dpc), ei=ei, cb=cb, breakdown=tuple(lines),
                    many_people=many, unintelligible=unintelligible)
