"""The legal findings on a breach, each one rule citing its article, derived once from the IT assessment.

The recommendation (incidents/recommendation.py) computes them with the advice; the register stores them beside
it (RecommendationRow) and every document reads the stored findings: the AP notice, the EDPB template, the
register export, `breach show`, the dashboard and the reminders. Nothing else works them out again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

# GDPR art. 9(1): the special categories of personal data, in the assessment vocabulary.
SPECIAL_CATEGORY_TERMS = frozenset({"health", "special_category", "genetic", "biometric", "sexual_life", "political",
                                    "religious", "union_membership", "ethnic_origin"})
# GDPR art. 10: personal data relating to criminal convictions and offences.
CRIMINAL_TERMS = frozenset({"criminal"})

Exemption = Literal["unintelligible", "measures", "public_communication"]  # art. 34(3)(a), (b), (c)


def is_special_category(term: str) -> bool:
    """GDPR art. 9(1): racial or ethnic origin, political opinions, religious or philosophical beliefs,
    trade-union membership, genetic and biometric data, health, sex life or sexual orientation. Criminal-law
    data are not among them: they are art. 10 (is_criminal_data), which the AP form asks for among the kinds of
    data (6.1)."""
    return term in SPECIAL_CATEGORY_TERMS


def is_criminal_data(term: str) -> bool:
    """GDPR art. 10: personal data relating to criminal convictions and offences or related security measures."""
    return term in CRIMINAL_TERMS


def special_categories(terms: Iterable[str]) -> bool:
    """GDPR art. 9(1): some breached category is a special category of personal data."""
    return any(is_special_category(t) for t in terms)


def criminal_data(terms: Iterable[str]) -> bool:
    """GDPR art. 10: some breached category is criminal-law data."""
    return any(is_criminal_data(t) for t in terms)


def unintelligible(encryption: str, key_compromised: bool, hashing: str, terms: Iterable[str]) -> str | None:
    """GDPR art. 34(3)(a); ENISA 2013 ("unintelligible data"); EDPB Guidelines 01/2021, cases no. 01, 06, 10:
    data that nobody without authorisation can read — state-of-the-art encryption whose key is safe, or passwords
    hashed with a salted state-of-the-art algorithm when nothing but credentials was breached.

    Returns how the data are protected ("encryption" or "hashing"), or None when they can be read.
    """
    if encryption == "state_of_the_art" and not key_compromised:
        return "encryption"
    listed = list(terms)
    if hashing == "salted_state_of_the_art" and listed and all(t == "account_credentials" for t in listed):
        return "hashing"
    return None


def later_measures(measures_make_high_risk_unlikely: bool) -> bool:
    """GDPR art. 34(3)(b): measures taken after the breach ensure the high risk is no longer likely to
    materialise (e.g. every affected credential reset before it could be misused)."""
    return measures_make_high_risk_unlikely


def disproportionate_effort(contact_effort: str) -> bool:
    """GDPR art. 34(3)(c): telling each person would involve disproportionate effort; a public communication or a
    similar measure informs them in an equally effective manner instead."""
    return contact_effort == "disproportionate"


@dataclass(frozen=True)
class Findings:
    """The legal conclusions on one assessment, as the register stores them with its recommendation."""

    risk: bool  # art. 33(1): likely to result in a risk to people's rights and freedoms (notify the AP)
    high_risk: bool  # art. 34(1): likely to result in a high risk (tell the people, unless 34(3))
    high_risk_grounds: tuple[str, ...]  # the recommendation's codes that found the high risk
    unintelligible: str | None  # art. 34(3)(a): "encryption" or "hashing" when nobody unauthorised can read it
    later_measures: bool  # art. 34(3)(b)
    disproportionate_effort: bool  # art. 34(3)(c)
    special_categories: bool  # art. 9
    criminal_data: bool  # art. 10

    @property
    def exemptions(self) -> list[Exemption]:
        """The art. 34(3) conditions that are met, in the article's order."""
        found: list[Exemption] = []
        if self.unintelligible:
            found.append("unintelligible")
        if self.later_measures:
            found.append("measures")
        if self.disproportionate_effort:
            found.append("public_communication")
        return found

    @property
    def risk_level(self) -> Literal["high", "risk", "none"]:
        """Art. 34(1) high risk, art. 33(1) a risk, or unlikely to result in any risk."""
        return "high" if self.high_risk else ("risk" if self.risk else "none")


NO_FINDINGS = Findings(risk=False, high_risk=False, high_risk_grounds=(), unintelligible=None, later_measures=False,
                       disproportionate_effort=False, special_categories=False, criminal_data=False)


def told_by_public_communication(findings: Findings, notify_subjects: bool, advised: bool) -> bool:
    """GDPR art. 34(3)(c): the people are told by a public communication instead of one by one when telling each
    would take disproportionate effort and they are to be told at all — the decision says so, or the advice on
    the assessment is a public communication (a high risk that neither (a) nor (b) takes away)."""
    return findings.disproportionate_effort and (notify_subjects or advised)


def public_communication_allowed(findings: Findings, advised: bool) -> bool:
    """GDPR art. 34(3)(c): a public communication may replace telling each person when the assessment says that
    would take disproportionate effort, or the advice is one."""
    return findings.disproportionate_effort or advised
