"""The call-log category lists (ip_type, caller_role, caller_entity, service_type).

Seeded from config/defaults/categories.toml; afterwards administrators may hide an
entry (is_active) or reorder a list (sort_order) in the database, and re-seeding
keeps those edits. Rows are never deleted: old call logs keep pointing at their codes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import CODE_LENGTH, Base, JsonDocument, utc_now

LIST_NAME_LENGTH = 32


class CategoryEntry(Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("list_name", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_name: Mapped[str] = mapped_column(String(LIST_NAME_LENGTH))
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    label_zh: Mapped[str] = mapped_column(String(200))
    gloss_en: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    flags: Mapped[list[str]] = mapped_column(JsonDocument, default=list)  # e.g. ["sme"]
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    def __repr__(self) -> str:
        return f"<CategoryEntry {self.list_name}:{self.code} {self.label_zh}>"
