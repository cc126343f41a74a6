"""Directory and CalendarOverrides built in Python for the routing tests (no files)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from config.model import (
    WEEKDAYS,
    CalendarOverrides,
    Centre,
    DayKind,
    Directory,
    Line,
    LineKind,
    LocalEntry,
    LocalKind,
    Menu,
    MenuOption,
    NationalEntry,
    Prompts,
    TimeRange,
    YearInfo,
)

CHINA = dt.timezone(dt.timedelta(hours=8), "CST")


def ranges(*texts: str) -> tuple[TimeRange, ...]:
    """ranges("09:00-12:00", "13:30-17:30")"""
    out = []
    for text in texts:
        start, end = text.split("-")
        out.append(TimeRange(dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
    return tuple(out)


def week(**days: tuple[TimeRange, ...]) -> tuple[tuple[TimeRange, ...], ...]:
    """week(mon=ranges(...), ...); days not named are closed."""
    unknown = set(days) - set(WEEKDAYS)
    assert not unknown, unknown
    return tuple(days.get(name, ()) for name in WEEKDAYS)


OFFICE_DAY = ranges("09:00-12:00", "13:30-17:30")
OFFICE_WEEK = week(mon=OFFICE_DAY, tue=OFFICE_DAY, wed=OFFICE_DAY, thu=OFFICE_DAY, fri=OFFICE_DAY)
SH_DAY = ranges("09:00-11:30", "13:00-17:00")


def centre(
    centre_id: str,
    province: str,
    area_codes: tuple[str, ...],
    hours: tuple[tuple[TimeRange, ...], ...] = OFFICE_WEEK,
    label: str = "",
) -> Centre:
    lines = tuple(Line(LineKind.PJSIP, f"{centre_id}-op{n}") for n in range(1, 6))
    return Centre(
        id=centre_id,
        name=f"{label or centre_id}知识产权维权援助中心",
        province=province,
        area_codes=area_codes,
        lines=lines,
        hours=hours,
        prompts=Prompts(menu_label=label),
    )


def sample_directory() -> Directory:
    centres = (
        centre("bj", "北京", ("010",), label="北京市"),
        centre(
            "sh",
            "上海",
            ("021",),
            week(mon=SH_DAY, tue=SH_DAY, wed=SH_DAY, thu=SH_DAY, fri=SH_DAY),
            label="上海市",
        ),
        centre("sh-pd", "上海", ("021",), label="浦东新区"),
        centre("sh-cp", "上海", ("021",), label="中国上海知识产权保护中心"),
        centre("gd", "广东", ("020",), label="广东省"),
        # Shenzhen also answers on Saturday mornings; closed Wednesdays afternoon only.
        centre(
            "sz",
            "广东",
            ("0755",),
            week(
                mon=OFFICE_DAY,
                tue=OFFICE_DAY,
                wed=ranges("09:00-12:00"),
                thu=OFFICE_DAY,
                fri=OFFICE_DAY,
                sat=ranges("09:00-12:00"),
            ),
            label="深圳市",
        ),
        # Only a Tuesday clinic: make-up days use the first weekday with hours.
        centre("js", "江苏", ("025", "0512"), week(tue=ranges("10:00-16:00")), label="江苏省"),
    )
    shanghai_menu = Menu(
        area_code="021",
        options=(
            MenuOption("1", "sh", "上海市知识产权维权援助中心"),
            MenuOption("2", "sh-pd", "浦东新区知识产权维权援助中心"),
            MenuOption("3", "sh-cp", "中国上海知识产权保护中心"),
        ),
        default_centre_id="sh",
        max_tries=3,
        timeout_seconds=5,
    )
    area_provinces = {
        "010": "北京",
        "021": "上海",
        "020": "广东",
        "0755": "广东",
        "0757": "广东",
        "025": "江苏",
        "0512": "江苏",
        "0513": "江苏",
        "0591": "福建",  # a province without a fallback centre
    }
    return Directory(
        centres=centres,
        menus=(shanghai_menu,),
        province_fallbacks={"北京": "bj", "上海": "sh", "广东": "gd", "江苏": "js"},
        area_provinces=area_provinces,
        national_fallback="bj",
    )


def sample_calendar() -> CalendarOverrides:
    d = dt.date
    return CalendarOverrides(
        national=(
            # An override beats chinesecalendar (2026-06-01 is an ordinary Monday there).
            NationalEntry(d(2026, 6, 1), DayKind.HOLIDAY, "测试调休假"),
            # 2027 is not in chinesecalendar 1.11: overrides close/open single dates.
            NationalEntry(d(2027, 10, 1), DayKind.HOLIDAY, "国庆节"),
            NationalEntry(d(2027, 10, 9), DayKind.WORKDAY, "国庆节"),
            # 2028 is marked complete below.
            NationalEntry(d(2028, 10, 2), DayKind.HOLIDAY, "国庆节"),
        ),
        local=(
            LocalEntry(
                "sh", d(2026, 12, 31), LocalKind.HOURS, "年终盘点，下午休息", ranges("09:00-12:00")
            ),
            LocalEntry("bj", d(2026, 10, 1), LocalKind.HOURS, "国庆值班", ranges("10:00-12:00")),
            LocalEntry("bj", d(2026, 3, 10), LocalKind.CLOSED, "停电检修"),
        ),
        years=(
            YearInfo(2026, True, "国务院办公厅关于2026年部分节假日安排的通知"),
            YearInfo(2027, False, ""),
            YearInfo(2028, True, "测试：2028年安排"),
        ),
    )


def at(text: str) -> dt.datetime:
    """An aware instant: "2026-10-01T10:00" means China time; an explicit offset is kept."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=CHINA)


