"""The hotline decides in China Standard Time, whatever zone the caller's instant is in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")


def in_china(at: dt.datetime) -> dt.datetime:
    """`at` converted to Asia/Shanghai; a naive datetime is refused (its zone is a guess)."""
    if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
        raise ValueError(f"naive datetime {at.isoformat()}: pass an aware datetime")
    return at.astimezone(CHINA_TZ)


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the China-time calendar day `day`, as aware datetimes."""
    start = dt.datetime.combine(day, dt.time(), CHINA_TZ)
    return start, start + dt.timedelta(days=1)
