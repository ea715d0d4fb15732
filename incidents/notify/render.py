"""The Jinja2 environment over templates/<language>/: autoescape for HTML, undefined variables are errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, ClassVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from incidents.messages import blocks
from incidents.notify.email import HTML_TOKENS, TEXT_TOKENS
from incidents.times import AMSTERDAM, local, show
from incidents.wording import search_path

LANGUAGES = ("nl", "en")


@cache
def international_phone(number: str) -> str:
    """A phone number as anyone can dial it, also from abroad, in the international format of Google's
    libphonenumber (phonenumbers): "06-11001098" is "+31 6 11001098", "020 123 4567" "+31 20 123 4567"; a number
    written without a country code is read as Dutch. What is not a phone number is left as written."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, "NL")
    except phonenumbers.NumberParseException:
        return number.strip()
    if not phonenumbers.is_possible_number(parsed):
        return number.strip()
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def date_words(value: datetime, language: str, pattern: str) -> str:
    """A moment in Dutch time as people write it, in `language`, with a CLDR `pattern` (babel) that the
    templates give: "d MMMM y 'om' HH:mm" is "16 oktober 2026 om 20:05"."""
    from babel.dates import format_datetime

    return str(format_datetime(value, pattern, tzinfo=AMSTERDAM, locale=language))


_ARTICLE = re.compile(r"^(?:GDPR )?art\. (\d+)((?:\(\w+\))*)(.*)$")
_RECITALS = re.compile(r"^(?:GDPR )?recitals? ([\d, and]+?)(\s*\(.*\))?$")
_EDPB = re.compile(r"^EDPB Guidelines (\d+/\d{4})(?:, cases? no\. ([\d, and]+))?(.*)$")


@cache
def dutch_citation(source: str) -> str:
    """A citation as Dutch law and Dutch texts write it: "GDPR art. 34(3)(a)" is "art. 34 lid 3 onder a AVG",
    "GDPR recital 75" "overweging 75 AVG", "EDPB Guidelines 01/2021, cases no. 03 and 12" "EDPB-richtlijnen
    01/2021, voorbeelden 3 en 12", ENISA's method "de ENISA-methode voor de ernst (2013)". Each part of a
    citation with several ("; ") is turned on its own; what it does not know stays as written."""
    out = []
    for part in (p.strip() for p in source.split(";")):
        if m := _ARTICLE.match(part):
            number, subs, rest = m.groups()
            pieces = re.findall(r"\((\w+)\)", subs)
            text = f"art. {number}" + (f" lid {pieces[0]}" if pieces else "") + \
                   "".join(f" onder {p}" for p in pieces[1:]) + " AVG"
            rest = rest.strip()
            if rest.startswith(","):  # ", recitals 75 and 85 (physical harm)": the numbers, not the English gloss
                rest = re.sub(r"\s*\([^)]*\)", "", rest)
                rest = rest.replace("recitals", "overwegingen").replace("recital", "overweging").replace(" and ", " en ")
                text += rest
            out.append(text)
        elif m := _RECITALS.match(part):
            numbers = m.group(1).replace(" and ", " en ")
            out.append(("overwegingen " if " en " in numbers or "," in numbers else "overweging ") + numbers + " AVG")
        elif m := _EDPB.match(part):
            guideline, cases, rest = m.groups()
            text = f"EDPB-richtlijnen {guideline}"
            if cases:
                numbers = " en ".join(str(int(n)) for n in re.findall(r"\d+", cases))
                text += (", voorbeelden " if " en " in numbers else ", voorbeeld ") + numbers
            out.append(text + rest.replace(" and ", " en "))
        elif part.startswith("ENISA 2013"):
            out.append("de ENISA-methode voor de ernst (2013)")
        elif part.startswith("ICO reprimands"):
            out.append("berispingen door de Britse toezichthouder ICO")
        else:
            out.append(part)
    return "; ".join(out)


def hours(value: float | None, language: str = "nl") -> str:
    """Hours to one decimal, as the language writes it: 4,5 in Dutch, 4.5 in English."""
    if value is None:
        return "-"
    text = f"{value:.1f}"
    return text.replace(".", ",") if language == "nl" else text


class Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, its verdict on an attribute kept per (type of object, attribute name).

    Jinja decides from these two alone (is_internal_attribute looks at the object's type and the name), so the
    verdict is the same; working it out anew for every attribute a page reads was half the time a dashboard
    list took to render. The names come from our templates, so the number kept is bounded.
    """

    _verdicts: ClassVar[dict[tuple[type, str], bool]] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        key = (type(obj), attr)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = super().is_safe_attribute(obj, attr, value)
        return verdict


def environment(templates_dir: Path) -> Environment:
    """The environment over `templates_dir` (and its base, for an organisation's wording), made once per process:
    a new one compiled every template it was asked for again (a fifth of a second for a page's advice). Jinja
    still sees a template file that changed (auto_reload)."""
    return _environment(tuple(search_path(templates_dir)))


@lru_cache(maxsize=64)  # the shipped templates and each organisation's wording in use
def _environment(path: tuple[str, ...]) -> Environment:
    # Sandboxed: the templates are ours, but the values put into them come from reports and CSV files, and
    # a value is only ever data (Jinja never renders a value as a template, so "{{ 7*7 }}" in a name stays text).
    env = Sandbox(
        loader=FileSystemLoader(list(path)),  # an organisation's wording first (incidents/wording.py)
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = show
    env.filters["phone"] = international_phone
    env.filters["local"] = local  # Europe/Amsterdam
    env.filters["date_words"] = date_words  # for the dates people read (templates/<lang>/_dates.j2)
    env.filters["blocks"] = blocks  # a part's plain text as paragraphs and lists (incidents/messages.py)
    env.filters["as_points"] = lambda items: "\n".join(f"- {item}" for item in items)
    env.filters["dutch_citation"] = dutch_citation
    env.filters["pyrepr"] = repr  # a value quoted as the code shows it ('DL-2026-0001')
    env.filters["capitalize_first"] = lambda s: str(s)[:1].upper() + str(s)[1:]
    env.filters["hours"] = hours
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
