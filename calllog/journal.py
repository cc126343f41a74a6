"""The local append-only journal: a SQLite file in WAL mode, fsynced on every batch.

Everything the call path records lands here first, so the database can be down,
locked or slow without a caller noticing. One Journal object belongs to one thread
(the writer's); `JournalWriter` runs every method there.

Why SQLite and not a file format of our own: atomic batches, crash recovery and an
index on the sequence come with it, and `sqlite3` ships with Python.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    uniqueid TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    uniqueid TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    error TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    """One thing the call path recorded about call `uniqueid`."""

    uniqueid: str
    kind: str
    body: dict[str, Any]
    at: float  # epoch seconds, when the call path recorded it


@dataclass(frozen=True)
class StoredEntry:
    seq: int
    entry: Entry


@dataclass(frozen=True)
class JournalStats:
    depth: int  # entries not yet in the database
    oldest_at: float | None  # epoch of the oldest of them
    quarantined: int  # entries the database refused for good (see drain.py)
    bytes: int  # the journal's size in use on disk


class Journal:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # isolation_level=None: we open transactions ourselves, one per batch.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a committed batch survives a crash
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        self.journal_id = self._journal_id()

    def _journal_id(self) -> str:
        """A random id, made once per journal file: it keys replayed events, so a new
        file starting again at seq 1 can never collide with an old one."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'journal_id'").fetchone()
        if row:
            return str(row[0])
        journal_id = uuid.uuid4().hex[:12]
        self._db.execute("INSERT INTO meta (key, value) VALUES ('journal_id', ?)", (journal_id,))
        return journal_id

    def append(self, entries: list[Entry]) -> None:
        """Write a batch atomically and durably (one fsync for the batch)."""
        rows = [(e.at, e.uniqueid, e.kind, json.dumps(e.body, ensure_ascii=False)) for e in entries]
        with self._transaction():
            self._db.executemany(
                "INSERT INTO entries (at, uniqueid, kind, body) VALUES (?, ?, ?, ?)", rows
            )

    def pending(self, limit: int) -> list[StoredEntry]:
        """The oldest entries not yet in the database, in the order they were written."""
        rows = self._db.execute(
            "SELECT seq, at, uniqueid, kind, body FROM entries ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [_stored(row) for row in rows]

    def pending_uniqueids(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT DISTINCT uniqueid FROM entries")}

    def remove(self, seqs: list[int]) -> None:
        """Forget entries the database now holds."""
        with self._transaction():
            self._db.executemany("DELETE FROM entries WHERE seq = ?", [(s,) for s in seqs])

    def quarantine(self, stored: StoredEntry, error: str) -> None:
        """Move an entry the database refuses for good out of the queue, keeping it."""
        e = stored.entry
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO quarantine (seq, at, uniqueid, kind, body, error) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (stored.seq, e.at, e.uniqueid, e.kind, json.dumps(e.body), error[:2000]),
            )
            self._db.execute("DELETE FROM entries WHERE seq = ?", (stored.seq,))

    def stats(self) -> JournalStats:
        depth, oldest = self._db.execute("SELECT count(*), min(at) FROM entries").fetchone()
        (quarantined,) = self._db.execute("SELECT count(*) FROM quarantine").fetchone()
        return JournalStats(depth, oldest, quarantined, self.size_bytes())

    def size_bytes(self) -> int:
        """Bytes in use: pages freed by drained entries are reused, so they do not count."""
        (pages,) = self._db.execute("PRAGMA page_count").fetchone()
        (free,) = self._db.execute("PRAGMA freelist_count").fetchone()
        (page_size,) = self._db.execute("PRAGMA page_size").fetchone()
        return (pages - free) * page_size

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _stored(row: tuple[Any, ...]) -> StoredEntry:
    seq, at, uniqueid, kind, body = row
    return StoredEntry(seq, Entry(uniqueid, kind, json.loads(body), at))
