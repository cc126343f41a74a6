"""`python -m devstack call`: place a simulated call through the real Asterisk dev stack.

AMI Originate of Local/<dialled>@hotline12330-inbound; the caller leg sends DTMF and
plays speech, simulated operators answer, are busy or do not answer. Prints what
happened and the call row once the server has closed it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from config.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("call", help="place a simulated call through Asterisk")
    parser.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    parser.add_argument("--dialed", required=True, help="e.g. 12330 or 02112330")
    parser.add_argument("--caller", default="13800138000", help="caller ID number")
    parser.add_argument("--trunk-area", default="", help="home area code of the trunk")
    parser.add_argument("--digits", default="", help="DTMF the caller sends (menu choice)")
    parser.add_argument(
        "--digits-delay",
        type=float,
        default=None,
        help="seconds before DTMF (default: after the greeting, which cannot be skipped)",
    )
    parser.add_argument("--operator", choices=("answer", "busy", "noanswer"), default="answer")
    parser.add_argument("--say", type=float, default=3.0, metavar="SECONDS", help="caller talks")
    parser.add_argument("--hold", type=float, default=5.0, metavar="SECONDS")
    parser.add_argument(
        "--at", default="", help="pretend the call happens then (server needs --allow-test-clock)"
    )
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    from devstack.ami import AmiError

    try:
        report = asyncio.run(_call(settings, args))
    except (AmiError, OSError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return 0 if report.get("call") else 1


async def _call(settings, args: argparse.Namespace) -> dict[str, object]:
    from sqlalchemy.engine import make_url

    from agi.flow.prompts import wav_seconds
    from devstack.ami import SimulatedCaller, originate_and_wait
    from devstack.call_report import wait_for_call_report
    from models.calls import Call
    from recordings.names import GREETING

    variables = {"HOTLINE_TEST_CALL": "1"}
    if args.trunk_area:
        variables["HOTLINE_TRUNK_AREA"] = args.trunk_area
    if args.at:
        variables["HOTLINE_TEST_AT"] = args.at
    digits_delay = args.digits_delay
    if digits_delay is None:
        greeting = await asyncio.to_thread(wav_seconds, settings.prompts_dir / f"{GREETING}.wav")
        digits_delay = (greeting or 0.0) + 1.0
    caller = SimulatedCaller(
        digits=args.digits,
        digits_delay=digits_delay,
        say_seconds=args.say,
        hold_seconds=args.hold,
        operator=args.operator,
    )
    result = await originate_and_wait(
        settings,
        dialed=args.dialed,
        caller_id=args.caller,
        caller=caller,
        variables=variables,
        limit_seconds=args.timeout,
    )
    report = await wait_for_call_report(settings, result.call_uniqueid)
    report["asterisk"] = {
        "uniqueid": result.call_uniqueid,
        "outcome_step": result.outcome,
        "route_action": result.variables.get("HOTLINE_ROUTE_ACTION", ""),
        "centre": result.variables.get("HOTLINE_CENTRE", ""),
        "applications": result.applications,
        "hangup_cause": result.hangup_cause,
    }
    report["recording_file"] = str(settings.recordings_root / result.recording_relpath)
    # Where the row printed above lives (the password of a PostgreSQL URL left out).
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    report["call_row"] = f"{database}: table {Call.__tablename__}, uniqueid {result.call_uniqueid}"
    return report
