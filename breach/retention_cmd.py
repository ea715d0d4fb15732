"""`breach retention`: the people's data of closed incidents deleted on schedule (GDPR art. 5(1)(e)), postponed with
a reason; and `breach subjects lookup`: was this address told (art. 15), also after the purge."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from breach.common import actor, moment
from breach.words import words
from incidents.services import retention
from incidents.times import now_utc
from incidents.workspace import Workspace


def _secret(ws: Workspace) -> bytes:
    return retention.workspace_secret(ws.settings.home)


def cmd_run(ws: Workspace, args: argparse.Namespace) -> int:
    at: datetime = args.at or now_utc()
    report = retention.run_retention(ws.uow(), ws.profile.retention, _secret(ws), ws.settings.outbox, at,
                                     actor(args), dry_run=args.dry_run, organisation_id=ws.organisation_id)
    sys.stdout.write(words(ws).text("retention.txt.j2", what="run", report=report,
                                    days=ws.profile.retention.people_days))
    return 0


def cmd_status(ws: Workspace, args: argparse.Namespace) -> int:
    uow = ws.reader()
    with uow:
        planned = retention.plan(uow, ws.profile.retention, now_utc(), None if args.id else ws.organisation_id)
    exports = None
    if args.id:
        wanted = args.id.upper()
        exports = retention.exports(ws.reader(), wanted)
        planned = [p for p in planned if p.incident_id == wanted]
    sys.stdout.write(words(ws).text("retention.txt.j2", what="status", planned=planned, exports=exports,
                                    days=ws.profile.retention.people_days))
    return 0


def cmd_postpone(ws: Workspace, args: argparse.Namespace) -> int:
    due = retention.postpone(ws.uow(), ws.profile.retention, args.id, args.until, args.reason, actor(args),
                             now_utc())
    sys.stdout.write(words(ws).text("retention.txt.j2", what="postponed", id=args.id.upper(), due=due,
                                    days=ws.profile.retention.people_days))
    return 0


def cmd_lookup(ws: Workspace, args: argparse.Namespace) -> int:
    answer = retention.lookup(ws.uow(), args.id, args.address, _secret(ws))
    sys.stdout.write(words(ws).text("retention.txt.j2", what="lookup", answer=answer,
                                    days=ws.profile.retention.people_days))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser("retention")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    c = ss.add_parser("run")
    c.add_argument("--dry-run", action="store_true")
    c.add_argument("--at", type=moment, metavar="TIME")
    c.add_argument("--actor")
    c.set_defaults(func=cmd_run)
    c = ss.add_parser("status")
    c.add_argument("id", nargs="?")
    c.set_defaults(func=cmd_status)
    c = ss.add_parser("postpone")
    c.add_argument("id")
    c.add_argument("--until", type=moment, required=True, metavar="TIME")
    c.add_argument("--reason", required=True)
    c.add_argument("--actor")
    c.set_defaults(func=cmd_postpone)


def add_lookup(subjects: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = subjects.add_parser("lookup")
    c.add_argument("id")
    c.add_argument("address")
    c.set_defaults(func=cmd_lookup)
