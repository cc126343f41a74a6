"""Reasons as codes (routing.reasons): every code rendered in both languages, the stored
form, and migration 0006 turning the prose stored before into codes."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from migrations import MIGRATIONS_DIR, downgrade, upgrade
from models.db import make_engine
from routing.reasons import Code, Reason, parse_stored, render, render_stored, stored


def _migration_0006():
    path = Path(MIGRATIONS_DIR) / "versions" / "0006_reason_codes.py"
    spec = importlib.util.spec_from_file_location("migration_0006", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


M0006 = _migration_0006()

# code, parameters -> English (the CLI, and the prose stored before codes), Chinese (console)
RENDERED = [
    (Code.OPEN_HOURS, {"range": "09:00–12:00"},
     "open: working hours 09:00–12:00", "开放：工作时间 09:00–12:00"),
    (Code.OPEN_MAKEUP_DAY, {"date": "2026-02-14", "range": "09:00–12:00"},
     "open: make-up working day 2026-02-14", "开放：调休工作日 2026-02-14"),
    (Code.OPEN_SPECIAL_HOURS, {"range": "10:00–12:00", "note": "国庆值班"},
     "open: special hours 10:00–12:00 (国庆值班)", "开放：特殊时间 10:00–12:00（国庆值班）"),
    (Code.CLOSED_LOCAL, {"note": "停电检修"},
     "closed: local closure 停电检修", "关闭：本中心闭馆 停电检修"),
    (Code.CLOSED_HOLIDAY, {"name": "国庆节"},
     "closed: statutory holiday 国庆节", "关闭：法定节假日 国庆节"),
    (Code.CLOSED_MAKEUP_NO_HOURS, {},
     "closed: make-up working day but no weekday opening hours",
     "关闭：调休工作日，但工作日无开放时间"),
    (Code.CLOSED_WEEKEND, {}, "closed: weekend", "关闭：周末"),
    (Code.CLOSED_NO_HOURS, {"weekday": "wed"},
     "closed: no opening hours on Wednesday", "关闭：星期三无开放时间"),
    (Code.CLOSED_BEFORE_OPENING, {"opens": "10:00", "special": "国庆值班"},
     "closed: before opening 10:00 (special hours: 国庆值班)",
     "关闭：尚未开始办公，开始于 10:00（特殊时间：国庆值班）"),
    (Code.CLOSED_AFTER_CLOSING, {"closes": "17:30"},
     "closed: after closing 17:30", "关闭：已下班，结束于 17:30"),
    (Code.CLOSED_BREAK, {"start": "12:00", "end": "13:30"},
     "closed: lunch break 12:00–13:30", "关闭：午休 12:00–13:30"),
    (Code.CLOSED_OUTSIDE_HOURS, {}, "closed: outside opening hours", "关闭：非工作时间"),
    (Code.AREA_DIALLED, {"area": "021", "dialled": "02112330"},
     "area code 021 from dialled number 02112330", "区号 021，取自拨打的号码 02112330"),
    (Code.AREA_TRUNK, {"area": "0755", "dialled": "12330"},
     "dialled 12330 has no area code; area code 0755 from trunk",
     "拨打的号码 12330 不含区号；区号 0755 取自中继线"),
    (Code.AREA_NONE, {"dialled": "0211233O", "problem": "bad digits"},
     "dialled number '0211233O' rejected: bad digits; no trunk area code",
     "拨打的号码「0211233O」无效：bad digits；中继线无区号"),
    (Code.AREA_TRUNK_REJECTED,
     {"dialled": "12330", "trunk": "21", "trunk_problem": "area code 21 must start with 0"},
     "dialled 12330 has no area code; trunk area code '21' rejected: "
     "area code 21 must start with 0",
     "拨打的号码 12330 不含区号；中继线区号「21」无效：area code 21 must start with 0"),
    (Code.CENTRE_SINGLE, {"area": "010", "centre": "bj"},
     "area code 010 served by bj", "区号 010 由 bj 受理"),
    (Code.CENTRE_MENU, {"area": "021", "centres": ["sh", "sh-pd"]},
     "area code 021 shared by sh, sh-pd; menu", "区号 021 由 sh、sh-pd 共用；语音菜单"),
    (Code.CENTRE_NO_AREA, {"centre": "bj"},
     "no area code; national fallback bj", "无区号；全国兜底中心 bj"),
    (Code.CENTRE_PROVINCE_UNKNOWN, {"area": "0898", "centre": "bj"},
     "no centre for area code 0898; province unknown; national fallback bj",
     "区号 0898 无受理中心；省份不明；全国兜底中心 bj"),
    (Code.CENTRE_PROVINCE_NO_FALLBACK, {"area": "0591", "province": "福建", "centre": "bj"},
     "no centre for area code 0591; province 福建 has no fallback; national fallback bj",
     "区号 0591 无受理中心；福建 无省内兜底中心；全国兜底中心 bj"),
    (Code.CENTRE_PROVINCE_FALLBACK, {"area": "0757", "province": "广东", "centre": "gd"},
     "no centre for area code 0757; province 广东 fallback gd",
     "区号 0757 无受理中心；广东 省内兜底中心 gd"),
    (Code.MENU_DIGIT, {"digit": "3", "centre": "sh-cp", "failed": 2},
     "digit 3 chose sh-cp after 2 failed attempts", "按键 3 选择 sh-cp（此前 2 次无效）"),
    (Code.MENU_DEFAULT, {"centre": "sh"},
     "max tries reached; default centre sh", "已达最大尝试次数；默认中心 sh"),
    (Code.MENU_WAITING, {"attempt": 2, "max_tries": 3},
     "waiting for a digit (attempt 2 of 3)", "等待按键（第 2 次，共 3 次）"),
    (Code.MENU_CALLER_CHOSE, {"centre": "sh-pd"}, "caller chose sh-pd", "来电人选择 sh-pd"),
    (Code.FALLBACK_NATIONAL, {},
     "FastAGI unavailable or failed: fallback greeting and national voicemail",
     "FastAGI 不可用或失败：兜底问候语，全国留言箱"),
    (Code.FALLBACK_DIALPLAN, {"centre": "bj", "reconciled": True},
     "FastAGI unavailable: the dialplan's fallback routed the call to bj (reconciled)",
     "FastAGI 不可用或失败：拨号方案兜底路由至 bj（对账补记）"),
    (Code.UNKNOWN_STEP, {"step": "weird"},
     "call ended in unknown step 'weird'", "通话结束于未知步骤「weird」"),
    (Code.UNKNOWN_STEP, {"step": "", "reconciled": True},
     "reconciled: call ended in unknown step ''", "通话结束于未知步骤「」（对账补记）"),
    (Code.CUT_OFF, {},
     "reconciled: the call's end was never recorded (Asterisk stopped with it up)",
     "对账：通话结束未被记录（Asterisk 停止时通话仍在进行）"),
    (Code.LEGACY, {"text": "open: something old"}, "open: something old", "open: something old"),
]  # fmt: skip


def test_the_table_covers_every_code():
    assert {row[0] for row in RENDERED} == set(Code)


@pytest.mark.parametrize(("code", "params", "en", "zh"), RENDERED, ids=lambda v: str(v)[:30])
def test_every_code_renders_in_both_languages(code, params, en, zh):
    reason = Reason(code, params)
    assert (render(reason, "en"), render(reason, "zh")) == (en, zh)
    # What is stored renders the same.
    assert render_stored(reason.to_json(), "zh") == zh


def test_after_a_menu_the_menu_reason_follows():
    menu = Reason.of(Code.CENTRE_MENU, area="021", centres=["sh", "sh-pd"])
    chosen = menu.with_params(then=Reason.of(Code.MENU_DEFAULT, centre="sh").to_dict())
    assert render(chosen, "en") == (
        "area code 021 shared by sh, sh-pd; menu; max tries reached; default centre sh"
    )
    zh = "区号 021 由 sh、sh-pd 共用；语音菜单；已达最大尝试次数；默认中心 sh"
    assert render(chosen, "zh") == zh


# stored text -> the reason read back
STORED = [
    ('{"code":"closed_weekend"}', Reason.of(Code.CLOSED_WEEKEND)),
    ('{"code":"closed_holiday","name":"春节"}', Reason.of(Code.CLOSED_HOLIDAY, name="春节")),
    ("closed: weekend", Reason.of(Code.LEGACY, text="closed: weekend")),  # prose
    ('{"code":"no_such_code"}', Reason.of(Code.LEGACY, text='{"code":"no_such_code"}')),
    ("[1, 2]", Reason.of(Code.LEGACY, text="[1, 2]")),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "reason"), STORED)
def test_parse_stored(text, reason):
    assert parse_stored(text) == reason


def test_stored_form_is_compact_json_of_the_code():
    reason = Reason.of(Code.CLOSED_BREAK, start="12:00", end="13:30")
    assert reason.to_json() == '{"code":"closed_break","start":"12:00","end":"13:30"}'
    assert stored("closed: weekend") == '{"code":"legacy","text":"closed: weekend"}'
    assert stored(reason.to_json()) == reason.to_json()


def test_a_long_note_is_shortened_to_fit_the_column():
    reason = Reason.of(Code.OPEN_SPECIAL_HOURS, range="09:00–12:00", note="很长的说明" * 80)
    fitted = reason.to_json(255)
    assert len(fitted) <= 255
    data = json.loads(fitted)
    assert data["code"] == "open_special_hours" and data["range"] == "09:00–12:00"
    assert data["note"].endswith("…") and data["note"].startswith("很长的说明")
    with pytest.raises(ValueError, match="cannot fit"):
        Reason.of(Code.CLOSED_WEEKEND).to_json(5)


# --- migration 0006 --------------------------------------------------------------------

# prose stored before codes -> the code and parameters migration 0006 gives it
OLD_OPEN_REASONS = [
    ("open: working hours 09:00–12:00", {"code": "open_hours", "range": "09:00–12:00"}),
    ("open: make-up working day 2026-02-14", {"code": "open_makeup_day", "date": "2026-02-14"}),
    ("open: special hours 10:00–12:00 (国庆值班)",
     {"code": "open_special_hours", "range": "10:00–12:00", "note": "国庆值班"}),
    ("closed: local closure 停电检修", {"code": "closed_local", "note": "停电检修"}),
    ("closed: local closure", {"code": "closed_local", "note": ""}),
    ("closed: statutory holiday 国庆节", {"code": "closed_holiday", "name": "国庆节"}),
    ("closed: make-up working day but no weekday opening hours",
     {"code": "closed_makeup_no_hours"}),
    ("closed: weekend", {"code": "closed_weekend"}),
    ("closed: no opening hours on wed", {"code": "closed_no_hours", "weekday": "wed"}),
    ("closed: before opening 09:00", {"code": "closed_before_opening", "opens": "09:00"}),
    ("closed: after closing 12:00 (special hours: 年终盘点，下午休息)",
     {"code": "closed_after_closing", "closes": "12:00", "special": "年终盘点，下午休息"}),
    ("closed: lunch break 12:00–13:30",
     {"code": "closed_break", "start": "12:00", "end": "13:30"}),
    ("closed: outside opening hours", {"code": "closed_outside_hours"}),
    ("open", {"code": "legacy", "text": "open"}),
    ("非工作时间", {"code": "legacy", "text": "非工作时间"}),
]  # fmt: skip
OLD_FAILURE_REASONS = [
    ("FastAGI unavailable or failed: fallback greeting and national voicemail",
     {"code": "fallback_national"}),
    ("FastAGI unavailable: fallback greeting and national voicemail (reconciled)",
     {"code": "fallback_national", "reconciled": True}),
    ("FastAGI unavailable or failed: the dialplan's fallback routed the call to bj",
     {"code": "fallback_dialplan", "centre": "bj"}),
    ("FastAGI unavailable: the dialplan's fallback routed the call to bj (reconciled)",
     {"code": "fallback_dialplan", "centre": "bj", "reconciled": True}),
    ("call ended in unknown step 'xyz'", {"code": "unknown_step", "step": "xyz"}),
    ("reconciled: call ended in unknown step ''",
     {"code": "unknown_step", "step": "", "reconciled": True}),
    ("reconciled: the call's end was never recorded (Asterisk stopped with it up)",
     {"code": "cut_off"}),
    ("AGI timeout", {"code": "legacy", "text": "AGI timeout"}),
]  # fmt: skip


@pytest.mark.parametrize(("old", "expected"), OLD_OPEN_REASONS)
def test_migration_reads_old_open_reasons(old, expected):
    assert M0006.code_of(old, M0006.OPEN_PATTERNS) == expected


@pytest.mark.parametrize(("old", "expected"), OLD_FAILURE_REASONS)
def test_migration_reads_old_failure_reasons(old, expected):
    assert M0006.code_of(old, M0006.FAILURE_PATTERNS) == expected


MIGRATED_CODES = {c for c, _ in (*M0006.OPEN_PATTERNS, *M0006.FAILURE_PATTERNS)}
# The rows whose English is what calls held before 0006 (the old prose said "wed", not
# "Wednesday": closed_no_hours is read by its own row above).
OLD_PROSE_ROWS = [
    row for row in RENDERED if row[0] in MIGRATED_CODES and row[0] is not Code.CLOSED_NO_HOURS
]


@pytest.mark.parametrize(("code", "params", "en", "zh"), OLD_PROSE_ROWS, ids=lambda v: str(v)[:30])
def test_the_english_rendering_is_the_old_prose_the_migration_reads(code, params, en, zh):
    """The CLI's English is what the server stored before; the migration reads it back."""
    opening = code.value.startswith(("open", "closed"))
    read = M0006.code_of(en, M0006.OPEN_PATTERNS if opening else M0006.FAILURE_PATTERNS)
    expected = {"code": code.value, **params}
    if code is Code.OPEN_MAKEUP_DAY:
        expected.pop("range")  # the old prose did not name the range
    assert read == expected


