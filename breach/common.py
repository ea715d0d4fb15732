"""What the commands share: who acts, yes/no and time options, and continuing the response after a record."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from incidents.times import now_utc, parse_time
from incidents.views import incident_view
from incidents.workspace import Workspace


def actor(args: argparse.Namespace) -> str:
    return args.actor or os.environ.get("BREACH_USER") or getpass.getuser()


def yes_no(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("yes", "y", "ja", "j", "true"):
        return True
    if lowered in ("no", "n", "nee", "false"):
        return False
    raise argparse.ArgumentTypeError(_say("expected_yes_no", value=value))


def moment(value: str) -> object:
    try:
        return parse_time(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_say("expected_time", value=value)) from None


def _say(line: str, **values: object) -> str:
    from breach.words import safe_words

    return safe_words(Workspace())(line, **values)


def when_option(cmd: argparse.ArgumentParser) -> None:
    """--at TIME: when something happened outside this program (filed at the AP, put online); its help, like
    every command's and option's, is in templates/<lang>/cli/help.j2."""
    cmd.add_argument("--at", type=moment, metavar="TIME")


# --- printing ---------------------------------------------------------------------------------------------

def after_record(ws: Workspace, args: argparse.Namespace, incident_id: str, step: str | None = None,
                 run_input: dict[str, object] | None = None) -> None:
    """Each command that records something continues the response (breach.runner.continue_response, the one
    way every door does it) unless --no-flow, and says what happened."""
    from breach.runner import continue_response
    from breach.words import words

    if args.no_flow:
        return
    result = continue_response(ws, incident_id, step, run_input, wait=args.wait)
    w = words(ws)
    if "waiting_for" in result:
        with ws.uow() as uow:
            view = incident_view(uow, incident_id, now_utc())
        steps = [w("waiting_for", step=s, id=view.id) for s in result["waiting_for"]]
        sys.stderr.write(w("flow_status", id=view.id, status_value=view.status.value, steps=steps) + "\n")
    else:
        details = {k: v for k, v in result.items() if k in ("log", "run", "run_id")}
        # every outcome's line takes the incident's id (flow_* in templates/<lang>/cli/lines.j2)
        sys.stderr.write(w(f"flow_{result['outcome']}", **details, id=incident_id) + "\n")




def flow_options(cmd: argparse.ArgumentParser) -> None:
    """--wait and --no-flow, for every command that records something."""
    group = cmd.add_mutually_exclusive_group()
    group.add_argument("--wait", action="store_true")
    group.add_argument("--no-flow", action="store_true")
