"""The dialplan's own fallback data (config/asterisk_fallback.py) as tables, and the
proof that its generated hours agree with routing.open_state minute by minute."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re

import pytest
from routing_fixtures import CHINA, sample_calendar, sample_directory

from agi.fallback_refresh import refresh_fallback
from config.asterisk_fallback import (
    FALLBACK_FILE,
    area_routes,
    asterisk_time_range,
    centre_context,
    fallback_conf,
    menu_context,
)
from config.asterisk_gen import GeneratorError, second_agi_url
from config.model import TimeRange
from config.settings import load_settings
from routing import open_state

DIRECTORY = sample_directory()
CALENDAR = sample_calendar()
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
TIME_LINE = re.compile(
    r"GotoIfTime\((\d\d):(\d\d)-(\d\d):(\d\d),\*,(\d+),([a-z]{3}),Asia/Shanghai\?open\)"
)


def context(conf: str, name: str) -> str:
    """The lines of one [context] of the generated file."""
    start = conf.index(f"[{name}]\n")
    end = conf.find("\n[", start + 1)
    return conf[start : end if end != -1 else len(conf)]


def extension_lines(block: str, exten: str) -> list[str]:
    """The lines of extension `exten` (its first line and its `same =>` lines)."""
    out: list[str] = []
    inside = False
    for line in block.splitlines():
        if line.startswith("exten => "):
            inside = line.startswith(f"exten => {exten},")
        if inside and not line.startswith(";"):
            out.append(line)
    return out


def open_minutes(conf: str, centre_id: str, day: dt.date) -> set[int]:
    """Minutes of `day` the generated GotoIfTime lines of a centre call open, read the way
    Asterisk reads them (both ends of a range included)."""
    minutes: set[int] = set()
    for line in extension_lines(context(conf, centre_context(centre_id)), "hours"):
        found = TIME_LINE.search(line)
        if not found:
            continue
        h1, m1, h2, m2, mday, month = found.groups()
        if (int(mday), MONTHS.index(month) + 1) == (day.day, day.month):
            minutes |= set(range(int(h1) * 60 + int(m1), int(h2) * 60 + int(m2) + 1))
    return minutes


# Every range in the fixtures starts and ends on a multiple of 5 minutes: checking each
# such minute and the one before it covers both sides of every boundary.
SAMPLED_MINUTES = [m for m in range(24 * 60) if m % 5 in (0, 4)]


def server_open_minutes(centre_id: str, day: dt.date) -> set[int]:
    centre = DIRECTORY.centre(centre_id)
    start = dt.datetime.combine(day, dt.time(0, 0), CHINA)
    return {
        minute
        for minute in SAMPLED_MINUTES
        if open_state(centre, CALENDAR, start + dt.timedelta(minutes=minute)).is_open
    }


def hour_ranges(conf: str, centre_id: str, day: dt.date) -> list[str]:
    mday, month = day.day, MONTHS[day.month - 1]
    block = context(conf, centre_context(centre_id))
    return [
        m.group(1)
        for m in re.finditer(
            rf"GotoIfTime\(([0-9:-]+),\*,{mday},{month},Asia/Shanghai\?open\)", block
        )
    ]


D = dt.date
# (what, centre, day, the GotoIfTime ranges written for that day)
HOURS = [
    ("ordinary day with lunch break", "sh", D(2026, 11, 25), ["09:00-11:29", "13:00-16:59"]),
    ("default office hours", "bj", D(2026, 11, 25), ["09:00-11:59", "13:30-17:29"]),
    ("statutory holiday", "sh", D(2026, 10, 1), []),
    ("holiday, local special hours win", "bj", D(2026, 10, 1), ["10:00-11:59"]),
    ("local closure", "bj", D(2026, 3, 10), []),
    ("local half day", "sh", D(2026, 12, 31), ["09:00-11:59"]),
    ("make-up Saturday uses Monday's hours", "bj", D(2026, 2, 14), ["09:00-11:59", "13:30-17:29"]),
    ("make-up Saturday, Tuesday-only centre", "js", D(2026, 2, 14), ["10:00-15:59"]),
    (
        "make-up Saturday ignores Saturday hours",
        "sz",
        D(2026, 2, 28),
        ["09:00-11:59", "13:30-17:29"],
    ),
    ("ordinary Saturday", "bj", D(2026, 11, 28), []),
    ("ordinary Saturday, centre open Saturdays", "sz", D(2026, 11, 28), ["09:00-11:59"]),
    ("Spring Festival weekday", "sz", D(2026, 2, 17), []),
    ("override holiday beats chinesecalendar", "bj", D(2026, 6, 1), []),
]


@pytest.mark.parametrize(("what", "centre_id", "day", "expected"), HOURS, ids=[h[0] for h in HOURS])
def test_hours_written_per_date(what, centre_id, day, expected):
    conf = fallback_conf(DIRECTORY, CALENDAR, day - dt.timedelta(days=3), days=7)
    assert hour_ranges(conf, centre_id, day) == expected


# (first day, days): make-up Saturdays 14 and 28 February around Spring Festival,
# National Day with its local special hours, a local closure, a local half day.
WINDOWS = [
    (D(2026, 2, 13), 4),
    (D(2026, 2, 27), 2),
    (D(2026, 9, 30), 3),
    (D(2026, 3, 10), 1),
    (D(2026, 12, 31), 1),
]


@pytest.mark.parametrize(("first", "days"), WINDOWS, ids=lambda v: str(v))
def test_generated_hours_agree_with_the_server(first, days):
    conf = fallback_conf(DIRECTORY, CALENDAR, first, days=days)
    for centre in DIRECTORY.centres:
        for n in range(days):
            day = first + dt.timedelta(days=n)
            generated = open_minutes(conf, centre.id, day) & set(SAMPLED_MINUTES)
            assert generated == server_open_minutes(centre.id, day), (centre.id, day)


def test_window_bounds_make_older_and_later_days_stale():
    conf = fallback_conf(DIRECTORY, CALENDAR, D(2026, 11, 25))  # 31 days by default
    hours = extension_lines(context(conf, centre_context("bj")), "hours")
    assert "STRFTIME(${EPOCH},Asia/Shanghai,%Y%m%d)" in hours[0]
    assert "GotoIf($[${day} < 20261125 | ${day} > 20261225]?stale)" in hours[1]
    assert hours[-3:] == [
        " same => n,Return(closed)",
        " same => n(open),Return(open)",
        " same => n(stale),Return(stale)",
    ]
    assert "25,dec" in conf and "26,dec" not in conf


@pytest.mark.parametrize("days", [0, 301])
def test_a_window_of_a_year_or_more_is_refused(days):
    # GotoIfTime matches day and month, never the year.
    with pytest.raises(GeneratorError, match="window"):
        fallback_conf(DIRECTORY, CALENDAR, D(2026, 1, 1), days=days)


# (area code, where the fallback sends it): the server's routing.choose_centres.
AREAS = [
    ("010", "bj"),  # one centre
    ("021", "menu"),  # shared: the menu
    ("0512", "js"),  # a centre's second area code
    ("0757", "gd"),  # no centre: the province's fallback
    ("0591", "bj"),  # province without a fallback: the national fallback centre
    ("unknown", "bj"),  # no or unknown area code: the national fallback centre
]


@pytest.mark.parametrize(("area", "route"), AREAS)
def test_area_routes_follow_the_server(area, route):
    assert area_routes(DIRECTORY)[area] == route
    conf = fallback_conf(DIRECTORY, CALENDAR, D(2026, 11, 25), days=1)
    assert f"exten => {area},1,Return({route})\n" in context(conf, "hotline12330-fallback-area")


def test_unknown_area_goes_where_the_centres_file_says():
    elsewhere = dataclasses.replace(DIRECTORY, national_fallback="gd")
    assert area_routes(elsewhere)["unknown"] == "gd"
    assert area_routes(elsewhere)["0591"] == "gd"


# (digit, centre) of the shared code 021, as routing.menu_choice reads them.
MENU_DIGITS = [("1", "sh"), ("2", "sh-pd"), ("3", "sh-cp")]


@pytest.mark.parametrize(("digit", "centre_id"), MENU_DIGITS)
def test_shared_code_menu_has_the_servers_digits(digit, centre_id):
    conf = fallback_conf(DIRECTORY, CALENDAR, D(2026, 11, 25), days=1)
    menu = context(conf, menu_context("021"))
    assert f"exten => {digit},1,Return({centre_id})\n" in menu
    assert not re.search(r"exten => [4-9],", menu)


def test_shared_code_menu_settings_and_open_check():
    conf = fallback_conf(DIRECTORY, CALENDAR, D(2026, 11, 25), days=1)
    menu = context(conf, menu_context("021"))
    assert extension_lines(menu, "s") == [
        "exten => s,1,Set(HOTLINE_FALLBACK_MENU_PROMPT=${HOTLINE12330_PROMPTS}/menu-021)",
        " same => n,Set(HOTLINE_FALLBACK_MENU_TRIES=3)",
        " same => n,Set(HOTLINE_FALLBACK_MENU_TIMEOUT=5)",
        " same => n,Return(sh)",
    ]
    checked = re.findall(r"Gosub\(hotline12330-fallback-centre-([a-z-]+),hours,1\)", menu)
    assert checked == ["sh", "sh-pd", "sh-cp"]
    assert menu_context("010") not in conf  # only shared codes have a menu


def test_centre_data_is_what_the_server_hands_over():
    conf = fallback_conf(DIRECTORY, CALENDAR, D(2026, 11, 25), days=1)
    assert extension_lines(context(conf, centre_context("sh-pd")), "s") == [
        "exten => s,1,Set(HOTLINE_CENTRE=sh-pd)",
        " same => n,Set(HOTLINE_QUEUE=hotline12330-sh-pd)",
        " same => n,Set(HOTLINE_RING_TIMEOUT=25)",
        " same => n,Set(HOTLINE_MAILBOX=sh-pd)",
        " same => n,Set(HOTLINE_VM_PROMPT=${HOTLINE12330_PROMPTS}/voicemail)",
        " same => n,Set(HOTLINE_FALLBACK_GREETING=${HOTLINE12330_PROMPTS}/greeting)",
        " same => n,Return()",
    ]


TIME_RANGES = [
    ("09:00", "12:00", "09:00-11:59"),
    ("13:30", "17:30", "13:30-17:29"),
    ("00:00", "23:59", "00:00-23:58"),
    ("09:00", "09:01", "09:00-09:00"),
]


@pytest.mark.parametrize(("start", "end", "written"), TIME_RANGES)
def test_half_open_ranges_are_written_with_an_inclusive_end(start, end, written):
    timerange = TimeRange(dt.time.fromisoformat(start), dt.time.fromisoformat(end))
    assert asterisk_time_range(timerange) == written


SECOND_URLS = [
    ("", ""),
    ("  ", ""),
    ("agi://10.0.0.2:4573", "agi://10.0.0.2:4573"),
    ("agi://backup.example:4573/", "agi://backup.example:4573"),
    ("agi://[::1]:4573", "agi://[::1]:4573"),
]


@pytest.mark.parametrize(("url", "written"), SECOND_URLS)
def test_second_agi_url(url, written):
    assert second_agi_url(url) == written


@pytest.mark.parametrize(
    "url", ["http://10.0.0.2:4573", "agi://a,b", "agi://a;b", "agi://a b", "agi://a/call"]
)
def test_bad_second_agi_url_is_refused(url):
    with pytest.raises(GeneratorError, match="agi_second_url"):
        second_agi_url(url)


def test_settings_carry_the_second_url_and_the_conf_dir(tmp_path):
    settings = load_settings(
        path=None,
        environ={
            "HOTLINE12330_AGI_SECOND_URL": "agi://10.0.0.2:4573",
            "HOTLINE12330_ASTERISK_ROOT": str(tmp_path / "sid"),
        },
    )
    assert settings.agi_second_url == "agi://10.0.0.2:4573"
    assert settings.asterisk_conf_dir == tmp_path / "sid/etc/asterisk"
    assert load_settings(path=None, environ={}).agi_second_url == ""


def refresh_settings(tmp_path):
    return dataclasses.replace(load_settings(path=None, environ={}), asterisk_conf_dir=tmp_path)


def test_refresh_writes_the_file_and_reloads_only_on_change(tmp_path):
    reloads = []

    async def reload(settings):
        reloads.append(settings.asterisk_conf_dir)

    async def refresh(day):
        return await refresh_fallback(
            refresh_settings(tmp_path), DIRECTORY, CALENDAR, day, reload=reload
        )

    assert asyncio.run(refresh(D(2026, 11, 25))) is True
    written = (tmp_path / FALLBACK_FILE).read_text(encoding="utf-8")
    assert written == fallback_conf(
        DIRECTORY, CALENDAR, D(2026, 11, 25), source="the service's loaded config"
    )
    assert asyncio.run(refresh(D(2026, 11, 25))) is False  # same day, same text
    assert asyncio.run(refresh(D(2026, 11, 26))) is True  # the window moved
    assert reloads == [tmp_path, tmp_path]
    assert [p.name for p in tmp_path.iterdir()] == [FALLBACK_FILE]  # no temporary left


def test_refresh_that_cannot_write_keeps_asterisk_untouched(tmp_path):
    from agi.fallback_refresh import FallbackRefreshError

    reloads = []

    async def reload(settings):
        reloads.append(settings)

    missing = tmp_path / "no-such-dir"
    with pytest.raises(FallbackRefreshError, match="cannot write"):
        asyncio.run(
            refresh_fallback(
                refresh_settings(missing), DIRECTORY, CALENDAR, D(2026, 11, 25), reload=reload
            )
        )
    assert reloads == []
