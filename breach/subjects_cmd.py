"""`breach subjects import|preview|edit|test-send|approve|notify|public`: linking the people (CSV or SQL),
reviewing and approving their message, notifying them, or the public notice.

Each command parses, calls one service, prints. Long imports and dispatches show a progress bar on the terminal.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Self, TextIO

from breach.common import flow_options, when_option
from breach.words import Lines, words
from incidents import services
from incidents.errors import FieldError, InvalidInput
from incidents.messages import PARTS, SUBJECT_NOTICE, SUBJECT_UPDATE, UPDATE_PARTS
from incidents.notify.render import LANGUAGES
from incidents.said import Said
from incidents.services.dispatch import dispatch_plan
from incidents.services.people import ImportResult
from incidents.services.public_notice import (
    approve_public_notice,
    prepare_public_notice,
    publish_public_notice,
)
from incidents.services.review import MessageVersion
from incidents.subjects import CsvSource, SqlSource
from incidents.times import now_utc
from incidents.workspace import Workspace

SHOWN_UNREACHABLE = 20


def _cli():  # type: ignore[no-untyped-def]
    # breach.cli imports this module to build its parser, so its helpers are looked up when a command runs
    from breach import cli

    return cli


class ProgressBar:
    """One line on standard error, redrawn at most every `interval` seconds: a bar and a percentage when the
    fraction done is known, a count otherwise. Silent unless the stream is a terminal (a log, a pipe or a
    Prefect run gets no control characters)."""

    def __init__(self, label: str, unit: str, stream: TextIO | None = None, width: int = 30,
                 interval: float = 0.1, clock=time.monotonic):  # type: ignore[no-untyped-def]
        self.label, self.unit, self.width, self.interval = label, unit, width, interval
        self.stream = sys.stderr if stream is None else stream
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._clock = clock
        self._last = float("-inf")
        self._drawn = False
        self._state: tuple[int, float | None] = (0, None)

    def __call__(self, done: int, fraction: float | None) -> None:
        self._state = (done, fraction)
        now = self._clock()
        if self.enabled and now - self._last >= self.interval:
            self._last = now
            self._draw()

    def _draw(self) -> None:
        done, fraction = self._state
        if fraction is None:
            line = f"{self.label} {done} {self.unit}"
        else:
            filled = round(self.width * max(0.0, min(1.0, fraction)))
            line = (f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {100 * fraction:3.0f}% "
                    f"{done} {self.unit}")
        self.stream.write("\r\x1b[K" + line)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Draw the final state and end the line (only if anything was drawn)."""
        if self.enabled and self._drawn:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- import ------------------------------------------------------------------------------------------------

def cmd_import(ws: Workspace, args: argparse.Namespace) -> int:
    cli = _cli()
    if bool(args.file) == bool(args.sql):
        raise InvalidInput("subjects import", [FieldError("FILE / --sql", Said("cli_subjects.file_or_sql"))])
    if args.sql and not args.query:
        raise InvalidInput("subjects import", [FieldError("--query", Said("cli_subjects.query_needs_sql"))])
    if args.query and not args.sql:
        raise InvalidInput("subjects import", [FieldError("--sql", Said("cli_subjects.sql_needs_query"))])
    source = SqlSource(args.sql, args.query) if args.sql else CsvSource(Path(args.file))
    w = words(ws)
    with ProgressBar(w("importing"), w("import_unit")) as bar:
        result = services.import_subjects(ws.uow(), args.id, source, cli.actor(args), now_utc(), progress=bar)
    _print_import(w, args.id.upper(), result, source.unit)
    cli.after_record(ws, args, args.id.upper(), "subjects_list")
    return 0


def _print_import(w: Lines, incident_id: str, result: ImportResult, unit: str) -> None:
    print(w("imported", id=incident_id, r=result))
    for position, reason in result.unreachable[:SHOWN_UNREACHABLE]:
        print(w("import_unreachable", unit=unit, position=position, reason=reason))
    if len(result.unreachable) > SHOWN_UNREACHABLE:
        print(w("import_more", count=len(result.unreachable) - SHOWN_UNREACHABLE, id=incident_id))


# --- notify ------------------------------------------------------------------------------------------------

