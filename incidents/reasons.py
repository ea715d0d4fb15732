"""What a reason the register keeps must be: a sentence, not a word (one rule for every door and every reason)."""

from __future__ import annotations

from incidents.said import Said

REASON_MIN = 10  # characters


def reason_problem(text: str | None, what: str = "why") -> Said | None:
    """What is wrong with a reason that is missing or too short to say anything, or None when it will do.

    `what` names what the reason must say, by its key in templates/<lang>/errors/reasons.j2 ("why", "changes")."""
    if text is None or len(text.strip()) < REASON_MIN:
        return Said("reasons.too_short", what=what, minimum=REASON_MIN)
    return None
