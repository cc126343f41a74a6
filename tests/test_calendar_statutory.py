"""The statutory calendar per day, the year view and the next-year warning (pure functions)."""

from __future__ import annotations

import datetime as dt

import pytest
from routing_fixtures import sample_calendar

from config.model import CalendarOverrides, DayKind, NationalEntry, YearInfo
from routing import covered_by_chinesecalendar, next_year_warning, statutory_day, year_view

CALENDAR = sample_calendar()
EMPTY = CalendarOverrides()
D = dt.date


def test_fixture_years_are_outside_chinesecalendar() -> None:
    # The scenario tables use 2027-2029 as "not in chinesecalendar". When a new
    # chinesecalendar release covers 2027, move those rows to a later year.
    assert covered_by_chinesecalendar(2026)
    assert not any(covered_by_chinesecalendar(y) for y in (2027, 2028, 2029))


# calendar, date -> kind, name, source, warnings
STATUTORY_ROWS = [
    (EMPTY, D(2026, 10, 1), "holiday", "国庆节", "chinesecalendar", ()),
    (EMPTY, D(2026, 10, 4), "holiday", "国庆节", "chinesecalendar", ()),
    (EMPTY, D(2026, 10, 10), "makeup_workday", "国庆节", "chinesecalendar", ()),
    (EMPTY, D(2026, 2, 14), "makeup_workday", "春节", "chinesecalendar", ()),
    (EMPTY, D(2026, 1, 1), "holiday", "元旦", "chinesecalendar", ()),
    (EMPTY, D(2026, 4, 6), "holiday", "清明", "chinesecalendar", ()),
    (EMPTY, D(2026, 6, 19), "holiday", "端午", "chinesecalendar", ()),
    (EMPTY, D(2026, 9, 25), "holiday", "中秋", "chinesecalendar", ()),
    (EMPTY, D(2015, 9, 3), "holiday",
     "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日", "chinesecalendar", ()),
    (EMPTY, D(2026, 3, 15), "weekend", None, "chinesecalendar", ()),
    (EMPTY, D(2026, 3, 11), "workday", None, "chinesecalendar", ()),
    (CALENDAR, D(2026, 6, 1), "holiday", "测试调休假", "override", ()),
    (CALENDAR, D(2027, 10, 1), "holiday", "国庆节", "override", ()),
    (CALENDAR, D(2027, 10, 9), "makeup_workday", "国庆节", "override", ()),
    (CALENDAR, D(2027, 10, 8), "workday", None, "weekday-rule",
     ("calendar for 2027 is not confirmed; weekday rule used",)),
    (CALENDAR, D(2027, 10, 10), "weekend", None, "weekday-rule",
     ("calendar for 2027 is not confirmed; weekday rule used",)),
    (CALENDAR, D(2028, 10, 3), "workday", None, "complete-year", ()),
    (CALENDAR, D(2028, 10, 1), "weekend", None, "complete-year", ()),
    (EMPTY, D(2003, 5, 1), "workday", None, "weekday-rule",
     ("calendar for 2003 is not confirmed; weekday rule used",)),
]  # fmt: skip


@pytest.mark.parametrize(("calendar", "day", "kind", "name", "source", "warnings"), STATUTORY_ROWS)
def test_statutory_day(
    calendar: CalendarOverrides,
    day: dt.date,
    kind: str,
    name: str | None,
    source: str,
    warnings: tuple[str, ...],
) -> None:
    status = statutory_day(calendar, day)
    assert (status.kind, status.name, status.source, status.warnings) == (
        kind,
        name,
        source,
        warnings,
    )


def test_override_workday_reopens_a_chinesecalendar_holiday() -> None:
    calendar = CalendarOverrides(national=(NationalEntry(D(2026, 10, 8), DayKind.WORKDAY, "补班"),))
    assert statutory_day(EMPTY, D(2026, 10, 7)).kind == "holiday"
    status = statutory_day(calendar, D(2026, 10, 8))
    assert (status.kind, status.source) == ("workday", "override")


def test_year_view_of_a_covered_year() -> None:
    view = year_view(EMPTY, 2026)
    assert view.confirmed and view.in_chinesecalendar
    makeup = [s.day for s in view.exceptions if s.kind == "makeup_workday"]
    assert makeup == [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9),
                      D(2026, 9, 20), D(2026, 10, 10)]  # fmt: skip
    october = view.by_month()[10]
    assert [s.day.day for s in october if s.kind == "holiday"] == [1, 2, 3, 4, 5, 6, 7]
    assert {s.name for s in october} == {"国庆节"}
    assert all(s.kind in ("holiday", "makeup_workday") for s in view.exceptions)
    assert 3 not in view.by_month()  # no holiday in March 2026


def test_year_view_of_an_uncovered_year_lists_overrides_only() -> None:
    view = year_view(CALENDAR, 2027)
    assert not view.confirmed and not view.in_chinesecalendar
    assert [(s.day, s.kind) for s in view.exceptions] == [
        (D(2027, 10, 1), "holiday"),
        (D(2027, 10, 9), "makeup_workday"),
    ]
    assert year_view(CALENDAR, 2028).confirmed  # complete = true
    assert [e.centre_id for e in year_view(CALENDAR, 2026).local] == ["bj", "bj", "sh"]


# calendar, today -> warning names this year (None: no warning)
NEXT_YEAR_ROWS = [
    (EMPTY, D(2026, 10, 31), None),
    (EMPTY, D(2026, 11, 1), 2027),
    (EMPTY, D(2026, 12, 31), 2027),
    (EMPTY, D(2025, 11, 1), None),  # 2026 is in chinesecalendar
    (EMPTY, D(2027, 1, 15), None),  # too early in the year
    (CALENDAR, D(2026, 11, 20), 2027),  # 2027 listed but not complete
    (CALENDAR, D(2027, 11, 20), None),  # 2028 complete in the overrides
    (CALENDAR, D(2028, 11, 1), 2029),
    (CalendarOverrides(years=(YearInfo(2027, True, "通知"),)), D(2026, 11, 1), None),
]


@pytest.mark.parametrize(("calendar", "today", "warned_year"), NEXT_YEAR_ROWS)
def test_next_year_warning(
    calendar: CalendarOverrides, today: dt.date, warned_year: int | None
) -> None:
    warning = next_year_warning(calendar, today)
    if warned_year is None:
        assert warning is None
    else:
        assert warning is not None
        assert warning.startswith(f"calendar for {warned_year} is not confirmed")
