"""The typed inputs a waiting incident_response run accepts: the Prefect UI shows each as a form.

They carry the same fields as the CLI's files and options (incidents.model), so `breach assess`, `breach
decide` and `breach authority filed` resume a waiting run with exactly what they recorded.
"""

from __future__ import annotations

from datetime import datetime

from prefect.input import RunInput
from pydantic import ConfigDict, Field

from incidents.model import BreachFacts, ContainmentFacts, DataFacts, ProtectionFacts, SubjectFacts


class AssessmentInput(RunInput):
    """The IT expert's facts (the assessment schema)."""

    model_config = ConfigDict(extra="forbid")
    summary: str = Field(min_length=3)
    breach: BreachFacts = Field(default_factory=BreachFacts)
    data: DataFacts
    subjects: SubjectFacts
    protection: ProtectionFacts = Field(default_factory=ProtectionFacts)
    containment: ContainmentFacts = Field(default_factory=ContainmentFacts)
    measures: str = ""


class DecisionInput(RunInput):
    """The privacy officer's decision on art. 33 and art. 34, with the reason."""

    model_config = ConfigDict(extra="forbid")
    notify_authority: bool
    notify_subjects: bool
    reason: str = Field(min_length=10)


class FilingInput(RunInput):
    """The AP notice as filed: the AP's reference (meldnummer); after 72 hours the reasons for the delay."""

    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1)
    filed_at: datetime | None = None
    delay_reason: str | None = None


INPUTS: dict[str, type[RunInput]] = {
    "assessment": AssessmentInput,
    "decision": DecisionInput,
    "authority_filing": FilingInput,
}
