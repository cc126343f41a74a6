"""load_config: every error class is reported with file, key path and reason; valid sets load."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from config.loader import ConfigInvalid, LoadedConfig, Problem, load_config
from config.model import LineKind, LocalKind, RingStrategy, TimeRange
from config.settings import Settings, load_settings

WORKWEEK = ["09:00-12:00", "13:30-17:30"]


def centre(cid: str, province: str, area_codes: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "name": f"{cid}知识产权维权援助中心",
        "province": province,
        "area_codes": area_codes,
        "lines": [f"pjsip:{cid}-op{i}" for i in range(1, 6)],
        "prompts": {"menu_label": f"{cid}中心"},
        **extra,
    }


def base_centres() -> dict[str, Any]:
    return {
        "national": {"fallback": "aa"},
        "defaults": {
            "ring_strategy": "ringall",
            "ring_timeout": 25,
            "hours": {
                **{day: list(WORKWEEK) for day in ("mon", "tue", "wed", "thu", "fri")},
                "sat": [],
                "sun": [],
            },
        },
        "province": [
            {"name": "甲省", "fallback": "aa", "area_codes": ["010", "0571"]},
            {"name": "乙省", "fallback": "bb", "area_codes": ["021", "022"]},
        ],
        "centre": [
            centre("aa", "甲省", ["010", "0571"]),
            centre("bb", "乙省", ["021"], hours={"mon": ["08:30-12:00"]}),
            centre(
                "cc",
                "乙省",
                ["021", "022"],
                lines=[f"landline:0222330100{i}@trunk-cc" for i in range(1, 6)],
                ring_timeout=30,
            ),
        ],
        "menu": [
            {
                "area_code": "021",
                "default": "bb",
                "max_tries": 3,
                "timeout": 5,
                "options": {"1": "bb", "2": "cc"},
            }
        ],
    }


def base_calendar() -> dict[str, Any]:
    return {
        "year": [{"year": 2026, "complete": True, "source": "国务院办公厅通知"}],
        "national": [
            {"date": dt.date(2026, 1, 1), "kind": "holiday", "name": "元旦"},
            {"date": dt.date(2026, 1, 4), "kind": "workday", "name": "元旦调休上班"},
        ],
        "local": [
            {
                "centre": "bb",
                "date": dt.date(2026, 12, 31),
                "kind": "hours",
                "hours": ["09:00-12:00"],
                "reason": "年终盘点",
            },
            {"centre": "aa", "date": dt.date(2026, 6, 1), "kind": "closed", "reason": "搬迁"},
        ],
    }


def entry(code: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "label_zh": label, "gloss_en": code.replace("_", " "), **extra}


def base_categories() -> dict[str, Any]:
    return {
        "ip_type": [
            entry("patent", "专利"),
            entry("patent_invention", "发明", parent="patent"),
            entry("trademark", "商标"),
        ],
        "caller_role": [entry("right_holder", "权利人")],
        "caller_entity": [entry("enterprise", "企业", flags=["sme"]), entry("individual", "个人")],
        "service_type": [entry("consultation", "咨询")],
    }


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _STEP.findall(path)]


def set_at(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = _steps(path)
    node: Any = data
    for step in parents:
        node = node[step]
    if isinstance(node, list) and last == len(node):
        node.append(value)
    else:
        node[last] = value


def delete_at(data: dict[str, Any], path: str) -> None:
    *parents, last = _steps(path)
    node: Any = data
    for step in parents:
        node = node[step]
    del node[last]


DELETE = object()


class ConfigFiles:
    """A config file set in tmp_path; edit the dicts, then load()."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.centres = base_centres()
        self.calendar = base_calendar()
        self.categories = base_categories()
        self.prompts_dir = root / "data" / "prompts"
        self.prompts_dir.mkdir(parents=True)
        for name in ("greeting", "voicemail"):
            (self.prompts_dir / f"{name}.wav").write_bytes(b"RIFF")
        self.settings_file = root / "settings.toml"
        self.settings_file.write_text(
            'data_dir = "data"\n'
            'centres_file = "centres.toml"\n'
            'calendar_file = "calendar.toml"\n'
            'categories_file = "categories.toml"\n',
            encoding="utf-8",
        )

    def path(self, which: str) -> Path:
        return self.root / f"{which}.toml"

    def edit(self, which: str, path: str, value: Any) -> None:
        data = getattr(self, which)
        if value is DELETE:
            delete_at(data, path)
        else:
            set_at(data, path, value)

    def write(self) -> Settings:
        for which in ("centres", "calendar", "categories"):
            self.path(which).write_bytes(tomli_w.dumps(getattr(self, which)).encode())
        return load_settings(self.settings_file, environ={})

    def load(self, *, check_prompts: bool = True) -> LoadedConfig:
        return load_config(self.write(), check_prompts=check_prompts)

    def problems(self, *, check_prompts: bool = True) -> list[Problem]:
        with pytest.raises(ConfigInvalid) as caught:
            self.load(check_prompts=check_prompts)
        return caught.value.problems


