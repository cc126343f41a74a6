"""models.db: SQLite connection settings, PostgreSQL timeouts, and one pooled engine
shared by threads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from models.db import (
    PG_CONNECT_TIMEOUT_S,
    PG_STATEMENT_TIMEOUT_MS,
    SQLITE_BUSY_TIMEOUT_MS,
    make_engine,
)


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


# --- PostgreSQL timeouts -----------------------------------------------------------------


def pg_timeouts(url: str | URL, **kwargs: object) -> tuple[str, str]:
    """(statement_timeout as the server shows it, the connection's connect_timeout)."""
    engine = make_engine(url, **kwargs)
    try:
        with engine.connect() as connection:
            shown = connection.execute(text("SHOW statement_timeout")).scalar()
            params = connection.connection.dbapi_connection.info.get_parameters()
            return shown, params.get("connect_timeout", "")
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("query", "kwargs", "statement", "connect"),
    [
        ("", {}, "1min", str(PG_CONNECT_TIMEOUT_S)),
        # The URL's own settings win over ours.
        ("options=-c%20statement_timeout%3D7s", {}, "7s", str(PG_CONNECT_TIMEOUT_S)),
        ("connect_timeout=3", {}, "1min", "3"),
        # Other options in the URL are kept, ours appended.
        ("options=-c%20application_name%3Dx", {}, "1min", str(PG_CONNECT_TIMEOUT_S)),
        # Migrations: the server's default (0, no limit).
        ("", {"statement_timeout_ms": None}, "0", str(PG_CONNECT_TIMEOUT_S)),
    ],
)
def test_postgres_connections_have_timeouts_unless_the_url_sets_them(
    postgres_server_url: str, query: str, kwargs: dict, statement: str, connect: str
) -> None:
    assert PG_STATEMENT_TIMEOUT_MS == 60_000  # shown by the server as 1min
    url = make_url(postgres_server_url).update_query_string(query, append=True)
    assert pg_timeouts(url, **kwargs) == (statement, connect)


@pytest.mark.postgres
def test_postgres_keeps_other_options_of_the_url(postgres_server_url: str) -> None:
    url = make_url(postgres_server_url).update_query_string(
        "options=-c%20application_name%3Dfrom-url", append=True
    )
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW application_name")).scalar() == "from-url"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_statement_over_the_timeout_is_cancelled(postgres_server_url: str) -> None:
    engine = make_engine(postgres_server_url, statement_timeout_ms=200)
    try:
        with engine.connect() as connection, pytest.raises(OperationalError, match="timeout"):
            connection.execute(text("SELECT pg_sleep(3)"))
    finally:
        engine.dispose()
