"""The art. 33/34 recommendation: severity (ENISA 2013) weighed with the legal facts as the EDPB weighs them.

ENISA sets no threshold for notifying anyone; the mapping below is ours, defended case by case from the EDPB's
Guidelines 9/2022 and the worked cases of Guidelines 01/2021 (tests/cases/ holds them in the assessment schema).
Every conclusion is a coded line with the article or guideline it rests on; templates give the words.
A recommendation advises: the privacy officer decides (services.intake.decide).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from incidents import legal
from incidents.model import AssessmentFacts
from incidents.severity import Category, Line, Severity, assess_severity

IDENTITY_FRAUD_TERMS = frozenset({"national_id", "identity_document", "payment_card"})
# Availability restored within this many hours, with no health or other sensitive data and no vulnerable people,
# had no lasting effect on anyone: EDPB Guidelines 01/2021 case no. 01 (restored "a few hours" after the attack)
# against case no. 03 (two days in a hospital: notify). The EDPB names no number; 24 hours is our line.
QUICK_RESTORE_HOURS = 24.0
# Factors that make a medium severity a high risk (EDPB Guidelines 9/2022 and 01/2021, see high_risk()).
HIGH_RISK_FACTORS = ("factor_special_categories", "factor_criminal_data", "factor_identity_fraud",
                     "factor_exfiltration_confirmed", "factor_vulnerable_subjects")
# What rules out a harmless mistake (EDPB Guidelines 01/2021, cases no. 13 and 16).
WEIGHTY_FACTORS = ("factor_special_categories", "factor_criminal_data", "factor_identity_fraud",
                   "factor_vulnerable_subjects", "factor_physical_safety")
# The reasons that found a high risk (GDPR art. 34(1)), see high_risk().
HIGH_RISK_CODES = frozenset({"subjects_high_risk", "subjects_high_risk_factor", "subjects_physical_safety"})
SOURCE_SAFETY = ("GDPR art. 34(1), recitals 75 and 85 (physical harm); EDPB Guidelines 9/2022; ICO reprimands "
                 "of 2023")


@dataclass(frozen=True)
class Recommendation:
    severity: Severity
    notify_authority: bool
    notify_subjects: bool
    public_communication: bool
    reasons: tuple[Line, ...]
    findings: legal.Findings = legal.NO_FINDINGS

    @property
    def outcome(self) -> tuple[bool, bool, bool]:
        return self.notify_authority, self.notify_subjects, self.public_communication

    @property
    def lines(self) -> tuple[Line, ...]:
        """The breakdown of the score, then the reasons: what the register stores, in this order."""
        return self.severity.breakdown + self.reasons


def risk_factors(facts: AssessmentFacts, categories: Sequence[Category]) -> list[Line]:
    """EDPB Guidelines 9/2022 (factors for assessing risk) and 01/2021: what weighs toward a (high) risk.

    Special categories (GDPR art. 9; cases no. 03, 12) and criminal-law data (art. 10, which the EDPB weighs
    alike: Guidelines 9/2022, "special categories ... or data on criminal convictions"); data that enables identity theft or fraud (recital 85;
    cases no. 07, 14: identity numbers, card data, full financial details, readable credentials); confirmed
    exfiltration (case no. 04); vulnerable people (recital 75; cases no. 03, 10, 12); a large number of people
    (recital 75; ENISA's flag above 100); malicious intent (case no. 08: no reassurance about the intentions).
    """
    terms = {c.term for c in categories}
    context, protection = facts.data.context, facts.protection
    readable_credentials = "account_credentials" in terms and protection.hashing != "salted_state_of_the_art"
    found = []
    if legal.special_categories(terms):
        found.append(Line("reason", "factor_special_categories", "GDPR art. 9; EDPB Guidelines 01/2021, cases no. 03 "
                          "and 12"))
    if legal.criminal_data(terms):
        found.append(Line("reason", "factor_criminal_data", "GDPR art. 10; EDPB Guidelines 9/2022"))
    if terms & IDENTITY_FRAUD_TERMS or context.full_financial_details or readable_credentials:
        found.append(Line("reason", "factor_identity_fraud", "GDPR recital 85; EDPB Guidelines 01/2021, cases no. "
                          "07 and 14"))
    if facts.containment.exfiltration == "confirmed":
        found.append(Line("reason", "factor_exfiltration_confirmed", "EDPB Guidelines 01/2021, case no. 04"))
    elif facts.containment.exfiltration == "suspected":
        found.append(Line("reason", "factor_exfiltration_suspected", "EDPB Guidelines 01/2021, cases no. 05 and 11"))
    if context.vulnerable_subjects:
        found.append(Line("reason", "factor_vulnerable_subjects", "GDPR recital 75; EDPB Guidelines 01/2021, cases "
                          "no. 03 and 12"))
    if facts.subjects.count_max > 100:
        found.append(Line("reason", "factor_many_people", "GDPR recital 75; ENISA 2013 (more than 100 people)"))
    if facts.breach.malicious:
        found.append(Line("reason", "factor_malicious", "EDPB Guidelines 01/2021, case no. 08"))
    if facts.breach.endangers_safety:
        found.append(Line("reason", "factor_physical_safety", SOURCE_SAFETY))
    return found


def _has(factors: Sequence[Line], *codes: str) -> bool:
    return any(f.code in codes for f in factors)


def confidentiality_contained(facts: AssessmentFacts, severity: Severity,
                              factors: Sequence[Line]) -> tuple[bool, Line | None]:
    """Whether the loss of confidentiality is unlikely to harm anyone, and why.

    - the data cannot be read (GDPR art. 34(3)(a); EDPB Guidelines 01/2021, cases no. 01, 06 and 10);
    - a known, trusted recipient got it by mistake and deleted or returned it (case no. 09);
    - a few known recipients got low-severity data by mistake and it was retrieved or deleted, with nothing that
      weighs toward a risk (case no. 13).
    A suspected or confirmed exfiltration is never contained unless the data cannot be read.
    """
    b, c = facts.breach, facts.containment
    if b.confidentiality == "none" and c.exfiltration == "none":
        return True, None
    if facts.breach.endangers_safety and not severity.unintelligible:
        return False, None  # the recipient is the danger: no promise to delete makes the disclosure harmless
    if severity.unintelligible:
        return True, Line("reason", "c_unintelligible", "GDPR art. 34(3)(a); EDPB Guidelines 01/2021, cases no. "
                          "01, 06 and 10", detail=severity.unintelligible)
    accidental_and_retrieved = (b.confidentiality == "known_recipients" and c.recovered and not b.malicious
                                and c.exfiltration == "none")
    if accidental_and_retrieved and c.recipient_trusted:
        return True, Line("reason", "c_trusted_recipient", "EDPB Guidelines 01/2021, case no. 09")
    if accidental_and_retrieved and severity.level == "low" and not _has(
            factors, *WEIGHTY_FACTORS, "factor_many_people"):
        return True, Line("reason", "c_retrieved", "EDPB Guidelines 01/2021, case no. 13")
    return False, None


def availability_contained(facts: AssessmentFacts, factors: Sequence[Line]) -> tuple[bool, Line | None]:
    """Whether the loss of availability is unlikely to harm anyone: none, or restored within QUICK_RESTORE_HOURS
    with no sensitive data and no vulnerable people (EDPB Guidelines 01/2021, cases no. 01 and 03; Guidelines
    9/2022, the brief power cut at a call centre)."""
    b, c = facts.breach, facts.containment
    if b.availability == "none":
        return True, None
    quick = (b.availability == "temporary" and c.restored_within_hours is not None
             and c.restored_within_hours <= QUICK_RESTORE_HOURS)
    if quick and not _has(factors, "factor_special_categories", "factor_criminal_data", "factor_vulnerable_subjects"):
        return True, Line("reason", "a_restored", "EDPB Guidelines 01/2021, case no. 01",
                          points=c.restored_within_hours)
    return False, None


def authority_notification(impacts: Sequence[str]) -> tuple[bool, Line]:
    """GDPR art. 33(1): notify the AP unless the breach is unlikely to result in a risk to people's rights and
    freedoms — here: unless every loss (confidentiality, integrity, availability) is contained. `impacts` are the
    losses that are not."""
    if impacts:
        return True, Line("reason", "authority_required", "GDPR art. 33(1)", detail=",".join(impacts))
    return False, Line("reason", "authority_not_required", "GDPR art. 33(1)")


def contained_disclosure(facts: AssessmentFacts, severity: Severity, factors: Sequence[Line]) -> bool:
    """EDPB Guidelines 01/2021, case no. 16: a mistake that showed one or a few people's data to a few known
    recipients, with no malice, no special categories, nothing for identity fraud and no vulnerable people, is a
    risk (notify the AP) but not a high one, even when the data's severity is high (not very high)."""
    b = facts.breach
    return (severity.level == "high" and b.confidentiality == "known_recipients" and not b.malicious
            and facts.containment.exfiltration == "none" and b.integrity == "none"
            and not _has(factors, *WEIGHTY_FACTORS, "factor_many_people"))


def high_risk(facts: AssessmentFacts, severity: Severity, factors: Sequence[Line]) -> tuple[bool, Line]:
    """GDPR art. 34(1): tell the people when the breach is likely to result in a high risk.

    A high or very high ENISA severity ("significant consequences, overcome with serious difficulties") is a high
    risk; so is a medium one with a factor the EDPB treats as high-risk on its own (special categories, identity
    fraud, confirmed exfiltration, vulnerable people: Guidelines 9/2022; 01/2021 cases no. 03, 04, 07, 12, 14).
    A contained disclosure (contained_disclosure) is not. A disclosure that lets its recipient locate or reach a
    person who must be protected from them is a high risk to physical safety whatever the data's category or
    score (recitals 75 and 85; the ICO's reprimands of 2023 for addresses disclosed to alleged abusers): the
    EDPB weighs who received the data, not ENISA points alone (Guidelines 01/2021, the mistaken disclosures).
    """
    if _has(factors, "factor_physical_safety"):
        return True, Line("reason", "subjects_physical_safety", SOURCE_SAFETY, detail=severity.level)
    if contained_disclosure(facts, severity, factors):
        return False, Line("reason", "subjects_contained_disclosure", "GDPR art. 34(1); EDPB Guidelines 01/2021, "
                           "case no. 16", detail=severity.level)
    if severity.level in ("high", "very_high"):
        return True, Line("reason", "subjects_high_risk", "GDPR art. 34(1); ENISA 2013 severity levels",
                          detail=severity.level)
    if severity.level == "medium" and _has(factors, *HIGH_RISK_FACTORS):
        return True, Line("reason", "subjects_high_risk_factor", "GDPR art. 34(1); EDPB Guidelines 9/2022",
                          detail=severity.level)
    return False, Line("reason", "subjects_no_high_risk", "GDPR art. 34(1)", detail=severity.level)


def no_risk_for_subjects(severity: Severity) -> Line:
    """GDPR art. 34(1) and 34(3)(a): a breach unlikely to result in any risk is no high risk either; when the
    data's severity is high, say that it is the unintelligibility of the data (34(3)(a)) that keeps it from them."""
    if severity.unintelligible and severity.level in ("high", "very_high"):
        return Line("reason", "exception_unintelligible", "GDPR art. 34(3)(a)", detail=severity.unintelligible)
    return Line("reason", "subjects_no_risk", "GDPR art. 34(1)")


def measures_exception(facts: AssessmentFacts) -> Line | None:
    """GDPR art. 34(3)(b): measures taken after the breach ensure the high risk is no longer likely to
    materialise (e.g. every affected credential reset before it could be misused)."""
    if facts.containment.measures_make_high_risk_unlikely:
        return Line("reason", "exception_measures", "GDPR art. 34(3)(b)")
    return None


def disproportionate_effort(facts: AssessmentFacts) -> Line | None:
    """GDPR art. 34(3)(c): telling each person would take disproportionate effort; a public communication or
    an equally effective measure informs them instead."""
    if facts.subjects.contact_effort == "disproportionate":
        return Line("reason", "exception_disproportionate", "GDPR art. 34(3)(c)")
    return None


def recommend(facts: AssessmentFacts, categories: Sequence[Category]) -> Recommendation:
    """Severity, then art. 33, then art. 34 with its exceptions; the breach is documented in every case."""
    severity = assess_severity(facts, categories)
    factors = risk_factors(facts, categories)
    reasons: list[Line] = list(factors)
    confidentiality_ok, why = confidentiality_contained(facts, severity, factors)
    reasons += [why] if why else []
    availability_ok, why = availability_contained(facts, factors)
    reasons += [why] if why else []
    impacts = [name for name, ok in (("confidentiality", confidentiality_ok),
                                     ("integrity", facts.breach.integrity == "none"),
                                     ("availability", availability_ok)) if not ok]
    notify_authority, why = authority_notification(impacts)
    reasons.append(why)
    notify_subjects = public = False
    if not notify_authority:
        reasons.append(no_risk_for_subjects(severity))
    else:
        high, why = high_risk(facts, severity, factors)
        reasons.append(why)
        if high:
            exception = measures_exception(facts)
            if exception is not None:
                reasons.append(exception)
            elif (exception := disproportionate_effort(facts)) is not None:
                reasons.append(exception)
                public = True
            else:
                notify_subjects = True
    reasons.append(Line("reason", "document", "GDPR art. 33(5)"))
    return Recommendation(severity=severity, notify_authority=notify_authority, notify_subjects=notify_subjects,
                          public_communication=public, reasons=tuple(reasons),
                          findings=findings(facts, categories, reasons))


def findings(facts: AssessmentFacts, categories: Sequence[Category], reasons: Sequence[Line]) -> legal.Findings:
    """The legal findings the advice rests on (incidents.legal), stored with it so every document reads them."""
    terms = [c.term for c in categories]
    high = [r for r in reasons if r.code in HIGH_RISK_CODES]
    grounds = tuple(r.code for r in high) + tuple(r.code for r in reasons if high and r.code in HIGH_RISK_FACTORS)
    p = facts.protection
    return legal.Findings(
        risk=any(r.code == "authority_required" for r in reasons), high_risk=bool(high), high_risk_grounds=grounds,
        unintelligible=legal.unintelligible(p.encryption, p.key_compromised, p.hashing, terms),
        later_measures=legal.later_measures(facts.containment.measures_make_high_risk_unlikely),
        disproportionate_effort=legal.disproportionate_effort(facts.subjects.contact_effort),
        special_categories=legal.special_categories(terms), criminal_data=legal.criminal_data(terms))
