"""`python -m devstack asterisk up|down|status|cli CMD`: the Asterisk 22 dev stack."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from config.asterisk_files import generated_files
from config.asterisk_gen import GeneratorError
from config.problems import ConfigInvalid
from config.settings import load_settings
from devstack import asterisk as stack
from devstack.chroot import ProvisionError
from devstack.mounts import MountError


def register(subparsers: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    parser = subparsers.add_parser(
        "asterisk",
        help="run the Asterisk 22 dev stack (Debian sid chroot)",
        description="The Asterisk 22 dev stack in a Debian sid chroot (settings.asterisk_root).",
    )
    actions = parser.add_subparsers(dest="asterisk_command", required=True, metavar="ACTION")
    start = actions.add_parser(
        "up",
        parents=[common],
        help="provision if needed, mount, install config, start or reload (idempotent)",
    )
    start.add_argument(
        "--real-operators",
        action="store_true",
        help="ring the configured PJSIP phones and trunks instead of simulated operators",
    )
    start.add_argument(
        "--ring-timeout-cap", type=int, metavar="SECONDS", help="cap every queue's ring time"
    )
    actions.add_parser("down", parents=[common], help="stop Asterisk and unmount")
    actions.add_parser("status", parents=[common], help="running?, version, mounts")
    command = actions.add_parser("cli", parents=[common], help="run one Asterisk CLI command")
    command.add_argument("words", nargs="+", metavar="CMD", help='e.g. "queue show"')
    for sub in (start, *actions.choices.values()):
        sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    try:
        if args.asterisk_command == "up":
            files = generated_files(
                settings,
                dev_operators=not args.real_operators,
                ring_timeout_override=args.ring_timeout_cap,
                dev_stack=True,
            )
            for line in stack.up(settings, files).lines():
                print(line)
            return 0
        if args.asterisk_command == "down":
            stack.down(settings)
            return 0
        if args.asterisk_command == "status":
            current = stack.status(settings)
            for line in current.lines():
                print(line)
            return 0 if current.running else 3
        result = stack.cli(stack.paths_for(settings), " ".join(args.words))
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        return result.returncode
    except ConfigInvalid as exc:
        print(f"error: the configuration is invalid:\n{exc}", file=sys.stderr)
        return 2
    except (GeneratorError, ProvisionError, MountError, stack.StackError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
