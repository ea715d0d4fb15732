"""The AP notice's facts: what the register holds, as the form needs it (gathered by the service layer)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from incidents.legal import NO_FINDINGS, Findings
from incidents.notify.email import TEXT_TOKENS
from incidents.profile import Processor, Profile
from incidents.views import AssessmentView, DecisionView, IncidentView, NoticeView

Purpose = Literal["first", "follow_up", "withdrawal"]


# --- what the register holds, as the form needs it -------------------------------------------------------

@dataclass(frozen=True)
class Filing:
    """One recorded filing through the AP's form: the first notice, a follow-up or a withdrawal."""

    id: int
    kind: Purpose
    filed_at: datetime
    filed_by: str
    reference: str  # the AP's meldnummer
    delay_reason: str | None = None  # art. 33(1), a first notice after 72 hours
    changes: str | None = None  # a follow-up: what changed since the previous notice
    withdrawal_reason: str | None = None
    previous_id: int | None = None
    version: int | None = None  # the notice version kept for it


@dataclass(frozen=True)
class Severity:
    """The recommendation's ENISA severity (low | medium | high | very_high) and score."""

    level: str
    score: float


@dataclass(frozen=True)
class SubjectCounts:
    total: int = 0
    reachable: int = 0
    unreachable: int = 0
    sent: int = 0

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> SubjectCounts:
        total = sum(counts.values())
        unreachable = counts.get("unreachable", 0)
        from incidents.subjects import notified

        return cls(total, total - unreachable, unreachable, notified(counts))


@dataclass(frozen=True)
class SentText:
    """The words of a message to the people as kept when it went out (question 10.1 asks for the text sent);
    the person's name stands in it as the token NAME_TOKEN."""

    kind: str  # subject_notice | public_notice
    version: int
    language: str
    subject: str  # the e-mail's subject line; for the public communication its short message
    text: str


NAME_TOKEN = TEXT_TOKENS["name"]


@dataclass(frozen=True)
class OpenAnswers:
    """Answers the form asks for that the register does not record yet; each stays "not yet known" (and
    listed by the check) until a register field supplies it."""

    other_regulators: list[str] | None = None  # 1.3
    countries: list[str] | None = None  # 2.1
    other_authorities: list[str] | None = None  # 2.2
    incident_kind: str | None = None  # 5.2, one of the form's options


# 5.2: the kinds of incident the AP's form offers (one is chosen); the words are in templates/<lang>/authority/.
INCIDENT_KINDS = (
    "email_wrong_recipient", "email_cc_not_bcc", "post_wrong_recipient", "post_returned_opened", "post_lost",
    "access_rights", "network_folders", "device_lost_or_stolen", "published", "hacking_malware_phishing",
    "wrong_record", "other",
)
RECORDABLE = ("1.3", "2.1", "2.2", "5.2")  # the questions a person answers with `breach authority answer`


def parse_open_answer(question: str, values: list[str]) -> list[str]:
    """Check a person's answer to a form question no register fact supplies; return it normalised.

    1.3 other regulators and 2.2 other data-protection authorities: names, or `none`; 2.1 the countries of the
    people affected: ISO 3166 two-letter codes (GDPR art. 56 and 60: a cross-border breach goes to the lead
    authority); 5.2 the kind of incident: one of the form's options.
    """
    from incidents.errors import FieldError, InvalidInput
    from incidents.said import Said

    cleaned = [" ".join(v.split()) for v in values if v.strip()]
    field = f"question {question}"
    if question not in RECORDABLE:
        raise InvalidInput("answer", [FieldError("question", Said("facts.answered_from_the_register", question=question,
                                                                  recordable=list(RECORDABLE)))])
    if question in ("1.3", "2.2"):
        if [v.lower() for v in cleaned] == ["none"] or not cleaned:
            return []
        return cleaned
    if question == "2.1":
        codes = [v.upper() for v in cleaned]
        bad = [v for v in codes if len(v) != 2 or not v.isalpha()]
        if not codes or bad:
            raise InvalidInput("answer", [FieldError(field, Said("facts.country_codes", bad=bad))])
        return sorted(set(codes), key=codes.index)
    if len(cleaned) != 1 or cleaned[0] not in INCIDENT_KINDS:
        raise InvalidInput("answer", [FieldError(field, Said("facts.incident_kind", kinds=list(INCIDENT_KINDS)))])
    return cleaned


def open_answers(recorded: dict[str, list[str]]) -> OpenAnswers:
    """The latest recorded answers per question, as the notice reads them."""
    return OpenAnswers(
        other_regulators=recorded.get("1.3"), countries=recorded.get("2.1"),
        other_authorities=recorded.get("2.2"),
        incident_kind=recorded["5.2"][0] if recorded.get("5.2") else None,
    )


@dataclass(frozen=True)
class FixedAnswers:
    """Answers that follow from what this tool is for, the same for every notice."""

    legal_basis: str = "avg"  # 1.2: a controller under the GDPR (not the police-data act)
    attachments: tuple[str, ...] = ()  # 5.4: the tool sends no supporting documents


@dataclass(frozen=True)
class NoticeFacts:
    """Everything a notice is made from, gathered by the service layer from the register and the profile."""

    incident: IncidentView
    profile: Profile
    made_at: datetime  # when this notice is made: its filing time when it records a filing
    purpose: Purpose = "first"
    filing: Filing | None = None  # the filing this notice records; None while it is not filed
    history: tuple[Filing, ...] = ()  # the filings before it, oldest first
    changes: str | None = None  # a follow-up draft: what changed
    withdrawal_reason: str | None = None  # a withdrawal draft
    severity: Severity | None = None
    answers: OpenAnswers = field(default_factory=OpenAnswers)
    fixed: FixedAnswers = field(default_factory=FixedAnswers)
    version: int | None = None  # None: a draft, not a kept version
    texts: tuple[SentText, ...] = ()  # the words the people were sent, per kind, version and language

    @property
    def assessment(self) -> AssessmentView | None:
        return self.incident.assessment

    @property
    def decision(self) -> DecisionView | None:
        return self.incident.decision

    @property
    def subjects(self) -> SubjectCounts:
        return SubjectCounts.of(self.incident.subjects)

    @property
    def findings(self) -> Findings:
        """The legal findings stored with the advice on the latest assessment (incidents.legal)."""
        rec = self.incident.recommendation
        return rec.findings if rec is not None else NO_FINDINGS

    @property
    def subject_notice(self) -> NoticeView | None:
        return self.incident.notice("subject_notice")

    @property
    def filings(self) -> tuple[Filing, ...]:
        """The whole filing history including the one this notice records."""
        return self.history + ((self.filing,) if self.filing is not None else ())

    @property
    def source_processor(self) -> Processor | None:
        name = self.incident.source_processor
        return self.profile.processor(name) if name else None
