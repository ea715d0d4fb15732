"""The typed inputs a waiting incident_response run accepts: the Prefect UI shows each as a form.

They carry the same fields as the CLI's files and options (incidents.model), so `breach assess`, `breach
decide` and `breach authority filed` and `breach subjects approve` resume a waiting run with exactly what they recorded.
"""

from __future__ import annotations

from datetime import datetime

from prefect.input import RunInput
from pydantic import ConfigDict, Field

from incidents.lifecycle import Step
from incidents.model import AssessmentFacts, Decision


class AssessmentInput(AssessmentFacts, RunInput):
    """The IT expert's facts (the assessment schema): the domain's model, as a Prefect form."""


class DecisionInput(Decision, RunInput):
    """The privacy officer's decision on art. 33 and art. 34, with the reason."""


class FilingInput(RunInput):
    """The AP notice as filed: the AP's reference (meldnummer); after 72 hours the reasons for the delay."""

    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1)
    filed_at: datetime | None = None
    delay_reason: str | None = None


class ApprovalInput(RunInput):
    """The approval of the message to the people: the version reviewed and its digest (as `breach subjects
    preview` and the dashboard show it), so an approval never covers a text its approver did not see."""

    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)
    digest: str = Field(min_length=8, max_length=64, pattern=r"^[0-9a-f]+$")
    approved_by: str = Field(min_length=1, max_length=200, description="your name, for the audit trail")


INPUTS: dict[str, type[RunInput]] = {
    Step.ASSESSMENT: AssessmentInput,
    Step.DECISION: DecisionInput,
    Step.AUTHORITY_FILING: FilingInput,
    Step.SUBJECT_NOTICE_APPROVAL: ApprovalInput,
}
