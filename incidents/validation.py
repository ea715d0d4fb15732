"""Loading YAML/JSON input files and turning pydantic's complaints into errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from incidents.errors import FieldError, InvalidInput

M = TypeVar("M", bound=BaseModel)

_EXPECTED = {
    "missing": "is required",
    "extra_forbidden": "is not a known field (check the spelling; unknown fields are refused so no fact is lost)",
}


def field_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"] if p != "__root__") or "(document)"
        message = _EXPECTED.get(err["type"], err["msg"])
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        if message.startswith("@"):
            # a rule across fields names the field it blames: "@field: message ;; @other: message"
            for part in message.split(" ;; "):
                name, _, text = part.removeprefix("@").partition(": ")
                errors.append(FieldError(f"{path}.{name}" if path != "(document)" else name, text))
            continue
        if err["type"] not in _EXPECTED and "input" in err and not isinstance(err["input"], (dict, list)):
            message = f"{message} (got {err['input']!r})"
        errors.append(FieldError(path, message))
    return errors


def parse_model(model: type[M], data: Any, what: str) -> M:
    if not isinstance(data, dict):
        raise InvalidInput(what, [FieldError("(document)", "expected a mapping of field names to values")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(what, field_errors(exc)) from None


def load_document(path: Path, what: str) -> Any:
    """Read a YAML or JSON file (chosen by its suffix; YAML reads JSON too)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(what, [FieldError("file", f"{path} does not exist")]) from None
    except UnicodeDecodeError:
        raise InvalidInput(what, [FieldError("file", f"{path} is not UTF-8 text")]) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(what, [FieldError("file", f"{path} is not valid YAML/JSON: {exc}")]) from None
