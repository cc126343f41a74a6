"""The write-behind call log: journal file, idempotent replay, drain through outages.

Replay scenarios are tables of journal entries, applied to a real database (SQLite
and PostgreSQL); the outage tests hold a real lock on the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from agi.flow.calllog import CallRecorder
from calllog import drain as drain_mod
from calllog import writer as writer_mod
from calllog.apply import apply_entries
from calllog.drain import Drainer
from calllog.journal import Entry, Journal, StoredEntry
from calllog.writer import JournalWriter
from migrations import upgrade
from models import repository as repo
from models.calls import Call, CallEvent, CallOutcome, CallSource
from models.db import make_engine, session_factory
from models.recordings import Recording
from models.voicemail import Voicemail
from routing.reasons import Code, Reason

T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


def identity(uniqueid: str = "1764000000.1") -> dict:
    return {
        "uniqueid": uniqueid,
        "linkedid": uniqueid,
        "started_at": T0.isoformat(),
        "dialled_number": "01012330",
        "caller_number": "13800138000",
        "trunk_area_code": None,
        "is_test": False,
    }


def entry(kind: str, body: dict, uniqueid: str = "1764000000.1") -> Entry:
    return Entry(uniqueid, kind, body, T0.timestamp())


def stored(seq: int, e: Entry) -> StoredEntry:
    return StoredEntry(seq, e)


START = entry("start", {"call": identity()})
EVENT = entry("event", {"step": "routed", "detail": {"x": 1}, "at": T0.isoformat()})
ROUTED = entry("routed", {"area_code": "010", "centre_id": "bj", "is_open": True, "reason": "r"})
FINISH = entry(
    "finish",
    {
        "outcome": "answered",
        "call": identity(),
        "ended_at": (T0 + dt.timedelta(seconds=60)).isoformat(),
        "answered_at": (T0 + dt.timedelta(seconds=10)).isoformat(),
        "answered_line": "PJSIP/bj-op1",
        "talk_seconds": 50.0,
        "wait_seconds": 5.0,
    },
)
RECORDING = entry(
    "recording",
    {"path": "2026/11/25/1764000000.1.wav", "status": "ok", "bytes": 10, "sha256": None},
)
VOICEMAIL = entry("voicemail", {"mailbox": "bj", "file": "voicemail/a.wav"})


# --- the journal file ----------------------------------------------------------------


def test_journal_keeps_entries_in_order_across_a_reopen(tmp_path):
    path = tmp_path / "journal.sqlite3"
    journal = Journal(path)
    journal.append([START, EVENT])
    journal.append([ROUTED])
    journal_id = journal.journal_id
    journal.close()  # as after a crash: nothing was drained

    again = Journal(path)
    pending = again.pending(10)
    assert [s.entry for s in pending] == [START, EVENT, ROUTED]
    assert again.journal_id == journal_id  # replay keys stay the same
    again.remove([pending[0].seq])
    assert [s.entry.kind for s in again.pending(10)] == ["event", "routed"]
    stats = again.stats()
    assert stats.depth == 2 and stats.oldest_at == T0.timestamp() and stats.quarantined == 0


def test_a_new_journal_file_gets_a_new_id(tmp_path):
    assert Journal(tmp_path / "a").journal_id != Journal(tmp_path / "b").journal_id


def test_quarantine_moves_an_entry_out_of_the_queue(tmp_path):
    journal = Journal(tmp_path / "j")
    journal.append([START, EVENT])
    first = journal.pending(1)[0]
    journal.quarantine(first, "ValueError('bad')")
    assert [s.entry.kind for s in journal.pending(10)] == ["event"]
    assert journal.stats().quarantined == 1


# --- replay into the database --------------------------------------------------------


def replay(sessions, journal_id: str, entries: list[Entry], first_seq: int = 1) -> None:
    batch = [stored(first_seq + i, e) for i, e in enumerate(entries)]
    with sessions.begin() as session:
        apply_entries(session, journal_id, batch)


def call_row(sessions, uniqueid: str = "1764000000.1") -> Call:
    with sessions() as session:
        return session.scalars(select(Call).where(Call.uniqueid == uniqueid)).one()


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_replaying_a_batch_twice_writes_everything_once(sessions):
    batch = [START, EVENT, ROUTED, FINISH, RECORDING, VOICEMAIL]
    replay(sessions, "j1", batch)
    replay(sessions, "j1", batch)  # the drainer died before it removed the batch
    call = call_row(sessions)
    assert call.outcome is CallOutcome.ANSWERED and call.closed_by is CallSource.AGI
    assert call.centre_id == "bj" and call.answered_line == "PJSIP/bj-op1"
    assert call.talk_seconds == 50.0
    assert (count(sessions, Call), count(sessions, CallEvent)) == (1, 1)
    assert (count(sessions, Recording), count(sessions, Voicemail)) == (1, 1)


# the routed entry's reason, the finish entry's failure reason -> what the call row stores
STORED_REASONS = [
    ('{"code":"closed_weekend"}', None, '{"code":"closed_weekend"}', None),
    # an entry journalled before reasons were codes (drained after the upgrade)
    ("r", "AGI timeout", '{"code":"legacy","text":"r"}', '{"code":"legacy","text":"AGI timeout"}'),
    (
        '{"code":"closed_local","note":"' + "长" * 300 + '"}',
        '{"code":"cut_off"}',
        '{"code":"closed_local","note":"' + "长" * 221 + '…"}',  # fits open_reason's 255
        '{"code":"cut_off"}',
    ),
]


@pytest.mark.parametrize(("reason", "failure", "open_reason", "failure_reason"), STORED_REASONS)
def test_reasons_are_stored_as_codes(sessions, reason, failure, open_reason, failure_reason):
    routed = entry("routed", {**ROUTED.body, "reason": reason})
    ended = (T0 + dt.timedelta(seconds=60)).isoformat()
    body = {"outcome": "failed", "call": identity(), "ended_at": ended, "failure_reason": failure}
    finish = entry("finish", body)
    replay(sessions, "j1", [START, routed, finish])
    call = call_row(sessions)
    assert (call.open_reason, call.failure_reason) == (open_reason, failure_reason)


def test_the_same_event_from_another_journal_is_another_event(sessions):
    replay(sessions, "j1", [START, EVENT])
    replay(sessions, "j2", [EVENT])
    assert count(sessions, CallEvent) == 2


def reconcile_close(sessions, outcome: CallOutcome) -> bool:
    with sessions.begin() as session:
        call = repo.create_call(
            session,
            uniqueid="1764000000.1",
            linkedid="1764000000.1",
            started_at=T0,
            dialled_number="01012330",
            source=CallSource.RECONCILED,
        )
        return repo.close_call(session, call.id, outcome, closed_by=CallSource.RECONCILED)


@dataclass(frozen=True)
class Order:
    name: str
    steps: tuple[str, ...]  # "live:<entries>" replayed, or "reconcile"
    outcome: CallOutcome
    closed_by: CallSource


ORDERS = [
    Order("live only", ("live",), CallOutcome.ANSWERED, CallSource.AGI),
    # The hangup step's server drained before the call step's server: one row.
    Order("finish before start", ("finish", "start"), CallOutcome.ANSWERED, CallSource.AGI),
    # Reconcile guessed from the CDR while the journal was still draining: live wins.
    Order("reconcile, then live", ("reconcile", "live"), CallOutcome.ANSWERED, CallSource.AGI),
    # A late reconcile never replaces what the live path wrote.
    Order("live, then reconcile", ("live", "reconcile"), CallOutcome.ANSWERED, CallSource.AGI),
]


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: o.name)
def test_outcome_precedence_whatever_the_order(sessions, order: Order):
    seq = 1
    for step in order.steps:
        if step == "reconcile":
            reconcile_close(sessions, CallOutcome.VOICEMAIL)
            continue
        entries = {"live": [START, ROUTED, FINISH], "finish": [FINISH], "start": [START, ROUTED]}
        replay(sessions, f"journal-{step}", entries[step], first_seq=seq)
        seq += 10
    call = call_row(sessions)
    assert (call.outcome, call.closed_by) == (order.outcome, order.closed_by)
    assert count(sessions, Call) == 1


def test_an_entry_for_a_call_nobody_started_is_refused(sessions):
    with pytest.raises(LookupError), sessions.begin() as session:
        apply_entries(session, "j", [stored(1, ROUTED)])


# --- the writer and the drainer ------------------------------------------------------


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(drain_mod, "BACKOFF_SECONDS", (0.05,))
    monkeypatch.setattr(drain_mod, "IDLE_WAIT_SECONDS", 0.05)
    monkeypatch.setattr(writer_mod, "RETRY_SECONDS", 0.05)


async def wait_until(predicate, seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not predicate():
            await asyncio.sleep(0.02)


def record_a_call(journal: JournalWriter, uniqueid: str) -> None:
    recorder = CallRecorder.for_call(
        journal,
        uniqueid=uniqueid,
        linkedid=uniqueid,
        started_at=T0,
        dialled_number="01012330",
        caller_number="13800138000",
        trunk_area_code=None,
        is_test=False,
    )
    recorder.start()
    recorder.event("call_start")
    reason = Reason.of(Code.OPEN_HOURS, range="09:00–12:00")
    recorder.routed(area_code="010", centre_id="bj", is_open=True, reason=reason)
    recorder.finish(CallOutcome.VOICEMAIL, ended_at=T0 + dt.timedelta(seconds=30))


async def test_calls_recorded_while_the_database_is_locked_drain_after(tmp_path, fast_retries):
    # SQLite held by an exclusive writer; the PostgreSQL outage (server stopped) is the
    # fault suite's, on the real stack.
    db_path = tmp_path / "hotline12330.sqlite3"
    upgrade(f"sqlite:///{db_path}")
    engine = make_engine(f"sqlite:///{db_path}")
    sessions = session_factory(engine)
    journal = JournalWriter(tmp_path / "journal.sqlite3", max_bytes=10**8)
    drainer = Drainer(journal, sessions)
    await journal.start()
    drainer.start()
    # Another writer holds the database: every write of ours fails with "locked".
    locker = sqlite3.connect(db_path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        loop = asyncio.get_running_loop()
        before = loop.time()
        for n in range(20):
            record_a_call(journal, f"1764000000.{n}")
        assert loop.time() - before < 0.05  # recording never waits on the database
        # SQLite's busy timeout (models.db) runs out first.
        await wait_until(lambda: drainer.db_ok is False, 30)
        stats = await journal.run(lambda j: j.stats())
        assert stats.depth == 80  # all durable in the journal, none in the database
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    await wait_until(lambda: drainer.db_ok is True and drainer.applied == 80)
    assert count(sessions, Call) == 20
    assert count(sessions, CallEvent) == 20
    assert (await journal.run(lambda j: j.stats())).depth == 0
    await drainer.stop(5)
    await journal.stop()
    engine.dispose()


async def test_a_bad_entry_is_quarantined_and_the_rest_drain(tmp_path, sessions, fast_retries):
    journal = JournalWriter(tmp_path / "journal.sqlite3", max_bytes=10**8)
    drainer = Drainer(journal, sessions)
    await journal.start()
    journal.record("orphan.1", "routed", {"centre_id": "bj"})  # its start was never written
    record_a_call(journal, "1764000000.7")
    await journal.flush()
    drainer.start()
    await wait_until(lambda: drainer.applied == 5)
    assert drainer.quarantined == 1
    assert call_row(sessions, "1764000000.7").outcome is CallOutcome.VOICEMAIL
    stats = await journal.run(lambda j: j.stats())
    assert (stats.depth, stats.quarantined) == (0, 1)
    await drainer.stop(5)
    await journal.stop()


async def test_a_full_journal_keeps_entries_in_memory_and_never_raises(tmp_path, fast_retries):
    journal = JournalWriter(tmp_path / "journal.sqlite3", max_bytes=1)  # full from the start
    await journal.start()
    record_a_call(journal, "1764000000.9")
    await wait_until(lambda: journal.failing is not None)
    assert "JournalFull" in journal.failing
    assert journal.buffered == 4
    journal.max_bytes = 10**8  # room again (an administrator freed the disk)
    await wait_until(lambda: journal.failing is None and journal.buffered == 0)
    assert (await journal.run(lambda j: j.stats())).depth == 4
    await journal.stop()
