"""Every legal clock of an incident, as pure functions of times (elapsed hours, UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from incidents.reasons import REASON_MIN, reason_problem
from incidents.said import Said

AUTHORITY_HOURS = 72


def authority_deadline(aware_at: datetime) -> datetime:
    """GDPR art. 33(1): notify the supervisory authority not later than 72 hours after having become aware.

    The 72 hours are elapsed (calendar) hours, so the sum is taken in UTC: a clock that crosses a
    daylight-saving change is still exactly 72 hours long, whatever the wall clock in Amsterdam shows.
    """
    if aware_at.tzinfo is None:
        raise ValueError("aware_at must carry a time zone")
    return aware_at.astimezone(UTC) + timedelta(hours=AUTHORITY_HOURS)


def late(due_at: datetime, at: datetime) -> bool:
    """A duty met at `at` is late when that is after its deadline: the one comparison every clock makes."""
    return at > due_at


def notified_late(aware_at: datetime, notified_at: datetime) -> bool:
    """GDPR art. 33(1): a notification made more than 72 hours after the controller became aware must be
    accompanied by the reasons for the delay. For a breach a processor reported, aware_at is when the
    processor told us (art. 33(2); EDPB Guidelines 9/2022)."""
    return late(authority_deadline(aware_at), notified_at)


def awareness_unexplained(discovered_at: datetime, aware_at: datetime, reason: str | None,
                          told_by_processor: bool) -> Said | None:
    """GDPR art. 33(1) and EDPB Guidelines 9/2022 (paragraph 31): the 72 hours run from the moment the controller
    is aware, that is reasonably certain that a breach of personal data occurred. That is normally the discovery;
    a short investigation to establish it may come first, and the moment awareness was reached must then be
    documented with what was established. A processor's breach starts our clock when the processor tells us
    (art. 33(2)), which is its own reason. Returns what to fix (words of templates/<lang>/errors/deadlines.j2), or
    None."""
    if aware_at <= discovered_at or told_by_processor:
        return None
    if reason_problem(reason) is None:
        return None
    return Said("deadlines.awareness_unexplained", minimum=REASON_MIN)


def awareness_problem(discovered_at: datetime, aware_at: datetime, reason: str | None,
                      told_by_processor: bool) -> str | None:
    """awareness_unexplained in words, in the language of the reader now; None when the awareness is explained."""
    said = awareness_unexplained(discovered_at, aware_at, reason, told_by_processor)
    return None if said is None else str(said)


@dataclass(frozen=True)
class Clock:
    """A running or stopped deadline as a person sees it."""

    name: str
    due_at: datetime
    stopped_at: datetime | None  # when the duty was met or fell away; None while running

    def hours_left(self, now: datetime) -> float:
        reference = self.stopped_at or now
        return (self.due_at - reference).total_seconds() / 3600

    def is_overdue(self, now: datetime) -> bool:
        return self.hours_left(now) < 0

    def state(self, now: datetime) -> str:
        if self.stopped_at is not None:
            return "met_late" if late(self.due_at, self.stopped_at) else "met"
        return "overdue" if self.is_overdue(now) else "running"


def authority_clock(aware_at: datetime, stopped_at: datetime | None) -> Clock:
    return Clock(name="authority_notice", due_at=authority_deadline(aware_at), stopped_at=stopped_at)


def processor_clock(discovered_at: datetime, told_at: datetime, agreed_hours: int) -> Clock:
    """GDPR art. 33(2): the processor notifies the controller without undue delay after becoming aware; the
    processing agreement fixes the hours. The processor's awareness is the report's discovered_at, and it told
    us at aware_at (which starts our own 72 hours, EDPB Guidelines 9/2022)."""
    return Clock(name="processor_notice", due_at=discovered_at.astimezone(UTC) + timedelta(hours=agreed_hours),
                 stopped_at=told_at)