@pytest.fixture
def files(tmp_path: Path) -> ConfigFiles:
    return ConfigFiles(tmp_path)


def assert_reported(problems: list[Problem], file: Path, key: str, reason: str) -> None:
    matches = [p for p in problems if p.key == key and reason in p.reason]
    listing = "\n".join(str(p) for p in problems)
    assert matches, f"no problem {key!r} ~ {reason!r}; got:\n{listing}"
    assert all(p.file == str(file) for p in matches)


def test_base_config_loads(files: ConfigFiles) -> None:
    loaded = files.load()
    directory = loaded.directory
    assert [c.id for c in directory.centres] == ["aa", "bb", "cc"]
    assert directory.national_fallback == "aa"
    assert directory.province_fallbacks == {"甲省": "aa", "乙省": "bb"}
    assert directory.area_provinces == {"010": "甲省", "0571": "甲省", "021": "乙省", "022": "乙省"}
    bb, cc = directory.centre("bb"), directory.centre("cc")
    # bb overrides Monday only; the other days come from [defaults.hours].
    assert bb.hours[0] == (TimeRange(dt.time(8, 30), dt.time(12)),)
    assert bb.hours[1] == (
        TimeRange(dt.time(9), dt.time(12)),
        TimeRange(dt.time(13, 30), dt.time(17, 30)),
    )
    assert bb.hours[5] == ()
    assert (cc.ring_timeout, bb.ring_timeout, bb.ring_strategy) == (30, 25, RingStrategy.RINGALL)
    assert cc.lines[0].kind is LineKind.LANDLINE
    assert (cc.lines[0].target, cc.lines[0].trunk) == ("02223301001", "trunk-cc")
    menu = directory.menu_for_area("021")
    assert menu is not None
    assert [(o.digit, o.centre_id, o.label) for o in menu.options] == [
        ("1", "bb", "bb中心"),
        ("2", "cc", "cc中心"),
    ]
    # 022 is served by cc alone: no menu.
    assert directory.menu_for_area("022") is None
    assert loaded.calendar.local_on("bb", dt.date(2026, 12, 31)).kind is LocalKind.HOURS
    assert loaded.calendar.year_info(2026).complete is True
    assert [c.code for c in loaded.categories.lists["ip_type"]] == [
        "patent",
        "patent_invention",
        "trademark",
    ]
    assert loaded.categories.lists["caller_entity"][0].flags == ("sme",)


