"""`hotline12330 check-config`: validate the centres, calendar and categories files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config.asterisk_gen import WELL_KNOWN_SECRETS
from config.loader import ConfigInvalid, LoadedConfig, load_config
from config.settings import Settings, SettingsError, dev_chroot_settings, load_settings

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
    parser.add_argument(
        "--production",
        action="store_true",
        help="also refuse settings left pointing into the dev stack's chroot "
        "(voicemail_spool, cdr_csv) and the dev stack's default ami_secret",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"settings: {exc}", file=sys.stderr)
        return EXIT_SETTINGS_UNUSABLE
    source = str(args.config or "settings")
    for warning in settings_warnings(settings):
        print(f"warning: {source}: {warning}", file=sys.stderr)
    problems = [f"{source}: {p}" for p in production_problems(settings)] if args.production else []
    try:
        loaded = load_config(settings, check_prompts=not args.no_prompts)
    except ConfigInvalid as exc:
        problems += [f"{p.file}: {p.key}: {p.reason}" for p in exc.problems]
        loaded = None
    for problem in problems:
        print(problem)
    if problems or loaded is None:
        return EXIT_CONFIG_INVALID
    print(summary(loaded))
    return EXIT_OK


def settings_warnings(settings: Settings) -> list[str]:
    """What works for now but will lose data: KEY: REASON."""
    warnings = []
    if not settings.cdr_csv.is_file():
        warnings.append(
            f"cdr_csv: {settings.cdr_csv} does not exist: `reconcile` cannot close calls the "
            "server missed (Asterisk's cdr_csv writes it after the first call; see "
            "`asterisk-config`'s hotline12330-cdr.conf)"
        )
    if not settings.voicemail_spool.is_dir():
        warnings.append(
            f"voicemail_spool: {settings.voicemail_spool} does not exist: voicemail cannot be "
            "archived"
        )
    return warnings


def production_problems(settings: Settings) -> list[str]:
    """Settings a production server must not take from the dev stack: KEY: REASON."""
    env = {"voicemail_spool": "HOTLINE12330_VOICEMAIL_SPOOL", "cdr_csv": "HOTLINE12330_CDR_CSV"}
    examples = {
        "voicemail_spool": "/var/spool/asterisk/voicemail",
        "cdr_csv": "/var/log/asterisk/cdr-csv/Master.csv",
    }
    problems = [
        f"{key}: {getattr(settings, key)} is in the dev stack's chroot; set {key} (or "
        f"{env[key]}) to Asterisk's own path, e.g. {examples[key]}"
        for key in dev_chroot_settings(settings)
    ]
    if settings.ami_secret in WELL_KNOWN_SECRETS:
        problems.append(
            "ami_secret: the dev stack's published default; set ami_secret (or "
            "HOTLINE12330_AMI_SECRET) to a secret of your own"
        )
    return problems


def summary(loaded: LoadedConfig) -> str:
    directory = loaded.directory
    area_codes = {code for centre in directory.centres for code in centre.area_codes}
    return (
        f"OK: {len(directory.centres)} centres, {len(area_codes)} area codes, "
        f"{len(directory.menus)} menus"
    )
