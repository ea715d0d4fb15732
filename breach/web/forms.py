"""From a posted form (or pasted YAML/JSON) to the plain data the domain's input models validate."""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.datastructures import FormData

from incidents.errors import FieldError, InvalidInput
from incidents.model import (
    AssessmentFacts,
    BreachFacts,
    ContainmentFacts,
    ContextFacts,
    DataFacts,
    ProtectionFacts,
    SourceKind,
    SubjectFacts,
)
from incidents.profile import Profile
from incidents.said import Said
from incidents.validation import MAX_PASTED_CHARS, Unreadable, parse_model, parse_yaml

M = TypeVar("M", bound=BaseModel)

MAX_DOCUMENT = MAX_PASTED_CHARS  # characters of pasted YAML/JSON (incidents/validation.py)


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def values_of(form: FormData) -> dict[str, Any]:
    """The posted values, to show the form again as it was sent (lists for repeated names)."""
    values: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 or key.endswith("[]") else (items[0] if items else "")
    return values


def not_text(data: Any, path: str = "") -> list[FieldError]:
    """Strings that no register can store: NUL characters and lone surrogates (PostgreSQL and UTF-8 refuse them)."""
    problems: list[FieldError] = []
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(FieldError(path or "(document)", Said("web_forms.not_valid_text")))
        else:
            if "\x00" in data:
                problems.append(FieldError(path or "(document)", Said("web_forms.nul_character")))
    elif isinstance(data, dict):
        for key, value in data.items():
            problems += not_text(key, path or "(document)") + not_text(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            problems += not_text(value, f"{path}.{i}" if path else str(i))
    return problems


def guard(data: Any, what: str) -> None:
    problems = not_text(data)
    if problems:
        raise InvalidInput(what, problems)


def validate(model: type[M], data: Any, what: str) -> M:
    """The CLI's validation (`parse_model`); a time beyond the calendar's range is a field error, not a crash."""
    guard(data, what)
    try:
        return parse_model(model, data, what)
    except OverflowError:
        # incidents.model reads times before pydantic can name the field; say which kind of value it was
        raise InvalidInput(what, [FieldError("(document)", Said("web_forms.time_out_of_range"))]) from None


# The services name a field by the CLI option that carries it; on the page it is the form field. An option that
# means a different field in different forms (--at: when filed, when published) lists each; the form has one.
CLI_FIELDS = {"--reference": ("reference",), "--at": ("filed_at", "published_at"),
              "--delay-reason": ("delay_reason",), "--reason": ("reason",), "--url": ("url",),
              "--authority": ("notify_authority",), "--subjects": ("notify_subjects",), "--despite": ("despite",),
              "--lessons": ("lessons",), "--improvements": ("improvements",),
              "--until": ("until",)}


def place(errors: Iterable[FieldError], names: Iterable[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Errors by the form field they belong to (the longest name that is a dotted prefix); the rest apart."""
    ordered = sorted(names, key=len, reverse=True)

    def form_field(field: str) -> str:
        return next((f for f in CLI_FIELDS.get(field, ()) if f in ordered), field)

    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for error in (FieldError(form_field(e.field), e.said) for e in errors):
        target = next((n for n in ordered if error.field == n or error.field.startswith(n + ".")), None)
        if target is None:
            general.append(str(error))
        else:
            message = error.message if error.field == target else f"{error.field.removeprefix(target + '.')}: " \
                                                                  f"{error.message}"
            by_field.setdefault(target, []).append(message)
    return by_field, general


def split_list(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


# --- the incident report --------------------------------------------------------------------------------------

REPORT_FIELDS = ("title", "description", "occurred_from", "occurred_until", "discovered_at", "aware_at",
                 "awareness_reason", "source", "reported_by", "systems")
SOURCE_KINDS = [k.value for k in SourceKind]


def report_data(form: FormData) -> dict[str, Any]:
    """Empty fields are left out, so the model says "is required" where something is missing."""
    data: dict[str, Any] = {}
    for name in ("title", "description", "reported_by", "occurred_from", "occurred_until", "discovered_at",
                 "aware_at", "awareness_reason"):
        if text(form, name):
            data[name] = text(form, name)
    kind, processor = text(form, "source_kind"), text(form, "source_processor")
    if kind:
        data["source"] = f"{kind}:{processor}" if kind == SourceKind.PROCESSOR else kind
    data["systems"] = [s for s in form.getlist("systems") if isinstance(s, str) and s.strip()]
    return data


# --- the assessment -----------------------------------------------------------------------------------------

def _choices(model: type, name: str) -> list[str]:
    return list(typing.get_args(model.model_fields[name].annotation))  # type: ignore[attr-defined]


CHOICES: dict[str, list[str]] = {
    "breach.confidentiality": _choices(BreachFacts, "confidentiality"),
    "breach.integrity": _choices(BreachFacts, "integrity"),
    "breach.availability": _choices(BreachFacts, "availability"),
    "data.ease_of_identification": _choices(DataFacts, "ease_of_identification"),
    "subjects.contact_effort": _choices(SubjectFacts, "contact_effort"),
    "protection.encryption": _choices(ProtectionFacts, "encryption"),
    "protection.hashing": _choices(ProtectionFacts, "hashing"),
    "containment.exfiltration": _choices(ContainmentFacts, "exfiltration"),
}
FLAGS: list[str] = (
    ["breach.malicious", "breach.endangers_safety"]
    + [f"data.context.{name}" for name in ContextFacts.model_fields]
    + ["protection.key_compromised", "protection.backup_available", "containment.recovered",
       "containment.recipient_trusted", "containment.measures_make_high_risk_unlikely"]
)
NUMBERS = ["subjects.count_min", "subjects.count_max", "containment.restored_within_hours"]
LISTS = ["data.categories", "subjects.groups"]
TEXTS = ["summary", "measures"]
ASSESSMENT_FIELDS = [*TEXTS, *CHOICES, *FLAGS, *NUMBERS, *LISTS, "data.categories_other", "document"]
DEFAULTS: dict[str, Any] = (
    {f"breach.{k}": v for k, v in BreachFacts().model_dump().items()}
    | {f"protection.{k}": v for k, v in ProtectionFacts().model_dump().items()}
    | {f"containment.{k}": v for k, v in ContainmentFacts().model_dump().items()}
    | {"data.ease_of_identification": "maximum", "subjects.contact_effort": "individual"}
)


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def assessment_data(form: FormData) -> dict[str, Any]:
    """The assessment form as the facts document it stands for; empty fields are left out (then "is required")."""
    data: dict[str, Any] = {}
    for name in [*TEXTS, *CHOICES, *NUMBERS]:
        if text(form, name):
            _put(data, name, text(form, name))
    for name in FLAGS:
        _put(data, name, text(form, name) in ("on", "yes", "true", "1"))
    for name in LISTS:  # the categories come as checkboxes (one value each) plus other terms written out
        values = [v for v in form.getlist(name) if isinstance(v, str)]
        if name == "data.categories":
            values.append(text(form, "data.categories_other"))
        _put(data, name, [item for value in values for item in split_list(value)])
    return data


def parse_document(source: str) -> Any:
    """Pasted YAML or JSON (YAML reads JSON too), within the limits of incidents/validation.py: at most
    MAX_DOCUMENT characters, MAX_DEPTH levels and MAX_SECONDS of reading. Aliases are refused: a few lines of
    them can expand to millions. Slow work: the dashboard calls it off the event loop (`read_assessment`)."""
    if len(source) > MAX_DOCUMENT:
        raise InvalidInput("assessment", [FieldError("document", Said("web_forms.document_too_long",
                                                                      maximum=MAX_DOCUMENT))])
    try:
        return parse_yaml(source)
    except Unreadable as exc:
        if exc.alias:
            said = Said("web_forms.yaml_aliases")
        elif exc.syntax:
            said = Said("web_forms.not_yaml_or_json", problem=exc.problem)
        else:
            said = exc.said
        raise InvalidInput("assessment", [FieldError("document", said)]) from None


def read_assessment(form: FormData) -> AssessmentFacts:
    """The assessment posted: the pasted document when there is one, else the form's fields; parsed and
    validated. Blocking work (PyYAML, pydantic): the dashboard runs it in a worker thread."""
    document = form.get("document")
    if isinstance(document, str) and document.strip():
        data = parse_document(document)
    else:
        data = assessment_data(form)
    return validate(AssessmentFacts, data, "assessment")


def known_categories(profile: Profile) -> list[str]:
    return [c.name for c in profile.data_categories]


def chosen_categories(values: dict[str, Any], profile: Profile) -> tuple[list[str], str]:
    """The categories a form shows again: the organisation's own ones ticked, and the other terms as text."""
    given = values.get("data.categories", [])
    items = [i for v in ([given] if isinstance(given, str) else given) for i in split_list(str(v))]
    items += split_list(str(values.get("data.categories_other", "")))
    own = set(known_categories(profile))
    return [i for i in items if i in own], ", ".join(i for i in items if i not in own)
