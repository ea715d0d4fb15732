"""GDPR art. 33(1): the AP clock is 72 elapsed hours from awareness, whatever the wall clock does."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidents.deadlines import authority_clock, authority_deadline
from incidents.times import show

AMS = ZoneInfo("Europe/Amsterdam")


def test_deadline_is_72_elapsed_hours_after_awareness():
    aware = datetime(2026, 11, 24, 14, 30, tzinfo=AMS)
    assert authority_deadline(aware) - aware == timedelta(hours=72)
    assert show(authority_deadline(aware)) == "2026-11-27 14:30 CET"


def test_clock_crossing_the_autumn_dst_change_is_still_72_hours():
    # clocks go back at 03:00 CEST on Sunday 25 October 2026: the wall clock shows one hour less
    aware = datetime(2026, 10, 23, 12, 0, tzinfo=AMS)
    due = authority_deadline(aware)
    assert (due - aware).total_seconds() == 72 * 3600
    assert show(due) == "2026-10-26 11:00 CET"


def test_clock_crossing_the_spring_dst_change_is_still_72_hours():
    # clocks go forward at 02:00 CET on Sunday 29 March 2026: the wall clock shows one hour more
    aware = datetime(2026, 3, 27, 12, 0, tzinfo=AMS)
    due = authority_deadline(aware)
    assert (due - aware).total_seconds() == 72 * 3600
    assert show(due) == "2026-03-30 13:00 CEST"


def test_awareness_in_the_repeated_autumn_hour_counts_from_the_real_instant():
    first = datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=AMS)  # 00:30 UTC
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=AMS)  # 01:30 UTC
    assert authority_deadline(second) - authority_deadline(first) == timedelta(hours=1)


def test_deadline_is_kept_in_utc():
    due = authority_deadline(datetime(2026, 7, 1, 9, 0, tzinfo=AMS))
    assert due.tzinfo is UTC and due == datetime(2026, 7, 4, 7, 0, tzinfo=UTC)


def test_naive_awareness_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        authority_deadline(datetime(2026, 7, 1, 9, 0))


def test_clock_runs_then_is_overdue_then_met_late():
    aware = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    running = authority_clock(aware, None)
    assert running.state(aware + timedelta(hours=70)) == "running"
    assert running.hours_left(aware + timedelta(hours=70)) == pytest.approx(2.0)
    assert running.state(aware + timedelta(hours=73)) == "overdue"
    assert running.is_overdue(aware + timedelta(hours=72, seconds=1))
    assert authority_clock(aware, aware + timedelta(hours=71)).state(aware + timedelta(days=9)) == "met"
    assert authority_clock(aware, aware + timedelta(hours=80)).state(aware + timedelta(days=9)) == "met_late"


def test_a_processor_that_told_us_within_the_agreed_hours_met_its_duty():
    from incidents.deadlines import processor_clock

    discovered = datetime(2026, 11, 20, 9, 0, tzinfo=AMS)
    assert processor_clock(discovered, discovered + timedelta(hours=20), 24).state(discovered) == "met"
    late = processor_clock(discovered, discovered + timedelta(hours=30), 24)
    assert late.state(discovered + timedelta(days=3)) == "met_late"
    assert late.hours_left(discovered) == pytest.approx(-6.0)
