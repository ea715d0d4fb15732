"""The dashboard's pages from templates/<nl|en>/dashboard/: autoescaped, sandboxed, strict, like the e-mails."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from breach.web.auth import session_of
from incidents.notify.render import Sandbox, environment
from incidents.said import speaking
from incidents.times import iso, local, show
from incidents.users import LANGUAGES

DECIMAL = {"nl": ",", "en": "."}


def _hours(separator: str):  # type: ignore[no-untyped-def]
    def hours(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}".replace(".", separator)

    return hours


def hhmm(hours: float | None) -> str:
    """61.97 -> '61:58': a countdown that reads the same in both languages."""
    if hours is None:
        return "-"
    minutes = int(abs(hours) * 60)
    return f"{'-' if hours < 0 else ''}{minutes // 60}:{minutes % 60:02d}"


def form_time(value: datetime | None) -> str:
    """The value of an <input type=datetime-local>: Europe/Amsterdam wall-clock time to the minute."""
    return "" if value is None else local(value).strftime("%Y-%m-%dT%H:%M")


class Pages:
    """One Jinja environment per language (the number format differs); values are always data, never template."""

    def __init__(self, templates_dir: Path):
        self.templates_dir = templates_dir
        self._envs = {language: self._environment(language) for language in LANGUAGES}

    def _environment(self, language: str) -> Environment:
        env = Sandbox(
            loader=FileSystemLoader(str(self.templates_dir)),
            autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(when=show, hours=_hours(DECIMAL[language]), number=_hours(DECIMAL[language]), hhmm=hhmm,
                           iso=iso, form_time=form_time)
        return env

    def warm(self) -> None:
        """Compile the dashboard's templates, and the words of the advice, the errors and the timeline its pages
        show (tests/integration/test_dashboard_lists.py: no page compiles one while it is asked for)."""
        for language, env in self._envs.items():
            for name in env.list_templates():
                if name.startswith(f"{language}/dashboard/") or name == f"{language}/_timeline.j2":  # imported
                    env.get_template(name)
        words = environment(self.templates_dir)  # what the pages show in words of the messages' templates
        for name in words.list_templates():
            part = name.split("/")[1]
            if part in ("recommendation", "errors") or part.startswith("_"):
                words.get_template(name)

    def render(self, request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        language = language_of(request)
        user = getattr(request.state, "user", None)
        base = {
            "lang": language,
            "user": user,
            "csrf_token": session_of(request).csrf,
            "path": request.url.path,
            "query": request.url.query,
        }
        with speaking(language):
            body = self._envs[language].get_template(f"{language}/dashboard/{name}").render(**base, **context)
        return HTMLResponse(body, status_code=status_code)


def language_of(request: Request) -> str:
    """The user's language; before login the one chosen on the page, else the browser's preference, else Dutch."""
    user = getattr(request.state, "user", None)
    if user is not None and user.language in LANGUAGES:
        return str(user.language)
    chosen = session_of(request).language
    if chosen in LANGUAGES:
        return str(chosen)
    return preferred(request.headers.get("accept-language", ""))


def preferred(header: str) -> str:
    best, best_q = "nl", 0.0
    for item in header.split(",")[:20]:
        tag, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        language = tag.strip().lower()[:2]
        if language in LANGUAGES and q > best_q:
            best, best_q = language, q
    return best
