"""What a person tells the tool: the incident report, the IT assessment's facts and the decision."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from incidents.deadlines import awareness_unexplained
from incidents.errors import Blame, FieldError
from incidents.reasons import REASON_MIN
from incidents.said import Said
from incidents.times import as_utc, now_utc, parse_time

# A little slack for clocks of different machines; a time further ahead is a typo.
FUTURE_SLACK = timedelta(minutes=5)


def _to_utc(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, datetime):
        return as_utc(value)
    return value


Moment = Annotated[datetime, BeforeValidator(_to_utc)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SourceKind(StrEnum):
    INTERNAL = "internal"
    PROCESSOR = "processor"
    EXTERNAL = "external"
    DATA_SUBJECT = "data_subject"


class IncidentReport(Strict):
    """A breach as first reported: `breach report FILE`."""

    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=10)
    occurred_from: Moment | None = None
    occurred_until: Moment | None = None
    discovered_at: Moment
    aware_at: Moment | None = None  # defaults to discovered_at (see incidents.deadlines.awareness_unexplained)
    awareness_reason: str | None = None  # why awareness came later than discovery
    source: str
    reported_by: str = Field(min_length=2, max_length=200)
    systems: list[str] = Field(default_factory=list)

    @field_validator("source")
    @classmethod
    def _source_form(cls, value: str) -> str:
        kind, _, name = value.partition(":")
        if kind not in {k.value for k in SourceKind}:
            raise Blame(Said("model.unknown_source"))
        if kind == SourceKind.PROCESSOR and not name.strip():
            raise Blame(Said("model.processor_unnamed"))
        if kind != SourceKind.PROCESSOR and name:
            raise Blame(Said("model.name_only_for_processor", kind=kind))
        return f"{kind}:{name.strip()}" if name else kind

    @model_validator(mode="after")
    def _times_in_order(self) -> IncidentReport:
        now = now_utc()
        if self.aware_at is None:
            self.aware_at = self.discovered_at
        self.awareness_reason = self.awareness_reason or None
        problems = []
        for name in ("occurred_from", "occurred_until", "discovered_at", "aware_at"):
            value = getattr(self, name)
            if value is not None and value > now + FUTURE_SLACK:
                problems.append(FieldError(name, Said("model.in_the_future")))
        if self.occurred_from and self.occurred_until and self.occurred_from > self.occurred_until:
            problems.append(FieldError("occurred_until", Said("model.until_before_from")))
        first = self.occurred_from
        if first and first > self.discovered_at:
            problems.append(FieldError("occurred_from", Said("model.occurred_after_discovery")))
        if first and first > self.aware_at:
            problems.append(FieldError("occurred_from", Said("model.occurred_after_awareness")))
        if self.discovered_at > self.aware_at:
            problems.append(FieldError("aware_at", Said("model.aware_before_discovery")))
        elif (problem := awareness_unexplained(self.discovered_at, self.aware_at, self.awareness_reason,
                                               self.source_kind == SourceKind.PROCESSOR)) is not None:
            problems.append(FieldError("awareness_reason", problem))
        if problems:
            raise Blame(*problems)
        return self

    @property
    def source_kind(self) -> SourceKind:
        return SourceKind(self.source.partition(":")[0])

    @property
    def source_processor(self) -> str | None:
        return self.source.partition(":")[2] or None


# --- The IT assessment: facts, exactly the schema of shared/domain/assessment.md ------------------------

Confidentiality = Literal["none", "no_evidence_of_access", "known_recipients", "unknown_recipients", "public"]
Integrity = Literal["none", "altered_recoverable", "altered_unrecoverable"]
Availability = Literal["none", "temporary", "recoverable_with_difficulty", "permanent"]
Identification = Literal["negligible", "limited", "significant", "maximum"]

VOCABULARY: dict[str, str] = {
    **dict.fromkeys(
        ["name", "contact", "date_of_birth", "demographic", "education", "professional", "family"], "simple"
    ),
    **dict.fromkeys(
        [
            "location", "traffic_data", "browsing_behaviour", "preferences", "purchase_history",
            "communications_metadata", "communications_content", "account_credentials",
        ],
        "behavioural",
    ),
    **dict.fromkeys(
        ["bank_account", "payment_card", "income", "transactions", "invoices", "national_id", "identity_document"],
        "financial",
    ),
    **dict.fromkeys(
        [
            "health", "special_category", "genetic", "biometric", "criminal", "sexual_life", "political",
            "religious", "union_membership", "ethnic_origin",
        ],
        "sensitive",
    ),
}


class BreachFacts(Strict):
    confidentiality: Confidentiality = "none"
    integrity: Integrity = "none"
    availability: Availability = "none"
    malicious: bool = False
    # the data let their recipient locate or reach a person who must be protected from that recipient (an address
    # revealed to an abusive ex-partner): a risk to physical safety, high whatever the data's category
    endangers_safety: bool = False


class ContextFacts(Strict):
    profiling_possible: bool = False
    reveals_sensitive_insight: bool = False
    vulnerable_subjects: bool = False
    publicly_available: bool = False
    limited_insight: bool = False
    full_financial_details: bool = False


class DataFacts(Strict):
    categories: list[str] = Field(min_length=1)
    ease_of_identification: Identification = "maximum"
    context: ContextFacts = Field(default_factory=ContextFacts)


class SubjectFacts(Strict):
    count_min: int = Field(ge=0)
    count_max: int = Field(ge=0)
    groups: list[str] = Field(default_factory=list)
    contact_effort: Literal["individual", "disproportionate"] = "individual"

    @model_validator(mode="after")
    def _range(self) -> SubjectFacts:
        if self.count_max < self.count_min:
            raise Blame(FieldError("count_max", Said("model.count_max_below_min", count_max=self.count_max,
                                                     count_min=self.count_min)))
        return self


class ProtectionFacts(Strict):
    encryption: Literal["none", "weak", "state_of_the_art"] = "none"
    key_compromised: bool = False
    hashing: Literal["none", "unsalted", "salted_state_of_the_art"] = "none"
    backup_available: bool = False


class ContainmentFacts(Strict):
    exfiltration: Literal["none", "suspected", "confirmed"] = "none"
    recovered: bool = False
    recipient_trusted: bool = False
    restored_within_hours: float | None = Field(default=None, ge=0)
    measures_make_high_risk_unlikely: bool = False


class AssessmentFacts(Strict):
    """The IT expert's facts (`breach assess ID FILE`); the severity engine reads these later."""

    summary: str = Field(min_length=3)
    breach: BreachFacts = Field(default_factory=BreachFacts)
    data: DataFacts
    subjects: SubjectFacts
    protection: ProtectionFacts = Field(default_factory=ProtectionFacts)
    containment: ContainmentFacts = Field(default_factory=ContainmentFacts)
    measures: str = ""


class Decision(Strict):
    """The privacy officer's decision on art. 33 and art. 34, with the reasons (`breach decide`)."""

    notify_authority: bool
    notify_subjects: bool
    reason: str = Field(min_length=REASON_MIN, description="why, in a sentence or more; it goes in the register")
