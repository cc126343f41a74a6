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


def command_parser(
    prog: str, description: str, package: str, modules: tuple[str, ...]
) -> argparse.ArgumentParser:
    """A parser whose subcommands are `<package>.cmd_<name>` modules, in this order."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in modules:
        module = importlib.import_module(f"{package}.cmd_{name}")
        module.register(subparsers)
    return parser


def run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse and run one command; its exit code."""
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        # Every command loads the settings first; an unusable settings file is bad input.
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    return command_parser(
        "hotline12330", "12330 hotline IVR service and administration", "cli", COMMAND_MODULES
    )


def main(argv: list[str] | None = None) -> int:
    return run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
