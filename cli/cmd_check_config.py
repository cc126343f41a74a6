"""`hotline12330 check-config`: validate the centres, calendar and categories files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config.loader import ConfigInvalid, LoadedConfig, load_config
from config.settings import SettingsError, load_settings

EXIT_OK = 0
EXIT_CONFIG_INVALID = 1
EXIT_SETTINGS_UNUSABLE = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check-config",
        help="check the centres, calendar and categories files",
        description="Report every problem in the config files as FILE: KEY: REASON. "
        "Exit 1 when there is any problem, 2 when the settings file itself is unusable.",
    )
    parser.add_argument(
        "--config", type=Path, metavar="PATH", help="settings file (default: HOTLINE12330_CONFIG)"
    )
    parser.add_argument(
        "--no-prompts", action="store_true", help="do not check that the prompt WAV files exist"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"settings: {exc}", file=sys.stderr)
        return EXIT_SETTINGS_UNUSABLE
    try:
        loaded = load_config(settings, check_prompts=not args.no_prompts)
    except ConfigInvalid as exc:
        for problem in exc.problems:
            print(f"{problem.file}: {problem.key}: {problem.reason}")
        return EXIT_CONFIG_INVALID
    print(summary(loaded))
    return EXIT_OK


def summary(loaded: LoadedConfig) -> str:
    directory = loaded.directory
    area_codes = {code for centre in directory.centres for code in centre.area_codes}
    return (
        f"OK: {len(directory.centres)} centres, {len(area_codes)} area codes, "
        f"{len(directory.menus)} menus"
    )
