"""The hash-chained audit trail: every change appended with who, when and what; edits and deletions show."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from incidents.errors import FieldError, InvalidInput
from incidents.register.tables import AuditRow
from incidents.said import Said

GENESIS = "0" * 64


def canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, incident_id: str | None, action: str,
               details: str) -> str:
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    material = "\x1f".join([prev_hash, str(seq), stamp, actor, incident_id or "", action, details])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def append(session: Session, *, at: datetime, actor: str, incident_id: str | None, action: str,
           details: dict[str, Any]) -> AuditRow:
    """Append one entry in the caller's transaction (ids, counts and states only: no personal data)."""
    if session.get_bind().dialect.name == "postgresql":
        # one appender at a time across processes; released at commit or rollback
        session.execute(text("SELECT pg_advisory_xact_lock(72033)"))
    last = session.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    body = canonical(details)
    row = AuditRow(seq=seq, at=at, actor=actor, incident_id=incident_id, action=action, details=body,
                   prev_hash=prev, hash=entry_hash(prev, seq, at, actor, incident_id, action, body))
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Problem:
    seq: int
    said: Said  # what is wrong with the entry, in words of templates/<lang>/errors/audit.j2

    @property
    def what(self) -> str:
        """What is wrong with the entry, in the reader's language."""
        return str(self.said)


@dataclass(frozen=True)
class Head:
    """Where the chain ended when it was looked at: kept outside the register, it shows later whether entries were
    cut off the end, which the chain alone cannot (the entries before a cut still link up)."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash[:HEAD_DIGITS]}"


HEAD_DIGITS = 16  # of the hash, in a kept head: 64 bits, enough to tell a rewritten entry
_HEAD = re.compile(r"(\d{1,12}):([0-9a-f]{12,64})")


def parse_head(text: str) -> Head:
    """SEQ:HASH as `breach audit verify` prints it (at least 12 hex digits of the hash)."""
    match = _HEAD.fullmatch(text.strip().lower())
    if match is None:
        raise InvalidInput("audit head", [FieldError("--expect", Said("audit.head_format"))])
    return Head(int(match.group(1)), match.group(2))


def verify(rows: Iterable[AuditRow], expect: Iterable[Head] = ()) -> tuple[int, list[Problem]]:
    """Recompute the chain; report every entry whose content, link or position does not match, and every kept
    head (`expect`) the chain no longer has: entries cut off the end, or the chain rewritten after it."""
    problems: list[Problem] = []
    expected_prev, expected_seq, count = GENESIS, 1, 0
    heads = {h.seq: h for h in expect}
    for row in rows:
        count += 1
        if (head := heads.pop(row.seq, None)) is not None and not row.hash.startswith(head.hash):
            problems.append(Problem(row.seq, Said("audit.rewritten", head=str(head))))
        if row.seq != expected_seq:
            problems.append(Problem(row.seq, Said("audit.entries_missing", first=expected_seq, last=row.seq - 1)))
        if row.prev_hash != expected_prev:
            problems.append(Problem(row.seq, Said("audit.link_broken")))
        recomputed = entry_hash(row.prev_hash, row.seq, row.at, row.actor, row.incident_id, row.action, row.details)
        if recomputed != row.hash:
            problems.append(Problem(row.seq, Said("audit.content_edited")))
        expected_prev, expected_seq = row.hash, row.seq + 1
    for head in sorted(heads.values(), key=lambda h: h.seq):
        problems.append(Problem(head.seq, Said("audit.cut_off", head=str(head), first=expected_seq, last=head.seq)))
    return count, problems


def head_of(rows: Iterable[AuditRow]) -> Head | None:
    last = None
    for row in rows:
        last = row
    return None if last is None else Head(last.seq, last.hash)
