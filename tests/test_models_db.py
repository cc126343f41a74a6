"""models.db: SQLite connection settings and one pooled engine shared by threads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from models.db import SQLITE_BUSY_TIMEOUT_MS, make_engine


def pragma(engine: Engine, name: str) -> object:
    with engine.connect() as connection:
        return connection.execute(text(f"PRAGMA {name}")).scalar()


@pytest.mark.parametrize(
    ("foreign_keys", "expected"),
    [(True, 1), (False, 0)],
)
def test_sqlite_connections_are_configured(
    tmp_path: Path, foreign_keys: bool, expected: int
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", foreign_keys=foreign_keys)
    try:
        assert pragma(engine, "journal_mode") == "wal"
        assert pragma(engine, "busy_timeout") == SQLITE_BUSY_TIMEOUT_MS
        assert pragma(engine, "foreign_keys") == expected
    finally:
        engine.dispose()


def test_threads_share_the_engine_pool_not_a_connection(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", pool_size=2, max_overflow=0)
    opened: list[object] = []
    event.listen(engine, "connect", lambda dbapi_connection, _record: opened.append(1))
    done: list[int] = []

    def work() -> None:
        with engine.connect() as connection:
            done.append(connection.execute(text("SELECT 1")).scalar())

    try:
        for _ in range(3):
            threads = [threading.Thread(target=work) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        # Six units of work, at most two DBAPI connections: they are pooled, not reopened.
        assert done == [1] * 6
        assert 1 <= len(opened) <= 2
    finally:
        engine.dispose()


def test_engine_reaches_migrated_database(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM calls")).scalar() == 0
