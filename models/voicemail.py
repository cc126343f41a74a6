"""Messages left outside hours or on overflow, and what the centre did about them."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import RELATIVE_PATH_LENGTH, Base, str_enum, utc_now
from models.calls import Call

SPOOL_MSG_ID_LENGTH = 64  # app_voicemail's msg_id: "<epoch>-<counter, 8 hex digits>"


class VoicemailStatus(enum.StrEnum):
    NEW = "new"
    HANDLED = "handled"


class Voicemail(Base):
    __tablename__ = "voicemails"
    __table_args__ = (
        CheckConstraint("file NOT LIKE '/%'", name="relative_file"),
        CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name="duration"),
        CheckConstraint(
            "status = 'new' OR (handled_by IS NOT NULL AND handled_at IS NOT NULL)",
            name="handled_has_who_and_when",
        ),
        # A spool message is claimed by one call only, however often it is looked for.
        UniqueConstraint("mailbox", "spool_msg_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What the console addresses a message by: not guessable from its neighbours.
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)  # one per call
    mailbox: Mapped[str] = mapped_column(String(64), index=True)
    # The archived copy: one file is one call's message, never two calls'.
    file: Mapped[str] = mapped_column(String(RELATIVE_PATH_LENGTH), unique=True)
    # msg_id of the spool envelope it was copied from (NULL: an envelope without one).
    spool_msg_id: Mapped[str | None] = mapped_column(String(SPOOL_MSG_ID_LENGTH))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    status: Mapped[VoicemailStatus] = mapped_column(
        str_enum(VoicemailStatus, "voicemail_status"), default=VoicemailStatus.NEW, index=True
    )
    handled_by: Mapped[str | None] = mapped_column(String(64))
    handled_at: Mapped[dt.datetime | None]
    called_back_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)

    call: Mapped[Call] = relationship()

    def __repr__(self) -> str:
        return f"<Voicemail {self.id} {self.mailbox} {self.status}>"
