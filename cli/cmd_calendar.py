"""`hotline12330 calendar YEAR`: the year's holidays and make-up working days, by month.

Sources: the calendar overrides file first, then the chinesecalendar package. A year
neither covers is said to be unconfirmed. From 1 November (of --today, default today
in China) it also warns when next year's calendar is not known yet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from importlib import metadata

from cli.cmd_route import add_config_argument, load_or_report
from config.model import LocalKind
from routing import CHINA_TZ, StatutoryKind, next_year_warning, year_view
from routing.year_view import YearView

EXIT_OK = 0
EXIT_BAD_INPUT = 2
YEARS = range(1949, 2201)
_KIND_LABELS = {
    StatutoryKind.HOLIDAY: "day off",
    StatutoryKind.MAKEUP_WORKDAY: "make-up working day",
    StatutoryKind.WORKDAY: "working day",
    StatutoryKind.WEEKEND: "weekend",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "calendar",
        help="list a year's holidays and make-up working days",
        description="Holidays (with their Chinese names) and make-up working days by month, "
        "from the overrides file and chinesecalendar; says when a year is not covered.",
    )
    parser.add_argument("year", type=int, metavar="YEAR")
    add_config_argument(parser)
    parser.add_argument(
        "--today",
        metavar="DATE",
        help="the date the next-year check is made on (default: today in China)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.year not in YEARS:
        print(f"hotline12330 calendar: year {args.year} is out of range", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        today = (
            dt.date.fromisoformat(args.today) if args.today else dt.datetime.now(CHINA_TZ).date()
        )
    except ValueError:
        print(f"hotline12330 calendar: --today {args.today!r} is not a date", file=sys.stderr)
        return EXIT_BAD_INPUT
    loaded = load_or_report(args.config, "calendar")
    if loaded is None:
        return EXIT_BAD_INPUT
    print(render(year_view(loaded.calendar, args.year)))
    warning = next_year_warning(loaded.calendar, today)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _chinesecalendar_version() -> str:
    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:
        return "?"


def render(view: YearView) -> str:
    lines = [f"{view.year}: {_coverage(view)}"]
    months = view.by_month()
    if not months:
        lines.append("  no override entries" if not view.confirmed else "  no exceptions")
    for month, days in sorted(months.items()):
        lines.append(f"{view.year}-{month:02d}")
        for day in days:
            label = _KIND_LABELS[day.kind]
            lines.append(
                f"  {day.day.isoformat()} {day.day:%a}  {label:<19}  {day.name or '-'}  "
                f"({day.source})"
            )
    if view.local:
        lines.append("local entries (per centre)")
        for entry in view.local:
            if entry.kind is LocalKind.CLOSED:
                what = "closed"
            else:
                what = "hours " + ", ".join(r.label() for r in entry.hours)
            lines.append(f"  {entry.date.isoformat()} {entry.centre_id:<8} {what}  {entry.reason}")
    return "\n".join(lines)


def _coverage(view: YearView) -> str:
    parts = []
    if view.in_chinesecalendar:
        parts.append(f"covered by chinesecalendar {_chinesecalendar_version()}")
    if view.year_info and view.year_info.complete:
        parts.append(f"marked complete in the overrides ({view.year_info.source})")
    if parts:
        return "; ".join(parts)
    return (
        f"NOT covered: chinesecalendar {_chinesecalendar_version()} does not know {view.year} "
        "and the overrides do not mark it complete; the weekday rule applies "
        "except for the override entries below"
    )
