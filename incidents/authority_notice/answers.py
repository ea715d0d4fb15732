"""The answers to the AP form's questions: the rules they apply and one answerer per question, codes and values
only (the templates put them into words)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidents.authority_notice.facts import NAME_TOKEN, Filing, NoticeFacts, Purpose
from incidents.authority_notice.questions import CONTACT, QUESTIONS, Question
from incidents.deadlines import authority_deadline, notified_late
from incidents.legal import is_special_category, told_by_public_communication
from incidents.model import VOCABULARY
from incidents.views import AssessmentView

# --- the rules the answers apply ---------------------------------------------------------------------------

# The form's groups of people (7.1), by the labels organisations use for them (Dutch and English).
FORM_GROUPS = {
    **dict.fromkeys(["customers", "customer", "clients", "client", "klanten", "klant", "leads", "prospects",
                     "coachees", "members", "leden"], "customers"),
    **dict.fromkeys(["employees", "employee", "staff", "medewerkers", "werknemers", "personeel", "personnel"],
                    "employees"),
    **dict.fromkeys(["students", "pupils", "leerlingen", "studenten", "scholieren"], "students"),
    **dict.fromkeys(["patients", "patiënten", "patienten"], "patients"),
    **dict.fromkeys(["minors", "children", "minderjarigen", "kinderen"], "minors"),
}


def form_group(label: str) -> str | None:
    """The AP form's group (7.1) for an organisation's own label, by the whole label or its first word
    ("klanten (coachees)" is customers); None when it is none of the form's groups."""
    text = label.strip().casefold()
    if text in FORM_GROUPS:
        return FORM_GROUPS[text]
    first = re.split(r"[^\w]+", text, maxsplit=1)[0]
    return FORM_GROUPS.get(first)


def processing_consequences(a: AssessmentView) -> list[str]:
    """AP form 9.1: what the breach can mean for the processing itself, from the CIA facts."""
    found = []
    if a.confidentiality in ("known_recipients", "unknown_recipients", "public"):
        found.append("read")
    if a.malicious or a.exfiltration != "none":
        found.append("misuse")
    if a.integrity != "none":
        found.append("wrong_data")
    if a.availability == "permanent":
        found.append("service_permanent")
    elif a.availability != "none":
        found.append("service_temporary")
    return found


def consequences_for_people(a: AssessmentView) -> list[str]:
    """GDPR art. 33(3)(c), AP form 9.2: the likely consequences for the people, following the EDPB's examples
    (Guidelines 9/2022 and 01/2021): sensitive data exposed risks discrimination and damage to reputation,
    identity data identity fraud, financial data financial loss, credentials account takeover, contact data
    phishing; an open-ended audience takes control away; lost availability or integrity blocks access and
    leads to decisions on wrong data; data that let their recipient find a person who must be protected from
    them risk physical harm (recitals 75 and 85)."""
    exposed = a.confidentiality != "none" or a.exfiltration != "none"
    terms = set(a.vocabulary)
    classes = {VOCABULARY.get(t, "simple") for t in terms}
    found = []
    if exposed and "sensitive" in classes:
        found += ["discrimination", "reputation"]
    if exposed and terms & {"national_id", "identity_document"}:
        found.append("identity_fraud")
    if exposed and "financial" in classes:
        found.append("financial_loss")
    if exposed and "account_credentials" in terms:
        found.append("account_misuse")
    if exposed and "contact" in terms:
        found.append("phishing")
    if a.confidentiality in ("unknown_recipients", "public"):
        found.append("lose_control")
    if a.availability != "none":
        found.append("no_access")
    if a.integrity != "none":
        found.append("wrong_decisions")
    if a.endangers_safety:
        found.append("physical_harm")
    return found


def severity_factors(a: AssessmentView) -> list[str]:
    """What moves the severity (ENISA 2013: the data-processing context and the malicious-intent element)."""
    order = ("profiling_possible", "reveals_sensitive_insight", "vulnerable_subjects", "full_financial_details",
             "publicly_available", "limited_insight")
    found = [name for name in order if a.context.get(name)]
    if a.malicious:
        found.append("malicious")
    return found


