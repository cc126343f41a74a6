"""`python -m devstack`: the dev stack's commands (run from the repository root).

Kept apart from the `hotline12330` command so that no production command imports the
dev stack. Each command module exposes `register(subparsers)`, which sets `func(args) -> int`.
A SettingsError raised by any command exits 2 here.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from config.settings import SettingsError

# Module names under devstack/, in the order `--help` shows them.
COMMAND_MODULES = ("asterisk", "postgres", "call")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devstack",
        description="the 12330 hotline's dev stack: Asterisk 22 chroot, PostgreSQL, test calls",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"devstack.cmd_{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
