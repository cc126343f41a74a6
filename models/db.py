"""Engines and sessions: one pooled engine per process, a short session per unit of work.

The call path runs these synchronous sessions in worker threads (asyncio.to_thread);
the engine's pool hands each thread its own connection, so never share a Session
between threads.

    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    with sessions.begin() as session:   # commits, or rolls back on an exception
        create_call(session, ...)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str | URL, *, foreign_keys: bool = True, **kwargs: Any) -> Engine:
    """An engine for `url`. SQLite gets WAL, a busy timeout and enforced foreign keys.

    `foreign_keys=False` is for migrations only: SQLite batch operations recreate
    tables, which must not trip foreign keys half-way (env.py checks them afterwards).
    """
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        _create_sqlite_parent(url)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(foreign_keys=foreign_keys))
        return engine
    kwargs.setdefault("pool_pre_ping", True)  # survive a PostgreSQL restart between calls
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit: the call path hands them to other threads.
    return sessionmaker(engine, expire_on_commit=False)


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _create_sqlite_parent(url: URL) -> None:
    if is_memory_sqlite(url) or (url.database or "").startswith("file:"):
        return
    Path(url.database or "").expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(*, foreign_keys: bool) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # WAL: readers (reports) never block the call path's writes, and vice versa.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    return on_connect
