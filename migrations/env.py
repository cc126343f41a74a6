"""Alembic environment: runs the migrations on SQLite (batch mode) and PostgreSQL.

The database URL comes from, in order: `config.attributes["url"]` (migrations.upgrade),
`-x url=...` on the alembic command line, `sqlalchemy.url` in an ini file, and
finally the service settings (HOTLINE12330_DATABASE_URL / the settings file).
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import JSON, Connection, text

import models
from migrations import VERSION_TABLE
from models.base import UtcDateTime
from models.db import make_engine

config = context.config
if config.config_file_name is not None:  # the alembic command line, with alembic.ini
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = models.Base.metadata


def database_url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return url
    ini_url = config.get_main_option("sqlalchemy.url")
    if ini_url:
        return ini_url
    from config.settings import load_settings  # only when nothing else names a database

    return load_settings().database_url


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the models' custom types as plain SQLAlchemy types: migrations stay frozen
    and never import models (which keep changing after the migration is written)."""
    if type_ != "type":
        return False
    if isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, JSON):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def configure(connection: Connection | None = None, url: str | None = None) -> None:
    dialect = connection.dialect.name if connection is not None else url.split(":")[0]
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most things: batch mode recreates the table instead.
        render_as_batch=dialect.startswith("sqlite"),
        compare_type=True,
        render_item=render_item,
        literal_binds=connection is None,
    )


def run_offline() -> None:
    configure(url=str(database_url()))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    # Foreign keys OFF on SQLite while batch operations copy tables; checked below.
    # No statement timeout: rewriting a large table may take longer than any request.
    engine = make_engine(database_url(), foreign_keys=False, statement_timeout_ms=None)
    try:
        with engine.connect() as connection:
            configure(connection)
            with context.begin_transaction():
                context.run_migrations()
            if connection.dialect.name == "sqlite":
                broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
                if broken:
                    raise RuntimeError(f"migration left broken foreign keys: {broken[:10]}")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
