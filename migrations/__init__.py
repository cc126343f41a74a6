"""Alembic migrations of the hotline12330 database, runnable without an alembic.ini.

    from migrations import upgrade
    upgrade("sqlite:////var/lib/hotline12330/hotline12330.sqlite3")

A fresh database is created by `upgrade(url)` (alembic upgrade head), never by
metadata.create_all: the migrations are the only definition of the schema on disk.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from models.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent
VERSION_TABLE = "hotline12330_alembic_version"


def alembic_config(url: str | URL) -> Config:
    """An alembic Config pointing at this folder and `url` (no ini file involved)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    # Passed as an attribute, not an ini option: configparser would read '%' in passwords.
    config.attributes["url"] = url
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (creating it from empty if need be)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | URL, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "no migration scripts found"
    return head


def current_revision(url: str | URL | Engine) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()
    finally:
        if engine is not url:
            engine.dispose()
