"""Open or closed for one centre at one instant, with the reason as a code (routing.reasons).

Precedence: the centre's local entry for the day (closed, or special hours), then the
statutory calendar (routing.statutory), then the centre's hours for that weekday.
Hours are half-open: a centre with 09:00-17:30 is open from 09:00 through 17:29
and closed from 17:30. A make-up working day (调休) on a weekend uses the hours of
the centre's first weekday, Monday to Friday, that has hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import pairwise

from config.model import WEEKDAYS, CalendarOverrides, Centre, LocalKind, TimeRange
from routing.local_time import in_china
from routing.reasons import Code, Reason
from routing.statutory import StatutoryKind, statutory_day

LOCAL_SOURCE = "local"
LOCAL_CLOSED = "local_closed"
LOCAL_HOURS = "local_hours"


@dataclass(frozen=True)
class OpenState:
    is_open: bool
    reason: Reason
    day_kind: str  # a StatutoryKind value, or local_closed / local_hours
    warnings: tuple[str, ...]
    source: str  # local, override, chinesecalendar, complete-year, weekday-rule

    def to_dict(self) -> dict[str, object]:
        return {
            "is_open": self.is_open,
            "reason": self.reason.to_dict(),
            "day_kind": self.day_kind,
            "warnings": list(self.warnings),
            "source": self.source,
        }


@dataclass(frozen=True)
class _Verdict:
    is_open: bool
    reason: Reason  # the closed reason; OPEN_HOURS when open
    range_label: str = ""  # the range the instant falls in, when open


def _within(ranges: tuple[TimeRange, ...], t: dt.time) -> _Verdict:
    """Where `t` falls among non-overlapping ranges; `ranges` must not be empty."""
    ranges = tuple(sorted(ranges))
    for r in ranges:
        if r.contains(t):
            return _Verdict(True, Reason.of(Code.OPEN_HOURS, range=r.label()), r.label())
    if t < ranges[0].start:
        return _Verdict(False, Reason.of(Code.CLOSED_BEFORE_OPENING, opens=_hm(ranges[0].start)))
    if t >= ranges[-1].end:
        return _Verdict(False, Reason.of(Code.CLOSED_AFTER_CLOSING, closes=_hm(ranges[-1].end)))
    for earlier, later in pairwise(ranges):
        if earlier.end <= t < later.start:
            between = Reason.of(Code.CLOSED_BREAK, start=_hm(earlier.end), end=_hm(later.start))
            return _Verdict(False, between)
    # Only overlapping ranges (which the loader rejects) get here; stay closed rather than crash.
    return _Verdict(False, Reason.of(Code.CLOSED_OUTSIDE_HOURS))


def _hm(t: dt.time) -> str:
    return f"{t:%H:%M}"


def makeup_day_hours(centre: Centre) -> tuple[TimeRange, ...]:
    """The hours a make-up working day uses: the first of Monday–Friday that has hours."""
    return next((day for day in centre.hours[:5] if day), ())


def opening_ranges(
    centre: Centre, calendar: CalendarOverrides, day: dt.date
) -> tuple[TimeRange, ...]:
    """The ranges `centre` is open on `day` (China date), sorted; () when closed all day.

    Same precedence as open_state; the dialplan's own fallback hours are generated from
    this, so tests hold the two to agree minute by minute.
    """
    local = calendar.local_on(centre.id, day)
    if local is not None:
        return () if local.kind is LocalKind.CLOSED else tuple(sorted(local.hours))
    kind = statutory_day(calendar, day).kind
    if kind is StatutoryKind.HOLIDAY:
        return ()
    if kind is StatutoryKind.MAKEUP_WORKDAY:
        return tuple(sorted(makeup_day_hours(centre)))
    return tuple(sorted(centre.hours[day.weekday()]))


def open_state(centre: Centre, calendar: CalendarOverrides, at: dt.datetime) -> OpenState:
    local_at = in_china(at)
    day, t = local_at.date(), local_at.time().replace(tzinfo=None)

    local = calendar.local_on(centre.id, day)
    if local is not None:
        if local.kind is LocalKind.CLOSED or not local.hours:
            reason = Reason.of(Code.CLOSED_LOCAL, note=local.reason)
            return OpenState(False, reason, LOCAL_CLOSED, (), LOCAL_SOURCE)
        verdict = _within(local.hours, t)
        if verdict.is_open:
            special = {"range": verdict.range_label, "note": local.reason}
            reason = Reason(Code.OPEN_SPECIAL_HOURS, special)
        else:
            reason = verdict.reason.with_params(special=local.reason)
        return OpenState(verdict.is_open, reason, LOCAL_HOURS, (), LOCAL_SOURCE)

    status = statutory_day(calendar, day)
    kind, warnings, source = status.kind, status.warnings, status.source.value
    if kind is StatutoryKind.HOLIDAY:
        reason = Reason.of(Code.CLOSED_HOLIDAY, name=status.name or "")
        return OpenState(False, reason, kind.value, warnings, source)

    if kind is StatutoryKind.MAKEUP_WORKDAY:
        ranges = makeup_day_hours(centre)
        if not ranges:
            reason = Reason.of(Code.CLOSED_MAKEUP_NO_HOURS)
            return OpenState(False, reason, kind.value, warnings, source)
        verdict = _within(ranges, t)
        reason = verdict.reason
        if verdict.is_open:
            reason = Reason.of(
                Code.OPEN_MAKEUP_DAY, date=day.isoformat(), range=verdict.range_label
            )
        return OpenState(verdict.is_open, reason, kind.value, warnings, source)

    ranges = centre.hours[day.weekday()]
    if not ranges:
        if kind is StatutoryKind.WEEKEND:
            reason = Reason.of(Code.CLOSED_WEEKEND)
        else:
            reason = Reason.of(Code.CLOSED_NO_HOURS, weekday=WEEKDAYS[day.weekday()])
        return OpenState(False, reason, kind.value, warnings, source)
    verdict = _within(ranges, t)
    return OpenState(verdict.is_open, verdict.reason, kind.value, warnings, source)
