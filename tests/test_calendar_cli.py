"""`hotline12330 calendar YEAR`: exceptions by month, coverage, next-year warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from routing_fixtures import CLI_CALENDAR_TOML, write_settings

from cli.main import main


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CONFIG", "CENTRES_FILE", "CALENDAR_FILE", "CATEGORIES_FILE", "DATA_DIR"):
        monkeypatch.delenv(f"HOTLINE12330_{name}", raising=False)


def run_calendar(settings: Path, *args: str) -> list[str]:
    return ["calendar", *args, "--config", str(settings)]


def test_covered_year_lists_holidays_and_makeup_days_by_month(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = write_settings(tmp_path)
    assert main(run_calendar(settings, "2026", "--today", "2026-06-01")) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("2026: covered by chinesecalendar ")
    assert "marked complete" not in lines[0]
    assert "2026-10" in lines
    october = lines[lines.index("2026-10") + 1 :]
    assert october[0] == "  2026-10-01 Thu  day off              国庆节  (chinesecalendar)"
    assert "  2026-10-10 Sat  make-up working day  国庆节  (chinesecalendar)" in october
    assert "  2026-02-14 Sat  make-up working day  春节  (chinesecalendar)" in lines
    assert "  2026-03-15 Sun" not in captured.out  # ordinary weekends are not exceptions
    assert "  2026-12-31 sh       hours 09:00–12:00  年终盘点，下午休息" in lines
    assert captured.err == ""  # June: too early for the next-year check


# calendar file, year, --today -> first output line, an expected line, warning on stderr?
CALENDAR_ROWS = [
    (CLI_CALENDAR_TOML, "2027", "2026-10-31",
     "2027: NOT covered", "  2027-10-01 Fri  day off              国庆节  (override)", False),
    (CLI_CALENDAR_TOML, "2027", "2026-11-01",
     "2027: NOT covered", "  2027-10-01 Fri  day off              国庆节  (override)", True),
    (CLI_CALENDAR_TOML, "2026", "2026-12-31",
     "2026: covered by chinesecalendar", "2026-10", True),
    ("", "2030", "2026-05-01", "2030: NOT covered", "  no override entries", False),
    ('[[year]]\nyear = 2027\ncomplete = true\nsource = "通知"\n', "2027", "2026-11-01",
     "2027: marked complete in the overrides (通知)", "  no exceptions", False),
    ("", "2026", "2025-11-15", "2026: covered by chinesecalendar", "2026-10", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("calendar_toml", "year", "today", "first_line", "expected_line", "warns"), CALENDAR_ROWS
)
def test_calendar_coverage_and_next_year_warning(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    calendar_toml: str,
    year: str,
    today: str,
    first_line: str,
    expected_line: str,
    warns: bool,
) -> None:
    settings = write_settings(tmp_path, calendar_toml)
    assert main(run_calendar(settings, year, "--today", today)) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith(first_line)
    assert expected_line in lines
    next_year = int(today[:4]) + 1
    if warns:
        assert f"warning: calendar for {next_year} is not confirmed" in captured.err
    else:
        assert captured.err == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2026", "--today", "2026-13-01"], "--today '2026-13-01' is not a date"),
        (["99999"], "year 99999 is out of range"),
    ],
)
def test_calendar_rejects_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    settings = write_settings(tmp_path)
    assert main(run_calendar(settings, *args)) == 2
    assert message in capsys.readouterr().err


def test_calendar_with_invalid_config_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = write_settings(tmp_path, '[[national]]\ndate = "soon"\nkind = "holiday"\n')
    assert main(run_calendar(settings, "2026")) == 2
    assert "config is invalid" in capsys.readouterr().err
