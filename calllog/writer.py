"""The call path's side of the journal: `record()` never waits; batches are written
and fsynced on the journal's own thread a few milliseconds later.

A caller is never held up by the disk: if the journal cannot be written (disk full,
I/O error, over its size bound) the entries stay in memory up to a bound and the
failure is logged loudly; past that bound they are counted as dropped, and the
call's row comes back from Asterisk's CDR through reconcile.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import structlog

from calllog.journal import Entry, Journal

log = structlog.get_logger("journal")

T = TypeVar("T")

BATCH_WAIT_SECONDS = 0.002  # gather entries this long before one fsync
RETRY_SECONDS = 0.5
MAX_BUFFERED = 100_000  # entries kept in memory while the journal cannot be written


class JournalFull(OSError):
    """The journal reached its documented disk bound (journal_max_bytes)."""


class JournalWriter:
    def __init__(self, path: Path, *, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="journal")
        self._journal: Journal | None = None
        self._buffer: list[Entry] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._size = 0
        self.written = asyncio.Event()  # set after every batch; the drainer waits on it
        self.dropped = 0
        self.failing: str | None = None  # why the last write failed, until one succeeds

    @property
    def journal_id(self) -> str:
        assert self._journal is not None, "start() first"
        return self._journal.journal_id

    async def start(self) -> None:
        self._journal = await self._run_raw(Journal, self.path)
        self._size = await self.run(lambda j: j.size_bytes())
        self._task = asyncio.create_task(self._flush_loop(), name="journal-flush")

    def record(self, uniqueid: str, kind: str, body: dict[str, Any]) -> None:
        """Queue one entry. Never blocks and never raises: the call goes on regardless."""
        if len(self._buffer) >= MAX_BUFFERED:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.error("journal.dropped", dropped=self.dropped, reason=self.failing)
            return
        self._buffer.append(Entry(uniqueid, kind, body, time.time()))
        self._wake.set()

    async def run(self, work: Callable[[Journal], T]) -> T:
        """Run `work(journal)` on the journal's thread (the drainer reads through this)."""
        journal = self._journal
        assert journal is not None, "start() first"
        return await self._run_raw(work, journal)

    async def _run_raw(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def _flush_loop(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(BATCH_WAIT_SECONDS)
            self._wake.clear()
            await self.flush()
            if self._buffer:  # the write failed: try again a little later
                await asyncio.sleep(RETRY_SECONDS)
                self._wake.set()

    async def flush(self) -> None:
        """Write what is buffered now; on failure it stays buffered, in order."""
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        try:
            self._size = await self.run(lambda j: _append_bounded(j, batch, self.max_bytes))
        except Exception as exc:  # disk full, I/O error, over the bound: loud, never fatal
            self._buffer[:0] = batch
            if self.failing is None:
                log.error("journal.write_failed", error=repr(exc)[:300], buffered=len(batch))
            self.failing = repr(exc)[:300]
            return
        if self.failing is not None:
            log.warning("journal.write_recovered", buffered=len(self._buffer))
        self.failing = None
        self.written.set()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def size_bytes(self) -> int:
        return self._size

    async def stop(self, deadline: float = 5.0) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            async with asyncio.timeout(deadline):
                await self.flush()
                if self._journal is not None:
                    await self.run(lambda j: j.close())
        self._executor.shutdown(wait=False)


def _append_bounded(journal: Journal, batch: list[Entry], max_bytes: int) -> int:
    size = journal.size_bytes()
    if size >= max_bytes:
        raise JournalFull(f"journal {journal.path} is {size} bytes, bound {max_bytes}")
    journal.append(batch)
    return journal.size_bytes()
