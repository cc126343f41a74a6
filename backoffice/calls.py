"""Reading calls for the console: today's list, the pending count, one call, search."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, exists, func, not_, select
from sqlalchemy.orm import Session, selectinload

from backoffice.scope import NotInScope, centre_condition, may_see
from models.call_log import (
    OUTCOMES_NEEDING_LOG,
    CallLogEntry,
    CallLogIpType,
    calls_with_incomplete_log,
    log_complete,
)
from models.calls import Call, CallOutcome
from models.recordings import Recording, RecordingStatus
from models.users import User
from routing.local_time import CHINA_TZ, local_day_bounds

SEARCH_LIMIT = 500


class LogState:
    NOT_NEEDED = "not_needed"
    MISSING = "missing"
    INCOMPLETE = "incomplete"
    COMPLETE = "complete"


@dataclass(frozen=True)
class CallRow:
    call: Call
    entry: CallLogEntry | None
    has_recording: bool

    @property
    def log_state(self) -> str:
        if self.entry is not None and self.entry.is_complete:
            return LogState.COMPLETE
        if self.call.outcome not in OUTCOMES_NEEDING_LOG:
            return LogState.NOT_NEEDED
        return LogState.MISSING if self.entry is None else LogState.INCOMPLETE

    @property
    def pending(self) -> bool:
        return self.log_state in (LogState.MISSING, LogState.INCOMPLETE)


def _rows(session: Session, query: Select[tuple[Call]]) -> list[CallRow]:
    calls = list(session.scalars(query))
    ids = [c.id for c in calls]
    entries = {
        e.call_id: e
        for e in session.scalars(
            select(CallLogEntry)
            .where(CallLogEntry.call_id.in_(ids))
            .options(selectinload(CallLogEntry.ip_types))
        )
    }
    recorded = set(
        session.scalars(
            select(Recording.call_id).where(
                Recording.call_id.in_(ids), Recording.status == RecordingStatus.OK
            )
        )
    )
    return [CallRow(c, entries.get(c.id), c.id in recorded) for c in calls]


def today_calls(session: Session, user: User, now: dt.datetime) -> list[CallRow]:
    """The day's calls of the user's centres: calls waiting for a log first, newest first."""
    start, end = local_day_bounds(now.astimezone(CHINA_TZ).date())
    query = (
        select(Call)
        .where(centre_condition(user, Call.centre_id))
        .where(Call.started_at >= start, Call.started_at < end)
        .order_by(Call.started_at.desc(), Call.id.desc())
    )
    rows = _rows(session, query)
    return sorted(rows, key=lambda row: not row.pending)  # stable: keeps newest first


def _pending(user: User) -> Select[tuple[Call]]:
    """The user's answered or voicemail calls (not test calls) whose log is missing or
    incomplete, oldest first."""
    return calls_with_incomplete_log().where(centre_condition(user, Call.centre_id))


def pending_count(session: Session, user: User) -> int:
    pending = _pending(user).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(pending)) or 0


def pending_calls(session: Session, user: User, limit: int = SEARCH_LIMIT) -> list[CallRow]:
    """Every call still waiting for its log, whatever the day, oldest first."""
    return _rows(session, _pending(user).limit(limit))


def call_in_scope(session: Session, user: User, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None or not may_see(user, call.centre_id):
        raise NotInScope(f"call {call_id}")
    return call


@dataclass(frozen=True)
class CallFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    centre: str | None = None
    outcome: CallOutcome | None = None
    service_type: str | None = None
    ip_types: tuple[str, ...] = ()  # a category and its sub-types
    number: str | None = None  # digits somewhere in the caller's number
    has_recording: bool | None = None
    log_filled: bool | None = None
    flag: str | None = None  # "test", "undercover", "normal" or None for any


FLAGS = ("normal", "test", "undercover")


def search_query(user: User, filters: CallFilters) -> Select[tuple[Call]]:
    query = select(Call).where(centre_condition(user, Call.centre_id))
    if filters.date_from:
        query = query.where(Call.started_at >= local_day_bounds(filters.date_from)[0])
    if filters.date_to:
        query = query.where(Call.started_at < local_day_bounds(filters.date_to)[1])
    if filters.centre:
        query = query.where(Call.centre_id == filters.centre)
    if filters.outcome:
        query = query.where(Call.outcome == filters.outcome)
    if filters.number:
        query = query.where(Call.caller_number.contains(filters.number, autoescape=True))
    entry = CallLogEntry.call_id == Call.id
    if filters.service_type:
        query = query.where(
            exists().where(entry, CallLogEntry.service_type_code == filters.service_type)
        )
    if filters.ip_types:
        query = query.where(
            exists().where(
                entry,
                CallLogIpType.entry_id == CallLogEntry.id,
                CallLogIpType.ip_type_code.in_(filters.ip_types),
            )
        )
    if filters.has_recording is not None:
        recorded = exists().where(
            Recording.call_id == Call.id, Recording.status == RecordingStatus.OK
        )
        query = query.where(recorded if filters.has_recording else not_(recorded))
    if filters.log_filled is not None:
        filled = exists().where(entry, log_complete())
        query = query.where(filled if filters.log_filled else not_(filled))
    if filters.flag == "normal":
        query = query.where(Call.is_test.is_(False), Call.is_undercover.is_(False))
    elif filters.flag == "test":
        query = query.where(Call.is_test.is_(True))
    elif filters.flag == "undercover":
        query = query.where(Call.is_undercover.is_(True))
    return query


def search(
    session: Session, user: User, filters: CallFilters, limit: int = SEARCH_LIMIT
) -> tuple[list[CallRow], dict[str, int], int]:
    """Matching calls (newest first, up to limit), outcome counts of the normal calls among
    them (test and undercover calls never count in statistics), and the total matched."""
    query = search_query(user, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    normal = query.where(Call.is_test.is_(False), Call.is_undercover.is_(False)).subquery()
    stats = dict(
        session.execute(select(normal.c.outcome, func.count()).group_by(normal.c.outcome)).all()
    )
    rows = _rows(session, query.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit))
    return rows, {str(k): v for k, v in stats.items()}, total


def recordings_of(session: Session, call: Call) -> Sequence[Recording]:
    return session.scalars(
        select(Recording).where(Recording.call_id == call.id).order_by(Recording.id)
    ).all()
