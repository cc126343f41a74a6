"""`hotline12330 report usage`: the half-year 12330 usage report (due 15 Jan / 15 Jul),
printed as a table and optionally written as the Excel workbook provinces send on."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import true

from backoffice.usage_report import build_report
from backoffice.usage_workbook import SUMMARY_COLUMNS, summary_rows, workbook_bytes
from config.loader import load_config
from config.problems import ConfigInvalid
from config.settings import load_settings
from models.base import utc_now
from models.calls import Call
from models.db import make_engine, session_factory
from routing.half_year import HalfYear
from routing.local_time import CHINA_TZ


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="half-year usage report (15 Jan / 15 Jul)")
    kinds = parser.add_subparsers(dest="report_kind", required=True, metavar="KIND")
    usage = kinds.add_parser("usage", help="calls, answers, voicemails and categories")
    usage.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    usage.add_argument(
        "--period", metavar="YEARHn", help="e.g. 2026H1; default: the last completed half-year"
    )
    usage.add_argument(
        "--centre", action="append", default=[], metavar="ID", help="only this centre (repeat)"
    )
    usage.add_argument("--out", type=Path, metavar="FILE.xlsx", help="also write the workbook")
    usage.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    now = utc_now()
    try:
        period = (
            HalfYear.parse(args.period)
            if args.period
            else HalfYear.last_completed(now.astimezone(CHINA_TZ).date())
        )
        directory = load_config(settings, check_prompts=False).directory
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigInvalid as exc:
        print(f"configuration invalid:\n{exc}", file=sys.stderr)
        return 1
    known = {c.id for c in directory.centres}
    unknown = sorted(set(args.centre) - known)
    if unknown:
        print(f"error: unknown centre(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    chosen = set(args.centre)
    centres = [c for c in directory.centres if not chosen or c.id in chosen]
    scope = Call.centre_id.in_(sorted(chosen)) if chosen else true()
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            report = build_report(session, period, centres, scope)
    finally:
        engine.dispose()
    print(f"12330 usage {period.code} ({period.first_day} - {period.last_day}), due {period.due}")
    print("\t".join(h for h, _ in SUMMARY_COLUMNS))
    for row in summary_rows(report):
        print("\t".join(str(v) for v in row))
    print(f"excluded: {report.test_calls} test call(s), {report.undercover_calls} undercover")
    if args.out:
        try:
            args.out.write_bytes(workbook_bytes(report, now))
        except OSError as exc:
            print(f"error: cannot write {args.out}: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {args.out}")
    return 0
