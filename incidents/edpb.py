"""The EDPB's common EU breach-notification template (draft v1.0), filled from the AP notice's answer set.

One answer set, two renderings. The AP notice (incidents/authority_notice/) turns what the register knows into
an `AnswerSet`; `template_answers(facts)` reads that same set (and the same `NoticeFacts`) and answers the
template's 100 input fields (docs/edpb/breach-notification.schema.json): option letters, times, counts, and for
free text the facts that templates/<lang>/edpb/_texts.j2 puts into words. `render_document` makes the JSON
document (`field_N` keys, option letters); `render_html` a readable version with the template's sections.

Each field of the template is defined beside the rule that answers it (`@answers(_f(N, ...))`): the register
facts it is filled from (paths into NoticeFacts, as the AP form's questions name theirs) and the AP question with
the same facts; a field that stays empty is defined with its reason. `FIELDS` collects them in order. What the
register does not know yet is "to be determined" where the template has that option (and listed); where it has
none, the export is refused with the missing answers. No database and no Prefect here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from incidents.authority_notice import AnswerSet, NoticeFacts, answer_set
from incidents.errors import FieldError, InvalidInput
from incidents.notify.render import environment, render
from incidents.profile import categories_of
from incidents.said import Said
from incidents.times import iso, local

TEMPLATE_VERSION = "1.0"

Kind = Literal["option", "options", "text", "raw", "datetime", "date", "integer", "boolean"]

# Why a field stays empty; templates/<lang>/edpb/_fields.j2 (empty_reasons) words each code.
EmptyReason = Literal[
    "not_recorded", "organisation_in_eea", "optional_not_asked", "contact_is_reporter", "never_other",
    "no_planned_date", "per_country_not_recorded", "garbled_options", "no_attachments", "only_outside_eea",
    "only_with_organisation_type",
]


@dataclass(frozen=True)
class FieldSpec:
    """One input field of the template: where its answer comes from, or why it stays empty."""

    number: int
    section: str  # the template's section (x-section)
    kind: Kind
    required: bool = False  # in the schema's `required`
    sources: tuple[str, ...] = ()  # paths into NoticeFacts (incidents.authority_notice.source_type)
    ap: tuple[str, ...] = ()  # the AP form's questions answered from the same facts
    empty: EmptyReason | None = None  # set: never filled, for this reason
    to_be_determined: str | None = None  # the option that says "to be determined" (or "unknown"), if any

    @property
    def key(self) -> str:
        return f"field_{self.number}"


def _f(number: int, section: str, kind: Kind, *sources: str, ap: tuple[str, ...] = (), required: bool = False,
       tbd: str | None = None) -> FieldSpec:
    return FieldSpec(number, section, kind, required, tuple(sources), ap, None, tbd)


def _empty(number: int, section: str, kind: Kind, reason: EmptyReason, ap: tuple[str, ...] = ()) -> FieldSpec:
    return FieldSpec(number, section, kind, False, (), ap, reason)


_A = "assessment"
_PC = "profile.privacy_contact"
_ORG = "profile.organisation"
_REC = "incident.recommendation"
_PARTIES = ("incident.source_processor", "incident.systems", "profile.processors", "profile.data_inventory")
_COUNT = (f"{_A}.count_min", f"{_A}.count_max")
_TOLD = ("decision.notify_subjects", "subject_notice.status", "subject_notice.finished_at",
         f"{_A}.encryption", f"{_A}.key_compromised", f"{_A}.measures_make_high_risk_unlikely",
         f"{_A}.contact_effort")

# Each field of the template is defined beside the rule that answers it (`@answers(...)`), or, when it stays
# empty, with the reason (`define(_empty(...))`); FIELDS collects them in the template's order below the rules.
Rule = Callable[["_Ctx"], "Value"]
_DEFINED: dict[int, FieldSpec] = {}
_RULES: dict[int, Rule] = {}


def define(spec: FieldSpec, rule: Rule | None = None) -> None:
    if spec.number in _DEFINED:
        raise ValueError(f"field {spec.number} is defined twice")
    _DEFINED[spec.number] = spec
    if rule is not None:
        _RULES[spec.number] = rule


def answers(*specs: FieldSpec) -> Callable[[Rule], Rule]:
    """Define the fields `specs` as answered by the decorated rule."""
    def register(rule: Rule) -> Rule:
        for spec in specs:
            define(spec, rule)
        return rule
    return register


# EU member states plus Iceland, Liechtenstein and Norway (ISO 3166-1 alpha-2; Greece is GR).
EEA = frozenset({"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
                 "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"})


# --- the mappings onto the template's options ---------------------------------------------------------------

SOURCE_DISCOVERY = {"internal": "a", "processor": "b", "data_subject": "c", "external": "d"}  # field 50

# The AP form's kinds of incident (5.2) onto the template's nature of the incident (field 60).
INCIDENT_KIND = {
    "email_wrong_recipient": "r", "email_cc_not_bcc": "s", "post_wrong_recipient": "r",
    "post_returned_opened": "l", "post_lost": "l", "access_rights": "n", "network_folders": "n",
    "device_lost_or_stolen": "i", "published": "v", "hacking_malware_phishing": "c", "wrong_record": "h",
    "other": "y",
}

# The AP form's groups (7.1) onto the template's categories of people (field 65); labels the AP form calls
# "other" but the template has a category for (subscribers, users) by the organisation's own label.
FORM_GROUP = {"customers": "a", "employees": "b", "minors": "d", "patients": "e", "students": "f"}
EXTRA_GROUP = {
    **dict.fromkeys(["subscribers", "subscriber", "abonnees", "abonnee", "nieuwsbriefabonnees",
                     "newsletter subscribers", "nieuwsbriefontvangers"], "g"),
    **dict.fromkeys(["users", "user", "gebruikers", "gebruiker"], "h"),
}

# The assessment vocabulary onto the template's types of data (field 70); "u" is "additional data types",
# described in field 71.
DATA_TYPE: dict[str, tuple[str, ...]] = {
    "name": ("a",), "date_of_birth": ("a",), "demographic": ("a",), "contact": ("b",),
    "biometric": ("c",), "criminal": ("d",), "political": ("e",), "ethnic_origin": ("f",), "religious": ("g",),
    "sexual_life": ("h",), "union_membership": ("i",), "genetic": ("j",), "health": ("k",),
    "income": ("l",), "transactions": ("l",), "invoices": ("l",), "national_id": ("n",),
    "identity_document": ("n", "p"), "location": ("o",), "bank_account": ("q",), "payment_card": ("q",),
    "preferences": ("r",), "account_credentials": ("s",),
    "special_category": ("u",), "education": ("u",), "professional": ("u",), "family": ("u",),
    "traffic_data": ("u",), "browsing_behaviour": ("u",), "purchase_history": ("u",),
    "communications_metadata": ("u",), "communications_content": ("u",),
}

# The AP form's consequences for the people (9.2, consequences_for_people) onto field 85; "n" is "other",
# described in field 86.
HARM = {"discrimination": "c", "reputation": "h", "identity_fraud": "d", "financial_loss": "f",
        "lose_control": "a", "no_access": "b", "account_misuse": "n", "phishing": "n", "wrong_decisions": "n",
        "physical_harm": "l"}

SEVERITY = {"low": "a", "medium": "b", "high": "c", "very_high": "c"}  # ENISA level onto field 87
EXEMPTION = {"unintelligible": "a", "measures": "b", "public_communication": "c"}  # art. 34(3), field 100
UNRECORDED_CAUSE = "unrecorded:cause_origin"  # an "other" incident: whether its cause lay inside is not recorded


# --- the answers ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Value:
    """A field's answer: the JSON value, or for free text the facts the templates word (a mapping); `pending`:
    the sources still unknown (the field says "to be determined"); `missing`: unknown and the template has no
    way to say so, so the export is refused."""

    value: Any = None
    pending: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class EdpbAnswer:
    spec: FieldSpec
    value: Any  # None: the field is not shown (it does not apply)
    pending: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def number(self) -> int:
        return self.spec.number


@dataclass(frozen=True)
class EdpbAnswers:
    """The template's fields answered from one answer set, in the template's order (empty fields left out)."""

    answer_set: AnswerSet
    facts: NoticeFacts
    answers: Mapping[int, EdpbAnswer]

    @property
    def incident_id(self) -> str:
        return self.answer_set.incident_id

    @property
    def pending(self) -> list[EdpbAnswer]:
        """The fields that say "to be determined" (or carry the template's words for it): a follow-up is due."""
        return [a for a in self.answers.values() if a.pending]

    @property
    def refused(self) -> list[EdpbAnswer]:
        """Required fields the register cannot answer and the template has no "to be determined" for."""
        return [a for a in self.answers.values() if a.missing]

    @property
    def complete(self) -> bool:
        return not self.pending


def template_answers(facts: NoticeFacts) -> EdpbAnswers:
    """Answer every field of the template from the AP notice's answer set (and the facts it was made from)."""
    ctx = _Ctx(facts, answer_set(facts))
    answers: dict[int, EdpbAnswer] = {}
    for spec in FIELDS:
        if spec.empty is not None or spec.number == 4:
            continue
        v = _RULES[spec.number](ctx)
        if v.value is not None or v.pending or v.missing:
            answers[spec.number] = EdpbAnswer(spec, v.value, v.pending, v.missing)
    answers[4] = EdpbAnswer(FIELD[4], notification_subtype(facts.purpose, any(a.pending for a in answers.values())))
    return EdpbAnswers(ctx.answers, facts, dict(sorted(answers.items())))


define(_f(4, "1.1", "option", "purpose", "filings.kind", ap=("1.1",), required=True))  # notification_subtype


def notification_subtype(purpose: str, incomplete: bool) -> str:
    """Field 4, GDPR art. 33(4): a withdrawal withdraws (c); otherwise a notice that still leaves anything to be
    determined is incomplete (b), to be completed by a follow-up, and one that answers everything complete (a)."""
    if purpose == "withdrawal":
        return "c"
    return "b" if incomplete else "a"


@dataclass(frozen=True)
class _Ctx:
    facts: NoticeFacts
    answers: AnswerSet

    def value(self, number: str) -> Mapping[str, Any]:
        a = self.answers.answers.get(number)
        return a.value if a is not None else {}

    def missing(self, number: str) -> tuple[str, ...]:
        a = self.answers.answers.get(number)
        return a.missing if a is not None else ()

    @property
    def confidentiality(self) -> bool:
        return "a" in self.nature

    @property
    def nature(self) -> list[str]:
        v = self.value("5.1")
        if not v or self.missing("5.1"):
            return []
        return nature(v["confidentiality"], v["integrity"], v["availability"])

    @property
    def counted(self) -> bool:
        return self.facts.assessment is not None and not self.missing("7.3")


def _sorted(letters: Iterable[str]) -> list[str]:
    return sorted(set(letters))


# --- 1.1 the notification and the controller ------------------------------------------------------------------

@answers(_f(3, "1.1", "option", "purpose", "filings.kind", ap=("1.1",), required=True))
def _type(c: _Ctx) -> Value:
    """Field 3: a first notice is new (a); a follow-up or a withdrawal follows up (b)."""
    return Value("a" if c.facts.purpose == "first" else "b")


@answers(_f(5, "1.1", "raw", "filings.withdrawal_reason", "withdrawal_reason", ap=("1.1",)))
def _withdrawal_reason(c: _Ctx) -> Value:
    if c.facts.purpose != "withdrawal":
        return Value()
    reason = c.value("1.1").get("withdrawal_reason")
    return Value(reason, () if reason else ("filings.withdrawal_reason",))


@answers(_f(6, "1.1", "raw", "filings.reference", ap=("1.1",)))
def _previous_id(c: _Ctx) -> Value:
    """Field 6: the AP's reference (meldnummer) of the notice a follow-up or withdrawal refers to."""
    if c.facts.purpose == "first":
        return Value()
    previous = c.value("1.1").get("previous")
    return Value(previous.reference if previous is not None else None,
                 () if previous is not None else ("filings.reference",))


@answers(_f(7, "1.1", "raw", "incident.id"))
def _incident_id(c: _Ctx) -> Value:
    return Value(c.facts.incident.id)


@answers(_f(10, "1.1", "option", f"{_ORG}.kvk_number", ap=("3.1",)))
def _company_register(c: _Ctx) -> Value:
    """The KvK number: the Dutch company register's number."""
    return Value("a")


@answers(_f(11, "1.1", "raw", f"{_ORG}.kvk_number", ap=("3.1",)))
def _kvk_number(c: _Ctx) -> Value:
    return Value(c.facts.profile.organisation.kvk_number)


@answers(_f(12, "1.1", "raw", f"{_ORG}.name", ap=("3.1",), required=True))
def _organisation_name(c: _Ctx) -> Value:
    return Value(c.facts.profile.organisation.name)


@answers(_f(13, "1.1", "text", f"{_ORG}.address", f"{_ORG}.phone", f"{_ORG}.email", f"{_ORG}.website", ap=("3.1",),
       required=True))
def _organisation(c: _Ctx) -> Value:
    return Value({"organisation": c.facts.profile.organisation})


define(_empty(14, "1.1", "option", "not_recorded", ap=("3.1",)))

define(_empty(15, "1.1", "option", "not_recorded"))

define(_empty(16, "1.1", "text", "only_with_organisation_type"))


@answers(_f(17, "1.1", "raw", f"{_ORG}.sector", ap=("3.1",)))
def _sector(c: _Ctx) -> Value:
    return Value(c.facts.profile.organisation.sector or None)


define(_empty(18, "1.1", "raw", "organisation_in_eea"))

define(_empty(19, "1.1", "text", "organisation_in_eea"))


@answers(_f(21, "2.2", "raw", f"{_PC}.name", ap=("3.2",), required=True))
def _contact_name(c: _Ctx) -> Value:
    return Value(c.facts.profile.privacy_contact.name)


@answers(_f(22, "2.2", "text", f"{_PC}.phone", f"{_PC}.email", ap=("3.2",), required=True))
def _contact(c: _Ctx) -> Value:
    return Value({"contact": c.facts.profile.privacy_contact})


@answers(_f(23, "2.2", "option", f"{_PC}.role", ap=("3.2",), required=True))
def _contact_role_kind(c: _Ctx) -> Value:
    """The privacy contact, whose role the profile gives in words (field 24)."""
    return Value("c")


@answers(_f(24, "2.2", "raw", f"{_PC}.role", ap=("3.2",)))
def _role(c: _Ctx) -> Value:
    role = c.facts.profile.privacy_contact.role
    return Value(role or None, () if role else (f"{_PC}.role",))


define(_empty(25, "2.2", "raw", "optional_not_asked"))

define(_empty(26, "2.2", "raw", "optional_not_asked"))


@answers(
    _f(29, "2.3.1", "text", f"{_ORG}.dpo_registration", ap=("3.1",), required=True),
    _f(30, "2.3.1", "text", f"{_ORG}.dpo_registration", ap=("3.1",), required=True),
    _f(31, "2.3.1", "text", f"{_ORG}.dpo_registration", f"{_PC}.email", ap=("3.1", "3.2"), required=True),
)
def _dpo(c: _Ctx) -> Value:
    registration = c.facts.profile.organisation.dpo_registration
    return Value({"registration": registration, "contact": c.facts.profile.privacy_contact})


@dataclass(frozen=True)
class Party:
    """Another organisation involved: a processor that told us of the breach or that runs an affected system."""

    name: str
    processor: Any  # incidents.profile.Processor | None (not in the profile)
    reported: bool
    systems: tuple[str, ...]


def parties(c: _Ctx) -> list[Party]:
    """GDPR art. 33(2) and 28, AP form 3.3: the processor that reported the breach, then the processors of the
    affected systems, each once."""
    v = c.value("3.3")
    found: dict[str, Party] = {}
    if v.get("processor_name"):
        found[v["processor_name"].casefold()] = Party(v["processor_name"], v["processor"], True, ())
    for s in v.get("systems", []):
        key = s["processor_name"].casefold()
        if key in found:
            p = found[key]
            found[key] = Party(p.name, p.processor, p.reported, p.systems + (s["system"],))
        else:
            found[key] = Party(s["processor_name"], s["processor"], False, (s["system"],))
    return list(found.values())


@answers(_f(33, "2.3.1", "option", _PC, ap=("3.2",)))
def _contact_point(c: _Ctx) -> Value:
    """The AP form's contact person is the one who notifies (3.2)."""
    return Value("b")


define(_empty(34, "2.3.1", "raw", "contact_is_reporter", ap=("3.2",)))

define(_empty(35, "2.3.1", "raw", "contact_is_reporter", ap=("3.2",)))

define(_empty(36, "2.3.1", "text", "contact_is_reporter", ap=("3.2",)))


@answers(_f(38, "2.3.1", "option", *_PARTIES, ap=("3.3",), required=True))
def _involved(c: _Ctx) -> Value:
    return Value("a" if parties(c) else "b")


@answers(
    _f(39, "2.3.1", "text", *_PARTIES, ap=("3.3",), required=True),
    _f(41, "2.3.1", "text", *_PARTIES, "profile.processors.contact_email", "profile.processors.country",
       ap=("3.3",), required=True),
)
def _parties_text(c: _Ctx) -> Value:
    return Value({"parties": parties(c)})


@answers(_f(40, "2.3.1", "raw", *_PARTIES, ap=("3.3",), required=True))
def _party_names(c: _Ctx) -> Value:
    names = [p.name for p in parties(c)]
    return Value(names if names else {"parties": []})


# --- 3.1 the timeline -----------------------------------------------------------------------------------------

@answers(_f(44, "3.1", "option", "incident.occurred_from", "incident.occurred_until", ap=("4.1",), required=True,
       tbd="e"))
def _occurred(c: _Ctx) -> Value:
    """Field 44: on one day (a) or from one date to another (b) when start and end are known (Europe/Amsterdam
    days); otherwise to be determined (e). The register cannot tell "still going on" from "end not known yet"."""
    v = c.value("4.1")
    start, end = v.get("start"), v.get("end")
    if start is not None and end is not None:
        return Value("a" if local(start).date() == local(end).date() else "b")
    return Value("e", c.missing("4.1"))


define(_empty(45, "3.1", "boolean", "not_recorded", ap=("4.1",)))


@answers(_f(46, "3.1", "datetime", "incident.occurred_from", ap=("4.1",)))
def _start(c: _Ctx) -> Value:
    return Value(c.value("4.1").get("start"))


@answers(_f(47, "3.1", "datetime", "incident.occurred_until", ap=("4.1",)))
def _end(c: _Ctx) -> Value:
    v = c.value("4.1")
    return Value(v.get("end") if v.get("start") is not None else None)


@answers(_f(48, "3.1", "datetime", "incident.aware_at", ap=("4.2",), required=True))
def _aware(c: _Ctx) -> Value:
    return Value(c.facts.incident.aware_at)


@answers(_f(49, "3.1", "raw", "filings.delay_reason", "filings.filed_at", "made_at", "incident.aware_at", ap=("4.5",)))
def _late(c: _Ctx) -> Value:
    """Field 49, GDPR art. 33(1): the reasons for the delay, exactly when the notification is (or was) made more
    than 72 hours after awareness — the same rule as the AP form's 4.5."""
    if not c.answers.late:
        return Value()
    reason = c.value("4.5").get("reason")
    return Value(reason, () if reason else ("filings.delay_reason",))


@answers(_f(50, "3.1", "option", "incident.source_kind", ap=("4.3",), required=True))
def _discovery(c: _Ctx) -> Value:
    return Value(SOURCE_DISCOVERY[c.facts.incident.source_kind])


@answers(_f(51, "3.1", "text", "incident.source_kind", "incident.source_processor", "incident.reported_by",
       "incident.discovered_at", ap=("4.2", "4.3"), required=True))
def _discovery_text(c: _Ctx) -> Value:
    i = c.facts.incident
    return Value({**c.value("4.3"), "discovered_at": i.discovered_at, "aware_at": i.aware_at})


@answers(_f(52, "3.1", "date", "incident.source_kind", "incident.aware_at", "incident.discovered_at", ap=("4.2",)))
def _told_by_other(c: _Ctx) -> Value:
    """Field 52: the day another party told us. A processor's notice starts our 72 hours (art. 33(2)), so that
    is the awareness; a person or an outsider told us when we discovered it."""
    i = c.facts.incident
    if i.source_kind == "processor":
        return Value(local(i.aware_at).date())
    if i.source_kind in ("data_subject", "external"):
        return Value(local(i.discovered_at).date())
    return Value()


@answers(_f(53, "3.1", "text", "incident.discovered_at", "incident.aware_at", "incident.occurred_from",
       "incident.occurred_until", "incident.source_processor", "profile.processors.notice_hours",
       f"{_A}.restored_within_hours", ap=("4.1", "4.2")))
def _timeline(c: _Ctx) -> Value:
    i = c.facts.incident
    a = c.facts.assessment
    return Value({"discovered_at": i.discovered_at, "aware_at": i.aware_at, "due_at": c.answers.due_at,
                  "start": i.occurred_from, "end": i.occurred_until, "processor": c.facts.source_processor,
                  "processor_name": i.source_processor if i.source_kind == "processor" else None,
                  "restored_within_hours": a.restored_within_hours if a is not None else None})


# --- 3.2 the nature of the breach -----------------------------------------------------------------------------

def nature(confidentiality: str, integrity: str, availability: str) -> list[str]:
    """GDPR art. 4(12), field 55: a confidentiality (a), integrity (b) and/or availability (c) breach, each that
    applies, as the AP form's 5.1 lists them."""
    found = []
    if confidentiality != "none":
        found.append("a")
    if integrity != "none":
        found.append("b")
    if availability != "none":
        found.append("c")
    return found


@answers(_f(55, "3.2", "options", f"{_A}.confidentiality", f"{_A}.integrity", f"{_A}.availability", ap=("5.1",),
       required=True))
def _nature(c: _Ctx) -> Value:
    if not c.nature:
        return Value(missing=c.missing("5.1") or ("assessment.confidentiality",))
    return Value(c.nature)


def confidentiality_type(confidentiality: str, exfiltration: str) -> str:
    """Field 56: exfiltrated or disclosed (a) when exfiltration is confirmed or the data went to recipients or the
    public; likely (b) when it is suspected or unknown people may have seen it; not (c) when the IT expert found
    no evidence of access and nothing left."""
    if exfiltration == "confirmed" or confidentiality in ("known_recipients", "public"):
        return "a"
    if exfiltration == "suspected" or confidentiality == "unknown_recipients":
        return "b"
    return "c"


@answers(_f(56, "3.2", "option", f"{_A}.confidentiality", f"{_A}.exfiltration", ap=("5.1", "5.3"), tbd="e"))
def _confidentiality(c: _Ctx) -> Value:
    a = c.facts.assessment
    if not c.confidentiality or a is None:
        return Value()
    return Value(confidentiality_type(a.confidentiality, a.exfiltration))


def unintelligible(c: _Ctx) -> str:
    """Field 57, GDPR art. 34(3)(a): unreadable to anyone unauthorised (a) — as the stored legal findings say
    (incidents.legal.unintelligible); protected, but likely subverted (b) — weak encryption, a compromised key,
    or hashing alone; no (c)."""
    a = c.facts.assessment
    assert a is not None
    if c.facts.findings.unintelligible:
        return "a"
    if a.encryption != "none" or a.hashing != "none":
        return "b"
    return "c"


@answers(_f(57, "3.2", "option", f"{_A}.encryption", f"{_A}.key_compromised", f"{_A}.hashing", f"{_REC}.findings.unintelligible",
       ap=("8.1",), tbd="e"))
def _unintelligible(c: _Ctx) -> Value:
    if not c.confidentiality:
        return Value()
    return Value(unintelligible(c))


@answers(_f(58, "3.2", "option", f"{_A}.integrity", f"{_A}.malicious", ap=("5.1",)))
def _integrity(c: _Ctx) -> Value:
    """Field 58: altered without (a) or with evidence of wrongful use, then recoverable (b) or not (c)."""
    a = c.facts.assessment
    if a is None or "b" not in c.nature:
        return Value()
    if not a.malicious:
        return Value("a")
    return Value("b" if a.integrity == "altered_recoverable" else "c")


@answers(_f(59, "3.2", "option", f"{_A}.availability", ap=("5.1",)))
def _availability(c: _Ctx) -> Value:
    a = c.facts.assessment
    if a is None or "c" not in c.nature:
        return Value()
    return Value("b" if a.availability == "permanent" else "a")


@answers(_f(60, "3.2", "option", "answers.incident_kind", ap=("5.2",), required=True, tbd="x"))
def _incident_kind(c: _Ctx) -> Value:
    kind = c.value("5.2").get("kind")
    if kind is None:
        return Value("x", ("answers.incident_kind",))
    return Value(INCIDENT_KIND[kind])


def cause(kind: str | None, malicious: bool) -> str | None:
    """Field 61: inside (a, b) or outside (c, d) the organisation, without (a, c) or with malicious intent (b, d).
    The register records the intent (assessment.malicious); where the cause lay follows from the kind of
    incident (the AP form's 5.2): a mistake in the organisation's own mailing, sharing, access rights or records
    is internal; hacking, malware or phishing and post opened or lost on its way are external; a device or
    papers lost are internal, stolen (malicious) external. None: not to be told from the kind ("other", or
    unknown)."""
    if kind in ("email_wrong_recipient", "email_cc_not_bcc", "post_wrong_recipient", "access_rights",
                "network_folders", "published", "wrong_record"):
        inside = True
    elif kind in ("hacking_malware_phishing", "post_returned_opened", "post_lost"):
        inside = False
    elif kind == "device_lost_or_stolen":
        inside = not malicious
    else:
        return None
    return ("b" if malicious else "a") if inside else ("d" if malicious else "c")


@answers(_f(61, "3.2", "option", "answers.incident_kind", f"{_A}.malicious", ap=("5.2", "5.3"), required=True, tbd="e"))
def _cause(c: _Ctx) -> Value:
    a = c.facts.assessment
    kind = c.value("5.2").get("kind")
    if a is None:
        return Value("e", ("assessment.malicious",))
    found = cause(kind, a.malicious)
    if found is None:
        return Value("e", ("answers.incident_kind",) if kind is None else (UNRECORDED_CAUSE,))
    return Value(found)


@answers(_f(62, "3.2", "text", f"{_A}.summary", "incident.description", f"{_A}.malicious", f"{_A}.exfiltration",
       f"{_A}.recovered", f"{_A}.recipient_trusted", f"{_A}.restored_within_hours", ap=("5.3",), required=True))
def _description(c: _Ctx) -> Value:
    return Value(dict(c.value("5.3")), c.missing("5.3"))


@answers(_f(63, "3.2", "text", "incident.systems", "profile.data_inventory", "profile.processors", ap=("3.3",),
       required=True))
def _systems(c: _Ctx) -> Value:
    found = []
    for name in c.facts.incident.systems:
        system = c.facts.profile.system(name)
        processor_name = system.processor if system is not None else None
        found.append({"name": name, "system": system, "processor_name": processor_name,
                      "processor": c.facts.profile.processor(processor_name) if processor_name else None})
    return Value({"systems": found}, () if found else ("incident.systems",))


# --- 3.3 the people, 3.4 the data ----------------------------------------------------------------------------

def group_letter(code: str | None, label: str) -> str:
    """Field 65 for one group: the AP form's group (form_group), else subscribers or users by the organisation's
    label (whole, or its first or last word: "gebruikers van de app", "nieuwsbriefabonnees", "newsletter
    subscribers"), else additional people (j), described in field 66."""
    if code in FORM_GROUP:
        return FORM_GROUP[code]
    text = label.strip().casefold()
    words = [w for w in re.split(r"[^\w]+", text) if w]
    for candidate in [text] + words[:1] + words[-1:]:
        if candidate in EXTRA_GROUP:
            return EXTRA_GROUP[candidate]
    if text.endswith(("abonnees", "subscribers")):
        return "g"
    return "j"


@answers(_f(65, "3.3", "options", f"{_A}.groups", f"{_A}.context", ap=("7.1",), required=True, tbd="k"))
def _groups(c: _Ctx) -> Value:
    if c.facts.assessment is None or c.missing("7.1"):
        return Value("k", c.missing("7.1") or ("assessment.groups",))
    v = c.value("7.1")
    letters = [group_letter(g["group"], g["label"]) for g in v["groups"]]
    if v["vulnerable"]:
        letters.append("i")
    return Value(_sorted(letters))


@answers(_f(66, "3.3", "text", f"{_A}.groups", f"{_A}.context", f"{_A}.ease_of_identification", "subjects.total",
       *_COUNT, ap=("7.2", "7.3"), required=True))
def _groups_text(c: _Ctx) -> Value:
    a = c.facts.assessment
    if a is None:
        return Value(None, ("assessment.groups",))
    v = c.value("7.1")
    others = [g["label"] for g in v["groups"] if group_letter(g["group"], g["label"]) == "j"]
    return Value({**c.value("7.2"), "others": others, "min": a.count_min, "max": a.count_max,
                  "counted": c.counted}, c.missing("7.2"))


@answers(_f(67, "3.3", "option", *_COUNT, ap=("7.3",), required=True, tbd="d"))
def _people(c: _Ctx) -> Value:
    """Field 67 from the assessment's range: exact (a) when the lowest and highest estimate agree, approximate
    (b) when they differ, to be determined (d) while nobody is counted."""
    a = c.facts.assessment
    if a is None or not c.counted:
        return Value("d", c.missing("7.3") or _COUNT)
    return Value("a" if a.count_min == a.count_max else "b")


@answers(_f(68, "3.3", "integer", *_COUNT, ap=("7.3",)))
def _people_count(c: _Ctx) -> Value:
    """Field 68: the exact number, or the highest estimate (the range is in field 66)."""
    a = c.facts.assessment
    return Value(a.count_max if a is not None and c.counted else None)


def data_types(terms: Iterable[str]) -> list[str]:
    return _sorted(letter for term in terms for letter in DATA_TYPE.get(term, ("u",)))


@answers(_f(70, "3.4", "options", f"{_A}.categories", "profile.data_categories", ap=("6.1", "6.2"), required=True,
       tbd="t"))
def _data(c: _Ctx) -> Value:
    if c.facts.assessment is None:
        return Value("t", ("assessment.categories",))
    terms = [k["term"] for k in c.value("6.1")["kinds"]] + [k["term"] for k in c.value("6.2")["special"]]
    return Value(data_types(terms))


@answers(_f(71, "3.4", "text", f"{_A}.categories", "profile.data_categories", ap=("6.1", "6.2", "6.3"), required=True))
def _data_text(c: _Ctx) -> Value:
    a = c.facts.assessment
    if a is None:
        return Value(None, ("assessment.categories",))
    others = [t for t in a.vocabulary if DATA_TYPE.get(t, ("u",)) == ("u",)]
    return Value({"kinds": c.value("6.1")["kinds"], "special": c.value("6.2")["special"], "others": others,
                  "min": a.count_min, "max": a.count_max, "counted": c.counted})


@answers(_f(72, "3.4", "option", *_COUNT, ap=("6.3",), required=True, tbd="d"))
def _records(c: _Ctx) -> Value:
    """Field 72: records are not counted apart from people (AP form 6.3: at least one per person), so an
    approximate number (b); to be determined (d) while nobody is counted."""
    if not c.counted:
        return Value("d", c.missing("6.3") or _COUNT)
    return Value("b")


@answers(_f(73, "3.4", "integer", *_COUNT, ap=("6.3",), required=True))
def _record_count(c: _Ctx) -> Value:
    """Field 73: the highest estimate of people (one record each); 0 while field 72 says to be determined — the
    template does not ask for the number then, but the schema requires one."""
    a = c.facts.assessment
    return Value(a.count_max if a is not None and c.counted else 0)


# --- 3.5 measures in place --------------------------------------------------------------------------------------

def measures_in_place(encryption: str, hashing: str, backup_available: bool) -> list[str]:
    """Field 75 from the assessment's protection facts: encryption (c), back-up (b); hashing, or nothing the
    register records, as other measures (l), described in field 76."""
    found = []
    if encryption != "none":
        found.append("c")
    if backup_available:
        found.append("b")
    if hashing != "none" or not found:
        found.append("l")
    return _sorted(found)


@answers(_f(75, "3.5", "options", f"{_A}.encryption", f"{_A}.hashing", f"{_A}.backup_available", ap=("8.1",),
       required=True))
def _in_place(c: _Ctx) -> Value:
    a = c.facts.assessment
    if a is None:
        return Value(missing=("assessment.encryption",))
    return Value(measures_in_place(a.encryption, a.hashing, a.backup_available))


@answers(_f(76, "3.5", "text", f"{_A}.encryption", f"{_A}.key_compromised", f"{_A}.hashing", f"{_A}.backup_available",
       ap=("8.1",), required=True))
def _in_place_text(c: _Ctx) -> Value:
    if c.facts.assessment is None:
        return Value(None, ("assessment.encryption",))
    return Value({**c.value("8.1"), "unintelligible": unintelligible(c) if c.confidentiality else None})


# --- 4.1 consequences -------------------------------------------------------------------------------------------

@answers(_f(79, "4.1", "options", f"{_A}.confidentiality", f"{_A}.exfiltration", f"{_A}.malicious", f"{_A}.context",
       ap=("9.1",), tbd="e"))
def _confidentiality_consequences(c: _Ctx) -> Value:
    """Field 79: disclosed beyond the privacy policy (a) when data was seen or left; linkable to other data (b)
    when a profile can be made; misuse (c) as the AP form's 9.1; else other (d), said in field 80."""
    a = c.facts.assessment
    if a is None or not c.confidentiality:
        return Value()
    found = []
    if a.confidentiality in ("known_recipients", "unknown_recipients", "public") or a.exfiltration != "none":
        found.append("a")
    if a.context.get("profiling_possible"):
        found.append("b")
    if "misuse" in c.value("9.1").get("consequences", []):
        found.append("c")
    return Value(_sorted(found or ["d"]))


@answers(_f(80, "4.1", "text", f"{_A}.confidentiality", ap=("9.1",)))
def _confidentiality_other(c: _Ctx) -> Value:
    v = c.facts.assessment
    if v is None or not c.confidentiality or "d" not in _confidentiality_consequences(c).value:
        return Value()
    return Value({"confidentiality": v.confidentiality})


@answers(_f(81, "4.1", "options", f"{_A}.integrity", f"{_A}.malicious", ap=("9.1", "9.2"), tbd="d"))
def _integrity_consequences(c: _Ctx) -> Value:
    a = c.facts.assessment
    if a is None or "b" not in c.nature:
        return Value()
    return Value(_sorted(["a"] + (["b"] if a.malicious else [])))


define(_empty(82, "4.1", "text", "never_other"))


@answers(_f(83, "4.1", "options", f"{_A}.availability", ap=("9.1",), tbd="d"))
def _availability_consequences(c: _Ctx) -> Value:
    a = c.facts.assessment
    if a is None or "c" not in c.nature:
        return Value()
    return Value(["a" if a.availability == "permanent" else "b"])


def harms(consequences: Iterable[str], confidentiality: str) -> list[str]:
    """Field 85 from the AP form's 9.2 (consequences_for_people), plus disclosure to unauthorised third parties
    (j) when the data was seen by others."""
    found = [HARM[h] for h in consequences]
    if confidentiality in ("known_recipients", "unknown_recipients", "public"):
        found.append("j")
    return _sorted(found)


define(_empty(84, "4.1", "text", "never_other"))


@answers(_f(85, "4.1", "options", f"{_A}.categories", f"{_A}.confidentiality", f"{_A}.integrity", f"{_A}.availability",
       f"{_A}.exfiltration", ap=("9.2",), required=True, tbd="o"))
def _harms(c: _Ctx) -> Value:
    a = c.facts.assessment
    found = harms(c.value("9.2").get("consequences", []), a.confidentiality) if a is not None else []
    if not found:
        return Value("o", c.missing("9.2") or ("assessment.categories",))
    return Value(found)


@answers(_f(86, "4.1", "text", f"{_A}.categories", f"{_A}.confidentiality", f"{_A}.integrity", ap=("9.2",)))
def _harms_other(c: _Ctx) -> Value:
    others = [h for h in c.value("9.2").get("consequences", []) if HARM[h] == "n"]
    return Value({"others": others} if others else None)


@answers(_f(87, "4.1", "option", "severity.level", ap=("9.3",), required=True, tbd="d"))
def _severity(c: _Ctx) -> Value:
    s = c.facts.severity
    return Value(SEVERITY[s.level]) if s is not None else Value("d", ("severity.level",))


# --- 4.2 the risk -----------------------------------------------------------------------------------------------

def risk_outcome(c: _Ctx) -> str | None:
    """Field 89, GDPR art. 33(1) and 34(1): the stored legal findings — a high risk (a) when they found one
    (also when an art. 34(3) exception then spares telling the people), a risk (b), unlikely to result in a risk
    (c) otherwise; without a recommendation, the decision's. A withdrawal says the breach turned out unlikely
    to result in a risk (c)."""
    if c.facts.purpose == "withdrawal":
        return "c"
    if c.facts.incident.recommendation is not None and c.facts.severity is not None:
        return {"high": "a", "risk": "b", "none": "c"}[c.facts.findings.risk_level]
    d = c.facts.decision
    if d is not None:
        return "a" if d.notify_subjects else ("b" if d.notify_authority else "c")
    return None


@answers(_f(89, "4.2", "option", f"{_REC}.findings.risk", f"{_REC}.findings.high_risk", f"{_REC}.notify_subjects",
            "decision.notify_authority", "decision.notify_subjects", "purpose", ap=("9.3", "10.1"), required=True))
def _risk(c: _Ctx) -> Value:
    outcome = risk_outcome(c)
    return Value(outcome) if outcome is not None else Value(missing=("severity.level", "decision.notify_subjects"))


@answers(_f(90, "4.2", "text", "severity.level", "severity.score", f"{_A}.context", f"{_A}.malicious",
       f"{_REC}.notify_authority", f"{_REC}.notify_subjects", "decision.reason", ap=("9.3",), required=True))
def _risk_text(c: _Ctx) -> Value:
    d = c.facts.decision
    return Value({**c.value("9.3"), "outcome": risk_outcome(c), "decision": d,
                  "withdrawal": c.facts.purpose == "withdrawal"}, c.missing("9.3"))


# --- 4.3 and 4.4 measures; telling the people ----------------------------------------------------------------

@answers(
    _f(92, "4.3", "raw", f"{_A}.measures", ap=("10.2",), required=True),
    _f(95, "4.4", "raw", f"{_A}.measures", ap=("10.2",), required=True),
)
def _measures(c: _Ctx) -> Value:
    a = c.facts.assessment
    text = a.measures.strip() if a is not None else ""
    return Value(text or None, () if text else ("assessment.measures",))


@answers(_f(94, "4.4", "options", f"{_A}.measures", ap=("10.2",), required=True))
def _prevention(c: _Ctx) -> Value:
    """Field 94: the register keeps the measures as one text, not by kind, so "other measures" (o), given in
    field 95."""
    return Value(["o"])


@dataclass(frozen=True)
class Told:
    """Field 97 and its companions, from the decision and the dispatch (AP form 10.1)."""

    answer: str
    exemption: str | None = None  # field 100
    started: date | None = None  # field 98
    pending: tuple[str, ...] = ()


def told(c: _Ctx) -> Told:
    """GDPR art. 34: told (a) once the message to each person is sent; to be told (b) while it is not; the
    investigation still going on (c) without a decision; not told because no high risk (d), or because an
    art. 34(3) condition is met (e: a unintelligible, b later measures, c disproportionate effort, so a public
    communication instead)."""
    v = c.value("10.1")
    if not v.get("decided"):
        return Told("c", pending=c.missing("10.1") or ("decision.notify_subjects",))
    if v["public"]:  # told by the public communication of art. 34(3)(c), as AP question 10.1 says
        return Told("e", "c")
    if v["notify"]:
        notice = c.facts.subject_notice
        if v["sent_at"] is not None and notice is not None:
            return Told("a", started=local(notice.started_at).date())
        return Told("b", pending=c.missing("10.1") or ("subject_notice.finished_at",))
    exemptions = [e for e in ("unintelligible", "measures", "public_communication") if e in v["exemptions"]]
    if exemptions:
        return Told("e", EXEMPTION[exemptions[0]])
    return Told("d")


@answers(_f(97, "4.4", "option", *_TOLD, ap=("10.1",), required=True, tbd="c"))
def _told(c: _Ctx) -> Value:
    t = told(c)
    return Value(t.answer, t.pending)


@answers(_f(98, "4.4", "date", "subject_notice.started_at", ap=("10.1",)))
def _told_on(c: _Ctx) -> Value:
    return Value(told(c).started)


define(_empty(99, "4.4", "date", "no_planned_date", ap=("10.1",)))


@answers(_f(100, "4.4", "option", f"{_REC}.findings.unintelligible", f"{_REC}.findings.later_measures",
             f"{_REC}.findings.disproportionate_effort", ap=("10.1",)))
def _exemption(c: _Ctx) -> Value:
    return Value(told(c).exemption)


@answers(_f(101, "4.4", "text", "decision.reason", f"{_A}.encryption", f"{_A}.measures_make_high_risk_unlikely",
       f"{_A}.contact_effort", ap=("10.1",)))
def _exemption_text(c: _Ctx) -> Value:
    t = told(c)
    if t.answer != "e":
        return Value()
    v = c.value("10.1")
    return Value({"exemptions": v["exemptions"], "reason": v["reason"]})


@answers(_f(102, "4.4", "option", "subjects.unreachable", "subjects.total", ap=("10.1",)))
def _everyone(c: _Ctx) -> Value:
    if told(c).answer != "a":
        return Value()
    return Value("b" if c.facts.subjects.unreachable else "a")


@answers(_f(103, "4.4", "text", "subjects.unreachable", "subjects.total", "subject_notice.recipients", ap=("10.1",)))
def _not_everyone(c: _Ctx) -> Value:
    if told(c).answer != "a" or not c.facts.subjects.unreachable:
        return Value()
    notice = c.facts.subject_notice
    return Value({"subjects": c.facts.subjects, "sent_to": notice.recipients if notice is not None else 0})


@answers(_f(104, "4.4", "option", f"{_A}.contact_effort", ap=("10.1",)))
def _means(c: _Ctx) -> Value:
    return Value("a" if told(c).answer == "a" else None)


define(_empty(105, "4.4", "text", "never_other", ap=("10.1",)))


@answers(_f(106, "4.4", "text", "incident", f"{_A}.categories", _PC, ap=("10.1",)))
def _content(c: _Ctx) -> Value:
    return Value({"subject_notice": True} if told(c).answer == "a" else None)


# --- 6 other authorities; cross-border processing ----------------------------------------------------------

define(_empty(109, "6.1", "option", "not_recorded"))


@answers(_f(110, "6.1", "option", "answers.other_regulators", ap=("1.3",), tbd="c"))
def _regulators(c: _Ctx) -> Value:
    regulators = c.value("1.3").get("regulators")
    if regulators is None:
        return Value("c", ("answers.other_regulators",))
    return Value("a" if regulators else "b")


@answers(_f(111, "6.1", "text", "answers.other_regulators", ap=("1.3",)))
def _regulators_text(c: _Ctx) -> Value:
    regulators = c.value("1.3").get("regulators")
    return Value({"regulators": regulators} if regulators else None)


def _country(c: _Ctx) -> str:
    return c.facts.profile.organisation.address.country.upper()


@answers(_f(113, "6.2", "option", f"{_ORG}.address.country", "answers.countries", ap=("2.1",), required=True, tbd="c"))
def cross_border(c: _Ctx) -> Value:
    """Field 113, GDPR art. 4(23) and 56: processing by one establishment (the profile's address) is cross-border
    when it substantially affects people in more than one member state: yes (a) when the people live in more
    than one country, no (b) when in one, unknown (c) while the countries are not recorded."""
    if _country(c) not in EEA:
        return Value("b")
    countries = c.value("2.1").get("countries")
    if countries is None:
        return Value("c", ("answers.countries",))
    return Value("a" if len({x.upper() for x in countries} | {_country(c)}) > 1 else "b")


@answers(
    _f(114, "6.2", "text", f"{_ORG}.address.country", ap=("2.2",)),
    _f(115, "6.2", "text", f"{_ORG}.address.country", ap=("2.1",)),
    _f(116, "6.2", "text", "answers.countries", ap=("2.1",)),
)
def _cross_border_detail(c: _Ctx) -> Value:
    if cross_border(c).value != "a":
        return Value()
    return Value({"country": _country(c), "countries": c.value("2.1").get("countries") or []})


define(_empty(117, "6.2", "integer", "per_country_not_recorded", ap=("2.1",)))

define(_empty(118, "6.2", "option", "garbled_options", ap=("2.2",)))


@answers(_f(120, "6.3", "option", f"{_ORG}.address.country", required=True))
def _outside_eea(c: _Ctx) -> Value:
    """Field 120, GDPR art. 3(2): whether the controller is established outside the EEA."""
    return Value("b" if _country(c) in EEA else "a")




define(_empty(121, "6.3", "text", "only_outside_eea"))

define(_empty(122, "6.3", "integer", "only_outside_eea"))

define(_empty(123, "6.3", "option", "only_outside_eea"))

define(_empty(125, "6.3", "option", "no_attachments", ap=("5.4",)))

define(_empty(126, "6.3", "text", "no_attachments", ap=("5.4",)))

FIELDS: tuple[FieldSpec, ...] = tuple(_DEFINED[n] for n in sorted(_DEFINED))
FIELD = {f.number: f for f in FIELDS}
SECTIONS = tuple(dict.fromkeys(f.section for f in FIELDS))


# --- the document ---------------------------------------------------------------------------------------------

def refuse_if_incomplete(answers: EdpbAnswers) -> None:
    """Refuse an export that cannot be valid: a required field the register cannot answer yet and for which the
    template has no "to be determined"."""
    if answers.refused:
        raise InvalidInput(Said("edpb.eu_template", id=answers.incident_id), [
            FieldError(a.spec.key, Said("edpb.no_answer_yet", missing=list(a.missing), id=answers.incident_id,
                                        assessment_first=any(m.startswith("assessment") for m in a.missing)))
            for a in answers.refused])


def field_texts(templates: Path, language: str, answers: EdpbAnswers) -> dict[int, str]:
    """The free-text fields in words (templates/<language>/edpb/_texts.j2): one macro per field, given its facts;
    a field still to be determined without facts gets the template's words for that."""
    words: Any = environment(templates).get_template(f"{language}/edpb/_texts.j2").make_module(
        {"edpb": answers, "answer_set": answers.answer_set, "incident_id": answers.incident_id})
    texts: dict[int, str] = {}
    for number, a in answers.answers.items():
        if number == 106 and a.value is not None:
            texts[number] = subject_notice_text(templates, language, answers.facts, str(words.name_placeholder))
        elif isinstance(a.value, Mapping):
            texts[number] = str(getattr(words, f"field_{number}")(a.value)).strip()
        elif a.value is None and a.pending and a.spec.kind in ("text", "raw"):
            texts[number] = str(words.unknown)
    return texts


def subject_notice_text(templates: Path, language: str, facts: NoticeFacts, placeholder: str) -> str:
    """Field 106: the message to the people as the templates render it from the register, the name a
    placeholder (the same context as services.dispatch.notify_subjects gives it)."""
    profile = facts.profile
    categories = categories_of(profile, facts.assessment.categories if facts.assessment is not None else [])
    return render(templates, language, "subjects/notice.txt.j2", incident=facts.incident,
                  organisation=profile.organisation, privacy_contact=profile.privacy_contact,
                  categories=categories, person={"name": placeholder}).strip()


def json_value(answer: EdpbAnswer, texts: Mapping[int, str]) -> Any:
    if answer.number in texts:
        return texts[answer.number]
    value = answer.value
    if isinstance(value, datetime):
        return iso(value)  # ISO 8601 with the Europe/Amsterdam offset
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return value[0] if len(value) == 1 else list(value)
    return value


def to_document(answers: EdpbAnswers, texts: Mapping[int, str]) -> dict[str, Any]:
    """The JSON document in the template's shape: `field_N` keys in the template's order, option letters, times
    ISO 8601 with offset; fields that do not apply are left out."""
    document: dict[str, Any] = {}
    for answer in answers.answers.values():
        value = json_value(answer, texts)
        if value is not None:
            document[answer.spec.key] = value
    return document


def render_document(templates: Path, language: str, answers: EdpbAnswers) -> dict[str, Any]:
    """`breach authority export --format edpb-json`: refused when a required field cannot be answered."""
    refuse_if_incomplete(answers)
    return to_document(answers, field_texts(templates, language, answers))


def render_html(templates: Path, language: str, answers: EdpbAnswers) -> str:
    """`--format edpb-html`: the same document, readable, under the template's section headings."""
    document = render_document(templates, language, answers)
    return render(templates, language, "edpb/notice.html.j2", edpb=answers, document=document, fields=FIELD,
                  sections=SECTIONS)


def render_pending(templates: Path, language: str, answers: EdpbAnswers) -> str:
    """The completeness check: the fields that say "to be determined" and what would answer them."""
    return render(templates, language, "edpb/pending.txt.j2", edpb=answers)


def mapping_table(templates: Path) -> str:
    """The docs table (docs/edpb/mapping.md): every field of the template, where its answer comes from and which
    AP question it shares its facts with, or why it stays empty; generated from FIELDS."""
    return render(templates, "en", "edpb/mapping.md.j2", fields=FIELDS, sections=SECTIONS)
