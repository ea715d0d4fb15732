"""`breach recommend`: the art. 33/34 advice for an assessment file on its own, or the scope of an incident;
and the advice block that `breach show` prints."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from breach.words import language as cli_language
from incidents.config import Settings
from incidents.errors import FieldError, InvalidInput
from incidents.model import AssessmentFacts
from incidents.notify.render import LANGUAGES
from incidents.profile import Profile
from incidents.said import Said
from incidents.services import recommendation as advice
from incidents.validation import load_document, parse_model
from incidents.workspace import Workspace


def profile_if_any(ws: Workspace | None) -> Profile | None:
    """The organisation profile when there is one: BREACH_PROFILE set (then it must load), or the workspace's
    default profile.yaml present. Without one, only vocabulary category names are known."""
    if ws is None:
        return None
    if os.environ.get("BREACH_PROFILE") or ws.settings.profile_path.exists():
        return ws.profile
    return None


def _templates(ws: Workspace | None) -> Path:
    return (ws.settings if ws is not None else Settings.from_env()).templates_dir


def cmd_recommend(ws: Workspace | None, args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.scope):
        raise InvalidInput("recommend", [FieldError("FILE", Said("cli_recommend.file_or_scope"))])
    profile = profile_if_any(ws)
    language = args.lang or cli_language(ws)
    templates = _templates(ws)
    if args.scope:
        return _scope(ws, profile, args.scope, templates, language, args.json)
    what = Said("cli_recommend.assessment_file", path=args.file)
    facts = parse_model(AssessmentFacts, load_document(Path(args.file), what), what)
    recommendation, categories = advice.evaluate(facts, profile)
    view, numbers = advice.view_of(recommendation), advice.numbers_of(facts, categories)
    if args.json:
        print(json.dumps(advice.describe(view, numbers, templates, language), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(advice.explain(view, numbers, templates, language))
    return 0


def _scope(ws: Workspace | None, profile: Profile | None, incident_id: str, templates: Path, language: str,
           as_json: bool) -> int:
    if ws is None or profile is None:
        raise InvalidInput("recommend", [FieldError("--scope", Said("cli_recommend.scope_needs_profile"))])
    proposal, check = advice.scope_of(ws.reader(), profile, incident_id)
    if as_json:
        print(json.dumps(_scope_json(proposal, check), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(advice.explain_scope(proposal, check, incident_id.strip().upper(), templates, language))
    return 0


def _scope_json(proposal: Any, check: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {"scope": asdict(proposal), "scope_check": asdict(check) if check is not None else None}


def advice_text(ws: Workspace, incident_id: str) -> str:
    """What `breach show` prints after the incident: the stored advice and the inventory's scope, in the
    profile's language."""
    profile = profile_if_any(ws)
    language = cli_language(ws)
    templates = _templates(ws)
    parts = []
    described = advice.explain_incident(ws.reader(), incident_id, templates, language)
    if described is not None:
        parts.append(advice.explanation_of(described, templates, language))
    if profile is not None:
        proposal, check = advice.scope_of(ws.reader(), profile, incident_id)
        parts.append(advice.explain_scope(proposal, check, incident_id.strip().upper(), templates, language))
    return "\n".join(parts)


def advice_json(ws: Workspace, incident_id: str) -> dict[str, Any]:
    """The keys `breach show --json` adds: recommendation (as `breach recommend --json`, with changed and
    previous) and the scope proposal with its check against the assessment."""
    profile = profile_if_any(ws)
    language = cli_language(ws)
    data: dict[str, Any] = {
        "recommendation": advice.explain_incident(ws.reader(), incident_id, _templates(ws), language)}
    if profile is not None:
        data.update(_scope_json(*advice.scope_of(ws.reader(), profile, incident_id)))
    return data


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser(
        "recommend")
    c.add_argument("file", nargs="?")
    c.add_argument("--scope", metavar="ID")
    c.add_argument("--json", action="store_true")
    c.add_argument("--lang", choices=LANGUAGES)
    c.set_defaults(func=cmd_recommend)
