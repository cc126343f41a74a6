"""Opening-hours syntax shared by the centres and calendar files: "HH:MM-HH:MM" ranges."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from config.model import WEEKDAYS, TimeRange
from config.problems import Report
from config.tables import Table

_RANGE = re.compile(r"^\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$")

Week = tuple[tuple[TimeRange, ...], ...]
CLOSED_WEEK: Week = tuple(() for _ in WEEKDAYS)


def parse_range(text: str) -> TimeRange | str:
    """The half-open range, or the reason it is not one."""
    found = _RANGE.match(text)
    if not found:
        return f"{text!r} 不是时间段，应为 HH:MM-HH:MM"
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    if h1 > 23 or m1 > 59 or h2 > 23 or m2 > 59:
        return f"{text!r} 含不存在的时刻（00:00..23:59）"
    start, end = dt.time(h1, m1), dt.time(h2, m2)
    if end <= start:
        return f"{text!r} 结束时间不晚于开始时间"
    return TimeRange(start, end)


def read_day(report: Report, items: list[tuple[str, str]]) -> tuple[TimeRange, ...] | None:
    """One day's ranges, sorted; malformed and overlapping ranges are reported."""
    parsed: list[tuple[str, TimeRange]] = []
    ok = True
    for key, text in items:
        result = parse_range(text)
        if isinstance(result, str):
            report.add(key, result)
            ok = False
        else:
            parsed.append((key, result))
    parsed.sort(key=lambda pair: pair[1])
    for (_, earlier), (key, later) in itertools.pairwise(parsed):
        if later.start < earlier.end:
            report.add(key, f"{later.label()} 与 {earlier.label()} 重叠")
            ok = False
    return tuple(r for _, r in parsed) if ok else None


def read_week(table: Table, base: Week | None) -> Week | None:
    """Weekday keys mon..sun; a day not given keeps `base` (closed when base is None)."""
    days = list(base or CLOSED_WEEK)
    ok = True
    for index, day in enumerate(WEEKDAYS):
        if not table.has(day):
            continue
        items = table.text_list(day)
        ranges = read_day(table.report, items) if items is not None else None
        if ranges is None:
            ok = False
        else:
            days[index] = ranges
    return tuple(days) if ok else None
