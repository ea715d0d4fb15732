"""Every error a person reads is words of templates/<lang>/errors/, in the reader's language (incidents/said.py).

Read from the code: no error is raised with a sentence written in Python, every `Said` names a macro that
exists in both languages and takes the values it is given, and the Dutch and English files say the same things.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from incidents.config import REPO_ROOT
from incidents.errors import FieldError, InvalidInput, UnknownIncident
from incidents.notify.render import environment
from incidents.said import Said, speaking

ERRORS = {"BreachError", "InvalidInput", "InvalidTransition", "UnknownIncident", "ConfigurationError",
          "DispatchFailed", "FieldError", "Blame", "SourceBroken"}
CODE = sorted(p for folder in ("incidents", "breach", "flows") for p in (REPO_ROOT / folder).rglob("*.py"))
TEMPLATES = REPO_ROOT / "templates"


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _words(node: ast.expr) -> bool:
    """A sentence written in the code: a string with a space in it, an f-string, or such strings joined."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return " " in node.value.strip()
    if isinstance(node, ast.BinOp):
        return _words(node.left) or _words(node.right)
    return False


def _sentences_in(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and _name(node.func) in ERRORS:
            # InvalidInput's first argument is the key of the input (in `whats`); the rest are words
            args = node.args[1:] if _name(node.func) in ("InvalidInput", "FieldError") else node.args
            if any(_words(a) for a in args) or any(_words(k.value) for k in node.keywords):
                found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} {_name(node.func)}")
    return found


@pytest.mark.parametrize("path", CODE, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_error_is_worded_in_the_code(path: Path) -> None:
    assert _sentences_in(path) == []


def _said_calls() -> list[tuple[str, str, set[str], str]]:
    calls = []
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) == "Said" and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                module, _, macro = node.args[0].value.partition(".")
                if any(k.arg is None for k in node.keywords):
                    continue  # Said(key, **values): checked where the values are built
                calls.append((module, macro, {k.arg for k in node.keywords if k.arg}, f"{path.name}:{node.lineno}"))
    return calls


def _macros(language: str, module: str) -> dict[str, tuple[str, ...]]:
    template = environment(TEMPLATES).get_template(f"{language}/errors/{module}.j2")
    mod = template.module
    return {name: tuple(getattr(mod, name).arguments) for name in dir(mod)
            if not name.startswith("_") and hasattr(getattr(mod, name), "arguments")}


def test_every_said_has_its_macro_in_both_languages() -> None:
    calls = _said_calls()
    assert len(calls) > 150  # every module that raises says its errors this way
    problems = []
    for module, macro, given, where in calls:
        for language in ("nl", "en"):
            macros = _macros(language, module)
            if macro not in macros:
                problems.append(f"{where}: {language}/errors/{module}.j2 has no macro {macro}")
            elif not given <= set(macros[macro]) or not set(macros[macro]) <= given:
                problems.append(f"{where}: {module}.{macro}({', '.join(sorted(given))}) but the macro takes "
                                f"{', '.join(macros[macro])} in {language}")
    assert problems == []


def test_dutch_and_english_say_the_same_things() -> None:
    modules = sorted(p.stem for p in (TEMPLATES / "en" / "errors").glob("*.j2"))
    assert modules == sorted(p.stem for p in (TEMPLATES / "nl" / "errors").glob("*.j2"))
    for module in modules:
        assert _macros("nl", module) == _macros("en", module), module


def test_an_error_reads_in_the_language_of_its_reader() -> None:
    error = InvalidInput("approval", [FieldError("--version", Said("common.unknown_incident", id="DL-9"))])
    with speaking("nl"):
        dutch = str(error)
    assert dutch.startswith("De goedkeuring is niet geldig (1 probleem):")
    assert "onbekend incidentnummer 'DL-9'" in dutch
    assert str(error).startswith("approval is not valid (1 problem):")  # English outside (a log)
    with speaking("nl"):
        assert "{{ 7*7 }}" in str(UnknownIncident("{{ 7*7 }}"))  # a value stays text


def test_every_input_an_error_names_is_said_in_both_languages() -> None:
    """InvalidInput("approval", ...): its first argument is a key of `whats` in common.j2 (or a Said)."""
    named = set()
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) == "InvalidInput" and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                named.add(node.args[0].value)
    assert len(named) > 20
    for language in ("nl", "en"):
        whats = environment(TEMPLATES).get_template(f"{language}/errors/common.j2").module.whats
        assert sorted(named - set(whats)) == [], language