# --- the answers -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    question: Question
    value: Mapping[str, Any]  # codes and facts; the templates give them words
    missing: tuple[str, ...] = ()  # the sources still unknown ("nog niet bekend")

    @property
    def number(self) -> str:
        return self.question.number

    @property
    def chapter(self) -> int:
        return self.question.chapter

    @property
    def answered(self) -> bool:
        return not self.missing

    @property
    def blocking(self) -> tuple[str, ...]:
        """The essential sources still unknown: without them no notice can be filed."""
        return tuple(s for s in self.missing if s in self.question.essential)


@dataclass(frozen=True)
class AnswerSet:
    """The answers to every question of the AP form that applies, in the form's order."""

    incident_id: str
    title: str
    organisation: str
    purpose: Purpose
    version: int | None
    made_at: datetime
    aware_at: datetime
    due_at: datetime
    late: bool
    filing: Filing | None  # what this notice records as filed
    previous: Filing | None  # the filing a follow-up or withdrawal refers to
    first: Filing | None  # the first notice, once filed
    answers: Mapping[str, Answer]

    @property
    def unanswered(self) -> list[Answer]:
        return [a for a in self.answers.values() if not a.answered]

    @property
    def blocking(self) -> list[Answer]:
        return [a for a in self.answers.values() if a.blocking]


def answer_set(facts: NoticeFacts) -> AnswerSet:
    """Answer every question of the AP form from the facts; what is not known is listed, never guessed."""
    incident = facts.incident
    first = _first(facts)
    notified_at = first.filed_at if first is not None else facts.made_at
    late = notified_late(incident.aware_at, notified_at)
    answers: dict[str, Answer] = {}
    for question in QUESTIONS:
        if question.late_only and not late:
            continue
        value, missing = _ANSWERERS[question.number](facts)
        answers[question.number] = Answer(question, value, tuple(missing))
    return AnswerSet(
        incident_id=incident.id, title=incident.title, organisation=facts.profile.organisation.name,
        purpose=facts.purpose, version=facts.version, made_at=facts.made_at, aware_at=incident.aware_at,
        due_at=authority_deadline(incident.aware_at), late=late, filing=facts.filing, previous=_previous(facts),
        first=first, answers=answers,
    )


Answered = tuple[dict[str, Any], list[str]]


def _first(f: NoticeFacts) -> Filing | None:
    return next((x for x in f.filings if x.kind == "first"), None)


def _previous(f: NoticeFacts) -> Filing | None:
    """The filing a follow-up or withdrawal refers to: the last one before this notice."""
    return f.history[-1] if f.history else None


def _kind(f: NoticeFacts) -> Answered:
    previous = _previous(f)
    changes = f.filing.changes if f.filing is not None else f.changes
    reason = f.filing.withdrawal_reason if f.filing is not None else f.withdrawal_reason
    return {"purpose": f.purpose, "previous": previous, "changes": changes, "withdrawal_reason": reason}, []


def _legal_basis(f: NoticeFacts) -> Answered:
    return {"law": f.fixed.legal_basis}, []


def _open(name: str, key: str) -> Callable[[NoticeFacts], Answered]:
    def answer(f: NoticeFacts) -> Answered:
        value = getattr(f.answers, name)
        return {key: value}, ([] if value is not None else [f"answers.{name}"])
    return answer


def _organisation(f: NoticeFacts) -> Answered:
    org = f.profile.organisation
    return {"organisation": org}, ([] if org.sector else ["profile.organisation.sector"])


def _contact(f: NoticeFacts) -> Answered:
    contact = f.profile.privacy_contact
    missing = [f"{CONTACT}.{name}" for name in ("name", "role", "phone") if not getattr(contact, name)]
    return {"contact": contact}, missing


def _involved(f: NoticeFacts) -> Answered:
    systems = []
    for name in f.incident.systems:
        system = f.profile.system(name)
        if system is not None and system.processor:
            systems.append({"system": system.name, "processor": f.profile.processor(system.processor),
                            "processor_name": system.processor})
    return {"processor": f.source_processor, "processor_name": f.incident.source_processor,
            "systems": systems}, []


def _period(f: NoticeFacts) -> Answered:
    i = f.incident
    missing = [f"incident.{n}" for n in ("occurred_from", "occurred_until") if getattr(i, n) is None]
    return {"start": i.occurred_from, "end": i.occurred_until}, missing


def _discovered(f: NoticeFacts) -> Answered:
    i = f.incident
    return {"discovered_at": i.discovered_at, "aware_at": i.aware_at, "due_at": authority_deadline(i.aware_at),
            "awareness_reason": i.awareness_reason,
            "processor": i.source_processor if i.source_kind == "processor" else None}, []


