"""The `breach` command line. Each command parses, calls one service, prints; errors exit 2 with the fix."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from breach.authority_cmd import add_commands as add_authority_commands
from breach.common import actor, after_record, flow_options, yes_no
from breach.help import apply_help, speak
from breach.org_cmd import add_commands as add_org_commands
from breach.recommend_cmd import add_commands as add_recommend_commands
from breach.recommend_cmd import advice_json, advice_text
from breach.retention_cmd import add_commands as add_retention_commands
from breach.retention_cmd import add_lookup
from breach.subjects_cmd import add_commands as add_subjects_commands
from breach.words import Lines, safe_words, words
from incidents import services
from incidents.errors import BreachError
from incidents.messages import SUBJECT_NOTICE, SUBJECT_UPDATE
from incidents.model import AssessmentFacts, IncidentReport
from incidents.said import Said, speaking
from incidents.services import retention
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
    what = Said("cli.incident_report_file", path=args.file)
    data = load_document(Path(args.file), what)
    report = parse_model(IncidentReport, data, what)
    now = now_utc()
    incident_id = services.report_incident(ws.uow(), ws.profile, report, actor(args), now,
                                           organisation_id=ws.organisation_id, profile_version=ws.profile_version)
    print(incident_id)
    with ws.uow() as uow:
        view = incident_view(uow, incident_id, now)
    w = words(ws)
    sys.stderr.write(w("reported", id=incident_id, clock_line=clock_line(w, view)) + "\n")
    after_record(ws, args, incident_id)
    return 0


def cmd_list(ws: Workspace, args: argparse.Namespace) -> int:
    now = now_utc()
    from incidents.services.organisations import organisation_ids

    slugs = organisation_ids(ws.reader())  # with several organisations, each incident is shown with its own
    wanted = ws.organisation_id if ws.organisation is not None else None
    with ws.reader() as uow:
        rows = [(row.id, row.organisation_id) for row in uow.incidents()
                if wanted is None or row.organisation_id == wanted]
        views = [incident_view(uow, incident_id, now) for incident_id, _ in rows]
    org_of = {incident_id: slugs.get(oid, "") for incident_id, oid in rows} if len(slugs) > 1 else {}
    if args.open or args.waiting:
        views = [v for v in views if v.is_open]
    waiting = {v.id: services.waiting_for(ws.reader(), v.id) for v in views} if args.waiting else {}
    if args.json:
        items = [v.as_json() | ({"waiting_for": waiting[v.id]} if args.waiting else {})
                 | ({"organisation": org_of[v.id]} if org_of else {}) for v in views]
        print(json.dumps({"incidents": items}, ensure_ascii=False, indent=2))
        return 0
    w = words(ws)
    if not views:
        print(w("register_empty") if not (args.open or args.waiting) else w("none_open"))
        return 0
    if args.waiting:
        for v in views:
            print(w("waiting_header", id=v.id, title=v.title[:60], org=org_of.get(v.id)))
            print(w("waiting_list", steps=waiting[v.id], id=v.id))
        return 0
    print(w("list_header", orgs=bool(org_of)))
    for v in views:
        authority, people = track_words(w, v)
        print(w("list_row", id=v.id, frame=v.tracks.frame.value, authority=authority, people=people,
                title=v.title[:50], org=org_of.get(v.id)))
    return 0


def cmd_show(ws: Workspace, args: argparse.Namespace) -> int:
    now = now_utc()
    uow = ws.reader()
    with uow:
        view = incident_view(uow, args.id, now, ws.profile)
    events = timeline(ws.reader(), view.id)
    waiting = services.waiting_for(ws.reader(), view.id)
    from incidents.services.organisations import handled, organisation_ids

    # with several organisations, whose incident it is
    organisation = handled(ws.reader(), view.id).slug if len(organisation_ids(ws.reader())) > 1 else None
    if args.json:
        data = view.as_json() | ({"organisation": organisation} if organisation else {})
        data["waiting_for"] = waiting
        data["timeline"] = [{**e, "at": iso(e["at"])} for e in events]  # type: ignore[arg-type]
        data.update(advice_json(ws, view.id))
        keeping = retention.keeping(ws.reader(), ws.profile.retention, view.id)
        if keeping is not None:  # GDPR art. 5(1)(e): until when the people's names and addresses are kept
            data["people_data"] = {"kept": keeping.kept, "deleted": keeping.deleted,
                                   "deleted_at": iso(keeping.purged_at) if keeping.purged_at else None,
                                   "delete_at": iso(keeping.due.due_at) if keeping.due.due_at else None,
                                   "basis": keeping.due.basis, "postponed_reason": keeping.due.postponed_reason}
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    w = words(ws)
    messages = [m for m in (services.latest_version(ws.reader(), view.id, kind=kind)
                            for kind in (SUBJECT_NOTICE, SUBJECT_UPDATE)) if m is not None]
    keeping = retention.keeping(ws.reader(), ws.profile.retention, view.id)
    sys.stdout.write(w.text("show.txt.j2", view=view, waiting=waiting, messages=messages,
                            processor=view.processor_clock, keeping=keeping, organisation=organisation,
                            organisation_name=ws.profile.organisation.name))
    sys.stdout.write(advice_text(ws, view.id))
    sys.stdout.write(w.text("timeline.txt.j2", events=events))
    return 0


def cmd_assess(ws: Workspace, args: argparse.Namespace) -> int:
    what = Said("cli.assessment_file", path=args.file)
    data = load_document(Path(args.file), what)
    facts = parse_model(AssessmentFacts, data, what)
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

    rows = worklist(ws.reader(), args.id)
    text = worklist_csv(rows)
    # a copy of the people's data outside the tool: kept in the audit trail (who, when, how many), so the privacy
    # officer knows what to delete (`breach retention status ID`)
    services.record_request(ws.uow(), args.id, "worklist_exported", actor(args), now_utc(), people=len(rows))
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


def cmd_flow_runner(ws: Workspace, args: argparse.Namespace) -> int:
    from breach.local_runner import serve

    return serve(ws)


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
    """The command line; its help, and argparse's own phrases, in the CLI's language (breach/help.py)."""
    w = safe_words(Workspace())
    speak(w.templates, w.language)
    p = argparse.ArgumentParser(
        prog="breach",
    )
    p.add_argument("--as", dest="actor", metavar="NAME")
    p.add_argument("--org", metavar="SLUG")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("report")
    c.add_argument("file")
    flow_options(c)
    c.set_defaults(func=cmd_report)

    c = sub.add_parser("list")
    c.add_argument("--open", action="store_true")
    c.add_argument("--waiting", action="store_true")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_list)

    c = sub.add_parser("show")
    c.add_argument("id")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_show)

    c = sub.add_parser("assess")
    c.add_argument("id")
    c.add_argument("file")
    flow_options(c)
    c.set_defaults(func=cmd_assess)

    c = sub.add_parser("decide")
    c.add_argument("id")
    c.add_argument("--authority", type=yes_no, metavar="yes|no")
    c.add_argument("--subjects", type=yes_no, metavar="yes|no")
    c.add_argument("--reason")
    flow_options(c)
    c.set_defaults(func=cmd_decide)

    c = sub.add_parser("subjects")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    add_subjects_commands(ss)
    add_lookup(ss)
    c = ss.add_parser("status")
    c.add_argument("id")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_subjects_status)
    c = ss.add_parser("worklist")
    c.add_argument("id")
    c.add_argument("--output", "-o")
    c.set_defaults(func=cmd_subjects_worklist)

    c = sub.add_parser("dismiss")
    c.add_argument("id")
    c.add_argument("--reason", required=True)
    c.set_defaults(func=cmd_dismiss)

    c = sub.add_parser("close")
    c.add_argument("id")
    c.add_argument("--reason", required=True)
    c.add_argument("--lessons", required=True, metavar="TEXT")
    c.add_argument("--improvements", required=True, metavar="TEXT")
    c.add_argument("--despite", metavar="REASON")
    c.set_defaults(func=cmd_close)

    add_authority_commands(sub)

    c = sub.add_parser("audit")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    c = ss.add_parser("verify")
    c.add_argument("--expect", action="append", metavar="ENTRY:HASH")
    c.set_defaults(func=cmd_audit_verify)

    c = sub.add_parser("flow")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    c = ss.add_parser("run")
    c.add_argument("id")
    c.set_defaults(func=cmd_flow_run)
    c = ss.add_parser("runner")
    c.set_defaults(func=cmd_flow_runner)

    c = sub.add_parser("watch")
    c.set_defaults(func=cmd_watch)

    c = sub.add_parser("demo")
    c.add_argument("--workspace", default="demo-workspace")
    c.set_defaults(func=cmd_demo)

    from breach.web_cmd import add_commands as add_web_commands

    add_web_commands(sub)
    add_recommend_commands(sub)
    add_retention_commands(sub)
    add_org_commands(sub)
    apply_help(p, w.templates, w.language)
    return p


def _flushed(code: int) -> int:
    sys.stdout.flush()  # here, where a closed pipe is caught, not in the interpreter's exit
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    ws: Workspace | None = None
    try:
        if args.command == "demo":
            return _flushed(args.func(None, args))
        ws = Workspace(organisation=args.org or os.environ.get("BREACH_ORG", "").strip() or None)
        if isinstance(getattr(args, "id", None), str) and args.command != "org":
            ws.focus(args.id)  # a command on an incident speaks for that incident's organisation
        with speaking(safe_words(ws).language):  # what the core says (its errors) reads in the CLI's language
            return _flushed(args.func(ws, args))
    except BreachError as exc:
        said = safe_words(ws)
        with speaking(said.language):
            sys.stderr.write(said("error", message=str(exc)) + "\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `breach list | head`: the reader has what it wanted; no traceback, as other tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush at exit must not fail again
        return 128 + signal.SIGPIPE




if __name__ == "__main__":
    sys.exit(main())
