"""Call rows and their event log, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import Call, CallEvent, CallOutcome, CallSource
from models.repository import (
    append_event,
    create_call,
    get_call,
    set_call_menu,
    set_call_routing,
    update_call_outcome,
)

CHINA = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 10, 9, 10, 0, 0, tzinfo=CHINA)


def new_call(session: Session, uniqueid: str = "1760000000.1", **overrides) -> Call:
    values = {
        "uniqueid": uniqueid,
        "linkedid": uniqueid,
        "started_at": T0,
        "dialled_number": "02112330",
        "caller_number": "13800138000",
    }
    return create_call(session, **(values | overrides))


def test_create_call_is_idempotent_on_uniqueid(session: Session) -> None:
    first = new_call(session, caller_number="13800138000")
    session.commit()
    again = new_call(session, caller_number="13900000000", source=CallSource.RECONCILED)
    session.commit()
    assert again.id == first.id
    # The existing row wins: a retry must not rewrite what the first write recorded.
    assert (again.caller_number, again.source) == ("13800138000", CallSource.AGI)
    assert session.scalar(select(func.count()).select_from(Call)) == 1
    assert again.outcome is CallOutcome.IN_PROGRESS


async def test_concurrent_creates_from_threads_make_one_row(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    # The call path runs these in worker threads; the same uniqueid may arrive twice.
    def create(uniqueid: str) -> int:
        with sessions.begin() as session:
            call = new_call(session, uniqueid)
            append_event(session, call.id, "start")
            return call.id

    uniqueids = [f"1760000000.{n % 5}" for n in range(20)]
    ids = await asyncio.gather(*(asyncio.to_thread(create, u) for u in uniqueids))
    assert len(set(ids)) == 5
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 5
        assert session.scalar(select(func.count()).select_from(CallEvent)) == 20


def test_times_are_stored_utc_and_come_back_aware(session: Session) -> None:
    call = new_call(session)
    session.commit()
    session.expire_all()
    stored = session.get(Call, call.id)
    assert stored.started_at == T0
    assert stored.started_at.utcoffset() == dt.timedelta(0)
    assert stored.started_at.hour == 2  # 10:00 China time
    # Queries compare instants, whatever zone the bound value is in.
    found = session.scalars(select(Call).where(Call.started_at >= T0.astimezone(dt.UTC))).all()
    assert [c.id for c in found] == [call.id]


def test_naive_datetime_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        new_call(session, started_at=dt.datetime(2026, 10, 9, 10, 0))


@pytest.mark.parametrize(
    ("caller_number", "error"),
    [
        ("1" * 64, None),
        ("+86 21 1234 5678 ext 99 " * 5, None),  # 120 characters: raw, bounded
        ("9" * 129, "caller_number: 129 characters"),
        (None, None),
        ("", None),
    ],
)
def test_caller_number_length(
    session: Session, caller_number: str | None, error: str | None
) -> None:
    if error:
        with pytest.raises(ValueError, match=error):
            new_call(session, caller_number=caller_number)
        return
    call = new_call(session, caller_number=caller_number)
    session.commit()
    session.expire_all()
    assert session.get(Call, call.id).caller_number == caller_number


def test_routing_and_menu_are_recorded(session: Session) -> None:
    call = new_call(session)
    set_call_routing(
        session, call.id, area_code="021", centre_id="sh", is_open=False, open_reason="非工作时间"
    )
    set_call_menu(session, call.id, digits="91", invalid_count=1, timeout_count=2)
    session.commit()
    session.expire_all()
    stored = get_call(session, "1760000000.1")
    assert (stored.area_code, stored.centre_id, stored.is_open, stored.open_reason) == (
        "021",
        "sh",
        False,
        "非工作时间",
    )
    assert (stored.menu_digits, stored.menu_invalid_count, stored.menu_timeout_count) == (
        "91",
        1,
        2,
    )


LINE = "PJSIP/sh-1"
# outcome, keyword arguments -> error (None: stored as given)
OUTCOME_ROWS = [
    (CallOutcome.ANSWERED, {"answered_line": LINE, "wait_seconds": 4.5, "talk_seconds": 61}, None),
    (CallOutcome.ANSWERED, {"wait_seconds": 4.5}, "answered_line"),
    (CallOutcome.VOICEMAIL, {"wait_seconds": 25.0}, None),
    (CallOutcome.VOICEMAIL, {"talk_seconds": 3.0}, "was not answered"),
    (CallOutcome.ABANDONED_GREETING, {}, None),
    (CallOutcome.ABANDONED_MENU, {}, None),
    (CallOutcome.ABANDONED_RINGING, {"wait_seconds": 12.0}, None),
    (CallOutcome.ABANDONED_RINGING, {"answered_line": LINE}, "was not answered"),
    (CallOutcome.FAILED, {"failure_reason": "AGI timeout"}, None),
    (CallOutcome.IN_PROGRESS, {}, "in_progress is not an outcome"),
    (CallOutcome.ANSWERED, {"answered_line": "x", "wait_seconds": -1.0}, "wait_seconds"),
]  # fmt: skip


@pytest.mark.parametrize(("outcome", "kwargs", "error"), OUTCOME_ROWS)
def test_update_call_outcome(
    session: Session, outcome: CallOutcome, kwargs: dict, error: str | None
) -> None:
    call = new_call(session)
    session.commit()
    ended = T0 + dt.timedelta(minutes=2)
    if error:
        with pytest.raises(ValueError, match=error):
            update_call_outcome(session, call.id, outcome, ended_at=ended, **kwargs)
        return
    update_call_outcome(session, call.id, outcome, ended_at=ended, **kwargs)
    update_call_outcome(session, call.id, outcome, ended_at=ended, **kwargs)  # a retry
    session.commit()
    session.expire_all()
    stored = session.get(Call, call.id)
    assert (stored.outcome, stored.ended_at) == (outcome, ended)
    for name, value in kwargs.items():
        assert getattr(stored, name) == value


def test_database_refuses_an_unknown_outcome(session: Session) -> None:
    call = new_call(session)
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(text("UPDATE calls SET outcome = 'lost' WHERE id = :id"), {"id": call.id})
        session.flush()


def test_events_keep_order_and_json_detail(session: Session) -> None:
    call = new_call(session)
    append_event(session, call.id, "greeting", {"prompt": "greeting", "说明": "欢迎致电12330"})
    append_event(session, call.id, "menu", {"digit": "2", "tries": [1, 2]})
    append_event(session, call.id, "dial", None, at=T0 + dt.timedelta(seconds=30))
    session.commit()
    session.expire_all()
    events = session.get(Call, call.id).events
    assert [(e.step, e.detail) for e in events] == [
        ("greeting", {"prompt": "greeting", "说明": "欢迎致电12330"}),
        ("menu", {"digit": "2", "tries": [1, 2]}),
        ("dial", None),
    ]
    assert events[2].at == T0 + dt.timedelta(seconds=30)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE call_events SET step = 'edited'", "DELETE FROM call_events"],
)
def test_event_log_is_append_only(session: Session, statement: str) -> None:
    call = new_call(session)
    append_event(session, call.id, "greeting")
    session.commit()
    with pytest.raises(IntegrityError, match="append-only"):
        session.execute(text(statement))
    session.rollback()
    assert session.scalars(select(CallEvent.step)).all() == ["greeting"]


def test_event_for_an_unknown_call_is_refused(session: Session) -> None:
    # Foreign keys are enforced on SQLite too (PRAGMA foreign_keys via make_engine).
    with pytest.raises(IntegrityError):
        append_event(session, 999_999, "greeting")
