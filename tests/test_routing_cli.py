"""`hotline12330 route`: JSON and text output, exit 2 for bad input or config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from routing_fixtures import write_settings

from cli.main import main


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CONFIG", "CENTRES_FILE", "CALENDAR_FILE", "CATEGORIES_FILE", "DATA_DIR"):
        monkeypatch.delenv(f"HOTLINE12330_{name}", raising=False)
    return write_settings(tmp_path)


def route_json(settings: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["route", "--config", str(settings), "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


# arguments -> area code, source, centre (None for a menu), action, open/closed reason code
#   and its parameters, warnings
ROUTE_ROWS = [
    (["--dialed", "+8675512330", "--at", "2026-10-01T10:00"],
     "0755", "dialled", "sz", "voicemail", {"code": "closed_holiday", "name": "国庆节"}, []),
    (["--dialed", "01012330", "--at", "2026-10-10T17:29"],
     "010", "dialled", "bj", "greet_and_ring",
     {"code": "open_makeup_day", "date": "2026-10-10", "range": "13:30–17:30"}, []),
    (["--dialed", "01012330", "--at", "2026-10-10T17:30"],
     "010", "dialled", "bj", "voicemail", {"code": "closed_after_closing", "closes": "17:30"}, []),
    (["--dialed", "01012330", "--at", "2026-10-09T01:30+00:00"],
     "010", "dialled", "bj", "greet_and_ring", {"code": "open_hours", "range": "09:00–12:00"}, []),
    (["--dialed", "12330", "--trunk-area", "0757", "--at", "2027-03-01T10:00"],
     "0757", "trunk", "gd", "greet_and_ring", {"code": "open_hours", "range": "09:00–12:00"},
     ["calendar for 2027 is not confirmed; weekday rule used"]),
    (["--dialed", "12330", "--at", "2027-10-01T10:00"],
     None, "none", "bj", "voicemail", {"code": "closed_holiday", "name": "国庆节"}, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "area_code", "source", "centre", "action", "reason", "warnings"), ROUTE_ROWS
)
def test_route_json(
    settings: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    area_code: str | None,
    source: str,
    centre: str,
    action: str,
    reason: dict[str, str],
    warnings: list[str],
) -> None:
    data = route_json(settings, *args, capsys=capsys)
    assert (data["area_code"], data["area_source"], data["centre_id"]) == (
        area_code,
        source,
        centre,
    )
    assert (data["action"], data["open_state"]["reason"], data["warnings"]) == (
        action,
        reason,
        warnings,
    )


def test_route_json_menu_shows_every_choice(
    settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = route_json(settings, "--dialed", "021-12330", "--at", "2026-12-31T14:00", capsys=capsys)
    assert data["action"] == "menu" and data["centre_id"] is None
    assert [(o["digit"], o["centre_id"]) for o in data["menu"]["options"]] == [
        ("1", "sh"),
        ("2", "sh-pd"),
        ("3", "sh-cp"),
    ]
    after = {row["centre_id"]: row["open_state"]["reason"] for row in data["after_menu"]}
    assert after["sh"] == {
        "code": "closed_after_closing",
        "closes": "12:00",
        "special": "年终盘点，下午休息",
    }
    assert after["sh-pd"] == {"code": "open_hours", "range": "13:30–17:30"}


def test_route_text_output(settings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["route", "--config", str(settings), "--dialed", "02112330", "--at", "2026-03-11T11:45"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "area code: 021 (source: dialled)" in out
    assert "  2  sh-pd  浦东新区 -> greet_and_ring: open: working hours 09:00–12:00" in out
    assert "  1  sh  上海市 -> voicemail: closed: lunch break 11:30–13:00" in out
    assert out.rstrip().endswith("action:    menu")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dialed", "0211233O"], "dialled number '0211233O' rejected: contains characters"),
        (["--dialed", "01112330"], "impossible area code 011"),
        (["--dialed", ""], "empty number"),
        (["--dialed", "12330", "--trunk-area", "21"], "trunk area code '21' rejected"),
        (["--dialed", "12330", "--at", "tomorrow"], "--at 'tomorrow' is not an ISO date"),
    ],
)
def test_route_rejects_bad_input(
    settings: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["route", "--config", str(settings), *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_route_reports_every_config_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOTLINE12330_CONFIG", raising=False)
    bad_calendar = (
        '[[national]]\ndate = 2027-10-01\nkind = "vacation"\nname = "国庆节"\n\n'
        '[[local]]\ncentre = "nowhere"\ndate = 2027-01-05\nkind = "closed"\nreason = "x"\n'
    )
    settings = write_settings(tmp_path, bad_calendar)
    code = main(["route", "--config", str(settings), "--dialed", "02112330"])
    err = capsys.readouterr().err
    assert code == 2
    assert "config is invalid" in err
    assert "vacation" in err and "nowhere" in err  # both problems, not just the first


def test_route_missing_settings_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["route", "--config", str(tmp_path / "absent.toml"), "--dialed", "12330"])
    assert code == 2
    assert "settings" in capsys.readouterr().err
