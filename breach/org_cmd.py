"""`breach org`: the organisations whose breaches this installation keeps, each with its profile's versions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from breach.common import actor
from breach.words import words
from incidents.profile import load_profile
from incidents.services import organisations
from incidents.times import iso, now_utc
from incidents.workspace import Workspace


def cmd_add(ws: Workspace, args: argparse.Namespace) -> int:
    profile = load_profile(Path(args.profile))
    org = organisations.add_organisation(ws.uow(), args.slug, profile, actor(args), now_utc(),
                                         ws.settings.templates_dir)
    print(words(ws)("org_added", org=org))
    return 0


def cmd_update(ws: Workspace, args: argparse.Namespace) -> int:
    profile = load_profile(Path(args.profile))
    before = organisations.organisation(ws.reader(), args.slug).profile_version
    version = organisations.update_profile(ws.uow(), args.slug, profile, actor(args), now_utc(),
                                           templates=ws.settings.templates_dir)
    print(words(ws)("org_updated", slug=args.slug.lower(), version=version, changed=version != before))
    return 0


def cmd_list(ws: Workspace, args: argparse.Namespace) -> int:
    orgs = organisations.organisations(ws.reader())
    counts = organisations.incidents_per_organisation(ws.reader())
    if args.json:
        print(json.dumps([{"slug": o.slug, "name": o.name, "profile_version": o.profile_version,
                           "incidents": counts.get(o.id, 0), "created_at": iso(o.created_at)} for o in orgs],
                         ensure_ascii=False, indent=2))
        return 0
    w = words(ws)
    for o in orgs:
        print(w("org_row", org=o, incidents=counts.get(o.id, 0)))
    return 0


def cmd_show(ws: Workspace, args: argparse.Namespace) -> int:
    org = organisations.organisation(ws.reader(), args.slug)
    found = organisations.profile_of(ws.reader(), org.id)
    if args.json:
        print(json.dumps({"slug": org.slug, "profile_version": org.profile_version,
                          "profile": found[0].model_dump(mode="json") if found else None},
                         ensure_ascii=False, indent=2))
        return 0
    sys.stdout.write(words(ws).text("org.txt.j2", org=org, profile=found[0] if found else None,
                                    incidents=organisations.incidents_per_organisation(ws.reader()).get(org.id, 0)))
    return 0



def cmd_overview(ws: Workspace, args: argparse.Namespace) -> int:
    rows = organisations.overview(ws.reader(), now_utc())
    if args.csv:
        from incidents.export import overview_csv

        sys.stdout.write(overview_csv(rows))
        return 0
    sys.stdout.write(words(ws).text("org_overview.txt.j2", rows=rows))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser("org")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    c = ss.add_parser("add")
    c.add_argument("slug")
    c.add_argument("profile")
    c.set_defaults(func=cmd_add)
    c = ss.add_parser("update")
    c.add_argument("slug")
    c.add_argument("profile")
    c.set_defaults(func=cmd_update)
    c = ss.add_parser("list")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_list)
    c = ss.add_parser("overview")
    c.add_argument("--csv", action="store_true")
    c.set_defaults(func=cmd_overview)
    c = ss.add_parser("show")
    c.add_argument("slug")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_show)
