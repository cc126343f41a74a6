"""`hotline12330 asterisk-config`: write the generated per-centre Asterisk files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config.asterisk_files import generated_files, includable_files
from config.asterisk_gen import GeneratorError
from config.problems import ConfigInvalid
from config.settings import SettingsError, load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "asterisk-config",
        help="generate the per-centre Asterisk config (queues, mailboxes, endpoints)",
        description=(
            "Generate hotline12330-*.conf from the centres file (and the calendar: "
            "hotline12330-fallback.conf holds 31 days of opening hours from today, which "
            "the service keeps rewriting). They are #included by the static files "
            "(--with-static), in the dev stack or an existing Asterisk/FreePBX. Without "
            "--dev-operators this is a production config: it refuses the published default "
            "ami_secret and writes nothing."
        ),
    )
    parser.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="write the files here (default: print them)"
    )
    parser.add_argument(
        "--with-static",
        action="store_true",
        help="also copy the static includable files (hotline12330-extensions.conf, "
        "hotline12330-pjsip.conf) into --out",
    )
    parser.add_argument(
        "--dev-operators",
        action="store_true",
        help="ring simulated operators (Local/...@hotline12330-test-operators) instead of "
        "phones and trunks, as the dev stack does (a dev stack config: it also has the test "
        "caller's AMI user)",
    )
    parser.add_argument(
        "--ring-timeout-cap", type=int, metavar="SECONDS", help="cap every queue's ring time"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
        files = generated_files(
            settings, dev_operators=args.dev_operators, ring_timeout_override=args.ring_timeout_cap
        )
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigInvalid as exc:
        print(f"error: the configuration is invalid:\n{exc}", file=sys.stderr)
        return 2
    except GeneratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out is None:
        for name, text in files.items():
            print(f";;;; {name}\n{text}")
        return 0
    if args.with_static:
        files.update(includable_files())
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (args.out / name).write_text(text, encoding="utf-8")
            print(f"wrote {args.out / name}")
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
