"""`hotline12330 db ...` and `python -m devstack postgres ...`."""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

import pytest
from conftest import unavailable
from ports import free_port

from cli.main import main
from config.categories_file import load_categories
from config.problems import Report
from config.settings import DEFAULTS_DIR
from devstack import cmd_postgres
from devstack import postgres as pg
from migrations import current_revision, head_revision


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CONFIG", "DATABASE_URL", "DATA_DIR", "CATEGORIES_FILE", "POSTGRES_PORT"):
        monkeypatch.delenv(f"HOTLINE12330_{name}", raising=False)


def run_db(*args: str) -> int:
    return main(["db", *args])


def test_db_upgrade_current_and_seed(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    head = head_revision()
    assert run_db("current", "--url", db_url, "--check") == 1
    assert "not migrated" in capsys.readouterr().out
    assert run_db("seed-categories", "--url", db_url) == 1  # refuses an unmigrated database
    assert "db upgrade" in capsys.readouterr().err

    assert run_db("upgrade", "--url", db_url) == 0
    assert f"empty -> {head}" in capsys.readouterr().out
    assert run_db("upgrade", "--url", db_url) == 0
    assert f"already at {head}" in capsys.readouterr().out
    assert run_db("current", "--url", db_url, "--check") == 0
    assert f"{head} (newest)" in capsys.readouterr().out

    categories = load_categories(DEFAULTS_DIR / "categories.toml", Report("categories.toml"))
    assert categories is not None
    total = sum(len(entries) for entries in categories.lists.values())
    assert run_db("seed-categories", "--url", db_url) == 0
    assert f"{total} inserted, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert run_db("seed-categories", "--url", db_url) == 0
    assert f"0 inserted, 0 updated, {total} unchanged" in capsys.readouterr().out


def test_db_upgrade_defaults_to_the_settings_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTLINE12330_DATA_DIR", str(tmp_path / "data"))
    assert run_db("upgrade") == 0
    database = tmp_path / "data" / "hotline12330.sqlite3"
    assert database.is_file()
    assert current_revision(f"sqlite:///{database}") == head_revision()


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("not a url", 2, "is not a database URL"),
        ("postgresql+psycopg://u:secret@127.0.0.1:1/none", 1, "u:***@127.0.0.1:1/none"),
    ],
)
def test_db_reports_unusable_urls(
    url: str, code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_db("current", "--url", url) == code
    err = capsys.readouterr().err
    assert message in err
    assert "secret" not in err  # the password never reaches the terminal


# --- postgres -------------------------------------------------------------------------


def run_postgres(*args: str) -> int:
    parser = argparse.ArgumentParser()
    cmd_postgres.register(parser.add_subparsers(required=True))
    parsed = parser.parse_args(["postgres", *args])
    return parsed.func(parsed)


# environment -> port in the URL, or the error
PORT_ROWS = [
    ({}, [], "55432"),
    ({"HOTLINE12330_POSTGRES_PORT": "6543"}, [], "6543"),
    ({"HOTLINE12330_POSTGRES_PORT": "6543"}, ["--port", "7000"], "7000"),
    ({"HOTLINE12330_POSTGRES_PORT": "70000"}, [], "error: not a port number"),
]


@pytest.mark.parametrize(("env", "args", "expected"), PORT_ROWS)
def test_postgres_url(
    env: dict[str, str],
    args: list[str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = run_postgres("url", *args)
    out, err = capsys.readouterr()
    if expected.startswith("error: "):
        assert code == 1
        assert expected.removeprefix("error: ") in err
        return
    assert code == 0
    assert out.strip() == (
        f"postgresql+psycopg://hotline12330:hotline12330@127.0.0.1:{expected}/hotline12330"
    )


def test_postgres_status_without_a_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert run_postgres("status") == 3
    assert "not initialised" in capsys.readouterr().out


@pytest.mark.postgres
def test_postgres_up_prints_only_the_url(
    postgres_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.environ.get("HOTLINE12330_TEST_PG_URL") and os.geteuid() != 0:
        unavailable("tests use an external PostgreSQL and cannot run the dev server here")
    assert run_postgres("up", "--print-url") == 0
    out, err = capsys.readouterr()
    assert out == pg.default_cluster().url() + "\n"
    assert err == ""
    assert run_postgres("status") == 0
    assert "running: pid" in capsys.readouterr().out


@pytest.mark.postgres
def test_postgres_cluster_lifecycle_in_a_fresh_cache_dir(tmp_path: Path) -> None:
    """initdb, start, role and database, idempotent up, restart on a new port, down."""
    if os.geteuid() != 0:
        unavailable("starting a PostgreSQL cluster needs root (to run as the postgres user)")
    # pytest's tmp dirs are mode 700: up must open a path for the postgres user.
    cluster = pg.Cluster(root=tmp_path / "cache" / "postgres", port=free_port())
    messages: list[str] = []
    try:
        url = pg.up(cluster, messages.append)
        assert url == cluster.url()
        assert any("initialising" in m for m in messages)
        assert stat.S_IMODE(cluster.password_file.stat().st_mode) == 0o600
        assert current_revision(url) is None  # the database exists and is reachable

        messages.clear()
        assert pg.up(cluster, messages.append) == url
        assert messages == [f"PostgreSQL already running (pid {pg.status(cluster).pid}, "
                            f"port {cluster.port})"]  # fmt: skip

        moved = pg.Cluster(root=cluster.root, port=free_port())
        pg.up(moved)
        assert pg.status(moved).port == moved.port
        assert current_revision(moved.url()) is None
    finally:
        pg.down(cluster)
    assert pg.status(cluster).running is False
    assert pg.down(cluster) is False


def test_grant_search_acl_adds_only_search_for_one_user(tmp_path: Path) -> None:
    directory = tmp_path / "private"
    directory.mkdir(mode=0o700)
    directory.chmod(0o750)
    try:
        pg.grant_search_acl(directory, 4242)
        pg.grant_search_acl(directory, 4242)  # twice: no duplicate entry
        pg.grant_search_acl(directory, 4343)
    except OSError as exc:
        pytest.skip(f"this filesystem has no POSIX ACLs: {exc}")
    entries = pg._read_acl(directory)
    named = {(ident, perm) for tag, perm, ident in entries if tag == pg._ACL_USER}
    assert named == {(4242, 0o1), (4343, 0o1)}
    group = [perm for tag, perm, _ in entries if tag == pg._ACL_GROUP_OBJ]
    mask = [perm for tag, perm, _ in entries if tag == pg._ACL_MASK]
    assert group == [0o5]  # the owning group keeps r-x
    assert mask == [0o5]
    assert stat.S_IMODE(directory.stat().st_mode) == 0o750  # mode's group bits show the mask


def test_find_bin_dir_reports_a_missing_server() -> None:
    with pytest.raises(pg.PostgresError, match="no PostgreSQL server binaries"):
        pg.find_bin_dir({"HOTLINE12330_POSTGRES_BIN": "/nonexistent/bin"})
