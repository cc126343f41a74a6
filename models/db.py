"""Engines and sessions: a pooled engine per user of the database (the call path, the
console), a short session per unit of work.

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
# PostgreSQL: an unreachable server or a hung statement fails instead of holding a
# connection (and the thread waiting on it) for ever. The URL's own settings win.
PG_CONNECT_TIMEOUT_S = 10
PG_STATEMENT_TIMEOUT_MS = 60_000


def make_engine(
    url: str | URL,
    *,
    foreign_keys: bool = True,
    statement_timeout_ms: int | None = PG_STATEMENT_TIMEOUT_MS,
    **kwargs: Any,
) -> Engine:
    """An engine for `url`. SQLite gets WAL, a busy timeout and enforced foreign keys;
    PostgreSQL a connect timeout and a statement timeout, unless the URL sets them.

    `foreign_keys=False` is for migrations only: SQLite batch operations recreate
    tables, which must not trip foreign keys half-way (env.py checks them afterwards).
    `statement_timeout_ms=None` leaves the server's default (migrations may run long).
    """
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        _create_sqlite_parent(url)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(foreign_keys=foreign_keys))
        return engine
    kwargs.setdefault("pool_pre_ping", True)  # survive a PostgreSQL restart between calls
    if url.get_backend_name() == "postgresql":
        kwargs["connect_args"] = _postgres_timeouts(
            url, kwargs.get("connect_args", {}), statement_timeout_ms
        )
    return create_engine(url, **kwargs)


def _postgres_timeouts(
    url: URL, connect_args: dict[str, Any], statement_timeout_ms: int | None
) -> dict[str, Any]:
    """connect_args with our timeouts added where neither the URL nor the caller set one.

    SQLAlchemy lets connect_args override the URL's query, so the URL is checked here.
    """
    args = dict(connect_args)
    if "connect_timeout" not in url.query:
        args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    if statement_timeout_ms is None:
        return args
    options = args.get("options", url.query.get("options", ""))
    if not isinstance(options, str) or "statement_timeout" in options:
        return args
    # A URL's other options (search_path, ...) are kept: ours is appended to them.
    args["options"] = f"{options} -c statement_timeout={statement_timeout_ms}".strip()
    return args


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
