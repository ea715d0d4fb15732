"""What the commands share: who acts, yes/no and time options, and continuing the response after a record."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from incidents.lifecycle import Step
from incidents.times import now_utc, parse_time
from incidents.views import incident_view
from incidents.workspace import Workspace

WAITING: dict[Step, str] = {
    Step.TEAM_ALERT: "the response flow to alert the incident team",
    Step.ASSESSMENT: "the IT assessment: breach assess {id} FILE",
    Step.DECISION: "the decision: breach decide {id} (the recommendation, or --authority/--subjects yes|no "
                "--reason TEXT)",
    Step.AUTHORITY_NOTICE: "the response flow to prepare the AP notice",
    Step.AUTHORITY_FILING: "filing at the AP's Meldloket, then: breach authority filed {id} --reference MELDNUMMER",
    Step.SUBJECTS_LIST: "the list of affected people: breach subjects import {id} FILE.csv (or --sql URL --query "
                     "QUERY)",
    Step.SUBJECT_NOTICE_APPROVAL: "approval of the message to the people: breach subjects preview {id}, then "
                                  "breach subjects approve {id} (or edit it first: breach subjects edit {id})",
    Step.SUBJECT_NOTICE: "the response flow to notify the affected people",
    Step.PUBLIC_NOTICE: "the public communication that replaces telling each person (GDPR art. 34(3)(c)): "
                     "breach subjects public {id}",
    Step.PUBLIC_NOTICE_APPROVAL: "approval of the written public communication: read the files in the notices "
                              "folder, then: breach subjects public {id} --approve --version N",
    Step.PUBLIC_NOTICE_PUBLICATION: "putting the public communication online, then: breach subjects public {id} "
                                 "--published [--at TIME]",
    Step.CLOSING: "closing when the follow-up is done: breach close {id} --reason TEXT --lessons TEXT "
                  "--improvements TEXT",
}


def actor(args: argparse.Namespace) -> str:
    return args.actor or os.environ.get("BREACH_USER") or getpass.getuser()


def yes_no(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("yes", "y", "ja", "j", "true"):
        return True
    if lowered in ("no", "n", "nee", "false"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got {value!r}")


def moment(value: str) -> object:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def when_option(cmd: argparse.ArgumentParser, what: str) -> None:
    """--at TIME: when something happened outside this program (filed at the AP, put online)."""
    cmd.add_argument("--at", type=moment, metavar="TIME",
                     help=f"when {what} (default: now); ISO 8601, without offset Europe/Amsterdam")


# --- printing ---------------------------------------------------------------------------------------------

def after_record(ws: Workspace, args: argparse.Namespace, incident_id: str, step: str | None = None,
                 run_input: dict[str, object] | None = None) -> None:
    """Each command that records something continues the response (breach.runner.continue_response, the one
    way every door does it) unless --no-flow, and says what happened."""
    from breach.runner import continue_response

    if args.no_flow:
        return
    result = continue_response(ws, incident_id, step, run_input, wait=args.wait)
    if "waiting_for" in result:
        waiting = result["waiting_for"]
        with ws.uow() as uow:
            view = incident_view(uow, incident_id, now_utc())
        sys.stderr.write(f"response flow: {view.id} is {view.status.value}")
        sys.stderr.write(("; waiting for " + "; ".join(WAITING[w].format(id=view.id) for w in waiting)) if waiting
                         else "")
        sys.stderr.write("\n")
    elif "log" in result:
        sys.stderr.write(f"{result['message']}; `breach show {incident_id}` follows it\n")
    else:
        sys.stderr.write(result["message"] + "\n")




def flow_options(cmd: argparse.ArgumentParser) -> None:
    """--wait and --no-flow, for every command that records something."""
    group = cmd.add_mutually_exclusive_group()
    group.add_argument("--wait", action="store_true",
                       help="run the response flow in this process and report where it stopped")
    group.add_argument("--no-flow", action="store_true", help="only record; do not start the response flow")
