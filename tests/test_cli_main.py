"""The `hotline12330` command lists every command module that exists under cli/."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cli import main as cli_main

CLI_DIR = Path(cli_main.__file__).parent


def _registered_commands() -> set[str]:
    parser = cli_main.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_every_command_module_is_registered():
    on_disk = {p.stem.removeprefix("cmd_") for p in CLI_DIR.glob("cmd_*.py")}
    assert set(cli_main.COMMAND_MODULES) == on_disk
    expected = {name.replace("_", "-") for name in on_disk}
    assert expected <= _registered_commands()


@pytest.mark.parametrize("command", ["postgres", "db", "asterisk", "serve", "call", "reconcile"])
def test_commands_used_by_dev_sh_parse(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main.main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: hotline12330" in capsys.readouterr().out
