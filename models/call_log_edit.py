"""Saving the operator's log of a call: codes checked, every save kept in the history.

A log may be saved incomplete (the operator fills it in over several visits); the
completeness rule lives in models.call_log.log_complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utc_now
from models.call_log import CallLogEntry, CallLogHistory, CallLogIpType, log_entry_of
from models.calls import Call
from models.categories import CategoryEntry


class InvalidLogEntry(ValueError):
    """A code that is not in its list, or a flag that does not apply; names the field."""


def save_call_log(
    session: Session,
    call_id: int,
    *,
    operator: str,
    summary: str = "",
    caller_role: str | None = None,
    caller_entity: str | None = None,
    is_sme: bool = False,
    service_type: str | None = None,
    ip_types: Iterable[str] = (),
    at: dt.datetime | None = None,
) -> CallLogEntry:
    """Create or replace the call's log entry; a change appends old/new to the history."""
    operator = operator.strip()
    if not operator or len(operator) > 64:
        raise InvalidLogEntry("operator: required, at most 64 characters")
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise InvalidLogEntry(f"at: {at.isoformat()} has no time zone")
    if session.get(Call, call_id) is None:
        raise LookupError(f"no call {call_id}")
    entry = log_entry_of(session, call_id)
    wanted_ip_types = sorted(set(ip_types))
    _check_codes(session, entry, caller_role, caller_entity, service_type, wanted_ip_types)
    if is_sme and not _has_flag(session, "caller_entity", caller_entity, "sme"):
        raise InvalidLogEntry(f"is_sme: does not apply to caller entity {caller_entity!r}")

    now = at or utc_now()
    old = entry.snapshot() if entry is not None else None
    if entry is None:
        entry = CallLogEntry(call_id=call_id, operator_name=operator, filled_at=now)
        session.add(entry)
    entry.summary = summary
    entry.caller_role_code = caller_role
    entry.caller_entity_code = caller_entity
    entry.is_sme = is_sme
    entry.service_type_code = service_type
    entry.operator_name = operator
    _set_ip_types(entry, wanted_ip_types)
    new = entry.snapshot()
    if new != old:
        entry.filled_at = now
        session.add(
            CallLogHistory(
                entry=entry, changed_by=operator, changed_at=now, old_values=old, new_values=new
            )
        )
    session.flush()
    return entry


def _set_ip_types(entry: CallLogEntry, codes: list[str]) -> None:
    # Diff rather than replace: re-adding a kept code would clash on the composite key.
    for link in [link for link in entry.ip_types if link.ip_type_code not in codes]:
        entry.ip_types.remove(link)
    present = set(entry.ip_type_codes)
    entry.ip_types.extend(CallLogIpType(ip_type_code=c) for c in codes if c not in present)


def _check_codes(
    session: Session,
    entry: CallLogEntry | None,
    caller_role: str | None,
    caller_entity: str | None,
    service_type: str | None,
    ip_types: list[str],
) -> None:
    current = entry.snapshot() if entry is not None else {}
    wanted = [
        ("caller_role", "caller_role", [caller_role] if caller_role else []),
        ("caller_entity", "caller_entity", [caller_entity] if caller_entity else []),
        ("service_type", "service_type", [service_type] if service_type else []),
        ("ip_types", "ip_type", ip_types),
    ]
    problems: list[str] = []
    for field, list_name, codes in wanted:
        if not codes:
            continue
        rows = {
            row.code: row
            for row in session.scalars(
                select(CategoryEntry).where(
                    CategoryEntry.list_name == list_name, CategoryEntry.code.in_(codes)
                )
            )
        }
        kept = current.get(field) or []
        kept = kept if isinstance(kept, list) else [kept]
        for code in codes:
            row = rows.get(code)
            if row is None:
                problems.append(f"{field}: {code!r} is not in the {list_name} list")
            elif not row.is_active and code not in kept:
                # A retired code may stay on an old log, but is not chosen anew.
                problems.append(f"{field}: {code!r} is no longer offered in {list_name}")
    if problems:
        raise InvalidLogEntry("; ".join(problems))


def _has_flag(session: Session, list_name: str, code: str | None, flag: str) -> bool:
    if code is None:
        return False
    row = session.scalars(
        select(CategoryEntry).where(
            CategoryEntry.list_name == list_name, CategoryEntry.code == code
        )
    ).one_or_none()
    return row is not None and flag in (row.flags or [])
