"""Whether the notice can be filed now (GDPR art. 33(3) and 33(4)): the verdict `breach authority check` gives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from incidents.authority_notice.answers import Answer, AnswerSet

Verdict = Literal["no_decision", "not_required", "blocked", "phased", "complete", "follow_up", "withdrawn"]


# --- can it be filed? --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """What `breach authority check` and the dashboard show: the verdict and the questions still open."""

    verdict: Verdict
    answers: AnswerSet

    @property
    def unanswered(self) -> list[Answer]:
        return self.answers.unanswered

    @property
    def blocking(self) -> list[Answer]:
        return self.answers.blocking


def filing_verdict(answers: AnswerSet, *, decided: bool, notify_authority: bool, withdrawn: bool) -> Verdict:
    """Whether the notice can be filed now.

    GDPR art. 33(3) lists what a notification describes at least; art. 33(4): where not all of it can be
    given at the same time, it may be given in phases without undue further delay. So a first notice is
    filed as soon as the essentials are known (who notifies and how to reach them, when it was discovered,
    the nature of the breach and what happened, and after 72 hours the reasons for the delay, art. 33(1)),
    and the rest follows in a follow-up notice. Once filed, anything still open calls for a follow-up.
    """
    if withdrawn:
        return "withdrawn"
    if not decided:
        return "no_decision"
    if not notify_authority:
        return "not_required"
    if answers.first is not None:
        return "follow_up" if answers.unanswered else "complete"
    if answers.blocking:
        return "blocked"
    return "phased" if answers.unanswered else "complete"
