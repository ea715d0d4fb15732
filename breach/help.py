"""The help of the `breach` command in the CLI's language: every command's one-line help and description and
every option's help come from templates/<nl|en>/cli/help.j2, as argparse's own words ("usage:", "options",
"the following arguments are required") do; the parser in the code holds names, types and defaults only."""

from __future__ import annotations

import argparse
from functools import cache
from pathlib import Path
from typing import Any

from incidents.notify.render import environment
from incidents.users import MIN_PASSWORD

Words = dict[str, Any]


@cache
def _help(templates: Path, language: str) -> Any:
    return environment(templates).get_template(f"{language}/cli/help.j2").module


def option_key(action: argparse.Action) -> str:
    """How an option is named in help.j2: its long flag, else its only flag, else (a positional) its dest."""
    flags = action.option_strings
    long = [f for f in flags if f.startswith("--")]
    return long[-1] if long else (flags[0] if flags else action.dest)


def speak(templates: Path, language: str) -> None:
    """Let argparse say its own phrases ("usage:", "options", "the following arguments are required") in
    `language`: it looks each up through its module's `_` (gettext) when it builds a parser or an error, so this
    comes before the parser is built."""
    words: dict[str, str] = dict(_help(templates, language).argparse)
    if words:
        argparse._ = lambda text: words.get(text, text)  # type: ignore[attr-defined]
    else:
        from gettext import gettext

        argparse._ = gettext  # type: ignore[attr-defined]


def apply_help(parser: argparse.ArgumentParser, templates: Path, language: str) -> None:
    """Fill in the help of every command and option of `parser` from help.j2 in `language`. A command or option
    without words there raises KeyError (tests/integration/test_cli_language.py walks every one of them in each
    language)."""
    module = _help(templates, language)
    _walk(parser, "breach", module.commands, module.options)


def _walk(parser: argparse.ArgumentParser, path: str, commands: Words, options: Words) -> None:
    parser.description = commands[path][1].replace("{min_password}", str(MIN_PASSWORD)) or None
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            action._choices_actions = [
                action._ChoicesPseudoAction(name, (), commands[f"{path} {name}"][0])
                for name in action.choices]
            for name, sub in action.choices.items():
                _walk(sub, f"{path} {name}", commands, options)
        else:
            key = option_key(action)
            action.help = options[f"{path} {key}"] if f"{path} {key}" in options else options[key]
