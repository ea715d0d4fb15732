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
from incidents.authority_notice import INCIDENT_KINDS, RECORDABLE
from incidents.errors import FieldError, InvalidInput
from incidents.export import register_entries, register_rows, to_csv, to_html, to_json
from incidents.notify.render import LANGUAGES, render
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
        raise InvalidInput("the register export", [
            FieldError("--with-edpb", "the EU template goes with --format json only")])
    if args.format == "html":
        entries = register_entries(ws.uow(), now)
        text = to_html(ws.settings.templates_dir, _language(ws, args), entries, ws.profile, now)
        count = len(entries)
    else:
        rows = register_rows(ws.uow(), now)
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

    c = sub.add_parser("authority", help="the notice to the AP: check, record the filing, follow up, withdraw, export",
                       description="The notice to the Autoriteit Persoonsgegevens (AP). The response flow prepares "
                       "it after a decision to notify the AP; every version is kept in the notices folder.")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

    c = ss.add_parser("check", help="the AP form's questions still open, and whether the notice can be filed now",
                      description="List the questions of the AP form that the next notice cannot answer yet, with "
                      "what is missing and how to fill it, and say whether it can be filed now as a first "
                      "notice with a follow-up later (GDPR art. 33(4)). Exit 1 when it cannot be filed yet.")
    c.add_argument("id")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.add_argument("--lang", choices=LANGUAGES, help="language of the text (default: the profile's)")
    c.add_argument("--draft", action="store_true",
                   help="also write the next notice as it stands now to authority-notice-draft.* (not kept)")
    c.set_defaults(func=cmd_check)

    c = ss.add_parser("answer", help="answer a form question no other fact supplies (1.3, 2.1, 2.2, 5.2)",
                      description="Record the answer to an AP form question the register cannot derive: 1.3 other "
                      "regulators told (names, or none), 2.1 the countries of the people affected (ISO codes, "
                      "e.g. NL BE), 2.2 other data-protection authorities told (names, or none), 5.2 the kind "
                      "of incident (one of: " + ", ".join(INCIDENT_KINDS) + "). A later answer replaces it.")
    c.add_argument("id")
    c.add_argument("question", choices=RECORDABLE)
    c.add_argument("value", nargs="+", help="the answer; several values for a list")
    c.set_defaults(func=cmd_answer)

    c = ss.add_parser("filed", help="record that the AP notice was filed, with the AP's reference",
                      description="Record that the AP notice was filed through the AP's form, with the "
                      "meldnummer. After 72 hours, --delay-reason is required (GDPR art. 33(1)) and the notice "
                      "is kept as a new version that gives the reasons.")
    c.add_argument("id")
    c.add_argument("--reference", required=True, help="the AP's reference number (meldnummer)")
    when_option(c, "it was filed")
    c.add_argument("--delay-reason", help="why the notice comes after 72 hours (GDPR art. 33(1))")
    flow_options(c)
    c.set_defaults(func=cmd_filed)

    c = ss.add_parser("follow-up", help="record a follow-up notice (what changed), kept as a new version",
                      description="Record a follow-up notice filed at the AP: a supplement or change to the "
                      "notice filed before (GDPR art. 33(4)). It is kept as a new version, linked to the filing "
                      "it follows. With --draft, only write the follow-up to copy from before filing it.")
    c.add_argument("id")
    c.add_argument("--changes", required=True, help="what changed since the previous notice")
    c.add_argument("--reference", help="the AP's meldnummer for the follow-up (default: the previous notice's)")
    when_option(c, "it was filed")
    c.add_argument("--draft", action="store_true",
                   help="write the follow-up to authority-notice-draft.* without recording anything")
    c.set_defaults(func=cmd_follow_up)

    c = ss.add_parser("withdraw", help="record that the AP notice was withdrawn, with the reason",
                      description="Record that the notice filed at the AP was withdrawn because it turned out not "
                      "to be a breach that must be notified. The breach stays in the register (art. 33(5)).")
    c.add_argument("id")
    c.add_argument("--reason", required=True, help="why it is not a breach that must be notified")
    c.add_argument("--reference", help="the AP's meldnummer for the withdrawal (default: the previous notice's)")
    when_option(c, "it was withdrawn")
    c.set_defaults(func=cmd_withdraw)

    c = ss.add_parser("export", help="the notice in the EDPB's common EU template, as JSON or a readable page",
                      description="Write the notice in the EDPB's common EU breach-notification template (draft "
                      "v1.0), from the same answers as the AP notice: edpb-json is the template's JSON document "
                      "(field_N keys, option letters; it validates against docs/edpb/breach-notification.schema."
                      "json), edpb-html a readable page with the template's sections. It is the next notice to "
                      "file (a first notice, or a follow-up once the first is filed), or the withdrawal once "
                      "withdrawn. The fields still to be determined are listed on standard error; without an "
                      "answer the template cannot leave open (such as the nature of the breach), it refuses and "
                      "exits 2.")
    c.add_argument("id")
    c.add_argument("--format", choices=("edpb-json", "edpb-html"), required=True,
                   help="edpb-json: the template's JSON document; edpb-html: a readable page")
    c.add_argument("--lang", choices=LANGUAGES,
                   help="language of the free text and the page (default: the profile's)")
    c.add_argument("--output", "-o", help="write to this file instead of standard output")
    c.set_defaults(func=cmd_export)

    c = sub.add_parser("register", help="the art. 33(5) breach register",
                       description="The register of every breach (GDPR art. 33(5)).")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    c = ss.add_parser("export", help="export the register as CSV, JSON or a printable HTML document",
                      description="Export every breach, notified or not, with facts, effects, remedial action, "
                      "the decision's reasons and the AP filing history (why a breach was not notified, too). "
                      "html is a printable document for the AP.")
    c.add_argument("--format", choices=("csv", "json", "html"), default="csv")
    c.add_argument("--lang", choices=LANGUAGES,
                   help="language of the html document and of the EU template's free text (default: the profile's)")
    c.add_argument("--output", "-o", help="write to this file instead of standard output")
    c.add_argument("--with-edpb", dest="edpb", action="store_true",
                   help="json only: add each notified breach's notice in the EDPB's EU template (edpb-json)")
    c.set_defaults(func=cmd_register_export)
