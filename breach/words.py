"""Every line the `breach` command prints, from templates/<nl|en>/cli/: the CLI speaks the language of the
organisation's profile, or BREACH_LANGUAGE when set, like the dashboard speaks its user's.

A line is a macro of templates/<lang>/cli/lines.j2 called with data (ids, counts, times); a longer text (an
incident as `breach show` prints it) is a template of its own in that folder. Values are always data: "{{ 7*7 }}"
in a title stays text.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from incidents.config import REPO_ROOT
from incidents.errors import BreachError, ConfigurationError
from incidents.notify.render import LANGUAGES, environment
from incidents.said import Said
from incidents.workspace import Workspace


def language(ws: Workspace | None) -> str:
    """BREACH_LANGUAGE when set; else the profile's language; else (no readable profile yet, e.g. while saying
    that it is missing) Dutch when the system's locale is Dutch, English otherwise."""
    chosen = os.environ.get("BREACH_LANGUAGE", "").strip().lower()
    if chosen:
        if chosen not in LANGUAGES:
            raise ConfigurationError(Said("cli_words.not_a_language", chosen=chosen, languages=list(LANGUAGES)))
        return chosen
    if ws is not None:
        # the profile of the incident's organisation; of the organisation spoken for when that incident is
        # unknown; none readable (no profile or register yet): the error itself is said elsewhere
        for profile in (lambda: ws.profile, lambda: ws.organisation_profile):
            try:
                return profile().language
            except Exception:  # noqa: BLE001, S112
                continue
    return "nl" if os.environ.get("LANG", "").lower().startswith("nl") else "en"


def _templates(ws: Workspace | None) -> Path:
    if ws is not None:
        return ws.settings.templates_dir
    return Path(os.environ.get("BREACH_TEMPLATES") or REPO_ROOT / "templates")


@cache
def _module(templates: Path, lang: str) -> Any:
    return environment(templates).get_template(f"{lang}/cli/lines.j2").module


class Lines:
    """`w("imported", rows=3, ...)` is the line `imported` in the chosen language, without a final newline;
    `w.text("show.txt.j2", view=...)` a whole text."""

    def __init__(self, templates: Path, lang: str):
        self.templates, self.language = templates, lang
        self._lines = _module(templates, lang)

    def __call__(self, line: str, /, **values: Any) -> str:
        macro = getattr(self._lines, line)
        return str(macro(**values)).strip("\n")

    def word(self, table: str, key: str) -> str:
        """One entry of a table of words in lines.j2 (a step, a state), the key itself when it has none."""
        return str(getattr(self._lines, table).get(key, key.replace("_", " ")))

    def text(self, template: str, /, **values: Any) -> str:
        return str(environment(self.templates).get_template(f"{self.language}/cli/{template}")
                   .render(w=self._lines, **values))


def words(ws: Workspace | None) -> Lines:
    return Lines(_templates(ws), language(ws))


def safe_words(ws: Workspace | None) -> Lines:
    """For saying what went wrong: a bad BREACH_LANGUAGE must not hide the error it is reporting."""
    try:
        return words(ws)
    except BreachError:
        return Lines(_templates(ws), "en")
