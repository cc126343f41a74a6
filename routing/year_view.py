"""One year's statutory exceptions (holidays, make-up working days) for the calendar command."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from config.model import CalendarOverrides, LocalEntry, YearInfo
from routing.statutory import (
    StatutoryDay,
    StatutoryKind,
    StatutorySource,
    covered_by_chinesecalendar,
    statutory_day,
)

# From this day of a year on, next year's calendar should be known (the State Council
# usually publishes it in October or November).
NEXT_YEAR_CHECK_FROM = (11, 1)


@dataclass(frozen=True)
class YearView:
    year: int
    in_chinesecalendar: bool
    year_info: YearInfo | None  # the overrides file's [[year]] entry, if any
    exceptions: tuple[StatutoryDay, ...]  # days that are not plain weekday-rule days, by date
    local: tuple[LocalEntry, ...]  # per-centre closures and special hours, by date

    @property
    def confirmed(self) -> bool:
        return self.in_chinesecalendar or bool(self.year_info and self.year_info.complete)

    def by_month(self) -> dict[int, tuple[StatutoryDay, ...]]:
        months: dict[int, list[StatutoryDay]] = {}
        for day in self.exceptions:
            months.setdefault(day.day.month, []).append(day)
        return {month: tuple(days) for month, days in months.items()}


def _is_exception(day: StatutoryDay) -> bool:
    if day.kind in (StatutoryKind.HOLIDAY, StatutoryKind.MAKEUP_WORKDAY):
        return True
    return day.source is StatutorySource.OVERRIDE  # e.g. an override making a weekday a workday


def year_view(calendar: CalendarOverrides, year: int) -> YearView:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    exceptions = tuple(s for s in (statutory_day(calendar, d) for d in days) if _is_exception(s))
    local = tuple(
        sorted(
            (e for e in calendar.local if e.date.year == year), key=lambda e: (e.date, e.centre_id)
        )
    )
    return YearView(
        year, covered_by_chinesecalendar(year), calendar.year_info(year), exceptions, local
    )


def next_year_warning(calendar: CalendarOverrides, today: dt.date) -> str | None:
    """From 1 November, a warning when next year's calendar is not known yet."""
    if (today.month, today.day) < NEXT_YEAR_CHECK_FROM:
        return None
    upcoming = today.year + 1
    if covered_by_chinesecalendar(upcoming):
        return None
    info = calendar.year_info(upcoming)
    if info is not None and info.complete:
        return None
    return (
        f"calendar for {upcoming} is not confirmed: chinesecalendar does not cover it and "
        f"the overrides file has no complete [[year]] {upcoming}; add the State Council's "
        f"holidays and make-up working days for {upcoming}, or upgrade chinesecalendar"
    )