def test_the_old_prose_rows_cover_every_migrated_code():
    assert {row[0] for row in OLD_PROSE_ROWS} == MIGRATED_CODES - {Code.CLOSED_NO_HOURS}


T0 = dt.datetime(2026, 12, 1, 2, 0)


def _insert(connection, n: int, open_reason: str | None, failure_reason: str | None) -> None:
    connection.execute(
        text(
            "INSERT INTO calls (uniqueid, linkedid, started_at, dialled_number, source,"
            " created_at, updated_at, open_reason, failure_reason)"
            " VALUES (:u, :u, :t, '12330', 'agi', :t, :t, :o, :f)"
        ),
        {"u": f"1.{n}", "t": T0, "o": open_reason, "f": failure_reason},
    )


def test_migration_0006_converts_stored_rows_and_back(db_url):
    upgrade(db_url, "0005")
    engine = make_engine(db_url)
    long_note = "年终盘点" * 60
    rows = [
        ("closed: statutory holiday 国庆节", None),
        ("open: working hours 09:00–12:00", "AGI timeout"),
        (f"closed: local closure {long_note}"[:255], None),
        (None, "reconciled: the call's end was never recorded (Asterisk stopped with it up)"),
    ]
    try:
        with engine.begin() as connection:
            for n, (open_reason, failure_reason) in enumerate(rows):
                _insert(connection, n, open_reason, failure_reason)
        upgrade(db_url)
        with engine.connect() as connection:
            got = connection.execute(
                text("SELECT open_reason, failure_reason FROM calls ORDER BY id")
            ).all()
        assert [(parse_stored(o), parse_stored(f)) for o, f in got[:2]] == [
            (Reason.of(Code.CLOSED_HOLIDAY, name="国庆节"), None),
            (
                Reason.of(Code.OPEN_HOURS, range="09:00–12:00"),
                Reason.of(Code.LEGACY, text="AGI timeout"),
            ),
        ]
        long_reason = parse_stored(got[2][0])
        assert long_reason is not None and long_reason.code is Code.CLOSED_LOCAL
        assert len(got[2][0]) <= 255 and long_reason.params["note"].endswith("…")
        assert got[3] == (None, '{"code":"cut_off"}')
        upgrade(db_url)  # a second upgrade changes nothing
        downgrade(db_url, "0005")
        with engine.connect() as connection:
            back = connection.execute(
                text("SELECT open_reason, failure_reason FROM calls ORDER BY id")
            ).all()
        assert back[0] == ("closed: statutory holiday 国庆节", None)
        assert back[1] == ("open: working hours 09:00–12:00", "AGI timeout")
        assert back[3][1] == rows[3][1]
    finally:
        engine.dispose()
