"""How long the people's data of an incident are kept (GDPR art. 5(1)(e)), and what proves the notice without them.

To tell the people, the register keeps a copy of exactly the data that leaked (names, e-mail and postal
addresses). Storage limitation (art. 5(1)(e)) says: no longer than needed for that purpose. Accountability
(art. 5(2)) and the documentation of the breach (art. 33(5)) keep the rest: the counts, the dates, the texts
sent, the proof of sending, and per person a keyed hash of the address, so that a person who asks (art. 15)
can be told whether and when they were told, without the address being stored.

Pure functions of the profile's rule and the register's dates; incidents.services.retention applies them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

# The team is reminded once, this long before the people's data of an incident are deleted.
WARNING_BEFORE = timedelta(days=14)

# A purged person's key: "h:" and the HMAC-SHA256 of the key the import gave them (the normalised address).
PURGED_PREFIX = "h:"


class RetentionRule(BaseModel):
    """The profile's `retention`: days after the incident is closed (or dismissed) before each person's name and
    addresses are deleted; and, optionally, a shorter period for people without a usable e-mail address, counted
    from the moment their letters were recorded as posted."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    people_days: int = Field(default=90, ge=1, le=3650)
    posted_letters_days: int | None = Field(default=None, ge=1, le=3650)


@dataclass(frozen=True)
class PurgeDate:
    """When the people's data of one incident are deleted (None while it is open), and why then."""

    due_at: datetime | None
    basis: str  # "open": not before it is closed | "closed": closed_at + people_days | "postponed": until a date
    closed_at: datetime | None = None
    postponed_until: datetime | None = None
    postponed_reason: str | None = None


def purge_date(rule: RetentionRule, *, closed_at: datetime | None, postponed_until: datetime | None = None,
               postponed_reason: str | None = None) -> PurgeDate:
    """GDPR art. 5(1)(e): the people's data of an incident are kept until `people_days` after it is closed,
    or later when a person postponed the purge with a reason (a complaint, a court case that needs the list)."""
    if closed_at is None:
        return PurgeDate(None, "open", postponed_until=postponed_until, postponed_reason=postponed_reason)
    due = closed_at + timedelta(days=rule.people_days)
    if postponed_until is not None and postponed_until > due:
        return PurgeDate(postponed_until, "postponed", closed_at, postponed_until, postponed_reason)
    return PurgeDate(due, "closed", closed_at, postponed_until, postponed_reason)


def posted_letter_due(rule: RetentionRule, posted_at: datetime | None) -> datetime | None:
    """GDPR art. 5(1)(e): a person told by a posted letter needs no address kept once the letter is posted; the
    profile may delete it `posted_letters_days` after that (None: with the rest of the incident's people)."""
    if rule.posted_letters_days is None or posted_at is None:
        return None
    return posted_at + timedelta(days=rule.posted_letters_days)


def warning_due(due_at: datetime) -> datetime:
    """The moment the team is reminded of a coming purge (once): WARNING_BEFORE ahead of it."""
    return due_at - WARNING_BEFORE


def keyed_hash(secret: bytes, key: str) -> str:
    """What is kept of a person's key (their normalised address) after the purge: an HMAC with the workspace's
    secret, so the address cannot be recovered from the register, nor guessed from a list of addresses without
    the secret, yet a person who gives their address can be found (art. 15)."""
    return PURGED_PREFIX + hmac.new(secret, key.encode("utf-8"), hashlib.sha256).hexdigest()
