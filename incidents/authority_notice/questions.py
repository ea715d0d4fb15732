"""The AP form's questions and where their answers come from: each question names its sources in NoticeFacts."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from incidents.authority_notice.facts import NoticeFacts

# --- the form's questions and where their answers come from --------------------------------------------

@dataclass(frozen=True)
class Question:
    number: str  # as the AP form numbers it: "4.2"
    sources: tuple[str, ...]  # paths into NoticeFacts (see `source_type`)
    essential: tuple[str, ...] = ()  # sources without which no notice, not even a first one, can be filed
    basis: str = ""  # the article the answer serves
    late_only: bool = False  # 4.5: only in a notice made after the 72 hours

    @property
    def chapter(self) -> int:
        return int(self.number.partition(".")[0])


CONTACT = "profile.privacy_contact"
QUESTIONS: tuple[Question, ...] = (
    Question("1.1", ("purpose", "filings.kind", "filings.reference", "filings.filed_at", "filings.changes",
                     "filings.withdrawal_reason"), basis="GDPR art. 33(4)"),
    Question("1.2", ("fixed.legal_basis",)),
    Question("1.3", ("answers.other_regulators",)),
    Question("2.1", ("answers.countries",)),
    Question("2.2", ("answers.other_authorities",)),
    Question("3.1", ("profile.organisation.name", "profile.organisation.address", "profile.organisation.kvk_number",
                     "profile.organisation.sector", "profile.organisation.dpo_registration"),
             essential=("profile.organisation.name", "profile.organisation.address",
                        "profile.organisation.kvk_number")),
    Question("3.2", (f"{CONTACT}.name", f"{CONTACT}.role", f"{CONTACT}.phone", f"{CONTACT}.email"),
             essential=(f"{CONTACT}.name", f"{CONTACT}.phone"), basis="GDPR art. 33(3)(b)"),
    Question("3.3", ("incident.source_processor", "profile.processors", "incident.systems",
                     "profile.data_inventory")),
    Question("4.1", ("incident.occurred_from", "incident.occurred_until")),
    Question("4.2", ("incident.discovered_at", "incident.aware_at", "incident.awareness_reason",
                     "incident.source_processor"),
             essential=("incident.discovered_at", "incident.aware_at"), basis="GDPR art. 33(1), 33(2)"),
    Question("4.3", ("incident.source_kind", "incident.source_processor", "incident.reported_by")),
    Question("4.5", ("filings.delay_reason", "incident.aware_at"), essential=("filings.delay_reason",),
             basis="GDPR art. 33(1)", late_only=True),
    Question("5.1", ("assessment.confidentiality", "assessment.integrity", "assessment.availability"),
             essential=("assessment.confidentiality",), basis="GDPR art. 33(3)(a)"),
    Question("5.2", ("answers.incident_kind",)),
    Question("5.3", ("assessment.summary", "incident.description", "assessment.malicious",
                     "assessment.exfiltration", "assessment.recovered", "assessment.recipient_trusted",
                     "assessment.restored_within_hours"),
             essential=("incident.description",), basis="GDPR art. 33(3)(a)"),
    Question("5.4", ("fixed.attachments",)),
    Question("6.1", ("assessment.categories", "profile.data_categories"), basis="GDPR art. 33(3)(a)"),
    Question("6.2", ("assessment.categories", "profile.data_categories"), basis="GDPR art. 9(1)"),
    Question("6.3", ("assessment.count_min", "assessment.count_max"), basis="GDPR art. 33(3)(a)"),
    Question("7.1", ("assessment.groups", "assessment.context"), basis="GDPR art. 33(3)(a)"),
    Question("7.2", ("assessment.groups", "assessment.context", "assessment.ease_of_identification",
                     "subjects.total", "subjects.reachable", "subjects.unreachable")),
    Question("7.3", ("assessment.count_min", "assessment.count_max"), basis="GDPR art. 33(3)(a)"),
    Question("8.1", ("assessment.encryption", "assessment.key_compromised", "assessment.hashing",
                     "assessment.backup_available"), basis="GDPR art. 34(3)(a)"),
    Question("9.1", ("assessment.confidentiality", "assessment.integrity", "assessment.availability",
                     "assessment.malicious", "assessment.exfiltration")),
    Question("9.2", ("assessment.categories", "assessment.confidentiality", "assessment.integrity",
                     "assessment.availability", "assessment.exfiltration"), basis="GDPR art. 33(3)(c)"),
    Question("9.3", ("severity.level", "severity.score", "assessment.context", "assessment.malicious"),
             basis="ENISA 2013 severity"),
    Question("10.1", ("decision.notify_subjects", "decision.reason", "assessment.contact_effort",
                      "assessment.encryption", "assessment.key_compromised",
                      "assessment.measures_make_high_risk_unlikely", "subjects.reachable", "subjects.unreachable",
                      "subject_notice.finished_at", "subject_notice.recipients"), basis="GDPR art. 34"),
    Question("10.2", ("assessment.measures",), basis="GDPR art. 33(3)(d)"),
)
QUESTION = {q.number: q for q in QUESTIONS}


class UnknownSource(LookupError):
    """A question names a source that NoticeFacts does not have."""


def source_type(path: str) -> Any:
    """The type a source path leads to in NoticeFacts, walking dataclass fields, properties and pydantic
    fields (a tuple or list of records is looked into); UnknownSource when a step does not exist."""
    current: Any = NoticeFacts
    for step in path.split("."):
        current = _element(_unwrap(current))
        hints = _fields_of(current)
        if step not in hints:
            raise UnknownSource(f"{path!r}: {getattr(current, '__name__', current)!r} has no field {step!r}")
        current = hints[step]
    return current


def _unwrap(tp: Any) -> Any:
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return options[0] if len(options) == 1 else tp
    return tp


def _element(tp: Any) -> Any:
    if typing.get_origin(tp) in (tuple, list):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return _unwrap(args[0]) if args else tp
    return tp


def _fields_of(tp: Any) -> dict[str, Any]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return {name: info.annotation for name, info in tp.model_fields.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = dict(typing.get_type_hints(tp))
        for name, member in vars(tp).items():
            if isinstance(member, property) and member.fget is not None:
                hints[name] = typing.get_type_hints(member.fget).get("return")
        return hints
    return {}
