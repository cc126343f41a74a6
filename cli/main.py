"""The `hotline12330` command: the administrator's interface to every package.

Subcommands are listed explicitly below (no registration by import side effect).
Each command module exposes `register(subparsers)`, which sets `func(args) -> int`.
A SettingsError raised by any command exits 2 here.
The dev stack's commands (Asterisk chroot, PostgreSQL cluster, test calls) are
`python -m devstack`: nothing here imports it, so the wheel runs without it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from config.settings import SettingsError

# Module names under cli/, in the order `--help` shows them.
COMMAND_MODULES = (
    "check_config",
    "route",
    "calendar",
    "db",
    "asterisk_config",
    "serve",
    "reconcile",
    "prompt",
    "postgres",
    "user",
    "console",
    "report",
    "audit",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotline12330", description="12330 hotline IVR service and administration"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"cli.cmd_{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        # Every command loads the settings first; an unusable settings file is bad input.
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
