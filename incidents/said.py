"""What the core says to a person who did something it cannot do (an error, a refusal): words as data.

`Said("review.not_the_newest", version=3, newest=4)` is a key and values, not a sentence. It is rendered when it
is read, in the reader's language, by the macro `not_the_newest` of templates/<lang>/errors/review.j2: the CLI
reads in its language (`speaking(lang)` around a command), the dashboard in its user's, a log in English (the
default). So every word of an error comes from templates/, and `incidents/` stays free of wording and of who is
reading. Values are data: "{{ 7*7 }}" in a title stays text; a value that is itself a `Said` is rendered in the
same language.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("nl", "en")
_SPEAKING: ContextVar[str] = ContextVar("breach_speaking", default="en")


def current_language() -> str:
    return _SPEAKING.get()


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Render every `Said` read inside the block in `language` (nl or en)."""
    token = _SPEAKING.set(language if language in LANGUAGES else "en")
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def speak(language: str) -> None:
    """Render every `Said` read from here on in the current context (one web request, one command) in `language`."""
    _SPEAKING.set(language if language in LANGUAGES else "en")


def _templates() -> Path:
    from incidents.config import REPO_ROOT

    return Path(os.environ.get("BREACH_TEMPLATES") or REPO_ROOT / "templates")


@cache
def _module(templates: Path, language: str, name: str) -> Any:
    from incidents.notify.render import environment

    return environment(templates).get_template(f"{language}/errors/{name}.j2").module


class Said:
    """A sentence for a person, kept as its key ("module.macro") and values until it is read."""

    __slots__ = ("key", "values")

    def __init__(self, key: str, /, **values: Any):
        if key.count(".") != 1:
            raise ValueError(f"a Said key is 'module.macro', not {key!r}")
        self.key, self.values = key, values

    def render(self, language: str | None = None) -> str:
        name, macro = self.key.split(".")
        lang = language or current_language()
        with speaking(lang):
            return str(getattr(_module(_templates(), lang, name), macro)(**self.values)).strip()

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Said({self.key!r}, **{self.values!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Said):
            return (self.key, self.values) == (other.key, other.values)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.key)