def cmd_notify(ws: Workspace, args: argparse.Namespace) -> int:
    w = words(ws)
    if args.dry_run:
        print(w("dry_run", plan=dispatch_plan(ws.reader(), args.id)))
        return 0
    services.request_dispatch(ws.uow(), args.id, _cli().actor(args), now_utc())
    with ProgressBar(w("notifying"), w("notify_unit")) as bar:
        outcome = services.notify_subjects(ws.uow(), ws.profile, ws.mailer, ws.templates,
                                           args.id.upper(), ws.settings.mail_from, now_utc(), progress=bar)
    if not outcome.done:
        print(w("not_sent", o=outcome))
        return 0
    if outcome.why == "already_sent":
        print(w("all_sent", count=outcome.count))
        return 0
    print(w("notified", o=outcome, via=ws.mailer.name))
    return 0


# --- review: preview, edit, test-send, approve ---------------------------------------------------------------

def _show_version(w: Lines, version: MessageVersion) -> None:
    print(w("message_version", v=version))
    for problem in version.problems:
        print(w("cannot_approve", problem=problem))


def _kind(args: argparse.Namespace) -> str:
    return SUBJECT_UPDATE if getattr(args, "update", False) else SUBJECT_NOTICE


def cmd_preview(ws: Workspace, args: argparse.Namespace) -> int:
    kind = _kind(args)
    version, paths = services.write_preview(ws.uow(), ws.profile, ws.templates, ws.settings.notices_dir,
                                           args.id, _cli().actor(args), now_utc(), kind=kind)
    w = words(ws)
    _show_version(w, version)
    print(w("preview_written"))
    for path in paths:
        print(w("path", p=path))
    if not version.approved:
        print(w("approve_with", id=version.incident_id, update=kind == SUBJECT_UPDATE, version=version.version))
    return 0


def cmd_edit(ws: Workspace, args: argparse.Namespace) -> int:
    if (args.text is None) == (args.file is None):
        raise InvalidInput("breach subjects edit", [FieldError("--text / --file", Said("cli_subjects.text_or_file"))])
    text = args.text if args.text is not None else (sys.stdin.read() if args.file == "-" else
                                                    Path(args.file).read_text(encoding="utf-8"))
    version = services.edit_message(ws.uow(), ws.profile, ws.templates, args.id,
                                    {args.language: {args.part: text}}, _cli().actor(args), now_utc(),
                                    kind=_kind(args))
    w = words(ws)
    _show_version(w, version)
    print(w("edited", id=version.incident_id))
    return 0


def cmd_test_send(ws: Workspace, args: argparse.Namespace) -> int:
    languages = services.test_send(ws.uow(), ws.profile, ws.mailer, args.id, args.to, _cli().actor(args), now_utc(),
                                   ws.settings.mail_from, kind=_kind(args))
    print(words(ws)("test_sent", to=args.to.strip(), via=ws.mailer.name, languages=languages))
    return 0


def cmd_approve(ws: Workspace, args: argparse.Namespace) -> int:
    cli = _cli()
    kind = _kind(args)
    approved = services.approve_message(ws.uow(), args.id, cli.actor(args), now_utc(), version=args.version,
                                        digest_prefix=args.digest, kind=kind)
    print(words(ws)("approved", kind=kind, id=args.id.upper(), a=approved))
    step = "subject_update" if kind == SUBJECT_UPDATE else "subject_notice_approval"
    cli.after_record(ws, args, args.id.upper(), step, approved.run_input())
    return 0


def cmd_update(ws: Workspace, args: argparse.Namespace) -> int:
    args.update = True
    return cmd_preview(ws, args)


# --- letters ----------------------------------------------------------------------------------------------

def cmd_letters(ws: Workspace, args: argparse.Namespace) -> int:
    from incidents.services.letters import record_posted, write_letters

    cli = _cli()
    if args.posted:
        if args.output:
            raise InvalidInput("breach subjects letters", [FieldError("-o/--posted", Said(
                "cli_subjects.letters_one_at_a_time"))])
        count = record_posted(ws.uow(), args.id, cli.actor(args), now_utc(), posted_at=args.at)
        print(words(ws)("letters_posted", count=count, id=args.id.upper()))
        cli.after_record(ws, args, args.id.upper())
        return 0
    if not args.output:
        raise InvalidInput("breach subjects letters", [FieldError("-o", Said("cli_subjects.letters_output"))])
    letters = write_letters(ws.uow(), ws.profile, ws.templates, args.id, cli.actor(args), now_utc())
    out = Path(args.output)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_bytes(letters.pdf)
    tmp.chmod(0o600)  # names and addresses
    tmp.replace(out)
    w = words(ws)
    print(w("letters_written", count=letters.letters, id=args.id.upper(), path=out, without=letters.without_address))
    print(w("letters_next", id=args.id.upper()))
    return 0


