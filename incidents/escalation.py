"""Deadline clocks and their escalation ladders: which reminder is due, for whom, exactly once.

Pure functions of times. Every ladder step is an elapsed duration from the clock's start, added in UTC, so a
ladder across a daylight-saving change keeps its spacing to the second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from incidents.deadlines import AUTHORITY_HOURS, authority_deadline


class Audience(StrEnum):
    TEAM = "team"  # the incident team
    TEAM_AND_PRIVACY_CONTACT = "team_and_privacy_contact"  # escalated: the privacy contact is told too


@dataclass(frozen=True)
class Rung:
    step: str  # the name recorded in the register, e.g. "24h" or "expired"
    after: timedelta  # from the clock's start
    audience: Audience


# GDPR art. 33(1): 72 hours from awareness. Reminders after a day, two days, with six hours left, and at expiry.
AUTHORITY_LADDER = (
    Rung("24h", timedelta(hours=24), Audience.TEAM),
    Rung("48h", timedelta(hours=48), Audience.TEAM),
    Rung("66h", timedelta(hours=66), Audience.TEAM_AND_PRIVACY_CONTACT),
    Rung("expired", timedelta(hours=AUTHORITY_HOURS), Audience.TEAM_AND_PRIVACY_CONTACT),
)


def subject_ladder(target: timedelta) -> tuple[Rung, ...]:
    """GDPR art. 34(1) "without undue delay": an internal target after the decision; halfway, then at expiry."""
    return (
        Rung("half", target / 2, Audience.TEAM),
        Rung("expired", target, Audience.TEAM_AND_PRIVACY_CONTACT),
    )


def follow_up_ladder(target: timedelta) -> tuple[Rung, ...]:
    """GDPR art. 33(4): what a first notice could not say follows "without undue further delay"; an internal
    target after the first filing, reminded halfway and at expiry."""
    return (
        Rung("half", target / 2, Audience.TEAM),
        Rung("expired", target, Audience.TEAM_AND_PRIVACY_CONTACT),
    )


@dataclass(frozen=True)
class RunningClock:
    """A clock that still runs for an incident: its duty is not met yet."""

    incident_id: str
    name: str  # authority_notice | subject_notice
    started_at: datetime
    due_at: datetime
    ladder: tuple[Rung, ...]


@dataclass(frozen=True)
class Reminder:
    incident_id: str
    clock: str
    step: str
    audience: Audience
    due_at: datetime  # the clock's deadline, for the hours left in the message
    superseded: tuple[str, ...]  # earlier steps missed while the watch was down: recorded, not sent


def authority_clock(incident_id: str, aware_at: datetime) -> RunningClock:
    start = aware_at.astimezone(UTC)  # aware + timedelta in a local zone would add wall-clock time, not elapsed
    return RunningClock(incident_id, "authority_notice", start, authority_deadline(aware_at), AUTHORITY_LADDER)


def subject_clock(incident_id: str, decided_at: datetime, target: timedelta) -> RunningClock:
    start = decided_at.astimezone(UTC)
    return RunningClock(incident_id, "subject_notice", start, start + target, subject_ladder(target))


def follow_up_clock(incident_id: str, filed_at: datetime, target: timedelta) -> RunningClock:
    start = filed_at.astimezone(UTC)
    return RunningClock(incident_id, "authority_follow_up", start, start + target, follow_up_ladder(target))


def due_reminders(clocks: Iterable[RunningClock], done: set[tuple[str, str, str]], now: datetime) -> list[Reminder]:
    """The reminders to send now: per clock, the latest rung that has passed and is not done.

    `done` holds (incident_id, clock, step) already sent or superseded. When a watch was down and several rungs
    passed meanwhile, only the latest is sent (one message with the current hours left, not a burst of stale
    ones); the earlier ones are returned as superseded so that they are recorded and never sent later.
    """
    reminders = []
    for clock in clocks:
        passed = [r for r in clock.ladder if clock.started_at + r.after <= now]
        if not passed:
            continue
        latest = passed[-1]
        if (clock.incident_id, clock.name, latest.step) in done:
            continue
        superseded = tuple(r.step for r in passed[:-1] if (clock.incident_id, clock.name, r.step) not in done)
        reminders.append(Reminder(clock.incident_id, clock.name, latest.step, latest.audience, clock.due_at,
                                  superseded))
    return reminders
