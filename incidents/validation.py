"""Loading YAML/JSON input files and turning pydantic's complaints into errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from incidents.errors import Blame, FieldError, InvalidInput
from incidents.said import Said

M = TypeVar("M", bound=BaseModel)


def field_errors(exc: ValidationError) -> list[FieldError]:
    """pydantic's complaints as errors that name the field, in words of templates/<lang>/errors/validation.j2:
    a `Blame` raised by a validator keeps its own words; pydantic's own checks are said by their error type."""
    errors: list[FieldError] = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"] if p != "__root__") or "(document)"
        raised = (err.get("ctx") or {}).get("error")
        if isinstance(raised, Blame):
            for problem in raised.problems:
                if isinstance(problem, FieldError):
                    name = problem.field if path == "(document)" else f"{path}.{problem.field}"
                    errors.append(FieldError(name, problem.said))
                else:
                    scalar = "input" in err and not isinstance(err["input"], (dict, list))
                    errors.append(FieldError(path, Said("validation.blamed", said=problem, has_input=scalar,
                                                        input=err["input"] if scalar else None)))
            continue
        errors.append(FieldError(path, _pydantic_said(err)))
    return errors


def _pydantic_said(err: Any) -> Said:
    kind = err["type"] if err["type"] in SAID_TYPES else "other"
    scalar = "input" in err and not isinstance(err["input"], (dict, list))
    ctx = {k: v if isinstance(v, (str, int, float)) else str(v) for k, v in (err.get("ctx") or {}).items()}
    return Said(f"validation.{kind}", msg=str(err["msg"]).removeprefix("Value error, "),
                input=err["input"] if scalar else None, has_input=scalar, ctx=ctx)


# pydantic's error types that templates/<lang>/errors/validation.j2 says in words (the rest: "other", with
# pydantic's English message)
SAID_TYPES = frozenset({
    "missing", "extra_forbidden", "string_type", "int_parsing", "int_type", "float_parsing", "float_type",
    "bool_parsing", "bool_type", "literal_error", "enum", "greater_than_equal", "greater_than", "less_than_equal",
    "less_than", "string_too_short", "string_too_long", "too_short", "too_long", "list_type", "dict_type",
    "model_type", "datetime_parsing", "datetime_type", "datetime_from_date_parsing", "date_parsing", "date_type",
    "int_from_float", "url_parsing", "value_error", "timezone_aware",
})


def parse_model(model: type[M], data: Any, what: str | Said) -> M:
    if not isinstance(data, dict):
        raise InvalidInput(what, [FieldError("(document)", Said("validation.not_a_mapping"))])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(what, field_errors(exc)) from None


def load_document(path: Path, what: str | Said) -> Any:
    """Read a YAML or JSON file (chosen by its suffix; YAML reads JSON too)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(what, [FieldError("file", Said("validation.file_missing", path=path))]) from None
    except UnicodeDecodeError:
        raise InvalidInput(what, [FieldError("file", Said("validation.file_not_utf8", path=path))]) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(what, [FieldError("file", Said("validation.file_not_yaml", path=path, problem=str(exc)))]) from None
