"""Who opened what, when and from where: every play and download of a recording or
voicemail, and the console's other sensitive actions. Never updated.

Migrations add triggers that refuse UPDATE and DELETE on this table, and each row is
chained to the one before it by hash (models/audit_chain.py): insert through
audit_chain.append, never session.add.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utc_now


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "at"), Index(None, "object_type", "object_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(64))  # kept even if the user is renamed
    action: Mapped[str] = mapped_column(String(32))  # play, download, log_saved, ...
    object_type: Mapped[str] = mapped_column(String(32))  # recording, voicemail, call, user
    object_id: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    centre_id: Mapped[str | None] = mapped_column(String(48))
    ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(255), default="", server_default="")
    detail: Mapped[dict[str, Any] | None]
    # The previous row's row_hash (or the genesis value) and this row's own sha256.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))
