"""The `breach` command line. Each command parses, calls one service, prints; errors exit 2 with the fix."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from breach.authority_cmd import add_commands as add_authority_commands
from breach.common import actor, after_record, flow_options, yes_no
from breach.recommend_cmd import add_commands as add_recommend_commands
from breach.recommend_cmd import advice_json, advice_text
from breach.subjects_cmd import add_commands as add_subjects_commands
from breach.words import Lines, safe_words, words
from incidents import services
from incidents.errors import BreachError
from incidents.messages import SUBJECT_NOTICE, SUBJECT_UPDATE
from incidents.model import AssessmentFacts, IncidentReport
from incidents.times import iso, now_utc
from incidents.validation import load_document, parse_model
from incidents.views import IncidentView, incident_view, timeline
from incidents.workspace import Workspace


def clock_line(w: Lines, view: IncidentView) -> str:
    return w("clock", c=view.authority_clock, reference=view.authority_reference)


def track_words(w: Lines, view: IncidentView) -> tuple[str, str]:
    """The two tracks in a few words each (`breach list`, `breach show`)."""
    return w("authority_track", t=view.tracks.authority), w("people_track", t=view.tracks.people)


# --- commands ---------------------------------------------------------------------------------------------

def cmd_report(ws: Workspace, args: argparse.Namespace) -> int:
    data = load_document(Path(args.file), f"incident report {args.file}")
    report = parse_model(IncidentReport, data, f"incident report {args.file}")
    now = now_utc()
    incident_id = services.report_incident(ws.uow(), ws.profile, report, actor(args), now)
    print(incident_id)
    with ws.uow() as uow:
        view = incident_view(uow, incident_id, now)
    w = words(ws)
    sys.stderr.write(w("reported", id=incident_id, clock_line=clock_line(w, view)) + "\n")
    after_record(ws, args, incident_id)
    return 0


def cmd_list(ws: Workspace, args: argparse.Namespace) -> int:
    now = now_utc()
    with ws.uow() as uow:
        views = [incident_view(uow, row.id, now) for row in uow.incidents()]
    if args.open or args.waiting:
        views = [v for v in views if v.is_open]
    waiting = {v.id: services.waiting_for(ws.uow(), v.id) for v in views} if args.waiting else {}
    if args.json:
        items = [v.as_json() | ({"waiting_for": waiting[v.id]} if args.waiting else {}) for v in views]
        print(json.dumps({"incidents": items}, ensure_ascii=False, indent=2))
        return 0
    w = words(ws)
    if not views:
        print(w("register_empty") if not (args.open or args.waiting) else w("none_open"))
        return 0
    if args.waiting:
        for v in views:
            print(w("waiting_header", id=v.id, title=v.title[:60]))
            print(w("waiting_list", steps=waiting[v.id], id=v.id))
        return 0
    print(w("list_header"))
    for v in views:
        authority, people = track_words(w, v)
        print(w("list_row", id=v.id, frame=v.tracks.frame.value, authority=authority, people=people,
                title=v.title[:50]))
    return 0


def cmd_show(ws: Workspace, args: argparse.Namespace) -> int:
    now = now_utc()
    uow = ws.uow()
    with uow:
        view = incident_view(uow, args.id, now, ws.profile)
    events = timeline(ws.uow(), view.id)
    waiting = services.waiting_for(ws.uow(), view.id)
    if args.json:
        data = view.as_json()
        data["waiting_for"] = waiting
        data["timeline"] = [{**e, "at": iso(e["at"])} for e in events]  # type: ignore[arg-type]
        data.update(advice_json(ws, view.id))
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    w = words(ws)
    messages = [m for m in (services.latest_version(ws.uow(), view.id, kind=kind)
                            for kind in (SUBJECT_NOTICE, SUBJECT_UPDATE)) if m is not None]
    sys.stdout.write(w.text("show.txt.j2", view=view, waiting=waiting, messages=messages,
                            processor=view.processor_clock))
    sys.stdout.write(advice_text(ws, view.id))
    sys.stdout.write(w.text("timeline.txt.j2", events=events))
    return 0


def cmd_assess(ws: Workspace, args: argparse.Namespace) -> int:
    data = load_document(Path(args.file), f"assessment {args.file}")
    facts = parse_model(AssessmentFacts, data, f"assessment {args.file}")
    services.record_assessment(ws.uow(), ws.profile, args.id, facts, actor(args), now_utc())
    sys.stderr.write(words(ws)("assessed", id=args.id.upper()) + "\n")
    sys.stdout.write(advice_text(ws, args.id.upper()))
    after_record(ws, args, args.id.upper(), "assessment", facts.model_dump(mode="json"))
    return 0


def cmd_decide(ws: Workspace, args: argparse.Namespace) -> int:
    decided = services.decide(ws.uow(), args.id, actor(args), now_utc(), notify_authority=args.authority,
                              notify_subjects=args.subjects, reason=args.reason,
                              templates=ws.settings.templates_dir, language=ws.profile.language)
    sys.stderr.write(words(ws)("decided", id=args.id.upper(), d=decided) + "\n")
    after_record(ws, args, args.id.upper(), "decision", decided.run_input())
    return 0


def cmd_subjects_status(ws: Workspace, args: argparse.Namespace) -> int:
    with ws.uow() as uow:
        view = incident_view(uow, args.id, now_utc())
        update = uow.update_counts(view.id)  # the follow-up, once written and sent
    counts, public = view.subjects, view.public_notice
    if args.json:
        print(json.dumps({"incident_id": view.id, "counts": counts, "total": sum(counts.values()),
                          "notified": view.people_notified, "update_counts": update,
                          "public_notice": None if public is None else {
                              "version": public.version, "published_at": iso(public.finished_at)}}))
        return 0
    w = words(ws)
    print(w("counts", items=counts) if counts else w("no_people"))
    if update:
        print(w("update_counts", items=update))
    if public is not None:  # art. 34(3)(c): told by the public communication
        print(w("public_online", version=public.version, at=public.finished_at))
    return 0


def cmd_subjects_worklist(ws: Workspace, args: argparse.Namespace) -> int:
    from incidents.export import worklist_csv
    from incidents.services.people import worklist

    rows = worklist(ws.uow(), args.id)
    text = worklist_csv(rows)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        sys.stderr.write(words(ws)("worklist_written", count=len(rows), path=args.output) + "\n")
    else:
        sys.stdout.write(text)
    return 0

def cmd_dismiss(ws: Workspace, args: argparse.Namespace) -> int:
    services.dismiss(ws.uow(), args.id, args.reason, actor(args), now_utc())
    print(words(ws)("dismissed", id=args.id.upper()))
    return 0


def cmd_close(ws: Workspace, args: argparse.Namespace) -> int:
    services.close(ws.uow(), args.id, args.reason, actor(args), now_utc(), lessons=args.lessons,
                   improvements=args.improvements, despite=args.despite)
    print(words(ws)("closed", id=args.id.upper()))
    return 0


def cmd_audit_verify(ws: Workspace, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from incidents import audit
    from incidents.register.tables import AuditRow

    expect = [audit.parse_head(text) for text in args.expect or []]
    with ws.uow() as uow:
        rows = list(uow.session.scalars(select(AuditRow).order_by(AuditRow.seq)))
        count, problems = audit.verify(rows, expect)
        head = audit.head_of(rows)
    w = words(ws)
    if problems:
        print(w("audit_broken", problems=len(problems), count=count))
        for p in problems:
            print(w("audit_problem", seq=p.seq, what=p.what))
        return 1
    print(w("audit_intact", count=count, expected=len(expect)))
    if head is not None:
        print(w("audit_head", head=head))
    return 0


def cmd_flow_run(ws: Workspace, args: argparse.Namespace) -> int:
    from breach.runner import run_here

    result = run_here(ws, args.id.upper())
    print(json.dumps(result))
    return 0


def cmd_watch(ws: Workspace, args: argparse.Namespace) -> int:
    from breach.runner import prefect_environment

    prefect_environment(ws.settings.home)
    from flows.deadlines import deadline_watch

    counts = deadline_watch()
    print(words(ws)("watched", counts=counts))
    return 0


def cmd_demo(ws: Workspace, args: argparse.Namespace) -> int:
    from breach.demo import run_demo

    return run_demo(Path(args.workspace))


# --- the parser -------------------------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="breach",
        description="GDPR data-breach response: the register, the AP's 72-hour clock, the AP notice and the "
                    "notices to the people. Settings come from BREACH_* environment variables (see README).",
    )
    p.add_argument("--as", dest="actor", metavar="NAME", help="who is acting (default: $BREACH_USER or your login)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("report", help="record a breach and start the response flow",
                       description="Record a reported breach from a YAML or JSON file and start the response flow. "
                       "Fields: title, description, occurred_from/occurred_until (optional), discovered_at, "
                       "aware_at (default: discovered_at; starts the 72 hours), awareness_reason (needed when aware_at is later "
                       "than discovered_at: what the short investigation established), source (internal, processor:<name>, "
                       "external, data_subject), reported_by, systems (optional, from the data inventory). "
                       "Times are ISO 8601; without an offset they are Europe/Amsterdam. Prints the new id.")
    c.add_argument("file")
    flow_options(c)
    c.set_defaults(func=cmd_report)

    c = sub.add_parser("list", help="the register: every incident with its status and AP deadline",
                       description="List the incidents in the register: the stage, where the AP notice (art. 33) and the "
                       "people's notice (art. 34) each stand, with the AP deadline. --json carries "
                       "\"tracks\": {\"authority\": {\"state\": ...}, \"people\": {\"state\": ...}}.")
    c.add_argument("--open", action="store_true", help="only incidents that are not closed or dismissed")
    c.add_argument("--waiting", action="store_true", help="what each open incident waits for, and who acts")
    c.add_argument("--json", action="store_true", help="machine-readable output (ISO 8601 times with offset)")
    c.set_defaults(func=cmd_list)

    c = sub.add_parser("show", help="one incident with its timeline and clocks",
                       description="Show one incident: facts, clocks, assessment, decision, notices, timeline.")
    c.add_argument("id")
    c.add_argument("--json", action="store_true", help="machine-readable output (ISO 8601 times with offset)")
    c.set_defaults(func=cmd_show)

    c = sub.add_parser("assess", help="record the IT expert's assessment (facts file)",
                       description="Record the IT assessment from a YAML or JSON file in the facts schema "
                       "(summary, breach, data, subjects, protection, containment, measures). Unknown fields "
                       "are refused.")
    c.add_argument("id")
    c.add_argument("file")
    flow_options(c)
    c.set_defaults(func=cmd_assess)

    c = sub.add_parser("decide", help="record the decision on notifying the AP and the people (default: the "
                       "recommendation)",
                       description="Record the privacy officer's decision: notify the AP (GDPR art. 33) and the "
                       "people (art. 34). Each answer left out is the recommendation's (`breach show ID`). "
                       "Departing from it needs --reason, a written justification kept in the register and the "
                       "audit trail (art. 5(2)); following it, the recommendation's reasons become the reason.")
    c.add_argument("id")
    c.add_argument("--authority", type=yes_no, metavar="yes|no",
                   help="notify the AP (art. 33); default: as recommended")
    c.add_argument("--subjects", type=yes_no, metavar="yes|no",
                   help="notify the people (art. 34); default: as recommended")
    c.add_argument("--reason", help="why; required when departing from the recommendation")
    flow_options(c)
    c.set_defaults(func=cmd_decide)

    c = sub.add_parser("subjects", help="the affected people of an incident",
                       description="Manage the people affected by an incident.")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    add_subjects_commands(ss)
    c = ss.add_parser("status", help="how many people per notification status",
                      description="Counts per status: pending, sending, sent, unreachable, ...")
    c.add_argument("id")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_subjects_status)
    c = ss.add_parser("worklist", help="export the people who need a letter or a phone call (CSV)",
                      description="The alternative-channel worklist: people without a usable e-mail address "
                      "(and later bounces), as CSV. It holds personal data: keep it to those who must call or write.")
    c.add_argument("id")
    c.add_argument("--output", "-o", help="write to this file instead of standard output")
    c.set_defaults(func=cmd_subjects_worklist)

    c = sub.add_parser("dismiss", help="record that it is not a personal-data breach (stays in the register)",
                       description="Dismiss an incident as not a personal-data breach; it stays documented.")
    c.add_argument("id")
    c.add_argument("--reason", required=True)
    c.set_defaults(func=cmd_dismiss)

    c = sub.add_parser("close", help="close an incident whose notifications are done",
                       description="Close an incident once both duties are done: the AP notice filed, withdrawn "
                       "or not required, and the people told (or their public communication online) or not "
                       "required. With one still open it closes only with --despite.")
    c.add_argument("id")
    c.add_argument("--reason", required=True, help="what was done, in a sentence; it goes in the register")
    c.add_argument("--lessons", required=True, metavar="TEXT",
                   help="the evaluation: what you learn from this breach (kept in the register, art. 33(5))")
    c.add_argument("--improvements", required=True, metavar="TEXT",
                   help="the evaluation: what you change so that it does not happen again")
    c.add_argument("--despite", metavar="REASON",
                   help="close although a duty is still open, and why (kept in the register and the audit trail)")
    c.set_defaults(func=cmd_close)

    add_authority_commands(sub)

    c = sub.add_parser("audit", help="the hash-chained audit trail",
                       description="The audit trail of every change.")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    c = ss.add_parser("verify", help="check that no audit entry was edited or deleted",
                      description="Recompute the hash chain; exit 1 and name the entries when it is broken. It "
                      "prints the head (ENTRY:HASH): kept outside the register (a note, an e-mail to yourself) and "
                      "given back with --expect, it also shows entries cut off the end, which the chain alone "
                      "cannot.")
    c.add_argument("--expect", action="append", metavar="ENTRY:HASH",
                   help="a head printed earlier; the trail must still hold that entry, unchanged (repeatable)")
    c.set_defaults(func=cmd_audit_verify)

    c = sub.add_parser("flow", help="run the response flow",
                       description="Run the incident_response flow for an incident.")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    c = ss.add_parser("run", help="run incident_response for one incident in this process",
                      description="Run incident_response in this process; it does what is not yet done.")
    c.add_argument("id")
    c.set_defaults(func=cmd_flow_run)

    c = sub.add_parser("watch", help="send the deadline reminders that are due (deadline_watch, once)",
                       description="Run deadline_watch once in this process: every running clock's escalation "
                       "ladder (AP notice at 24, 48, 66 and 72 hours; telling the people) e-mails the incident team, "
                       "then the privacy contact. Each reminder goes out once, however often this runs. With a "
                       "Prefect server, the deadline-watch deployment runs it every 15 minutes.")
    c.set_defaults(func=cmd_watch)

    c = sub.add_parser("demo", help="a complete example run in a fresh demo workspace",
                       description="Create a fresh demo workspace with the Qoers profile, report a realistic "
                       "incident, run the response with a sample assessment and decision, and print the result.")
    c.add_argument("--workspace", default="demo-workspace", help="folder for the demo (default: demo-workspace)")
    c.set_defaults(func=cmd_demo)

    from breach.web_cmd import add_commands as add_web_commands

    add_web_commands(sub)
    add_recommend_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    ws: Workspace | None = None
    try:
        if args.command == "demo":
            return args.func(None, args)
        ws = Workspace()
        return args.func(ws, args)
    except BreachError as exc:
        sys.stderr.write(safe_words(ws)("error", message=str(exc)) + "\n")
        return 2
    except KeyboardInterrupt:
        return 130




if __name__ == "__main__":
    sys.exit(main())
