"""Loading YAML/JSON input files and turning pydantic's complaints into errors that name the field."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
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


# --- reading a document: limits ------------------------------------------------------------------------------
#
# Every YAML or JSON document the tool reads, from a file (the CLI: a report, an assessment, a profile), pasted in
# a dashboard form or posted to the API, is read within these limits; past one it is refused at once, the field
# named. PyYAML's scanner is quadratic in nesting ("[[[[..." of 20 KB took 12 s) and its composer and json.loads
# recurse (100 000 levels: RecursionError): so the depth is counted as the YAML is scanned, token by token, and
# reading stops at the first level too deep, before any quadratic work; aliases are refused (a few lines of them
# expand to millions of values, and to any depth); and the scan has a deadline.

MAX_DEPTH = 32  # lists and mappings within each other; a report needs 2, an assessment 3, a profile 4
MAX_FILE_BYTES = 1024 * 1024  # a file the CLI reads; the examples are 3-10 KB (the API's body: MAX_BODY, 1 MiB)
MAX_PASTED_CHARS = 256 * 1024  # a document pasted in a dashboard form (breach/web/forms.py)
MAX_SECONDS = 5  # seconds for reading one document; 256 KB of YAML reads in well under a second, 1 MB in about three


@dataclass(frozen=True)
class Limits:
    depth: int = MAX_DEPTH
    seconds: float = MAX_SECONDS


LIMITS = Limits()


class Unreadable(Exception):
    """The text is not a document within the limits: `said` says why, about the document as a whole (the
    caller names the field); `problem` is the YAML or JSON reader's own message when it is a syntax error."""

    def __init__(self, said: Said, problem: str | None = None):
        super().__init__(said)
        self.said, self.problem = said, problem

    @property
    def syntax(self) -> bool:
        return self.said.key == "validation.not_yaml"

    @property
    def alias(self) -> bool:
        return self.said.key == "validation.yaml_aliases"


class _Refused(Exception):
    def __init__(self, said: Said):
        super().__init__(said)
        self.said = said


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that counts the depth as it scans (flow levels `[`/`{` and block indents together),
    refuses aliases and stops at its deadline: linear up to the limit, so a refusal comes at once."""

    limits = LIMITS
    deadline = 0.0

    def _too_deep(self, depth: int) -> None:
        if depth > self.limits.depth:
            raise _Refused(Said("validation.too_deep", maximum=self.limits.depth, line=self.line + 1))

    def fetch_more_tokens(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Refused(Said("validation.too_slow", seconds=self.limits.seconds))
        super().fetch_more_tokens()

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        self._too_deep(self.flow_level + 1 + len(self.indents))
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        added: bool = super().add_indent(column)
        if added:
            self._too_deep(self.flow_level + len(self.indents))
        return added

    def fetch_alias(self) -> None:
        raise _Refused(Said("validation.yaml_aliases"))


def _depth(data: Any) -> int:
    """How deep lists and mappings nest in `data` (without recursion: any depth is measured)."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            todo.extend((value, level + 1) for value in item)
    return deepest


def parse_yaml(text: str, limits: Limits = LIMITS) -> Any:
    """YAML (or JSON, which YAML reads too) within the limits; `Unreadable` says why not."""
    loader = _LimitedLoader(text)
    loader.limits, loader.deadline = limits, time.monotonic() + limits.seconds
    try:
        data = loader.get_single_data()
    except _Refused as exc:
        raise Unreadable(exc.said) from None
    except yaml.YAMLError as exc:
        raise Unreadable(Said("validation.not_yaml", problem=str(exc)), str(exc)) from None
    except RecursionError:  # not reached within the depth limit; kept so no document ends in a traceback
        raise Unreadable(Said("validation.too_deep", maximum=limits.depth, line=None)) from None
    finally:
        loader.dispose()
    if _depth(data) > limits.depth:  # a sequence at its key's indent ("a:\n- x") scans as no level of its own
        raise Unreadable(Said("validation.too_deep", maximum=limits.depth, line=None))
    return data


def parse_json(text: str | bytes, limits: Limits = LIMITS) -> Any:
    """JSON within the depth limit (the C reader is linear; it recurses, so very deep text is refused as such)."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise Unreadable(Said("validation.too_deep", maximum=limits.depth, line=None)) from None
    except ValueError as exc:  # JSONDecodeError, and bytes that are not UTF-8
        raise Unreadable(Said("validation.not_yaml", problem=str(exc)), str(exc)) from None
    if _depth(data) > limits.depth:
        raise Unreadable(Said("validation.too_deep", maximum=limits.depth, line=None))
    return data


def load_document(path: Path, what: str | Said, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Read a YAML or JSON file (chosen by its suffix; YAML reads JSON too), within the limits above: a file
    larger than `max_bytes` is refused before more than that is read."""
    try:
        with path.open("rb") as file:
            raw = file.read(max_bytes + 1)
    except FileNotFoundError:
        raise InvalidInput(what, [FieldError("file", Said("validation.file_missing", path=path))]) from None
    except OSError as exc:  # a folder, no permission
        raise InvalidInput(what, [FieldError("file", Said("validation.file_unreadable", path=path,
                                                          problem=exc.strerror or type(exc).__name__))]) from None
    if len(raw) > max_bytes:
        raise InvalidInput(what, [FieldError("file", Said("validation.file_too_large", path=path,
                                                          maximum=max_bytes))])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(what, [FieldError("file", Said("validation.file_not_utf8", path=path))]) from None
    try:
        return parse_json(text) if path.suffix.lower() == ".json" else parse_yaml(text)
    except Unreadable as exc:
        said = Said("validation.file_not_yaml", path=path, problem=exc.problem) if exc.syntax else \
            Said("validation.file_refused", path=path, said=exc.said)
        raise InvalidInput(what, [FieldError("file", said)]) from None
