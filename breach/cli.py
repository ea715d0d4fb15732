"""The `breach` command line. Each command parses, calls one service, prints; errors exit 2 with the fix."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from breach.authority_cmd import add_commands as add_authority_commands
from breach.common import WAITING, actor, after_record, flow_options, yes_no
from breach.recommend_cmd import add_commands as add_recommend_commands
from breach.recommend_cmd import advice_json, advice_text
from breach.subjects_cmd import add_commands as add_subjects_commands
from incidents import services
from incidents.errors import BreachError, InvalidInput
from incidents.lifecycle import Step
from incidents.model import AssessmentFacts, IncidentReport
from incidents.times import iso, now_utc, show
from incidents.validation import load_document, parse_model
from incidents.views import IncidentView, incident_view, timeline
from incidents.workspace import Workspace


def clock_line(view: IncidentView) -> str:
    c = view.authority_clock
    due = show(c.due_at)
    if c.state == "not_required":
        return f"AP deadline   {due} (not required by the decision)"
    if c.state in ("met", "met_late"):
        return f"AP deadline   {due} (filed{' LATE' if c.state == 'met_late' else ''}, reference {view.authority_reference})"
    assert c.hours_left is not None
    if c.state == "overdue":
        return f"AP deadline   {due}  OVERDUE by {-c.hours_left:.1f} h"
    return f"AP deadline   {due}  {c.hours_left:.1f} h left"


def track_words(view: IncidentView) -> tuple[str, str]:
    """The two tracks in a few words each (`breach list`, `breach show`)."""
    t = view.tracks
    a, p = t.authority.details, t.people.details
    authority = t.authority.state.value.replace("_", " ")
    if t.authority.state in ("to_file", "undecided"):
        authority += f", due {show(a['due_at'])}" + (" OVERDUE" if a["overdue"] else f" ({a['hours_left']:.1f} h)")
    elif "reference" in a:
        authority += f" ({a['reference']}{', late' if a.get('late') else ''})"
    elif t.authority.state == "not_required":
        authority += f" ({a['reason'].replace('_', ' ')})"
    people = t.people.state.value.replace("_", " ")
    if t.people.state in ("told", "sending"):
        people += f" ({p['notified']} of {p['total']})"
    elif t.people.state == "approved":
        people += f" (waiting for {p['waiting_for'].replace('_', ' ')})"
    elif t.people.state == "not_required":
        people += f" ({p['reason'].replace('_', ' ')})"
    return authority, people


def print_incident(ws: Workspace, view: IncidentView, waiting: list[Step]) -> None:
    out = sys.stdout.write
    out(f"{view.id}  {view.title}\n")
    authority, people = track_words(view)
    out(f"status        {view.tracks.frame.value}; AP notice: {authority}; people: {people}\n")
    out(f"source        {view.source_kind}{(': ' + view.source_processor) if view.source_processor else ''}"
        f"; reported by {view.reported_by}\n")
    if view.systems:
        out(f"systems       {', '.join(view.systems)}\n")
    occurred = "unknown" if view.occurred_from is None else (
        f"{show(view.occurred_from)} until {show(view.occurred_until) if view.occurred_until else 'unknown'}")
    out(f"occurred      {occurred}\n")
    out(f"discovered    {show(view.discovered_at)}\n")
    out(f"aware         {show(view.aware_at)}  (starts the 72 hours)\n")
    if view.awareness_reason:
        out(f"              later than the discovery because: {view.awareness_reason}\n")
    out(f"reported      {show(view.reported_at)}\n")
    out(clock_line(view) + "\n")
    if view.assessment:
        a = view.assessment
        out(f"assessment    {a.summary}\n              {', '.join(a.categories)}; {a.count_min}-{a.count_max} "
            f"people; recorded {show(a.recorded_at)} by {a.recorded_by}\n")
    if view.decision:
        d = view.decision
        out(f"decision      notify AP: {'yes' if d.notify_authority else 'no'}, notify people: "
            f"{'yes' if d.notify_subjects else 'no'} ({d.decided_by}, {show(d.decided_at)})\n"
            f"              reason: {d.reason}\n")
    for n in view.notices:
        if n.kind == "public_notice":  # told by publishing it, not by sending
            online = f", online since {show(n.finished_at)}" if n.status == "published" and n.finished_at else ""
            out(f"notice        {n.kind} version {n.version}: {n.status}{online}, {n.location}\n")
        else:
            out(f"notice        {n.kind}: {n.status}, {n.recipients} recipient(s), {n.location or n.backend}\n")
    if view.subjects:
        out("people        " + ", ".join(f"{k}: {v}" for k, v in sorted(view.subjects.items())) + "\n")
    if view.closing_reason:
        out(f"closed        {view.closing_reason}\n")
    if view.closed_despite:
        out(f"              with a duty still open, because: {view.closed_despite}\n")
    if view.lessons:
        out(f"learned       {view.lessons}\nchanged       {view.improvements}\n")
    if waiting:
        out("waiting for   " + "\n              ".join(WAITING[w].format(id=view.id) for w in waiting) + "\n")


# --- commands ---------------------------------------------------------------------------------------------

def cmd_report(ws: Workspace, args: argparse.Namespace) -> int:
    data = load_document(Path(args.file), f"incident report {args.file}")
    report = parse_model(IncidentReport, data, f"incident report {args.file}")
    now = now_utc()
    incident_id = services.report_incident(ws.uow(), ws.profile, report, actor(args), now)
    print(incident_id)
    with ws.uow() as uow:
        view = incident_view(uow, incident_id, now)
    sys.stderr.write(f"recorded {incident_id}; {clock_line(view)}\n")
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
    if not views:
        print("the register is empty: `breach report FILE` records an incident" if not (args.open or args.waiting)
              else "no open incidents")
        return 0
    if args.waiting:
        for v in views:
            print(f"{v.id}  {v.title[:60]}")
            print("  waiting for " + ("\n              ".join(WAITING[w].format(id=v.id) for w in waiting[v.id])
                                      or "nothing"))
        return 0
    print(f"{'ID':<13} {'STAGE':<16} {'AP NOTICE':<44} {'PEOPLE':<36} TITLE")
    for v in views:
        authority, people = track_words(v)
        print(f"{v.id:<13} {v.tracks.frame.value:<16} {authority:<44} {people:<36} {v.title[:50]}")
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
    print_incident(ws, view, waiting)
    if (processor := view.processor_clock) is not None:
        late = processor.state == "met_late"
        print(f"processor     {view.source_processor} had to tell us by {show(processor.due_at)} (agreed in the "
              f"processing agreement); it told us {show(view.aware_at)}{' - LATE' if late else ''}")
    sys.stdout.write(advice_text(ws, view.id))
    print("timeline")
    for e in events:
        details = ", ".join(f"{k}={v}" for k, v in e["details"].items())  # type: ignore[union-attr]
        print(f"  {show(e['at'])}  {e['action']:<26} {e['actor']:<16} {details}")  # type: ignore[arg-type]
    return 0


def cmd_assess(ws: Workspace, args: argparse.Namespace) -> int:
    data = load_document(Path(args.file), f"assessment {args.file}")
    facts = parse_model(AssessmentFacts, data, f"assessment {args.file}")
    services.record_assessment(ws.uow(), ws.profile, args.id, facts, actor(args), now_utc())
    sys.stderr.write(f"assessment recorded for {args.id.upper()}\n")
    sys.stdout.write(advice_text(ws, args.id.upper()))
    after_record(ws, args, args.id.upper(), "assessment", facts.model_dump(mode="json"))
    return 0


def cmd_decide(ws: Workspace, args: argparse.Namespace) -> int:
    decided = services.decide(ws.uow(), args.id, actor(args), now_utc(), notify_authority=args.authority,
                              notify_subjects=args.subjects, reason=args.reason,
                              templates=ws.settings.templates_dir, language=ws.profile.language)
    how = {True: "as recommended", False: "departing from the recommendation (justification recorded)",
           None: "no recommendation"}[decided.follows_recommendation]
    sys.stderr.write(f"decision recorded for {args.id.upper()}: notify AP: "
                     f"{'yes' if decided.notify_authority else 'no'}, notify people: "
                     f"{'yes' if decided.notify_subjects else 'no'} ({how})\n")
    after_record(ws, args, args.id.upper(), "decision", decided.run_input())
    return 0


def cmd_subjects_status(ws: Workspace, args: argparse.Namespace) -> int:
    with ws.uow() as uow:
        view = incident_view(uow, args.id, now_utc())
    counts, public = view.subjects, view.public_notice
    if args.json:
        print(json.dumps({"incident_id": view.id, "counts": counts, "total": sum(counts.values()),
                          "notified": view.people_notified,
                          "public_notice": None if public is None else {
                              "version": public.version, "published_at": iso(public.finished_at)}}))
        return 0
    print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no people linked yet")
    if public is not None:  # art. 34(3)(c): told by the public communication
        print(f"public communication version {public.version} online since {show(public.finished_at)}")
    return 0


def cmd_subjects_worklist(ws: Workspace, args: argparse.Namespace) -> int:
    from incidents.export import worklist_csv
    from incidents.services.people import worklist

    rows = worklist(ws.uow(), args.id)
    text = worklist_csv(rows)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        sys.stderr.write(f"{len(rows)} people need a letter or a phone call; written to {args.output}\n")
    else:
        sys.stdout.write(text)
    return 0

def cmd_dismiss(ws: Workspace, args: argparse.Namespace) -> int:
    services.dismiss(ws.uow(), args.id, args.reason, actor(args), now_utc())
    print(f"{args.id.upper()} dismissed: not a personal-data breach (kept in the register)")
    return 0


def cmd_close(ws: Workspace, args: argparse.Namespace) -> int:
    services.close(ws.uow(), args.id, args.reason, actor(args), now_utc(), lessons=args.lessons,
                   improvements=args.improvements, despite=args.despite)
    print(f"{args.id.upper()} closed")
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
    if problems:
        print(f"audit trail BROKEN: {len(problems)} problem(s) in {count} entries")
        for p in problems:
            print(f"  entry {p.seq}: {p.what}")
        return 1
    checked = f"; {len(expect)} kept head(s) found unchanged" if expect else ""
    print(f"audit trail intact: {count} entries, each linked to the one before{checked}")
    if head is not None:
        print(f"head {head}  (keep it outside the register: `breach audit verify --expect {head}` later shows "
              "whether entries were cut off the end)")
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
    print(f"reminders due: {counts['due']}, sent: {counts['sent']}, "
          f"already taken by another watch: {counts['taken_by_another_watch']}")
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
    try:
        if args.command == "demo":
            return args.func(None, args)
        return args.func(Workspace(), args)
    except InvalidInput as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except BreachError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130




if __name__ == "__main__":
    sys.exit(main())
