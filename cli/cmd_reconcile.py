"""`hotline12330 reconcile`: close calls from Asterisk's CDR that the log lacks."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from config.logging import configure_logging
from config.problems import ConfigInvalid
from config.settings import load_settings

DRAIN_SECONDS = 30.0  # what the database has not taken by then waits in the journal


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reconcile", help="rebuild call rows from Asterisk's CDR (also run at serve start-up)"
    )
    parser.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    parser.add_argument(
        "--since",
        metavar="DATE",
        help="only calls started on or after this day (YYYY-MM-DD, China time); default: all",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    since = None
    if args.since:
        try:
            day = dt.date.fromisoformat(args.since)
        except ValueError:
            print(f"error: --since {args.since!r}: expected YYYY-MM-DD", file=sys.stderr)
            return 2
        since = dt.datetime.combine(day, dt.time(), ZoneInfo(settings.timezone))
    configure_logging(settings.log_level)
    try:
        fixed = asyncio.run(_reconcile(settings, since))
    except ConfigInvalid as exc:
        print(f"configuration invalid:\n{exc}", file=sys.stderr)
        return 1
    print(f"reconciled {fixed} call(s) from {settings.cdr_csv}")
    return 0


async def _reconcile(settings, since: dt.datetime | None) -> int:
    from agi.app import Service
    from agi.reconcile import reconcile

    # A journal of its own: never the one a running `serve` writes.
    service = Service(dataclasses.replace(settings, instance=f"{settings.instance}-reconcile"))
    await service.open_log()
    try:
        return await reconcile(service.services, service.drainer, since)
    finally:
        await service.close_log(DRAIN_SECONDS)
