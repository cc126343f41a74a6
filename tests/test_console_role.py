"""The console's PostgreSQL role: it can append to and read the audit log, do the
console's own work, and nothing that could hide a row (UPDATE, DELETE, TRUNCATE, or
dropping/disabling the append-only triggers)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from conftest import fresh_postgres_database, unavailable
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

import models
from cli.main import main
from devstack import postgres as devstack_postgres
from migrations import upgrade
from models.audit import AuditEntry
from models.audit_chain import append, verify
from models.console_role import create_role_sql
from models.db import make_engine, session_factory

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_the_sql_grants_every_table_and_only_appends_to_the_audit_log(capsys):
    assert main(["postgres", "console-role", "--role", "console_x"]) == 0
    lines = capsys.readouterr().out.splitlines()
    grants = {
        line.split(" ON ")[1].split(" TO ")[0]: line.split(" ON ")[0].removeprefix("GRANT ")
        for line in lines
        if line.startswith("GRANT ") and "SCHEMA" not in line
    }
    assert grants.pop("audit_log") == "SELECT, INSERT"
    assert grants.pop("call_events") == "SELECT"
    assert grants.pop("hotline12330_alembic_version") == "SELECT"
    assert set(grants) == set(models.Base.metadata.tables) - {"audit_log", "call_events"}
    assert not any("OWNER" in line or "TRIGGER" in line or "TRUNCATE" in line for line in lines)


@pytest.mark.parametrize("role", ["Console", "x; DROP TABLE users", "a" * 64, ""])
def test_a_role_name_that_is_not_plain_is_refused(role, capsys):
    assert main(["postgres", "console-role", "--role", role]) == 2
    assert "lowercase letters" in capsys.readouterr().err


def test_apply_needs_postgresql(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    assert main(["postgres", "console-role", "--apply", "--url", url]) == 2
    assert "needs a PostgreSQL database" in capsys.readouterr().err


@pytest.fixture
def pg_url(postgres_server_url: str) -> Iterator[str]:
    with fresh_postgres_database(postgres_server_url) as url:
        upgrade(url)
        yield url


@pytest.fixture
def console_url(pg_url: str) -> Iterator[str]:
    """pg_url as a fresh console role (granted by the command), dropped afterwards."""
    role = f"hotline12330_console_{secrets.token_hex(4)}"
    password = secrets.token_hex(12)
    grant = ["postgres", "console-role", "--role", role, "--apply", "--url", pg_url]
    assert main(grant) == 1  # no such role yet: a superuser creates it
    superuser = superuser_session()
    superuser.execute(
        sql.SQL("{} PASSWORD {}").format(sql.SQL(create_role_sql(role)), sql.Literal(password))
    )
    try:
        assert main(grant) == 0  # the owner grants
        url = make_url(pg_url).set(username=role, password=password)
        yield url.render_as_string(hide_password=False)
    finally:
        dbname = make_url(pg_url).database
        with psycopg.connect(
            devstack_postgres.superuser_conninfo(devstack_postgres.default_cluster(), dbname),
            autocommit=True,
        ) as in_db:
            in_db.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        superuser.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
        superuser.close()


def superuser_session() -> psycopg.Connection:
    """The dev cluster's superuser (roles are cluster-wide; the owner cannot create one)."""
    try:
        return psycopg.connect(
            devstack_postgres.superuser_conninfo(devstack_postgres.default_cluster()),
            autocommit=True,
            connect_timeout=10,
        )
    except (psycopg.Error, OSError) as exc:
        unavailable(f"the dev cluster's superuser (roles need one): {exc}")
        raise


def audit_entry(n: int) -> AuditEntry:
    return AuditEntry(
        at=T0 + dt.timedelta(seconds=n),
        username="admin",
        action="play",
        object_type="recording",
        object_id=str(n),
        ip="127.0.0.1",
    )


# (row id, statement the console role must not be able to run)
REFUSED = [
    ("update", "UPDATE audit_log SET ip = '10.0.0.1'"),
    ("delete", "DELETE FROM audit_log"),
    ("truncate", "TRUNCATE audit_log"),
    ("drop-trigger", "DROP TRIGGER audit_log_append_only ON audit_log"),
    ("disable-triggers", "ALTER TABLE audit_log DISABLE TRIGGER ALL"),
    ("drop-table", "DROP TABLE audit_log"),
    ("update-call-events", "UPDATE call_events SET detail = NULL"),
]


@pytest.mark.postgres
def test_the_console_role_appends_and_reads_but_cannot_hide_a_row(console_url, pg_url):
    engine = make_engine(console_url)
    try:
        with session_factory(engine).begin() as session:  # the console's own inserts work
            append(session, audit_entry(1))
            append(session, audit_entry(2))
            session.execute(
                text(
                    "INSERT INTO login_attempts (username, ip, at, succeeded) "
                    "VALUES ('admin', '127.0.0.1', now(), false)"
                )
            )
            session.execute(text("DELETE FROM login_attempts"))
        for _name, statement in REFUSED:
            with pytest.raises(DBAPIError) as caught, engine.begin() as connection:
                connection.execute(text(statement))
            message = str(caught.value.orig)
            assert "permission denied" in message or "must be owner" in message, message
        with session_factory(engine)() as session:
            report = verify(session)
        assert (report.intact, report.rows) == (True, 2), report
    finally:
        engine.dispose()
    # Re-running the grants (after a `db upgrade`) is harmless.
    assert (
        main(
            [
                "postgres",
                "console-role",
                "--role",
                make_url(console_url).username,
                "--apply",
                "--url",
                pg_url,
            ]
        )
        == 0
    )
