"""What a reason the register keeps must be: a sentence, not a word (one rule for every door and every reason)."""

from __future__ import annotations

REASON_MIN = 10  # characters


def reason_problem(text: str | None, what: str = "why") -> str | None:
    """The message for a reason that is missing or too short to say anything, or None when it will do."""
    if text is None or len(text.strip()) < REASON_MIN:
        return f"say {what} in a sentence ({REASON_MIN} characters or more)"
    return None
