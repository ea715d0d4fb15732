"""`breach dashboard` and `breach users ...`: serving the dashboard and managing who may log in to it."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import sys

from breach.words import words
from incidents.errors import FieldError, InvalidInput
from incidents.said import Said
from incidents.services import users as user_service
from incidents.services.organisations import organisation_ids
from incidents.times import now_utc
from incidents.users import LANGUAGES, MIN_PASSWORD, Role
from incidents.workspace import Workspace


def cmd_dashboard(ws: Workspace, args: argparse.Namespace) -> int:
    import uvicorn

    from breach.web import create_app

    w = words(ws)
    tls = bool(args.ssl_certfile)
    if not tls and not _loopback(args.host):
        sys.stderr.write(w("no_tls", host=args.host) + "\n")
    if not user_service.list_users(ws.uow()):
        sys.stderr.write(w("no_users_yet_dashboard") + "\n")
    # the app believes X-Forwarded-For only from the proxies configured (BREACH_TRUSTED_PROXIES, or the option);
    # uvicorn's own proxy handling stays off, since by default it would believe any process on 127.0.0.1
    app = create_app(ws, trusted_proxies=args.forwarded_allow_ips)
    scheme = "https" if tls else "http"
    sys.stderr.write(w("serving", url=f"{scheme}://{args.host}:{args.port}/") + "\n")
    uvicorn.run(app, host=args.host, port=args.port, ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile,
                proxy_headers=False, server_header=False, log_level="warning")
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _password(ws: Workspace, args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    w = words(ws)
    first = getpass.getpass(w("password_prompt", name=args.name, minimum=MIN_PASSWORD) + " ")
    if getpass.getpass(w("password_again") + " ") != first:
        raise InvalidInput("user", [FieldError("password", Said("cli_web.passwords_differ"))])
    return first


def _organisation(ws: Workspace) -> tuple[int, str | None]:
    """The organisation a users command is for (--org, BREACH_ORG, or the only one), and its slug to name it by
    when the register keeps several."""
    slugs = organisation_ids(ws.reader())
    organisation_id = ws.organisation_id
    return organisation_id, slugs.get(organisation_id) if len(slugs) > 1 else None


def cmd_users_add(ws: Workspace, args: argparse.Namespace) -> int:
    """A new user with its role in the organisation; for a user that exists, its role in one more organisation
    (a consultant serving several clients): no password is asked for then."""
    from breach.common import actor

    organisation_id, slug = _organisation(ws)
    if user_service.exists(ws.uow(), args.name):
        user = user_service.set_role(ws.uow(), args.name, args.role, actor(args), now_utc(), organisation_id,
                                     new_only=True)
        print(words(ws)("role_changed", u=user, organisation=slug))
        return 0
    user = user_service.add_user(ws.uow(), args.name, _password(ws, args), args.role, args.language, actor(args),
                                 now_utc(), organisation_id)
    print(words(ws)("user_added", u=user, organisation=slug))
    return 0


def cmd_users_list(ws: Workspace, args: argparse.Namespace) -> int:
    """Every user with its role in each organisation it serves (with --org: the users of that organisation)."""
    rows = user_service.list_users(ws.reader())
    slugs = organisation_ids(ws.reader())
    if ws.organisation is not None:
        rows = [(u, disabled) for u, disabled in rows if ws.organisation_id in u.roles]
    w = words(ws)
    if not rows:
        print(w("no_users_yet"))
    for user, disabled in rows:
        roles = [(slugs.get(oid, str(oid)), role) for oid, role in sorted(user.roles.items(),
                                                                           key=lambda r: slugs.get(r[0], ""))]
        print(w("user_row", u=user, disabled=disabled, held=roles if len(slugs) > 1 else []))
    return 0


def cmd_users_disable(ws: Workspace, args: argparse.Namespace) -> int:
    from breach.common import actor

    user_service.disable_user(ws.uow(), args.name, actor(args), now_utc())
    print(words(ws)("user_disabled", name=args.name.lower()))
    return 0


def cmd_users_password(ws: Workspace, args: argparse.Namespace) -> int:
    from breach.common import actor

    user_service.set_password(ws.uow(), args.name, _password(ws, args), actor(args), now_utc())
    print(words(ws)("password_changed", name=args.name.strip().lower()))
    return 0


def cmd_users_role(ws: Workspace, args: argparse.Namespace) -> int:
    from breach.common import actor

    organisation_id, slug = _organisation(ws)
    user = user_service.set_role(ws.uow(), args.name, args.role, actor(args), now_utc(), organisation_id)
    print(words(ws)("role_changed", u=user, organisation=slug))
    return 0


def cmd_users_revoke(ws: Workspace, args: argparse.Namespace) -> int:
    """The user no longer serves the organisation: its role there goes, its sessions end."""
    from breach.common import actor

    organisation_id, _slug = _organisation(ws)
    user_service.revoke_role(ws.uow(), args.name, actor(args), now_utc(), organisation_id)
    print(words(ws)("role_revoked", name=args.name.strip().lower(),
                    organisation=organisation_ids(ws.reader())[organisation_id]))
    return 0


def cmd_users_sessions(ws: Workspace, args: argparse.Namespace) -> int:
    """The user's open dashboard sessions (when each started, was last used, will end), or --end them all."""
    from breach.common import actor

    w = words(ws)
    name = args.name.strip().lower()
    if args.end:
        ended = user_service.end_sessions(ws.uow(), name, actor(args), now_utc())
        print(w("sessions_ended", name=name, count=ended))
        return 0
    found = user_service.sessions_of(ws.uow(), name, now_utc(), user_service.SessionPolicy.from_env())
    if not found:
        print(w("no_sessions", name=name))
    for info in found:
        print(w("session_row", s=info))
    return 0


def organisation_option(parser: argparse.ArgumentParser) -> None:
    """--org SLUG after the command as well as before it (`breach users add NAME --role R --org SLUG`); left
    out, the one given before the command (or BREACH_ORG) stands."""
    parser.add_argument("--org", metavar="SLUG", default=argparse.SUPPRESS)


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser("dashboard")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=8000)
    c.add_argument("--ssl-certfile")
    c.add_argument("--ssl-keyfile")
    c.add_argument("--forwarded-allow-ips", default=None)  # None: BREACH_TRUSTED_PROXIES, else no proxy at all
    c.set_defaults(func=cmd_dashboard)

    c = sub.add_parser("users")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    c = ss.add_parser("add")
    c.add_argument("name")
    c.add_argument("--role", required=True, choices=[r.value for r in Role])
    c.add_argument("--language", default="nl", choices=LANGUAGES)
    c.add_argument("--password-stdin", action="store_true")
    organisation_option(c)
    c.set_defaults(func=cmd_users_add)

    c = ss.add_parser("list")
    organisation_option(c)
    c.set_defaults(func=cmd_users_list)

    c = ss.add_parser("disable")
    c.add_argument("name")
    c.set_defaults(func=cmd_users_disable)

    c = ss.add_parser("password")
    c.add_argument("name")
    c.add_argument("--password-stdin", action="store_true")
    c.set_defaults(func=cmd_users_password)

    c = ss.add_parser("role")
    c.add_argument("name")
    c.add_argument("--role", required=True, choices=[r.value for r in Role])
    organisation_option(c)
    c.set_defaults(func=cmd_users_role)

    c = ss.add_parser("revoke")
    c.add_argument("name")
    organisation_option(c)
    c.set_defaults(func=cmd_users_revoke)

    c = ss.add_parser("sessions")
    c.add_argument("name")
    c.add_argument("--end", action="store_true")
    c.set_defaults(func=cmd_users_sessions)