def _how(f: NoticeFacts) -> Answered:
    i = f.incident
    return {"source": i.source_kind, "processor": i.source_processor, "reported_by": i.reported_by}, []


def _delay(f: NoticeFacts) -> Answered:
    first = _first(f)
    reason = first.delay_reason if first is not None else None
    notified_at = first.filed_at if first is not None else f.made_at
    return ({"aware_at": f.incident.aware_at, "due_at": authority_deadline(f.incident.aware_at),
             "notified_at": notified_at, "filed": first is not None, "reason": reason},
            [] if reason else ["filings.delay_reason"])


def _needs_assessment(build: Callable[[NoticeFacts, AssessmentView], Answered], *sources: str
                      ) -> Callable[[NoticeFacts], Answered]:
    def answer(f: NoticeFacts) -> Answered:
        if f.assessment is None:
            return {}, list(sources)
        return build(f, f.assessment)
    return answer


def _nature(f: NoticeFacts, a: AssessmentView) -> Answered:
    value = {"confidentiality": a.confidentiality, "integrity": a.integrity, "availability": a.availability}
    if all(v == "none" for v in value.values()):
        return value, ["assessment.confidentiality", "assessment.integrity", "assessment.availability"]
    return value, []


def _description(f: NoticeFacts, a: AssessmentView) -> Answered:
    return {"summary": a.summary, "description": f.incident.description, "malicious": a.malicious,
            "exfiltration": a.exfiltration, "recovered": a.recovered, "recipient_trusted": a.recipient_trusted,
            "restored_within_hours": a.restored_within_hours}, []


def _description_without_assessment(f: NoticeFacts) -> Answered:
    if f.assessment is not None:
        return _description(f, f.assessment)
    return {"summary": None, "description": f.incident.description}, ["assessment.summary"]


def _attachments(f: NoticeFacts) -> Answered:
    return {"attachments": list(f.fixed.attachments)}, []


def _terms(f: NoticeFacts, a: AssessmentView, special: bool) -> list[dict[str, Any]]:
    """Each vocabulary term once, in the assessment's order, with the organisation's own names for it."""
    terms: dict[str, list[str]] = {}
    for name in a.categories:
        term = f.profile.vocabulary_of(name) or name
        own = terms.setdefault(term, [])
        if name != term and name not in own:
            own.append(name)
    return [{"term": t, "own": own} for t, own in terms.items() if is_special_category(t) == special]


def _kinds(f: NoticeFacts, a: AssessmentView) -> Answered:
    return {"kinds": _terms(f, a, special=False)}, []


def _special(f: NoticeFacts, a: AssessmentView) -> Answered:
    return {"special": _terms(f, a, special=True)}, []


def _counted(a: AssessmentView) -> bool:
    return a.count_max > 0


def _records(f: NoticeFacts, a: AssessmentView) -> Answered:
    # the form accepts an estimate with an explanation: every person affected has at least one record
    return ({"min": a.count_min, "max": a.count_max},
            [] if _counted(a) else ["assessment.count_min", "assessment.count_max"])


def _groups(f: NoticeFacts, a: AssessmentView) -> Answered:
    groups: list[dict[str, Any]] = []
    seen: set[tuple[str | None, str | None]] = set()
    for label in a.groups:
        code = form_group(label)
        key = (code, None if code else label)
        if key not in seen:
            seen.add(key)
            own = label if code and label.strip().casefold() not in FORM_GROUPS else None
            groups.append({"group": code, "label": label, "own": own})
    vulnerable = bool(a.context.get("vulnerable_subjects"))
    return ({"groups": groups, "vulnerable": vulnerable},
            [] if groups or vulnerable else ["assessment.groups"])


def _group_detail(f: NoticeFacts, a: AssessmentView) -> Answered:
    subjects = f.subjects
    list_needed = f.decision is not None and f.decision.notify_subjects and a.contact_effort == "individual"
    missing = []
    if not a.groups:
        missing.append("assessment.groups")
    if list_needed and subjects.total == 0:
        missing.append("subjects.total")
    return {"labels": list(a.groups), "vulnerable": bool(a.context.get("vulnerable_subjects")),
            "identification": a.ease_of_identification, "subjects": subjects, "list_needed": list_needed}, missing


