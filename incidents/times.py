"""Time at the edges: UTC inside, Europe/Amsterdam for people; no naive datetimes past this module."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from incidents.errors import Blame
from incidents.said import Said

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime, *, local: ZoneInfo = AMSTERDAM) -> datetime:
    """A naive time is read as local (Europe/Amsterdam) wall-clock time, the way a person writes it."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=local)
    return value.astimezone(UTC)


def year_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The calendar year of `now` in Europe/Amsterdam, as the UTC moments it starts and the next one starts."""
    year = local(now).year
    return (datetime(year, 1, 1, tzinfo=AMSTERDAM).astimezone(UTC),
            datetime(year + 1, 1, 1, tzinfo=AMSTERDAM).astimezone(UTC))


def parse_time(text: str) -> datetime:
    """ISO 8601, with or without offset (without: Europe/Amsterdam). What is not raises a `Blame` (a ValueError,
    so a pydantic validator reports it on its field) that says the expected form in the reader's language."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Blame(Said("times.not_a_time", text=text)) from None
    return as_utc(value)


def local(value: datetime) -> datetime:
    return value.astimezone(AMSTERDAM)


def show(value: datetime | None) -> str:
    """How a time is shown to a person: Amsterdam wall clock with the zone's abbreviation."""
    if value is None:
        return "-"
    return local(value).strftime("%Y-%m-%d %H:%M %Z")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, in Amsterdam time, for machine-readable output."""
    return None if value is None else local(value).isoformat(timespec="seconds")
