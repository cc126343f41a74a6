"""`python -m devstack`: the dev stack's commands (run from the repository root).

Kept apart from the `hotline12330` command so that no production command imports the
dev stack. Each command module exposes `register(subparsers)`, which sets `func(args) -> int`.
A SettingsError raised by any command exits 2 here.
"""

from __future__ import annotations

import argparse
import sys

from cli.main import command_parser, run

# Module names under devstack/, in the order `--help` shows them.
COMMAND_MODULES = ("asterisk", "postgres", "call")


def build_parser() -> argparse.ArgumentParser:
    return command_parser(
        "python -m devstack",
        "the 12330 hotline's dev stack: Asterisk 22 chroot, PostgreSQL, test calls",
        "devstack",
        COMMAND_MODULES,
    )


def main(argv: list[str] | None = None) -> int:
    return run(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
