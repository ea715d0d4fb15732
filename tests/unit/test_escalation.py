"""The escalation ladder: each reminder once, at the right elapsed hour, to the right people."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from incidents.escalation import Audience, authority_clock, due_reminders, subject_clock

AMS = ZoneInfo("Europe/Amsterdam")
AWARE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def steps(reminders):
    return [(r.clock, r.step) for r in reminders]


def test_nothing_is_due_in_the_first_day():
    assert due_reminders([authority_clock("DL-1", AWARE)], set(), AWARE + timedelta(hours=23, minutes=59)) == []


def test_the_ladder_reaches_the_team_then_the_privacy_contact():
    clock = authority_clock("DL-1", AWARE)
    done: set = set()
    seen = []
    for hour in range(80):
        for reminder in due_reminders([clock], done, AWARE + timedelta(hours=hour)):
            seen.append((hour, reminder.step, reminder.audience))
            done.add((reminder.incident_id, reminder.clock, reminder.step))
    assert seen == [
        (24, "24h", Audience.TEAM), (48, "48h", Audience.TEAM),
        (66, "66h", Audience.TEAM_AND_PRIVACY_CONTACT), (72, "expired", Audience.TEAM_AND_PRIVACY_CONTACT),
    ]


def test_a_watch_that_runs_twice_sends_once():
    clock = authority_clock("DL-1", AWARE)
    now = AWARE + timedelta(hours=30)
    first = due_reminders([clock], set(), now)
    done = {(r.incident_id, r.clock, r.step) for r in first}
    assert steps(first) == [("authority_notice", "24h")]
    assert due_reminders([clock], done, now + timedelta(minutes=15)) == []


def test_a_watch_down_for_a_day_sends_only_the_current_rung_and_supersedes_the_missed_one():
    clock = authority_clock("DL-1", AWARE)
    done = {("DL-1", "authority_notice", "24h")}
    late = due_reminders([clock], done, AWARE + timedelta(hours=67))
    assert steps(late) == [("authority_notice", "66h")]
    assert late[0].superseded == ("48h",)


def test_ladder_across_the_autumn_dst_change_keeps_elapsed_hours():
    aware = datetime(2026, 10, 24, 12, 0, tzinfo=AMS)  # clocks go back in the night that follows
    clock = authority_clock("DL-1", aware)  # given in local time, as a person writes it
    aware = aware.astimezone(UTC)  # Python adds wall-clock time to a local datetime: count in UTC
    assert due_reminders([clock], set(), aware + timedelta(hours=24) - timedelta(seconds=1)) == []
    at_24 = due_reminders([clock], set(), aware + timedelta(hours=24))
    assert steps(at_24) == [("authority_notice", "24h")]
    # the wall clock says 11:00 the next day, not 12:00: 24 elapsed hours, not a calendar day
    assert (aware + timedelta(hours=24)).astimezone(AMS).hour == 11
    # a clock started from a local datetime does not fall into Python's wall-clock arithmetic
    assert clock.started_at + timedelta(hours=72) == clock.due_at
    assert at_24[0].due_at - aware.astimezone(UTC) == timedelta(hours=72)


def test_subject_clock_reminds_halfway_and_at_the_target():
    decided = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    clock = subject_clock("DL-2", decided, timedelta(hours=24))
    assert steps(due_reminders([clock], set(), decided + timedelta(hours=12))) == [("subject_notice", "half")]
    last = due_reminders([clock], {("DL-2", "subject_notice", "half")}, decided + timedelta(hours=25))
    assert steps(last) == [("subject_notice", "expired")] and last[0].audience == Audience.TEAM_AND_PRIVACY_CONTACT


def test_clocks_of_several_incidents_are_independent():
    a = authority_clock("DL-1", AWARE)
    b = authority_clock("DL-2", AWARE + timedelta(hours=30))
    due = due_reminders([a, b], set(), AWARE + timedelta(hours=55))
    assert [(r.incident_id, r.step) for r in due] == [("DL-1", "48h"), ("DL-2", "24h")]
