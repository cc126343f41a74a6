"""Is a date a statutory working day in China, and why.

Precedence (local centre entries are applied later, in routing.hours):
1. a national entry in the calendar overrides file;
2. the `chinesecalendar` package (it raises NotImplementedError outside its years);
3. the weekday rule, for a year the overrides file marks complete;
4. the weekday rule with a warning that the year is not confirmed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import chinese_calendar

from config.model import CalendarOverrides, DayKind


class StatutoryKind(StrEnum):
    WORKDAY = "workday"  # an ordinary Monday–Friday working day
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # a statutory day off (including weekend days inside a holiday block)
    MAKEUP_WORKDAY = "makeup_workday"  # 调休: a weekend day worked in exchange for a holiday


class StatutorySource(StrEnum):
    OVERRIDE = "override"  # a [[national]] entry
    CHINESECALENDAR = "chinesecalendar"
    COMPLETE_YEAR = "complete-year"  # weekday rule, year confirmed complete in the overrides
    WEEKDAY_RULE = "weekday-rule"  # weekday rule, year unconfirmed (with a warning)


@dataclass(frozen=True)
class StatutoryDay:
    day: dt.date
    kind: StatutoryKind
    name: str | None  # holiday name in Chinese, when known
    source: StatutorySource
    warnings: tuple[str, ...] = ()


def _is_weekend(day: dt.date) -> bool:
    return day.weekday() >= 5


def _weekday_kind(day: dt.date) -> StatutoryKind:
    return StatutoryKind.WEEKEND if _is_weekend(day) else StatutoryKind.WORKDAY


def _worked_kind(day: dt.date) -> StatutoryKind:
    return StatutoryKind.MAKEUP_WORKDAY if _is_weekend(day) else StatutoryKind.WORKDAY


def chinese_holiday_name(english: str) -> str:
    """chinesecalendar names holidays in English; its Holiday enum carries the Chinese name."""
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english  # a holiday newer than this mapping: English beats nothing


def covered_by_chinesecalendar(year: int) -> bool:
    try:
        chinese_calendar.is_holiday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def unconfirmed_warning(year: int) -> str:
    return f"calendar for {year} is not confirmed; weekday rule used"


def _from_chinesecalendar(day: dt.date) -> StatutoryDay | None:
    try:
        is_holiday, english = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    name = chinese_holiday_name(english) if english else None
    source = StatutorySource.CHINESECALENDAR
    if is_holiday:
        # An unnamed day off is an ordinary weekend.
        kind = StatutoryKind.HOLIDAY if name else StatutoryKind.WEEKEND
        return StatutoryDay(day, kind, name, source)
    # Not a day off: on a weekend that makes it a make-up working day (is_workday is True).
    return StatutoryDay(day, _worked_kind(day), name, source)


def statutory_day(calendar: CalendarOverrides, day: dt.date) -> StatutoryDay:
    entry = calendar.national_on(day)
    if entry is not None:
        if entry.kind is DayKind.HOLIDAY:
            return StatutoryDay(day, StatutoryKind.HOLIDAY, entry.name, StatutorySource.OVERRIDE)
        return StatutoryDay(day, _worked_kind(day), entry.name, StatutorySource.OVERRIDE)

    known = _from_chinesecalendar(day)
    if known is not None:
        return known

    info = calendar.year_info(day.year)
    if info is not None and info.complete:
        return StatutoryDay(day, _weekday_kind(day), None, StatutorySource.COMPLETE_YEAR)
    return StatutoryDay(
        day,
        _weekday_kind(day),
        None,
        StatutorySource.WEEKDAY_RULE,
        (unconfirmed_warning(day.year),),
    )
