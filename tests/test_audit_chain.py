"""The audit log's hash chain on SQLite and PostgreSQL: every deletion or edit made
around the append-only triggers is found by `hotline12330 audit verify`, which names
the first broken row; an untouched log verifies; concurrent inserts never fork."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, text

from cli.main import main
from migrations import upgrade
from models.audit import AuditEntry
from models.audit_chain import GENESIS, append, fields_of, row_hash, verify
from models.db import make_engine, session_factory

T0 = dt.datetime(2026, 12, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)


def entry(n: int) -> AuditEntry:
    return AuditEntry(
        at=T0 + dt.timedelta(seconds=n),
        user_id=None,
        username=f"张三{n}",
        action="play",
        object_type="recording",
        object_id=f"2026/12/01/{n}.wav",
        ip="127.0.0.1",
        user_agent="Mozilla/5.0",
        detail={"range": "bytes=0-", "n": n} if n % 2 else None,
    )


def write_log(sessions, count: int) -> list[int]:
    with sessions.begin() as session:
        rows = [entry(n) for n in range(count)]
        for row in rows:
            append(session, row)
    return [row.id for row in rows]


def test_column_defaults_are_hashed_as_stored(migrated_url, sessions):
    with sessions.begin() as session:  # no `at`, no user_agent: the columns' defaults
        append(
            session,
            AuditEntry(
                username="a", action="play", object_type="recording", object_id="1", ip="::1"
            ),
        )
    with sessions() as session:
        assert verify(session).intact


def drop_triggers(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
    else:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("DROP TRIGGER audit_log_no_delete"))


def verify_cli(url: str, capsys) -> tuple[int, str]:
    code = main(["audit", "verify", "--url", url])
    return code, capsys.readouterr().out


def test_an_untouched_log_verifies(migrated_url, sessions, capsys):
    assert verify_cli(migrated_url, capsys) == (0, "OK: the audit log is empty\n")
    ids = write_log(sessions, 5)
    with sessions() as session:
        report = verify(session, batch=2)
        first = session.get(AuditEntry, ids[0])
    assert (report.intact, report.rows, report.head_id) == (True, 5, ids[-1])
    assert first.prev_hash == GENESIS
    assert first.row_hash == row_hash(fields_of(first), GENESIS)
    code, out = verify_cli(migrated_url, capsys)
    assert code == 0 and out.startswith(f"OK: 5 rows, chain intact; head: row {ids[-1]} ")


def _delete(session, ids):
    session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[2]})


def _delete_first(session, ids):
    session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[0]})


def _edit(session, ids):
    session.execute(text("UPDATE audit_log SET ip = '10.0.0.9' WHERE id = :id"), {"id": ids[2]})


def _edit_and_rehash(session, ids):
    row = session.get(AuditEntry, ids[2])
    row.username = "someone-else"
    row.row_hash = row_hash(fields_of(row), row.prev_hash)
    session.flush()


def _edit_detail(session, ids):
    session.execute(text("UPDATE audit_log SET detail = NULL WHERE id = :id"), {"id": ids[3]})


def _unchained_insert(session, ids):
    session.add(entry(99))  # around audit_chain.append: no hashes
    session.flush()


# (row id, tampering, index of the first broken row: ids[i], or "new" for the added row)
TAMPER_ROWS = [
    ("delete-a-row", _delete, 3, "was deleted"),
    ("delete-the-first-row", _delete_first, 1, "the start of the log"),
    ("edit-a-row", _edit, 2, "was edited"),
    ("edit-the-json-detail", _edit_detail, 3, "was edited"),
    ("edit-and-recompute-its-hash", _edit_and_rehash, 3, "prev_hash does not match"),
    ("insert-around-the-chain", _unchained_insert, "new", "has no hash"),
]


@pytest.mark.parametrize(
    ("tamper", "broken", "reason"), [pytest.param(*r[1:], id=r[0]) for r in TAMPER_ROWS]
)
def test_dropping_the_trigger_and_tampering_breaks_the_chain(
    migrated_url, sessions, capsys, tamper, broken, reason
):
    ids = write_log(sessions, 6)
    with sessions.begin() as session:
        drop_triggers(session)
        tamper(session, ids)
    with sessions() as session:
        new_id = session.scalar(select(func.max(AuditEntry.id)))
    broken_id = new_id if broken == "new" else ids[broken]
    code, out = verify_cli(migrated_url, capsys)
    assert code == 1
    assert out.startswith(f"BROKEN: audit_log row {broken_id}: ")
    assert reason in out


def test_the_migration_chains_rows_written_before_it(db_url, capsys):
    upgrade(db_url, "0004")
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            for n in range(4):
                connection.execute(
                    text(
                        "INSERT INTO audit_log (at, username, action, object_type, object_id,"
                        " ip, user_agent) VALUES (:at, :u, 'play', 'recording', :o, '::1', '')"
                    ),
                    {
                        "at": (T0 + dt.timedelta(minutes=n)).replace(tzinfo=None),
                        "u": f"u{n}",
                        "o": str(n),
                    },
                )
        upgrade(db_url)
        with session_factory(engine).begin() as session:
            append(session, entry(7))  # new rows chain onto the backfilled ones
        # The triggers are back.
        with engine.connect() as connection, pytest.raises(Exception, match="append-only"):
            connection.execute(text("DELETE FROM audit_log"))
    finally:
        engine.dispose()
    code, out = verify_cli(db_url, capsys)
    assert code == 0 and out.startswith("OK: 5 rows, chain intact")


def test_concurrent_inserts_never_fork_the_chain(migrated_url, engine):
    sessions = session_factory(engine)
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(10)
            for k in range(5):
                with sessions.begin() as session:
                    append(session, entry(n * 10 + k))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with sessions() as session:
        report = verify(session)
        prevs = session.scalars(select(AuditEntry.prev_hash)).all()
    assert (report.intact, report.rows) == (True, 30)
    assert len(set(prevs)) == 30  # no two rows chained onto the same one
