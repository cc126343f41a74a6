"""Files that defeat a parser (nesting deep enough for RecursionError, bytes that are not
UTF-8) are config problems like any other: a reload keeps the last good config and the
SIGHUP task lives on; `check-config` reports them and exits 1 (config) or 2 (settings)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from cli.main import main
from config.holder import ConfigHolder
from config.loader import load_config
from config.settings import DEFAULTS_DIR, load_settings

DEEP = b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n"
NOT_UTF8 = b'# \xff\xfe\xb0\xa1 GBK text\nfallback = "\xb1\xb1\xbe\xa9"\n'


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    for name in ("centres", "calendar", "categories", "evaluation"):
        shutil.copy(DEFAULTS_DIR / f"{name}.toml", tmp_path / f"{name}.toml")
    (tmp_path / "data").mkdir()
    settings = tmp_path / "settings.toml"
    settings.write_text(
        'data_dir = "data"\ncentres_file = "centres.toml"\ncalendar_file = "calendar.toml"\n'
        'categories_file = "categories.toml"\nevaluation_file = "evaluation.toml"\n',
        encoding="utf-8",
    )
    return settings


# (row id, file rewritten, its bytes, what the problem says)
HOSTILE_ROWS = [
    ("centres-deep", "centres.toml", DEEP, "嵌套层数过深"),
    ("calendar-deep", "calendar.toml", DEEP, "嵌套层数过深"),
    ("categories-deep", "categories.toml", DEEP, "嵌套层数过深"),
    ("evaluation-deep", "evaluation.toml", DEEP, "嵌套层数过深"),
    ("centres-not-utf8", "centres.toml", NOT_UTF8, "不是 UTF-8"),
    ("calendar-not-utf8", "calendar.toml", NOT_UTF8, "不是 UTF-8"),
]
ROWS = [pytest.param(*r[1:], id=r[0]) for r in HOSTILE_ROWS]


def loader(settings):
    return load_config(settings, check_prompts=False)


@pytest.mark.parametrize(("name", "data", "reason"), ROWS)
async def test_a_reload_reports_the_file_and_keeps_the_last_good_config(
    sample, name, data, reason
) -> None:
    holder = ConfigHolder(load_settings(sample, environ={}), loader=loader)
    first = holder.current
    (sample.parent / name).write_bytes(data)
    # As the SIGHUP task runs it: in a worker thread, awaited by a task that must not die.
    task = asyncio.create_task(asyncio.to_thread(holder.reload))
    problems = await task
    assert [(Path(p.file).name, p.key) for p in problems] == [(name, "(file)")]
    assert reason in problems[0].reason
    assert holder.current is first
    shutil.copy(DEFAULTS_DIR / name, sample.parent / name)
    assert holder.reload() == []  # and the next good edit is picked up
    assert holder.current is not first


@pytest.mark.parametrize(
    "error",
    [RecursionError("maximum recursion depth"), UnicodeDecodeError("utf-8", b"", 0, 1, "x")],
)
def test_an_unexpected_loader_error_is_reported_too(sample, error) -> None:
    calls = []

    def fragile(settings):
        calls.append(settings)
        if len(calls) > 1:
            raise error
        return loader(settings)

    holder = ConfigHolder(load_settings(sample, environ={}), loader=fragile)
    first = holder.current
    problems = holder.reload()
    assert [p.key for p in problems] == ["(reload)"]
    assert type(error).__name__ in problems[0].reason
    assert holder.current is first


@pytest.mark.parametrize(("name", "data", "reason"), ROWS)
def test_check_config_reports_a_hostile_config_file(sample, capsys, name, data, reason) -> None:
    (sample.parent / name).write_bytes(data)
    assert main(["check-config", "--config", str(sample), "--no-prompts"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"{sample.parent / name}: (file): ")
    assert reason in out[0]


# (row id, settings file bytes, what the error says)
SETTINGS_ROWS = [
    ("deep", DEEP, "nested too deeply"),
    ("not-utf8", NOT_UTF8, "not UTF-8 text (byte 2"),
]


@pytest.mark.parametrize(
    ("data", "message"), [pytest.param(*r[1:], id=r[0]) for r in SETTINGS_ROWS]
)
def test_check_config_reports_a_hostile_settings_file(tmp_path, capsys, data, message) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_bytes(data)
    assert main(["check-config", "--config", str(settings)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"settings: {settings}: ") and message in err
    assert "Traceback" not in err
