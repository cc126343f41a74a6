"""The console's pure parts: sampling, working-day deadlines, file lookup, passwords,
the evaluation form file (through check-config) and the console settings."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from backoffice.files import file_under
from backoffice.passwords import WeakPassword, hash_password, verify_password
from backoffice.sampling import draw
from cli.main import main
from config.evaluation_file import load_evaluation_form
from config.model import CalendarOverrides
from config.problems import ConfigInvalid
from config.settings import DEFAULTS_DIR, SettingsError, load_settings
from console.labels import open_reason_zh
from routing.working_days import callback_due, nth_working_day_after

CHINA = dt.timezone(dt.timedelta(hours=8))

# --- sampling --------------------------------------------------------------------------


def test_draw_is_reproducible_stratified_and_bounded():
    pool = {"sh": list(range(1, 51)), "bj": list(range(100, 103)), "gd": []}
    first = draw(pool, 5, "seed-a")
    assert first == draw({k: list(reversed(v)) for k, v in pool.items()}, 5, "seed-a")
    assert len(first["sh"]) == 5 and set(first["sh"]) <= set(pool["sh"])
    assert first["bj"] == [100, 101, 102]  # fewer than asked: all of them
    assert first["gd"] == []
    # Another seed draws differently (over 2 million ways to pick 5 of 50).
    assert draw(pool, 5, "seed-b")["sh"] != first["sh"]
    # A group's draw does not depend on the other groups.
    assert draw({"sh": pool["sh"]}, 5, "seed-a")["sh"] == first["sh"]
    with pytest.raises(ValueError):
        draw(pool, 0, "seed-a")


def test_draw_is_roughly_uniform():
    counts = dict.fromkeys(range(10), 0)
    for n in range(2000):
        for picked in draw({"g": list(range(10))}, 1, f"s{n}")["g"]:
            counts[picked] += 1
    assert min(counts.values()) > 120 and max(counts.values()) < 280


# --- working days ----------------------------------------------------------------------

NO_OVERRIDES = CalendarOverrides()


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        ("2026-11-25", 1, "2026-11-26"),  # Wednesday -> Thursday
        ("2026-11-27", 1, "2026-11-30"),  # Friday -> Monday
        ("2026-11-27", 2, "2026-12-01"),
        ("2026-09-30", 1, "2026-10-08"),  # National Day week skipped
        ("2026-10-08", 2, "2026-10-10"),  # the make-up Saturday counts
        ("2026-02-13", 1, "2026-02-14"),  # make-up Saturday before the Spring Festival
    ],
)
def test_nth_working_day_uses_the_statutory_calendar(day, n, expected):
    start = dt.date.fromisoformat(day)
    assert nth_working_day_after(NO_OVERRIDES, start, n).isoformat() == expected


def test_callback_due_counts_from_the_china_date():
    # 23:30 UTC on Tuesday is Wednesday 07:30 in China.
    left = dt.datetime(2026, 11, 24, 23, 30, tzinfo=dt.UTC)
    assert callback_due(NO_OVERRIDES, left, 1) == dt.date(2026, 11, 26)


# --- files -------------------------------------------------------------------------------


def test_file_under_refuses_everything_outside_the_root(tmp_path):
    root = tmp_path / "recordings"
    (root / "2026").mkdir(parents=True)
    (root / "2026" / "a.wav").write_bytes(b"x")
    (tmp_path / "secret.wav").write_bytes(b"s")
    (root / "link.wav").symlink_to(tmp_path / "secret.wav")
    (root / "dirlink").symlink_to(tmp_path)
    assert file_under(root, "2026/a.wav") == (root / "2026" / "a.wav").resolve()
    for bad in (
        "../secret.wav",
        "2026/../../secret.wav",
        str(tmp_path / "secret.wav"),
        "/etc/passwd",
        "link.wav",
        "dirlink/secret.wav",
        "2026",
        "",
        "2026/a.wav\x00",
        "..\\secret.wav",
        "missing.wav",
    ):
        assert file_under(root, bad) is None, bad


# --- passwords ---------------------------------------------------------------------------


def test_passwords_are_argon2_and_verify_only_the_right_one():
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password(None, "correct horse battery")
    assert not verify_password("not a hash", "x")
    with pytest.raises(WeakPassword):
        hash_password("short")


# --- evaluation form -------------------------------------------------------------------


def test_shipped_evaluation_form_loads():
    form = load_evaluation_form(DEFAULTS_DIR / "evaluation.toml")
    assert form.max_total == 100 and form.pass_score == 80
    assert {item.code for item in form.auto_fail} >= {"rude", "privacy"}


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (("max = 10", "max = 0", 1), "item[0].max: 0 超出范围"),
        (('code = "attitude"', 'code = "greeting"', 1), "item[1].code: 代码 'greeting' 重复"),
        (("pass_score = 80", "pass_score = 101", 1), "pass_score: 合格分 101 高于满分 100"),
        (('code = "rude"', 'code = "Rude!"', 1), "auto_fail[0].code: 代码 'Rude!' 无效"),
        (("pass_score = 80", "pass_score = 80\ncolour = 1", 1), "colour"),
    ],
)
def test_check_config_reports_evaluation_form_problems(tmp_path, capsys, edit, problem):
    evaluation = tmp_path / "evaluation.toml"
    shutil.copy(DEFAULTS_DIR / "evaluation.toml", evaluation)
    old, new, count = edit
    text = evaluation.read_text(encoding="utf-8")
    assert old in text
    evaluation.write_text(text.replace(old, new, count), encoding="utf-8")
    settings = tmp_path / "settings.toml"
    settings.write_text(f'evaluation_file = "{evaluation}"\n', encoding="utf-8")
    assert main(["check-config", "--config", str(settings), "--no-prompts"]) == 1
    out = capsys.readouterr().out
    assert f"{evaluation}: " in out and problem in out, out
    with pytest.raises(ConfigInvalid):
        load_evaluation_form(evaluation)


# --- settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"), [("false", False), ("0", False), ("TRUE", True), ("yes", True)]
)
def test_console_cookie_secure_from_environment(raw, expected):
    settings = load_settings(None, {"HOTLINE12330_CONSOLE_COOKIE_SECURE": raw})
    assert settings.console_cookie_secure is expected


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("CONSOLE_COOKIE_SECURE", "maybe"),
        ("CONSOLE_LOGIN_MAX_FAILURES", "0"),
        ("CONSOLE_SESSION_HOURS", "-1"),
        ("CONSOLE_PORT", "70000"),
        ("CONSOLE_CALLBACK_WORKING_DAYS", "1.5"),
    ],
)
def test_bad_console_settings_name_the_key(name, raw):
    with pytest.raises(SettingsError, match=f"HOTLINE12330_{name}"):
        load_settings(None, {f"HOTLINE12330_{name}": raw})


def test_console_cookie_secure_in_a_settings_file(tmp_path: Path):
    path = tmp_path / "settings.toml"
    path.write_text("[console]\ncookie_secure = false\n", encoding="utf-8")
    assert load_settings(path, {}).console_cookie_secure is False


# --- routing reasons in Chinese ----------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ('{"code":"open_hours","range":"09:00–11:30"}', "开放：工作时间 09:00–11:30"),
        ('{"code":"closed_holiday","name":"国庆节"}', "关闭：法定节假日 国庆节"),
        (
            '{"code":"open_makeup_day","date":"2026-02-14","range":"09:00–12:00"}',
            "开放：调休工作日 2026-02-14",
        ),
        ('{"code":"closed_break","start":"12:00","end":"13:30"}', "关闭：午休 12:00–13:30"),
        # the weekday is a code too: never "无开放时间的wed"
        ('{"code":"closed_no_hours","weekday":"wed"}', "关闭：星期三无开放时间"),
        ('{"code":"closed_makeup_no_hours"}', "关闭：调休工作日，但工作日无开放时间"),
        (
            '{"code":"closed_after_closing","closes":"12:00","special":"年终盘点"}',
            "关闭：已下班，结束于 12:00（特殊时间：年终盘点）",
        ),
        # a row migration 0006 did not recognise keeps its text
        ('{"code":"legacy","text":"open"}', "open"),
        (None, "—"),
    ],
)
def test_routing_reasons_are_shown_in_chinese(reason, shown):
    assert open_reason_zh(reason) == shown