# (row id, file, edits [(path, value or DELETE)], expected key, reason substring)
ERROR_ROWS: list[tuple[str, str, list[tuple[str, Any]], str, str]] = [
    # unknown keys (typo protection)
    ("unknown-centre-key", "centres", [("centre[1].rign_timeout", 30)], "centre[1].rign_timeout",
     "未知的键"),
    ("unknown-top-key", "centres", [("menus", [])], "menus", "未知的键"),
    ("unknown-prompt-key", "centres", [("centre[0].prompts.greting", "x")],
     "centre[0].prompts.greting", "未知的键"),
    # missing required keys
    ("missing-lines", "centres", [("centre[0].lines", DELETE)], "centre[0].lines", "缺少必填的键"),
    ("missing-id", "centres", [("centre[2].id", DELETE)], "centre[2].id", "缺少必填的键"),
    ("missing-national", "centres", [("national", DELETE)], "national", "缺少必填的键"),
    ("missing-fallback", "centres", [("national.fallback", DELETE)], "national.fallback",
     "缺少必填的键"),
    ("missing-menu-options", "centres", [("menu[0].options", DELETE)], "menu[0].options",
     "缺少必填的键"),
    # wrong types
    ("timeout-as-string", "centres", [("centre[0].ring_timeout", "30")], "centre[0].ring_timeout",
     "应为整数"),
    ("timeout-as-bool", "centres", [("defaults.ring_timeout", True)], "defaults.ring_timeout",
     "应为整数"),
    ("area-codes-as-string", "centres", [("centre[0].area_codes", "010")], "centre[0].area_codes",
     "应为字符串数组"),
    ("area-code-as-int", "centres", [("centre[0].area_codes[0]", 10)], "centre[0].area_codes[0]",
     "应为字符串"),
    ("centre-as-table", "centres", [("centre", {"id": "aa"})], "centre", "表数组"),
    ("hours-as-array", "centres", [("centre[1].hours", ["09:00-12:00"])], "centre[1].hours",
     "应为表"),
    # malformed area codes (010, 02X, 0[3-9]XX)
    ("area-01", "centres", [("centre[0].area_codes[0]", "01")], "centre[0].area_codes[0]",
     "不是有效的区号"),
    ("area-0123", "centres", [("centre[0].area_codes[0]", "0123")], "centre[0].area_codes[0]",
     "不是有效的区号"),
    ("area-011", "centres", [("centre[0].area_codes[0]", "011")], "centre[0].area_codes[0]",
     "不是有效的区号"),
    ("area-12345", "centres", [("centre[0].area_codes[1]", "12345")], "centre[0].area_codes[1]",
     "不是有效的区号"),
    ("area-02a", "centres", [("centre[0].area_codes[1]", "02a")], "centre[0].area_codes[1]",
     "不是有效的区号"),
    ("area-057", "centres", [("centre[0].area_codes[1]", "057")], "centre[0].area_codes[1]",
     "不是有效的区号"),
    ("province-area-bad", "centres", [("province[0].area_codes[1]", "571")],
     "province[0].area_codes[1]", "不是有效的区号"),
    ("menu-area-bad", "centres", [("menu[0].area_code", "21")], "menu[0].area_code",
     "不是有效的区号"),
    ("no-area-codes", "centres", [("centre[0].area_codes", [])], "centre[0].area_codes",
     "至少要有一个区号"),
    # centre ids
    ("duplicate-centre-id", "centres", [("centre[2].id", "bb")], "centre[2].id", "重复"),
    ("bad-centre-id", "centres", [("centre[0].id", "AA x")], "centre[0].id", "中心编号"),
    ("duplicate-area-in-centre", "centres", [("centre[0].area_codes", ["010", "0571", "010"])],
     "centre[0].area_codes[2]", "区号 010 重复"),
    # line counts
    ("four-lines", "centres", [("centre[0].lines", [f"pjsip:aa-op{i}" for i in range(4)])],
     "centre[0].lines", "给出 4 条线路"),
    ("six-lines", "centres", [("centre[0].lines", [f"pjsip:aa-op{i}" for i in range(6)])],
     "centre[0].lines", "每个中心应有 5 条"),
    ("allowed-count-mismatch", "centres",
     [("centre[0].lines", [f"pjsip:aa-op{i}" for i in range(4)]),
      ("centre[0].allowed_line_count", 3)],
     "centre[0].lines", "allowed_line_count = 3"),
    ("allowed-count-zero", "centres", [("centre[0].allowed_line_count", 0)],
     "centre[0].allowed_line_count", "超出范围"),
    # line specs
    ("line-kind-unknown", "centres", [("centre[0].lines[0]", "sip:aa-op1")], "centre[0].lines[0]",
     "线路类型 'sip' 未知"),
    ("line-no-kind", "centres", [("centre[0].lines[0]", "aa-op1")], "centre[0].lines[0]",
     "不是线路格式"),
    ("landline-no-trunk", "centres", [("centre[2].lines[4]", "landline:02223301005")],
     "centre[2].lines[4]", "缺少中继"),
    ("landline-empty-trunk", "centres", [("centre[2].lines[4]", "landline:02223301005@")],
     "centre[2].lines[4]", "缺少中继"),
    ("landline-bad-digits", "centres", [("centre[2].lines[4]", "landline:0222-33@trunk-cc")],
     "centre[2].lines[4]", "固话号码"),
    ("pjsip-bad-chars", "centres", [("centre[0].lines[2]", "pjsip:aa op3")], "centre[0].lines[2]",
     "PJSIP 终端名"),
    ("pjsip-slash", "centres", [("centre[0].lines[2]", "pjsip:aa/op3")], "centre[0].lines[2]",
     "PJSIP 终端名"),
    ("duplicate-line-across", "centres", [("centre[1].lines[3]", "pjsip:aa-op1")],
     "centre[1].lines[3]", "已用于 centre[0].lines[0]"),
    ("duplicate-landline-other-trunk", "centres",
     [("centre[1].lines[0]", "landline:02223301001@trunk-b")], "centre[2].lines[0]",
     "已用于 centre[1].lines[0]"),
    # hours
    ("time-one-digit-hour", "centres", [("defaults.hours.mon[0]", "9:00-12:00")],
     "defaults.hours.mon[0]", "不是时间段"),
    ("time-impossible", "centres", [("centre[1].hours.mon[0]", "08:30-24:00")],
     "centre[1].hours.mon[0]", "不存在的时刻"),
    ("time-end-before-start", "centres", [("defaults.hours.tue[1]", "17:30-13:30")],
     "defaults.hours.tue[1]", "结束时间不晚于开始时间"),
    ("time-empty-range", "centres", [("defaults.hours.tue[1]", "13:30-13:30")],
     "defaults.hours.tue[1]", "结束时间不晚于开始时间"),
    ("hours-overlap", "centres", [("centre[1].hours.mon", ["11:00-13:00", "09:00-12:00"])],
     "centre[1].hours.mon[0]", "与 09:00–12:00 重叠"),
    ("unknown-weekday", "centres", [("centre[1].hours.monday", ["09:00-12:00"])],
     "centre[1].hours.monday", "未知的键"),
    ("unknown-default-weekday", "centres", [("defaults.hours.tues", [])], "defaults.hours.tues",
     "未知的键"),
    ("never-open", "centres",
     [("defaults.hours", {}), ("centre[1].hours", DELETE)], "centre[0].hours", "每天都不开放"),
    # ring settings
    ("ring-timeout-low", "centres", [("centre[0].ring_timeout", 4)], "centre[0].ring_timeout",
     "4 超出范围 5..300"),
    ("ring-timeout-high", "centres", [("defaults.ring_timeout", 301)], "defaults.ring_timeout",
     "301 超出范围 5..300"),
    ("ring-strategy-unknown", "centres", [("centre[0].ring_strategy", "random")],
     "centre[0].ring_strategy", "未知的振铃策略"),
    # menus
    ("menu-centre-twice", "centres", [("menu[0].options.3", "bb")], "menu[0].options.3",
     "已占用按键 1"),
    ("menu-digit-two-chars", "centres", [("menu[0].options", {"1": "bb", "12": "cc"})],
     "menu[0].options.12", "不是 1-9 中的单个数字"),
    ("menu-digit-zero", "centres", [("menu[0].options", {"1": "bb", "0": "cc"})],
     "menu[0].options.0", "不是 1-9 中的单个数字"),
    ("menu-digit-star", "centres", [("menu[0].options", {"1": "bb", "*": "cc"})],
     "menu[0].options.*", "不是 1-9 中的单个数字"),
    ("menu-option-not-serving", "centres", [("menu[0].options.3", "aa")], "menu[0].options.3",
     "不服务区号 021"),
    ("menu-option-unknown", "centres", [("menu[0].options.3", "zz")], "menu[0].options.3",
     "未知的中心 'zz'"),
    ("menu-missing-centre", "centres", [("menu[0].options", {"1": "bb"})], "menu[0].options",
     "中心 'cc' 服务区号 021，但菜单中没有它的按键"),
    ("menu-default-not-option", "centres", [("menu[0].default", "aa")], "menu[0].default",
     "不在菜单选项中"),
    ("menu-not-shared", "centres",
     [("menu[0].area_code", "0571"), ("menu[0].options", {"1": "aa"}), ("menu[0].default", "aa")],
     "menu[0].area_code", "只有 1 个中心服务"),
    ("menu-unserved", "centres", [("menu[0].area_code", "0755")], "menu[0].area_code",
     "只有 0 个中心服务"),
    ("menu-twice", "centres",
     [("menu[1]", {"area_code": "021", "options": {"1": "bb", "2": "cc"}})],
     "menu[1].area_code", "的菜单已在 menu[0]"),
    ("menu-max-tries-low", "centres", [("menu[0].max_tries", 0)], "menu[0].max_tries", "超出范围"),
    ("menu-max-tries-high", "centres", [("menu[0].max_tries", 10)], "menu[0].max_tries",
     "超出范围"),
    ("menu-timeout-low", "centres", [("menu[0].timeout", 0)], "menu[0].timeout", "超出范围"),
    ("menu-timeout-high", "centres", [("menu[0].timeout", 31)], "menu[0].timeout", "超出范围"),
    # fallbacks and provinces
    ("national-fallback-unknown", "centres", [("national.fallback", "zz")], "national.fallback",
     "未知的中心 'zz'"),
    ("province-fallback-unknown", "centres", [("province[1].fallback", "zz")],
     "province[1].fallback", "兜底中心 'zz' 未知"),
    ("province-area-twice", "centres", [("province[1].area_codes", ["021", "0571"])],
     "province[1].area_codes[1]", "区号 0571 已归属甲省"),
    ("province-declared-twice", "centres", [("province[1].name", "甲省")], "province[1].name",
     "重复声明"),
    ("centre-province-unknown", "centres", [("centre[0].province", "丙省")], "centre[0].province",
     "未知的省份"),
    # prompts
    ("prompt-file-missing", "centres", [("centre[1].prompts.greeting", "greeting-bb")],
     "centre[1].prompts.greeting", "greeting-bb.wav 不存在"),
    ("prompt-name-bad", "centres", [("centre[1].prompts.voicemail", "../voicemail")],
     "centre[1].prompts.voicemail", "提示音名称"),
    ("prompt-name-empty", "centres", [("centre[1].prompts.voicemail", "")],
     "centre[1].prompts.voicemail", "不能为空"),
    # calendar
    ("date-as-string", "calendar", [("national[0].date", "2026-01-01")], "national[0].date",
     "应为日期"),
    ("date-with-time", "calendar", [("national[0].date", dt.datetime(2026, 1, 1, 8))],
     "national[0].date", "应为日期"),
    ("national-conflict", "calendar",
     [("national[2]", {"date": dt.date(2026, 1, 1), "kind": "workday", "name": "x"})],
     "national[2].date", "2026-01-01 此处为 workday，但 national[0] 为 holiday"),
    ("national-kind-unknown", "calendar", [("national[0].kind", "festival")], "national[0].kind",
     "未知的类型 'festival'"),
    ("national-name-missing", "calendar", [("national[0].name", DELETE)], "national[0].name",
     "缺少必填的键"),
    ("national-unknown-key", "calendar", [("national[0].note", "x")], "national[0].note",
     "未知的键"),
    ("local-unknown-centre", "calendar", [("local[0].centre", "zz")], "local[0].centre",
     "未知的中心 'zz'"),
    ("local-hours-missing", "calendar", [("local[0].hours", DELETE)], "local[0].hours",
     "缺少必填的键"),
    ("local-hours-empty", "calendar", [("local[0].hours", [])], "local[0].hours",
     "至少要有一个时间段"),
    ("local-closed-with-hours", "calendar", [("local[1].hours", ["09:00-10:00"])],
     "local[1].hours", "不能有 hours"),
    ("local-hours-bad", "calendar", [("local[0].hours", ["09:00-08:00"])], "local[0].hours[0]",
     "结束时间不晚于开始时间"),
    ("local-kind-unknown", "calendar", [("local[1].kind", "open")], "local[1].kind",
     "未知的类型 'open'"),
    ("local-twice", "calendar",
     [("local[1].centre", "bb"), ("local[1].date", dt.date(2026, 12, 31))],
     "local[1].date", "已在 local[0] 列出"),
    ("local-reason-empty", "calendar", [("local[1].reason", " ")], "local[1].reason", "不能为空"),
    ("year-as-string", "calendar", [("year[0].year", "2026")], "year[0].year", "应为整数"),
    ("year-out-of-range", "calendar", [("year[0].year", 1800)], "year[0].year", "超出范围"),
    ("year-complete-not-bool", "calendar", [("year[0].complete", "yes")], "year[0].complete",
     "应为布尔值"),
    ("year-complete-missing", "calendar", [("year[0].complete", DELETE)], "year[0].complete",
     "缺少必填的键"),
    ("year-complete-without-source", "calendar", [("year[0].source", DELETE)], "year[0].source",
     "缺少必填的键"),
    ("year-twice", "calendar", [("year[1]", {"year": 2026, "complete": False})], "year[1].year",
     "已在 year[0] 说明"),
    ("year-unknown-key", "calendar", [("year[0].completed", True)], "year[0].completed",
     "未知的键"),
    # categories
    ("category-duplicate-code", "categories", [("ip_type[2].code", "patent")], "ip_type[2].code",
     "代码 'patent' 重复"),
    ("category-unknown-parent", "categories", [("ip_type[1].parent", "patents")],
     "ip_type[1].parent", "没有上级代码 'patents'"),
    ("category-parent-other-list", "categories", [("caller_role[0].parent", "patent")],
     "caller_role[0].parent", "没有上级代码 'patent'"),
    ("category-parent-is-subtype", "categories",
     [("ip_type[2].parent", "patent_invention")], "ip_type[2].parent", "本身是子类"),
    ("category-empty-label", "categories", [("caller_role[0].label_zh", "")],
     "caller_role[0].label_zh", "不能为空"),
    ("category-missing-gloss", "categories", [("caller_role[0].gloss_en", DELETE)],
     "caller_role[0].gloss_en", "缺少必填的键"),
    ("category-bad-code", "categories", [("caller_role[0].code", "Right Holder")],
     "caller_role[0].code", "代码 'Right Holder' 无效"),
    ("category-unknown-flag", "categories", [("caller_entity[0].flags", ["smb"])],
     "caller_entity[0].flags[0]", "未知的标记 'smb'"),
    ("category-list-missing", "categories", [("service_type", DELETE)], "service_type",
     "缺少必填的键"),
    ("category-list-empty", "categories", [("service_type", [])], "service_type", "列表为空"),
    ("category-unknown-list", "categories", [("ip_types", [])], "ip_types", "未知的键"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("which", "edits", "key", "reason"),
    [pytest.param(*row[1:], id=row[0]) for row in ERROR_ROWS],
)
def test_each_error_is_reported_with_key_path(
    files: ConfigFiles, which: str, edits: list[tuple[str, Any]], key: str, reason: str
) -> None:
    for path, value in edits:
        files.edit(which, path, value)
    assert_reported(files.problems(), files.path(which), key, reason)


# (row id, file, raw TOML text, expected key, reason substring)
RAW_ROWS = [
    ("centres-syntax", "centres", "[[centre]\nid = 'aa'\n", "line 1", "TOML 格式错误"),
    ("calendar-impossible-date", "calendar",
     "[[national]]\ndate = 2026-02-30\nkind = 'holiday'\nname = 'x'\n", "line 2", "TOML 格式错误"),
    ("categories-double-equals", "categories", "[[ip_type]]\ncode = = 'x'\n", "line 2",
     "TOML 格式错误"),
    ("categories-truncated", "categories", "ip_type = [\n", "end of document", "TOML 格式错误"),
    ("duplicate-toml-key", "centres", "[national]\nfallback = 'a'\nfallback = 'b'\n", "line 3",
     "TOML 格式错误"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("which", "text", "key", "reason"), [pytest.param(*row[1:], id=row[0]) for row in RAW_ROWS]
)
def test_unparsable_files_are_reported(
    files: ConfigFiles, which: str, text: str, key: str, reason: str
) -> None:
    settings = files.write()
    files.path(which).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigInvalid) as caught:
        load_config(settings)
    assert_reported(caught.value.problems, files.path(which), key, reason)


def test_missing_file_is_reported(files: ConfigFiles) -> None:
    settings = files.write()
    files.path("categories").unlink()
    with pytest.raises(ConfigInvalid) as caught:
        load_config(settings)
    assert_reported(caught.value.problems, files.path("categories"), "(file)", "无法读取")


def test_every_problem_in_every_file_is_reported_together(files: ConfigFiles) -> None:
    files.edit("centres", "centre[0].area_codes[0]", "01")
    files.edit("centres", "centre[1].ring_timeout", 1)
    files.edit("centres", "menu[0].default", "aa")
    files.edit("calendar", "local[0].centre", "zz")
    files.edit("categories", "ip_type[0].label_zh", "")
    problems = files.problems()
    assert {(Path(p.file).name, p.key) for p in problems} >= {
        ("centres.toml", "centre[0].area_codes[0]"),
        ("centres.toml", "centre[1].ring_timeout"),
        ("centres.toml", "menu[0].default"),
        ("calendar.toml", "local[0].centre"),
        ("categories.toml", "ip_type[0].label_zh"),
    }
    text = str(ConfigInvalid(problems))
    assert text.count("\n") == len(problems) - 1
    assert f"{files.path('calendar')}: local[0].centre: 未知的中心 'zz'" in text.splitlines()


def test_calendar_is_still_checked_when_centres_file_is_broken(files: ConfigFiles) -> None:
    files.edit("centres", "centre[2].ring_timeout", "x")
    files.edit("calendar", "local[0].centre", "zz")
    problems = files.problems()
    assert_reported(problems, files.path("centres"), "centre[2].ring_timeout", "应为整数")
    assert_reported(problems, files.path("calendar"), "local[0].centre", "未知的中心")


def test_missing_prompts_are_ignored_without_check_prompts(files: ConfigFiles) -> None:
    (files.prompts_dir / "greeting.wav").unlink()
    problems = files.problems()
    assert_reported(problems, files.path("centres"), "centre[0].prompts.greeting", "不存在")
    # One report per missing file, not one per centre using it.
    assert len([p for p in problems if "greeting.wav" in p.reason]) == 1
    assert files.load(check_prompts=False).directory.centre("aa").prompts.greeting == "greeting"


# Variants that must load: (row id, edits on centres, check on the loaded directory)
VALID_ROWS = [
    (
        "allowed-line-count-four",
        [
            ("centre[0].lines", [f"pjsip:aa-op{i}" for i in range(4)]),
            ("centre[0].allowed_line_count", 4),
        ],
        lambda d: len(d.centre("aa").lines) == 4,
    ),
    (
        "adjacent-ranges-do-not-overlap",
        [("centre[1].hours.mon", ["12:00-13:00", "09:00-12:00"])],
        lambda d: [r.label() for r in d.centre("bb").hours[0]] == ["09:00–12:00", "12:00–13:00"],
    ),
    (
        "menu-default-defaults-to-lowest-digit",
        [("menu[0].default", DELETE), ("menu[0].options", {"2": "bb", "1": "cc"})],
        lambda d: d.menu_for_area("021").default_centre_id == "cc",
    ),
    (
        "centre-closed-on-a-day",
        [("centre[0].hours", {"fri": []})],
        lambda d: d.centre("aa").hours[4] == () and len(d.centre("aa").hours[3]) == 2,
    ),
    (
        "ring-strategy-override",
        [("centre[2].ring_strategy", "leastrecent")],
        lambda d: d.centre("cc").ring_strategy is RingStrategy.LEASTRECENT,
    ),
]


@pytest.mark.parametrize(
    ("edits", "check"), [pytest.param(*row[1:], id=row[0]) for row in VALID_ROWS]
)
def test_valid_variants_load(files: ConfigFiles, edits, check) -> None:
    for path, value in edits:
        files.edit("centres", path, value)
    assert check(files.load().directory)


def test_menu_is_derived_for_shared_area_code_without_one(files: ConfigFiles) -> None:
    files.edit("centres", "menu", DELETE)
    files.centres["centre"].append(centre("dd", "乙省", ["022", "021"]))
    del files.centres["centre"][1]["prompts"]  # bb: label falls back to the name
    directory = files.load().directory
    by_area = {m.area_code: m for m in directory.menus}
    assert set(by_area) == {"021", "022"}
    menu = by_area["021"]
    assert [(o.digit, o.centre_id, o.label) for o in menu.options] == [
        ("1", "bb", "bb知识产权维权援助中心"),
        ("2", "cc", "cc中心"),
        ("3", "dd", "dd中心"),
    ]
    assert (menu.default_centre_id, menu.max_tries, menu.timeout_seconds) == ("bb", 3, 5)
    assert [o.centre_id for o in by_area["022"].options] == ["cc", "dd"]


def test_duplicate_national_entry_of_same_kind_is_kept_once(files: ConfigFiles) -> None:
    files.calendar["national"].append(
        {"date": dt.date(2026, 1, 1), "kind": "holiday", "name": "元旦（重复）"}
    )
    national = files.load().calendar.national
    assert [(e.date, e.name) for e in national if e.date == dt.date(2026, 1, 1)] == [
        (dt.date(2026, 1, 1), "元旦")
    ]


def test_shipped_sample_loads_with_expected_properties() -> None:
    loaded = load_config(load_settings(environ={}), check_prompts=False)
    directory = loaded.directory
    area_codes = {code for c in directory.centres for code in c.area_codes}
    assert len(directory.centres) >= 8
    assert len(area_codes) >= 6
    shanghai = directory.centres_for_area("021")
    assert len(shanghai) == 3
    menu = directory.menu_for_area("021")
    assert menu is not None
    assert sorted(o.centre_id for o in menu.options) == sorted(c.id for c in shanghai)
    assert len(directory.centre("js").area_codes) == 2
    tj_lines = directory.centre("tj").lines
    assert tj_lines and all(line.kind is LineKind.LANDLINE and line.trunk for line in tj_lines)
    assert directory.national_fallback in {c.id for c in directory.centres}
    lists = loaded.categories.lists
    assert set(lists) == {"ip_type", "caller_role", "caller_entity", "service_type"}
    patent_children = [c.label_zh for c in lists["ip_type"] if c.parent == "patent"]
    assert patent_children == ["发明", "实用新型", "外观设计", "假冒专利"]
    enterprise = next(c for c in lists["caller_entity"] if c.label_zh == "企业")
    assert "sme" in enterprise.flags
    assert [c.label_zh for c in lists["caller_role"]] == [
        "权利人",
        "涉嫌侵权方",
        "举报人",
        "社会公众",
    ]


def test_shipped_2026_calendar_agrees_with_chinesecalendar() -> None:
    chinese_calendar = pytest.importorskip("chinese_calendar")
    calendar = load_config(load_settings(environ={}), check_prompts=False).calendar
    info = calendar.year_info(2026)
    assert info is not None and info.complete
    entries = [e for e in calendar.national if e.date.year == 2026]
    holidays = {e.date for e in entries if e.kind == "holiday"}
    workdays = {e.date for e in entries if e.kind == "workday"}
    day = dt.date(2026, 1, 1)
    while day.year == 2026:
        # A complete year must list every day off on a weekday and every weekend workday.
        if chinese_calendar.is_holiday(day) and day.weekday() < 5:
            assert day in holidays, day
        if chinese_calendar.is_workday(day) and day.weekday() >= 5:
            assert day in workdays, day
        day += dt.timedelta(days=1)
    assert all(chinese_calendar.is_holiday(d) for d in holidays)
    assert all(chinese_calendar.is_workday(d) for d in workdays)
