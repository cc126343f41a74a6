"""Migrations: a fresh install is `upgrade head`, and head matches the models exactly."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import main as alembic_main
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import models
from migrations import (
    MIGRATIONS_DIR,
    VERSION_TABLE,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from models.db import make_engine

MODEL_TABLES = set(models.Base.metadata.tables)


def schema_diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
            )
            return compare_metadata(context, models.Base.metadata)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_head_on_an_empty_database_matches_the_models(db_url: str) -> None:
    assert table_names(db_url) == set()
    upgrade(db_url)
    assert table_names(db_url) == MODEL_TABLES | {VERSION_TABLE}
    assert schema_diff(db_url) == []


def test_the_diff_check_notices_a_missing_table(db_url: str) -> None:
    # Guards the test above: compare_metadata must not be blind on this backend.
    upgrade(db_url)
    downgrade(db_url, "base")
    diff = schema_diff(db_url)
    assert {entry[1].name for entry in diff if entry[0] == "add_table"} == MODEL_TABLES


def test_revision_is_recorded_in_the_project_version_table(db_url: str) -> None:
    assert current_revision(db_url) is None
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    assert "alembic_version" not in table_names(db_url)
    upgrade(db_url)  # a second upgrade is a no-op
    assert current_revision(db_url) == head_revision()


def test_downgrade_to_base_and_back(db_url: str) -> None:
    upgrade(db_url)
    downgrade(db_url, "base")
    assert table_names(db_url) == {VERSION_TABLE}
    assert current_revision(db_url) is None
    upgrade(db_url)
    assert schema_diff(db_url) == []


def test_alembic_command_line_with_the_shipped_ini(db_url: str, monkeypatch) -> None:
    monkeypatch.chdir(Path("/"))  # the ini must not depend on the working directory
    alembic_main(
        ["-c", str(MIGRATIONS_DIR / "alembic.ini"), "-x", f"url={db_url}", "upgrade", "head"]
    )
    assert current_revision(db_url) == head_revision()


def test_sqlite_upgrade_creates_the_parent_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/a/b/new.sqlite3"
    upgrade(url)
    assert (tmp_path / "a" / "b" / "new.sqlite3").is_file()
    assert current_revision(url) == head_revision()
