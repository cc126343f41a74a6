"""Callback deadlines for voicemail, counted in statutory working days (调休 included)."""

from __future__ import annotations

import datetime as dt

from config.model import CalendarOverrides
from routing.local_time import in_china
from routing.statutory import StatutoryKind, statutory_day

WORKING_KINDS = (StatutoryKind.WORKDAY, StatutoryKind.MAKEUP_WORKDAY)
MAX_SCAN_DAYS = 400  # a year of holidays cannot hide every working day


def is_working_day(calendar: CalendarOverrides, day: dt.date) -> bool:
    return statutory_day(calendar, day).kind in WORKING_KINDS


def nth_working_day_after(calendar: CalendarOverrides, day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day` (not counting `day` itself)."""
    found, current = 0, day
    for _ in range(MAX_SCAN_DAYS):
        current += dt.timedelta(days=1)
        if is_working_day(calendar, current):
            found += 1
            if found >= n:
                return current
    raise ValueError(f"no {n} working days within {MAX_SCAN_DAYS} days after {day}")


def callback_due(calendar: CalendarOverrides, left_at: dt.datetime, n: int) -> dt.date:
    """The last China-time date by which a message left at `left_at` must be called back:
    the end of the n-th working day after the day it was left."""
    return nth_working_day_after(calendar, in_china(left_at).date(), n)


def is_overdue(due: dt.date, called_back: bool, now: dt.datetime) -> bool:
    """Not called back, and the China-time date is past `due` (from callback_due)."""
    return not called_back and in_china(now).date() > due
