"""The calendar overrides file -> CalendarOverrides (see defaults/calendar.toml)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from config.hours import read_day
from config.model import (
    CalendarOverrides,
    DayKind,
    LocalEntry,
    LocalKind,
    NationalEntry,
    YearInfo,
)
from config.problems import Report
from config.tables import Table, read_toml

YEAR_RANGE = (2000, 2100)


def load_calendar(
    path: Path, report: Report, centre_ids: frozenset[str] | None
) -> CalendarOverrides | None:
    """Parse and check the file; local entries are checked against centre_ids when known."""
    raw = read_toml(path, report)
    if raw is None:
        return None
    root = Table(report, "", raw, ("year", "national", "local"))
    years = _read_years(root)
    national = _read_national(root)
    local = _read_local(root, centre_ids)
    if not report.ok:
        return None
    return CalendarOverrides(national=national, local=local, years=years)


def _kind(table: Table, enum: type[DayKind] | type[LocalKind]) -> DayKind | LocalKind | None:
    text = table.text("kind")
    if text is None:
        return None
    try:
        return enum(text)
    except ValueError:
        choices = " 或 ".join(repr(k.value) for k in enum)
        table.report.add(table.key("kind"), f"未知的类型 {text!r}（应为 {choices}）")
        return None


def _read_years(root: Table) -> tuple[YearInfo, ...]:
    years: list[YearInfo] = []
    seen: dict[int, str] = {}
    for table in root.tables("year", ("year", "complete", "source")):
        low, high = YEAR_RANGE
        year = table.integer("year", minimum=low, maximum=high)
        complete = table.boolean("complete")
        source = table.text("source", required=bool(complete), default="")
        if year is not None and year in seen:
            table.report.add(table.key("year"), f"{year} 年已在 {seen[year]} 说明")
            continue
        if year is not None:
            seen[year] = table.path
        if year is not None and complete is not None and source is not None:
            years.append(YearInfo(year, complete, source))
    return tuple(years)


def _read_national(root: Table) -> tuple[NationalEntry, ...]:
    entries: list[NationalEntry] = []
    first: dict[dt.date, tuple[DayKind, str]] = {}
    for table in root.tables("national", ("date", "kind", "name")):
        date = table.date("date")
        kind = _kind(table, DayKind)
        name = table.text("name")
        if date is None or not isinstance(kind, DayKind) or name is None:
            continue
        if date in first:
            earlier_kind, where = first[date]
            if earlier_kind is not kind:
                table.report.add(
                    table.key("date"), f"{date} 此处为 {kind}，但 {where} 为 {earlier_kind}"
                )
            continue  # the same day listed twice with the same kind: keep the first
        first[date] = (kind, table.path)
        entries.append(NationalEntry(date, kind, name))
    return tuple(sorted(entries, key=lambda e: e.date))


def _read_local(root: Table, centre_ids: frozenset[str] | None) -> tuple[LocalEntry, ...]:
    entries: list[LocalEntry] = []
    first: dict[tuple[str, dt.date], str] = {}
    for table in root.tables("local", ("centre", "date", "kind", "hours", "reason")):
        centre = table.text("centre")
        date = table.date("date")
        kind = _kind(table, LocalKind)
        reason = table.text("reason")
        hours = _read_local_hours(table, kind)
        if centre is not None and centre_ids is not None and centre not in centre_ids:
            table.report.add(table.key("centre"), f"未知的中心 {centre!r}")
            continue
        if centre is None or date is None or not isinstance(kind, LocalKind) or reason is None:
            continue
        if (centre, date) in first:
            where = first[(centre, date)]
            table.report.add(table.key("date"), f"中心 {centre} 的 {date} 已在 {where} 列出")
            continue
        first[(centre, date)] = table.path
        if hours is not None:
            entries.append(LocalEntry(centre, date, kind, reason, hours))
    return tuple(sorted(entries, key=lambda e: (e.date, e.centre_id)))


def _read_local_hours(table: Table, kind: object) -> tuple | None:
    """Hours are required for kind "hours" and forbidden for kind "closed"."""
    if kind is LocalKind.CLOSED:
        if table.has("hours"):
            table.report.add(table.key("hours"), 'kind = "closed" 的条目不能有 hours')
            return None
        return ()
    if kind is not LocalKind.HOURS:
        return None
    items = table.text_list("hours")
    if items is None:
        return None
    if not items:
        table.report.add(table.key("hours"), 'kind = "hours" 的条目至少要有一个时间段')
        return None
    return read_day(table.report, items)