# --- public ------------------------------------------------------------------------------------------------

def cmd_public(ws: Workspace, args: argparse.Namespace) -> int:
    cli = _cli()
    if args.published and args.approve:
        raise InvalidInput("breach subjects public", [FieldError(
            "--approve/--published", Said("cli_subjects.public_one_at_a_time"))])
    if args.published:
        version = publish_public_notice(ws.uow(), args.id, cli.actor(args), now_utc(), published_at=args.at,
                                        version=args.version)
        print(words(ws)("public_published", id=args.id.upper(), version=version))
        cli.after_record(ws, args, args.id.upper())
        return 0
    if args.approve:
        approved = approve_public_notice(ws.uow(), args.id, cli.actor(args), now_utc(), version=args.version,
                                         digest_prefix=args.digest)
        print(words(ws)("public_approved", id=args.id.upper(), a=approved))
        cli.after_record(ws, args, args.id.upper())
        return 0
    if args.at is not None or args.version is not None:
        raise InvalidInput("breach subjects public", [FieldError(
            "--at/--version", Said("cli_subjects.at_or_version_alone"))])
    notice = prepare_public_notice(ws.uow(), ws.profile, ws.templates, ws.settings.notices_dir,
                                   args.id, cli.actor(args), now_utc(), url=args.url)
    w = words(ws)
    print(w("public_written", id=args.id.upper(), version=notice.version))
    for path in notice.paths:
        print(w("path", p=path))
    return 0


# --- the parser --------------------------------------------------------------------------------------------

def add_commands(ss: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `import`, `preview`, `edit`, `test-send`, `approve`, `notify` and `public` to `breach subjects`."""
    c = ss.add_parser(
        "import")
    c.add_argument("id")
    c.add_argument("file", nargs="?")
    c.add_argument("--sql", metavar="URL")
    c.add_argument("--query", metavar="QUERY")
    flow_options(c)
    c.set_defaults(func=cmd_import)

    c = ss.add_parser("notify")
    c.add_argument("id")
    c.add_argument("--dry-run", action="store_true")
    c.set_defaults(func=cmd_notify)

    c = ss.add_parser(
        "preview")
    c.add_argument("id")
    c.add_argument("--update", action="store_true")
    c.set_defaults(func=cmd_preview)

    c = ss.add_parser("edit")
    c.add_argument("id")
    c.add_argument("--language", required=True, choices=LANGUAGES)
    c.add_argument("--part", required=True, choices=sorted({*PARTS, *UPDATE_PARTS}))
    c.add_argument("--update", action="store_true")
    c.add_argument("--text")
    c.add_argument("--file")
    c.set_defaults(func=cmd_edit)

    c = ss.add_parser("test-send")
    c.add_argument("id")
    c.add_argument("--to", required=True, metavar="ADDRESS")
    c.add_argument("--update", action="store_true")
    c.set_defaults(func=cmd_test_send)

    c = ss.add_parser("approve")
    c.add_argument("id")
    c.add_argument("--version", type=int, metavar="N")
    c.add_argument("--digest", metavar="HEX")
    c.add_argument("--update", action="store_true")
    flow_options(c)
    c.set_defaults(func=cmd_approve)

    c = ss.add_parser("update")
    c.add_argument("id")
    c.set_defaults(func=cmd_update)

    c = ss.add_parser("letters")
    c.add_argument("id")
    c.add_argument("-o", "--output", metavar="FILE.pdf")
    c.add_argument("--posted", action="store_true")
    when_option(c)
    flow_options(c)
    c.set_defaults(func=cmd_letters)

    c = ss.add_parser(
        "public")
    c.add_argument("id")
    c.add_argument("--url")
    c.add_argument("--published", action="store_true")
    c.add_argument("--approve", action="store_true")
    c.add_argument("--digest", metavar="HEX")
    when_option(c)
    c.add_argument("--version", type=int, metavar="N")
    flow_options(c)
    c.set_defaults(func=cmd_public)


