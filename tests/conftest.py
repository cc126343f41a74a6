"""Shared fixtures.

Database fixtures, each test on a fresh database, on SQLite AND PostgreSQL:
  db_url        an empty database (param ids "sqlite" / "postgres")
  migrated_url  the same, after `alembic upgrade head` (migrations.upgrade)
  engine        models.db.make_engine(migrated_url), disposed afterwards
  sessions      session_factory(engine)
  session       one Session, closed afterwards

PostgreSQL: HOTLINE12330_TEST_PG_URL names a server whose role may CREATE DATABASE;
unset, the dev server is started by the same code as `python -m devstack postgres up`.
Each test gets its own database, dropped afterwards. When no server can be had the
PostgreSQL half is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from devstack import postgres as devstack_postgres
from migrations import upgrade
from models.db import make_engine, session_factory

# The Asterisk dev-stack fixtures (asterisk_stack) live in their own plugin module.
pytest_plugins = ["conftest_asterisk"]

TEST_PG_URL_ENV = "HOTLINE12330_TEST_PG_URL"
TEST_DATABASE_PREFIX = "hotline12330_test_"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def unavailable(reason: str) -> None:
    """Skip a test that needs a service which is not there; fail instead under CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """A PostgreSQL URL whose role may create databases."""
    url = os.environ.get(TEST_PG_URL_ENV)
    if url:
        return url
    try:
        return devstack_postgres.up(devstack_postgres.default_cluster())
    except (devstack_postgres.PostgresError, OSError) as exc:
        unavailable(f"no PostgreSQL for the tests ({TEST_PG_URL_ENV} unset): {exc}")
        raise  # unreachable: unavailable() always raises


@contextlib.contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty, uniquely named database on the server; dropped on exit."""
    server = make_url(server_url)
    name = f"{TEST_DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError as exc:
        admin.dispose()
        unavailable(f"cannot create a test database on {server!r}: {exc.orig}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            _drop_database(admin, name)
        finally:
            admin.dispose()


def _drop_database(admin, name: str) -> None:
    """Drop a test database even while autovacuum visits it.

    Plain DROP DATABASE makes autovacuum workers leave; WITH (FORCE) ends our own
    leftover sessions but refuses to signal an autovacuum worker without
    pg_signal_backend (PostgreSQL 15). So: plain first, then FORCE, a few times.
    """
    statements = [
        f'DROP DATABASE IF EXISTS "{name}"',
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
    ]
    for attempt in range(10):
        try:
            with admin.connect() as connection:
                connection.execute(text(statements[attempt % 2]))
            return
        except DBAPIError:
            if attempt == 9:
                raise
            time.sleep(0.3)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hotline12330.sqlite3'}"
        return
    server_url = request.getfixturevalue("postgres_server_url")
    with fresh_postgres_database(server_url) as url:
        yield url


@pytest.fixture
def migrated_url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session