def _people(f: NoticeFacts, a: AssessmentView) -> Answered:
    return ({"min": a.count_min, "max": a.count_max},
            [] if _counted(a) else ["assessment.count_min", "assessment.count_max"])


def _protection(f: NoticeFacts, a: AssessmentView) -> Answered:
    return {"encryption": a.encryption, "key_compromised": a.key_compromised, "hashing": a.hashing,
            "backup_available": a.backup_available, "unintelligible": f.findings.unintelligible}, []


def _effects(f: NoticeFacts, a: AssessmentView) -> Answered:
    found = processing_consequences(a)
    return {"consequences": found}, ([] if found else ["assessment.confidentiality"])


def _harms(f: NoticeFacts, a: AssessmentView) -> Answered:
    found = consequences_for_people(a)
    return {"consequences": found}, ([] if found else ["assessment.categories"])


def _severity(f: NoticeFacts) -> Answered:
    factors = severity_factors(f.assessment) if f.assessment is not None else []
    s = f.severity
    return ({"level": s.level if s else None, "score": s.score if s else None, "factors": factors},
            [] if s else ["severity.level"])


def _told(f: NoticeFacts) -> Answered:
    d, a = f.decision, f.assessment
    if d is None or a is None:
        return {"decided": False}, ["decision.notify_subjects"]
    sent = f.subject_notice
    done = sent is not None and sent.status == "done" and sent.finished_at is not None
    exemptions = f.findings.exemptions
    rec = f.incident.recommendation
    public = told_by_public_communication(f.findings, d.notify_subjects, rec is not None and rec.public_communication)
    communication = f.incident.public_notice
    missing = []
    if d.notify_subjects and not public:
        if f.subjects.total == 0:
            missing.append("subjects.reachable")
        if not done:
            missing.append("subject_notice.finished_at")
    if public and communication is None:
        missing.append("public_notice.published_at")
    if public and communication is not None:
        texts = {t.language: t for t in f.texts if t.kind == "public_notice" and t.version == communication.version}
    else:
        texts = {t.language: t for t in f.texts if t.kind == "subject_notice"} if done else {}
    return {"decided": True, "notify": d.notify_subjects, "public": public, "exemptions": exemptions,
            "high_risk": f.findings.high_risk,
            "subjects": f.subjects, "sent_at": sent.finished_at if done and sent else None,
            "sent_to": sent.recipients if done and sent else 0, "reason": d.reason,
            "published_at": communication.finished_at if communication else None,
            "texts": texts, "name_token": NAME_TOKEN}, missing


def _measures(f: NoticeFacts, a: AssessmentView) -> Answered:
    return {"measures": a.measures}, ([] if a.measures.strip() else ["assessment.measures"])


_ANSWERERS: dict[str, Callable[[NoticeFacts], Answered]] = {
    "1.1": _kind,
    "1.2": _legal_basis,
    "1.3": _open("other_regulators", "regulators"),
    "2.1": _open("countries", "countries"),
    "2.2": _open("other_authorities", "authorities"),
    "3.1": _organisation,
    "3.2": _contact,
    "3.3": _involved,
    "4.1": _period,
    "4.2": _discovered,
    "4.3": _how,
    "4.5": _delay,
    "5.1": _needs_assessment(_nature, "assessment.confidentiality", "assessment.integrity",
                             "assessment.availability"),
    "5.2": _open("incident_kind", "kind"),
    "5.3": _description_without_assessment,
    "5.4": _attachments,
    "6.1": _needs_assessment(_kinds, "assessment.categories"),
    "6.2": _needs_assessment(_special, "assessment.categories"),
    "6.3": _needs_assessment(_records, "assessment.count_min", "assessment.count_max"),
    "7.1": _needs_assessment(_groups, "assessment.groups"),
    "7.2": _needs_assessment(_group_detail, "assessment.groups"),
    "7.3": _needs_assessment(_people, "assessment.count_min", "assessment.count_max"),
    "8.1": _needs_assessment(_protection, "assessment.encryption"),
    "9.1": _needs_assessment(_effects, "assessment.confidentiality"),
    "9.2": _needs_assessment(_harms, "assessment.categories"),
    "9.3": _severity,
    "10.1": _told,
    "10.2": _needs_assessment(_measures, "assessment.measures"),
}
