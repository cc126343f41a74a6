"""`hotline12330 route`: show how a call would be routed, and why.

    hotline12330 route --dialed 02112330 [--trunk-area 021] [--at 2026-10-01T10:00]
                       [--config PATH] [--json]

A naive --at is China time (Asia/Shanghai); without --at, now. Exit 2 for a
malformed number, time or config (every config problem is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from config.loader import ConfigInvalid, LoadedConfig, load_config
from config.settings import SettingsError, load_settings
from routing import (
    CHINA_TZ,
    InvalidNumber,
    RouteDecision,
    decide,
    decide_after_menu,
    parse_area_code,
    parse_dialled,
)
from routing.reasons import render as render_reason

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "route",
        help="show how a call to 12330 would be routed",
        description="Decide area code, centre(s), open/closed and the action for one call. "
        "Exit 2 for a malformed number or time, or an invalid config.",
    )
    parser.add_argument(
        "--dialed",
        "--dialled",
        dest="dialled",
        required=True,
        metavar="NUMBER",
        help="the dialled number: 12330, 02112330, +862112330 ...",
    )
    parser.add_argument("--trunk-area", metavar="CODE", help="the trunk's home area code, e.g. 021")
    parser.add_argument(
        "--at",
        metavar="DATETIME",
        help="ISO date and time; without an offset it is China time (default: now)",
    )
    add_config_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")
    parser.set_defaults(func=run)


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, metavar="PATH", help="settings file (default: HOTLINE12330_CONFIG)"
    )


def load_or_report(config: Path | None, command: str) -> LoadedConfig | None:
    """The validated config, or None after printing why it cannot be used."""
    try:
        settings = load_settings(config)
    except SettingsError as exc:
        print(f"hotline12330 {command}: settings: {exc}", file=sys.stderr)
        return None
    try:
        # Routing does not play prompts: missing WAV files must not hide a routing answer.
        return load_config(settings, check_prompts=False)
    except ConfigInvalid as exc:
        print(f"hotline12330 {command}: the config is invalid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def parse_instant(text: str | None) -> dt.datetime:
    if text is None:
        return dt.datetime.now(CHINA_TZ)
    value = dt.datetime.fromisoformat(text)  # ValueError names the bad text
    return value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)


def run(args: argparse.Namespace) -> int:
    problems: list[str] = []
    try:
        parse_dialled(args.dialled)
    except InvalidNumber as exc:
        problems.append(f"dialled number {exc.text!r} rejected: {exc.reason}")
    if args.trunk_area is not None:
        try:
            parse_area_code(args.trunk_area)
        except InvalidNumber as exc:
            problems.append(f"trunk area code {exc.text!r} rejected: {exc.reason}")
    try:
        instant = parse_instant(args.at)
    except ValueError:
        problems.append(f"--at {args.at!r} is not an ISO date and time (e.g. 2026-10-01T10:00)")
    if problems:
        for problem in problems:
            print(f"hotline12330 route: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT

    loaded = load_or_report(args.config, "route")
    if loaded is None:
        return EXIT_BAD_INPUT
    decision = decide(loaded.directory, loaded.calendar, args.dialled, args.trunk_area, instant)
    after_menu = _after_menu(loaded, decision)
    if args.json:
        data = decision.to_dict()
        # For a menu: what each choice would lead to at that instant.
        data["after_menu"] = [
            {"centre_id": d.centre_id, "open_state": d.open_state.to_dict(), "action": d.action}
            for d in after_menu
            if d.open_state is not None
        ]
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(render(decision, after_menu, loaded))
    return EXIT_OK


def _after_menu(loaded: LoadedConfig, decision: RouteDecision) -> list[RouteDecision]:
    if decision.menu is None:
        return []
    return [
        decide_after_menu(
            loaded.directory, loaded.calendar, decision, option.centre_id, decision.at
        )
        for option in decision.menu.options
    ]


def render(decision: RouteDecision, after_menu: list[RouteDecision], loaded: LoadedConfig) -> str:
    names = {c.id: c.name for c in loaded.directory.centres}
    lines = [
        f"at:        {decision.at:%Y-%m-%d %H:%M} {decision.at:%a} (Asia/Shanghai)",
        f"dialled:   {decision.dialled}",
        f"area code: {decision.area_code or '-'} (source: {decision.area_source})",
        f"           {render_reason(decision.area_reason)}",
        f"centres:   {', '.join(decision.centres)} ({decision.choice})",
        f"           {render_reason(decision.reason)}",
    ]
    if decision.menu is not None:
        menu = decision.menu
        lines.append(
            f"menu:      default {menu.default_centre_id} after {menu.max_tries} tries, "
            f"{menu.timeout_seconds} s per try"
        )
        states = {d.centre_id: d for d in after_menu}
        for option in menu.options:
            choice = states.get(option.centre_id)
            state = (
                f" -> {choice.action}: {render_reason(choice.open_state.reason)}"
                if choice and choice.open_state
                else ""
            )
            lines.append(f"  {option.digit}  {option.centre_id}  {option.label}{state}")
    if decision.centre_id is not None:
        lines.append(f"centre:    {decision.centre_id} {names.get(decision.centre_id, '')}")
    if decision.open_state is not None:
        state = decision.open_state
        lines.append(f"state:     {render_reason(state.reason)}")
        lines.append(f"           day {state.day_kind}, decided by {state.source}")
    for warning in decision.warnings or _menu_warnings(after_menu):
        lines.append(f"warning:   {warning}")
    lines.append(f"action:    {decision.action}")
    return "\n".join(lines)


def _menu_warnings(after_menu: list[RouteDecision]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for d in after_menu:
        for warning in d.warnings:
            seen.setdefault(warning, None)
    return tuple(seen)
