"""`hotline12330` and `python -m devstack` list every command module that exists."""

from __future__ import annotations

import argparse
import ast
import tomllib
from pathlib import Path

import pytest

from cli import main as cli_main
from devstack import main as devstack_main

ROOT = Path(__file__).resolve().parent.parent


def _registered_commands(build_parser) -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


@pytest.mark.parametrize("entry", [cli_main, devstack_main], ids=["cli", "devstack"])
def test_every_command_module_is_registered(entry):
    on_disk = {p.stem.removeprefix("cmd_") for p in Path(entry.__file__).parent.glob("cmd_*.py")}
    assert set(entry.COMMAND_MODULES) == on_disk
    expected = {name.replace("_", "-") for name in on_disk}
    assert expected <= _registered_commands(entry.build_parser)


# The commands dev.sh runs, by entry point.
DEV_SH_COMMANDS = [
    (cli_main, "db", "usage: hotline12330"),
    (cli_main, "serve", "usage: hotline12330"),
    (cli_main, "reconcile", "usage: hotline12330"),
    (devstack_main, "postgres", "usage: python -m devstack"),
    (devstack_main, "asterisk", "usage: python -m devstack"),
    (devstack_main, "call", "usage: python -m devstack"),
]


@pytest.mark.parametrize(("entry", "command", "usage"), DEV_SH_COMMANDS)
def test_commands_used_by_dev_sh_parse(entry, command, usage, capsys):
    with pytest.raises(SystemExit) as exc:
        entry.main([command, "--help"])
    assert exc.value.code == 0
    assert usage in capsys.readouterr().out


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SHIPPED_PACKAGES = sorted({p.split(".")[0] for p in PYPROJECT["tool"]["setuptools"]["packages"]})


def test_the_wheel_leaves_the_dev_stack_out():
    assert "devstack" not in SHIPPED_PACKAGES
    assert {"agi", "cli", "config", "routing"} <= set(SHIPPED_PACKAGES)


@pytest.mark.parametrize("package", SHIPPED_PACKAGES)
def test_shipped_code_never_imports_the_dev_stack(package):
    """An import of devstack/ would fail from the installed wheel."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / package).rglob("*.py"))
        if any(m == "devstack" or m.startswith("devstack.") for m in _imported_modules(path))
    ]
    assert offenders == []
