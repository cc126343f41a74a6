"""What the pages' forms take in and offer: call ids and dates parsed from a request,
and the category lists a form shows. Shared by the operators' and supervisors' pages.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.scope import NotInScope
from models.categories import CategoryEntry

# Every date a form or query takes: far enough for any call, near enough that day bounds
# in China time never overflow (0001-01-01 and 9999-12-31 did: a 500).
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def parse_call_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 12:
        raise NotInScope(raw)
    return int(raw)


def form_date(raw: str, label: str, errors: list[str]) -> dt.date | None:
    """The date typed in, or None: empty, or refused with a message appended to `errors`."""
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label}日期无效：{raw[:20]}")
        return None
    if not EARLIEST <= day <= LATEST:
        errors.append(f"{label}日期须在 {EARLIEST} 至 {LATEST} 之间：{raw[:20]}")
        return None
    return day


def categories(session: Session) -> dict[str, list[CategoryEntry]]:
    """The active entries of every category list, in the order the forms show them."""
    rows = session.scalars(
        select(CategoryEntry)
        .where(CategoryEntry.is_active.is_(True))
        .order_by(CategoryEntry.list_name, CategoryEntry.sort_order, CategoryEntry.id)
    )
    lists: dict[str, list[CategoryEntry]] = {}
    for row in rows:
        lists.setdefault(row.list_name, []).append(row)
    return lists
