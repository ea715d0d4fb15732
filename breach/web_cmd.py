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
    app = create_app(ws)
    scheme = "https" if tls else "http"
    sys.stderr.write(w("serving", url=f"{scheme}://{args.host}:{args.port}/") + "\n")
    uvicorn.run(app, host=args.host, port=args.port, ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile,
                proxy_headers=True, forwarded_allow_ips=args.forwarded_allow_ips, server_header=False,
                log_level="warning")
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


def cmd_users_add(ws: Workspace, args: argparse.Namespace) -> int:
    from breach.common import actor

    user = user_service.add_user(ws.uow(), args.name, _password(ws, args), args.role, args.language, actor(args),
                                 now_utc())
    print(words(ws)("user_added", u=user))
    return 0


def cmd_users_list(ws: Workspace, args: argparse.Namespace) -> int:
    rows = user_service.list_users(ws.uow())
    w = words(ws)
    if not rows:
        print(w("no_users_yet"))
    for user, disabled in rows:
        print(w("user_row", u=user, disabled=disabled))
    return 0


def cmd_users_disable(ws: Workspace, args: argparse.Namespace) -> int:
    from breach.common import actor

    user_service.disable_user(ws.uow(), args.name, actor(args), now_utc())
    print(words(ws)("user_disabled", name=args.name.lower()))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser("dashboard")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=8000)
    c.add_argument("--ssl-certfile")
    c.add_argument("--ssl-keyfile")
    c.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    c.set_defaults(func=cmd_dashboard)

    c = sub.add_parser("users")
    ss = c.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    c = ss.add_parser("add")
    c.add_argument("name")
    c.add_argument("--role", required=True, choices=[r.value for r in Role])
    c.add_argument("--language", default="nl", choices=LANGUAGES)
    c.add_argument("--password-stdin", action="store_true")
    c.set_defaults(func=cmd_users_add)

    c = ss.add_parser("list")
    c.set_defaults(func=cmd_users_list)

    c = ss.add_parser("disable")
    c.add_argument("name")
    c.set_defaults(func=cmd_users_disable)