DEFAULTS_DIR = Path(__file__).resolve().parent.parent / "config" / "defaults"

# A calendar file for the CLI tests: 2026 comes from chinesecalendar, 2027 has one
# override only, Shanghai has a local half day.
CLI_CALENDAR_TOML = """
[[year]]
year = 2027
complete = false

[[national]]
date = 2027-10-01
kind = "holiday"
name = "国庆节"

[[local]]
centre = "sh"
date = 2026-12-31
kind = "hours"
hours = ["09:00-12:00"]
reason = "年终盘点，下午休息"
"""


def _centre_toml(centre_id: str, province: str, area_code: str, label: str, extra: str = "") -> str:
    lines = ", ".join(f'"pjsip:{centre_id}-op{n}"' for n in range(1, 6))
    return (
        f'[[centre]]\nid = "{centre_id}"\nname = "{label}知识产权维权援助中心"\n'
        f'province = "{province}"\narea_codes = ["{area_code}"]\nlines = [{lines}]\n{extra}'
        f'[centre.prompts]\nmenu_label = "{label}"\n\n'
    )


# A centres file for the CLI tests, the file form of part of sample_directory().
_SH_HOURS = "".join(f'{d} = ["09:00-11:30", "13:00-17:00"]\n' for d in WEEKDAYS[:5])
CLI_CENTRES_TOML = (
    '[national]\nfallback = "bj"\n\n[defaults.hours]\n'
    + "".join(f'{d} = ["09:00-12:00", "13:30-17:30"]\n' for d in WEEKDAYS[:5])
    + "sat = []\nsun = []\n\n"
    + '[[province]]\nname = "北京"\nfallback = "bj"\narea_codes = ["010"]\n\n'
    + '[[province]]\nname = "上海"\nfallback = "sh"\narea_codes = ["021"]\n\n'
    + '[[province]]\nname = "广东"\nfallback = "gd"\narea_codes = ["020", "0755", "0757"]\n\n'
    + _centre_toml("bj", "北京", "010", "北京市")
    + _centre_toml("sh", "上海", "021", "上海市", f"[centre.hours]\n{_SH_HOURS}")
    + _centre_toml("sh-pd", "上海", "021", "浦东新区")
    + _centre_toml("sh-cp", "上海", "021", "中国上海知识产权保护中心")
    + _centre_toml("gd", "广东", "020", "广东省")
    + _centre_toml("sz", "广东", "0755", "深圳市")
    + '[[menu]]\narea_code = "021"\ndefault = "sh"\nmax_tries = 3\ntimeout = 5\n'
    + 'options = { "1" = "sh", "2" = "sh-pd", "3" = "sh-cp" }\n'
)


def write_settings(directory: Path, calendar_toml: str = CLI_CALENDAR_TOML) -> Path:
    """A settings file using the test centres, the sample categories and the given calendar."""
    calendar = directory / "calendar.toml"
    calendar.write_text(calendar_toml, encoding="utf-8")
    centres = directory / "centres.toml"
    centres.write_text(CLI_CENTRES_TOML, encoding="utf-8")
    settings = directory / "settings.toml"
    settings.write_text(
        f'data_dir = "{directory / "data"}"\n'
        f'centres_file = "{centres}"\n'
        f'calendar_file = "{calendar}"\n'
        f'categories_file = "{DEFAULTS_DIR / "categories.toml"}"\n',
        encoding="utf-8",
    )
    return settings
