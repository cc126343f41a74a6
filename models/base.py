"""Declarative base, constraint naming and the column types every model shares.

Constraint names are fixed by a naming convention so that alembic (and SQLite batch
migrations, which recreate tables) can find and alter them by name on every backend.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Enum, MetaData, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Codes of categories, centre ids: config/categories_file.py allows at most 48 characters.
CODE_LENGTH = 48
# Paths below the recordings root (or the voicemail spool), always relative.
RELATIVE_PATH_LENGTH = 512


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware instant, stored in UTC on every backend.

    SQLite has no time zone type: values are stored as naive UTC text and come back
    tagged UTC. A naive datetime is refused, because its zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} has no time zone")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# JSON on SQLite, JSONB on PostgreSQL (comparable and indexable there).
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


def str_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR + CHECK column holding the enum's *values* (not its member names).

    Not a native PostgreSQL enum: adding a value later is a CHECK change on both backends.
    """
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012  (SQLAlchemy reads this class attribute)
        dt.datetime: UtcDateTime(),
        dict[str, Any]: JsonDocument,
    }


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
