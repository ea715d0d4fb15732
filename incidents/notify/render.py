"""The Jinja2 environment over templates/<language>/: autoescape for HTML, undefined variables are errors."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from incidents.notify.email import HTML_TOKENS, TEXT_TOKENS
from incidents.times import local, show

LANGUAGES = ("nl", "en")


@cache
def environment(templates_dir: Path) -> Environment:
    # Sandboxed: the templates are ours, but the values put into them come from reports and CSV files, and
    # a value is only ever data (Jinja never renders a value as a template, so "{{ 7*7 }}" in a name stays text).
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = show
    env.filters["local"] = local  # Europe/Amsterdam, for the dates people read (templates/<lang>/_dates.j2)
    env.filters["hours"] = lambda h: f"{h:.1f}".replace(".", ",") if h is not None else "-"
    return env


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render(templates_dir: Path, language: str, name: str, **context: Any) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"no templates for language {language!r}; available: {', '.join(LANGUAGES)}")
    return environment(templates_dir).get_template(f"{language}/{name}").render(**context)


def render_email(templates_dir: Path, language: str, base: str, **context: Any) -> RenderedEmail:
    """An e-mail is a pair of templates plus a subject: <base>.subject.j2, <base>.txt.j2, <base>.html.j2.

    `person` fields render as substitution tokens, filled per recipient by the backend.
    """
    subject = render(templates_dir, language, f"{base}.subject.j2", person=TEXT_TOKENS, **context)
    text = render(templates_dir, language, f"{base}.txt.j2", person=TEXT_TOKENS, **context)
    html = render(templates_dir, language, f"{base}.html.j2", person=HTML_TOKENS, **context)
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html)
