"""Drain the journal into the database in the background, in order, in batches.

The database may be down, locked or slow: the drainer backs off and tries the same
batch again, and the journal grows meanwhile. An entry the database refuses for
good (bad data, a call whose start was lost) is quarantined in the journal with the
error, loudly, so one bad entry can never hold up the calls behind it.

All database work runs on one thread of its own, never on asyncio's default pool,
which other work shares.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import structlog
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from calllog.apply import apply_entries
from calllog.journal import StoredEntry
from calllog.writer import JournalWriter
from models.calls import Call

log = structlog.get_logger("drain")

T = TypeVar("T")

BATCH_SIZE = 200
IDLE_WAIT_SECONDS = 1.0  # look again this often even when no write woke us
PROBE_SECONDS = 10.0  # an idle drainer checks the database this often
BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
# The database (or the network to it) is unavailable: try the same batch again later.
TRANSIENT = (OperationalError, PoolTimeout)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT):
        return True
    # A dropped connection surfaces as a DBAPIError flagged invalidated.
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class Drainer:
    def __init__(self, writer: JournalWriter, sessions: sessionmaker[Session]) -> None:
        self._writer = writer
        self._sessions = sessions
        self._db_thread = ThreadPoolExecutor(1, thread_name_prefix="calllog-db")
        self._task: asyncio.Task[None] | None = None
        self.db_ok: bool | None = None  # None until the first batch
        self.db_error: str | None = None
        self.db_down_since: float | None = None
        self.applied = 0
        self.quarantined = 0
        self._probed = -PROBE_SECONDS

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="journal-drain")

    async def in_db_thread(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one transaction on the drainer's thread (reconcile shares it, so
        it never races the drain of this server's own journal)."""

        def transaction() -> T:
            with self._sessions.begin() as session:
                return work(session)

        return await asyncio.get_running_loop().run_in_executor(self._db_thread, transaction)

    async def drain_once(self) -> int:
        """Apply one batch; how many entries left the queue (0: nothing to do).
        Raises what a transient database failure raised."""
        batch = await self._writer.run(lambda j: j.pending(BATCH_SIZE))
        if not batch:
            if time.monotonic() - self._probed > PROBE_SECONDS:
                # Idle: still look at the database, so /health tells its state now.
                self._probed = time.monotonic()
                await self.in_db_thread(lambda s: s.execute(select(Call.id).limit(1)))
            return 0
        journal_id = self._writer.journal_id
        try:
            await self.in_db_thread(lambda s: apply_entries(s, journal_id, batch))
        except Exception as exc:
            if is_transient(exc):
                raise
            await self._apply_one_by_one(journal_id, batch)
        else:
            await self._writer.run(lambda j: j.remove([s.seq for s in batch]))
        self.applied += len(batch)
        return len(batch)

    async def _apply_one_by_one(self, journal_id: str, batch: list[StoredEntry]) -> None:
        """A batch the database refused: find the bad entry, keep the good ones."""
        for stored in batch:
            try:
                await self.in_db_thread(lambda s, one=stored: apply_entries(s, journal_id, [one]))
            except Exception as exc:
                if is_transient(exc):
                    raise
                self.quarantined += 1
                log.error(
                    "drain.quarantined",
                    call_id=stored.entry.uniqueid,
                    kind=stored.entry.kind,
                    seq=stored.seq,
                    error=repr(exc)[:300],
                )
                await self._writer.run(lambda j, one=stored, e=exc: j.quarantine(one, repr(e)))
            else:
                await self._writer.run(lambda j, one=stored: j.remove([one.seq]))

    async def _loop(self) -> None:
        failures = 0
        while True:
            self._writer.written.clear()  # before reading: a write from now on wakes us
            try:
                moved = await self.drain_once()
            except Exception as exc:  # the database is unavailable: the journal waits
                failures += 1
                self._mark_down(exc)
                await asyncio.sleep(BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS)) - 1])
                continue
            if failures or self.db_ok is None:
                self._mark_up(failures)
            failures = 0
            if moved == 0:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that
                # arrives as the event is set (stop() flushes, then cancels).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_WAIT_SECONDS):
                        await self._writer.written.wait()

    def _mark_down(self, exc: BaseException) -> None:
        if self.db_ok is not False:
            self.db_down_since = time.time()
            log.error("drain.database_unavailable", error=repr(exc)[:300])
        self.db_ok = False
        self.db_error = repr(exc)[:300]

    def _mark_up(self, failures: int) -> None:
        if failures:
            log.warning("drain.database_back", failed_tries=failures)
        self.db_ok = True
        self.db_error = None
        self.db_down_since = None

    async def stop(self, deadline: float) -> None:
        """Drain what can be drained before `deadline` seconds, then stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            async with asyncio.timeout(deadline):
                while await self.drain_once():
                    pass
        self._db_thread.shutdown(wait=False)
