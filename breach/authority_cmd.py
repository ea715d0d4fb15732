"""`breach authority check|filed|follow-up|withdraw|export` and `breach register export`: the AP notice and the register.

Each command parses, calls one service, prints; the words of the check come from templates/<lang>/authority/,
those of the EU template (`export --format edpb-json|edpb-html`) from templates/<lang>/edpb/.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from breach.common import actor, after_record, flow_options, when_option
from breach.words import Lines, language, words
from incidents import edpb
from incidents.authority_notice import RECORDABLE
from incidents.errors import FieldError, InvalidInput
from incidents.export import register_entries, register_rows, to_csv, to_html, to_json
from incidents.notify.render import LANGUAGES, render
from incidents.said import Said
from incidents.services.authority import (
    AuthorityCheck,
    check_authority_notice,
    draft_authority_notice,
    edpb_answers,
    record_filing,
    record_follow_up,
    record_withdrawal,
)
from incidents.times import iso, now_utc
from incidents.workspace import Workspace


def _language(ws: Workspace, args: argparse.Namespace) -> str:
    return args.lang or ws.profile.language


def _paths(w: Lines, label: str, paths: list[Path]) -> None:
    if paths:
        sys.stderr.write(w("paths", label=w(label), ps=paths) + "\n")


# --- check -------------------------------------------------------------------------------------------------

def check_json(result: AuthorityCheck) -> dict[str, Any]:
    """Machine-readable check: the same verdict and open questions as the text, ids and codes only."""
    answers = result.answers
    return {
        "id": answers.incident_id,
        "verdict": result.check.verdict,
        "can_file_now": result.check.verdict in ("phased", "complete") and answers.first is None,
        "late": answers.late,
        "authority_clock": {"state": result.clock.state, "due_at": iso(result.clock.due_at),
                            "hours_left": result.clock.hours_left},
        "questions": len(answers.answers),
        "unanswered": [{"number": a.number, "missing": list(a.missing)} for a in answers.unanswered],
        "blocking": [{"number": a.number, "missing": list(a.blocking)} for a in answers.blocking],
        "versions": [{"version": v.version, "made_at": iso(v.made_at), "location": v.location,
                      "filing": None if v.filing is None else {
                          "kind": v.filing.kind, "filed_at": iso(v.filing.filed_at),
                          "reference": v.filing.reference}}
                     for v in result.versions],
    }


def cmd_check(ws: Workspace, args: argparse.Namespace) -> int:
    now = now_utc()
    result = check_authority_notice(ws.uow(), ws.profile, args.id, now)
    if args.draft:
        paths = draft_authority_notice(ws.uow(), ws.profile, ws.settings.templates_dir, ws.settings.notices_dir,
                                       args.id, now)
        _paths(words(ws), "draft_next", paths)
    if args.json:
        print(json.dumps(check_json(result), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(render(ws.settings.templates_dir, args.lang or language(ws), "authority/check.txt.j2",
                                answer_set=result.answers, verdict=result.check.verdict, clock=result.clock,
                                versions=result.versions))
    return 1 if result.check.verdict == "blocked" else 0


# --- filing and after --------------------------------------------------------------------------------------

def cmd_filed(ws: Workspace, args: argparse.Namespace) -> int:
    now = now_utc()
    filed_at = args.at or now
    filed = record_filing(ws.uow(), args.id, args.reference, filed_at, args.delay_reason, actor(args), now,
                          profile=ws.profile, templates=ws.settings.templates_dir,
                          notices_dir=ws.settings.notices_dir)
    w = words(ws)
    sys.stderr.write(w("filed", f=filed, reference=args.reference.strip()) + "\n")
    _paths(w, "kept_with_delay", filed.paths)
    # a deployed run waiting for the filing is resumed with what was recorded (flows/inputs.py FilingInput)
    after_record(ws, args, filed.incident_id, "authority_filing", filed.run_input())
    return 0


def cmd_follow_up(ws: Workspace, args: argparse.Namespace) -> int:
    now = now_utc()
    if args.draft:
        paths = draft_authority_notice(ws.uow(), ws.profile, ws.settings.templates_dir, ws.settings.notices_dir,
                                       args.id, now, changes=args.changes)
        _paths(words(ws), "follow_up_draft", paths)
        return 0
    filed = record_follow_up(ws.uow(), ws.profile, ws.settings.templates_dir, ws.settings.notices_dir, args.id,
                             args.changes, args.reference, args.at or now, actor(args), now)
    w = words(ws)
    sys.stderr.write(w("follow_up", f=filed) + "\n")
    _paths(w, "kept", filed.paths)
    return 0


def cmd_withdraw(ws: Workspace, args: argparse.Namespace) -> int:
    now = now_utc()
    filed = record_withdrawal(ws.uow(), ws.profile, ws.settings.templates_dir, ws.settings.notices_dir, args.id,
                              args.reason, args.reference, args.at or now, actor(args), now)
    w = words(ws)
    sys.stderr.write(w("withdrawn", f=filed) + "\n")
    _paths(w, "kept", filed.paths)
    return 0


# --- the EU template ---------------------------------------------------------------------------------------

def _write(w: Lines, text: str, output: str | None, what: str) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8", newline="")
        sys.stderr.write(w("written_to", what=what, path=output) + "\n")
    else:
        sys.stdout.write(text)


def cmd_answer(ws: Workspace, args: argparse.Namespace) -> int:
    from incidents.services.authority import record_authority_answer

    answer = record_authority_answer(ws.uow(), args.id, args.question, args.value, actor(args), now_utc())
    sys.stderr.write(words(ws)("answered", question=args.question, id=args.id.upper(), answer=answer) + "\n")
    return 0


def cmd_export(ws: Workspace, args: argparse.Namespace) -> int:
    templates, language = ws.settings.templates_dir, _language(ws, args)
    answers = edpb_answers(ws.uow(), ws.profile, args.id, now_utc())
    if args.format == "edpb-json":
        text = json.dumps(edpb.render_document(templates, language, answers), ensure_ascii=False, indent=2) + "\n"
    else:
        text = edpb.render_html(templates, language, answers)
    _write(words(ws), text, args.output, "edpb")
    sys.stderr.write(edpb.render_pending(templates, language, answers))
    return 0


NOTIFIED = ("pending", "filed", "filed_late", "withdrawn")  # register entries with a notice to the AP


def _with_edpb(ws: Workspace, rows: list[dict[str, Any]], now: Any, language: str) -> list[dict[str, Any]]:
    """Each breach notified (or to be notified) to the AP with its notice in the EU template, or why not."""
    for row in rows:
        if row["authority_notification"] not in NOTIFIED:
            continue
        answers = edpb_answers(ws.uow(), ws.profile, row["id"], now)
        try:
            document = edpb.render_document(ws.settings.templates_dir, language, answers)
        except InvalidInput as exc:
            row["edpb"] = {"refused": [{"field": e.field, "message": e.message} for e in exc.errors]}
        else:
            row["edpb"] = {"document": document, "to_be_determined": [a.spec.key for a in answers.pending]}
    return rows


# --- the register ------------------------------------------------------------------------------------------

def cmd_register_export(ws: Workspace, args: argparse.Namespace) -> int:
    now = now_utc()
    if args.edpb and args.format != "json":
        raise InvalidInput("the register export", [FieldError("--with-edpb", Said("cli_authority.edpb_needs_json"))])
    if args.format == "html":
        entries = register_entries(ws.reader(), now, ws.organisation_id)
        text = to_html(ws.settings.templates_dir, _language(ws, args), entries, ws.profile, now)
        count = len(entries)
    else:
        rows = register_rows(ws.reader(), now, ws.organisation_id)  # the organisation's own register (art. 33(5))
        if args.edpb:
            rows = _with_edpb(ws, rows, now, _language(ws, args))
        text = to_csv(rows) if args.format == "csv" else to_json(rows) + "\n"
        count = len(rows)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        sys.stderr.write(words(ws)("register_written", count=count, path=args.output) + "\n")
    else:
        sys.stdout.write(text)
    return 0


# --- the parser --------------------------------------------------------------------------------------------

def add_commands(sub: Any) -> None:
    """Add `authority` and `register` to the `breach` parser's subcommands."""

    c = sub.add_parser("authority")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

    c = ss.add_parser("check")
    c.add_argument("id")
    c.add_argument("--json", action="store_true")
    c.add_argument("--lang", choices=LANGUAGES)
    c.add_argument("--draft", action="store_true")
    c.set_defaults(func=cmd_check)

    c = ss.add_parser("answer")
    c.add_argument("id")
    c.add_argument("question", choices=RECORDABLE)
    c.add_argument("value", nargs="+")
    c.set_defaults(func=cmd_answer)

    c = ss.add_parser("filed")
    c.add_argument("id")
    c.add_argument("--reference", required=True)
    when_option(c)
    c.add_argument("--delay-reason")
    flow_options(c)
    c.set_defaults(func=cmd_filed)

    c = ss.add_parser("follow-up")
    c.add_argument("id")
    c.add_argument("--changes", required=True)
    c.add_argument("--reference")
    when_option(c)
    c.add_argument("--draft", action="store_true")
    c.set_defaults(func=cmd_follow_up)

    c = ss.add_parser("withdraw")
    c.add_argument("id")
    c.add_argument("--reason", required=True)
    c.add_argument("--reference")
    when_option(c)
    c.set_defaults(func=cmd_withdraw)

    c = ss.add_parser("export")
    c.add_argument("id")
    c.add_argument("--format", choices=("edpb-json", "edpb-html"), required=True)
    c.add_argument("--lang", choices=LANGUAGES)
    c.add_argument("--output", "-o")
    c.set_defaults(func=cmd_export)

    c = sub.add_parser("register")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    c = ss.add_parser("export")
    c.add_argument("--format", choices=("csv", "json", "html"), default="csv")
    c.add_argument("--lang", choices=LANGUAGES)
    c.add_argument("--output", "-o")
    c.add_argument("--with-edpb", dest="edpb", action="store_true")
    c.set_defaults(func=cmd_register_export)
