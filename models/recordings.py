"""The audio file of each call, indexed: where it is, whether it is there, its checksum."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import RELATIVE_PATH_LENGTH, Base, str_enum, utc_now
from models.calls import Call


class RecordingStatus(enum.StrEnum):
    OK = "ok"  # file present and verified
    MISSING = "missing"  # expected but not found on disk
    FAILED = "failed"  # present but unusable (empty, silent, not audio)


class Recording(Base):
    __tablename__ = "recordings"
    __table_args__ = (
        # Relative to the recordings root, so the root can move without rewriting rows.
        CheckConstraint("path NOT LIKE '/%'", name="relative_path"),
        CheckConstraint("bytes IS NULL OR bytes >= 0", name="bytes"),
        CheckConstraint("duration_seconds IS NULL OR duration_seconds >= 0", name="duration"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    path: Mapped[str] = mapped_column(String(RELATIVE_PATH_LENGTH), unique=True)
    status: Mapped[RecordingStatus] = mapped_column(str_enum(RecordingStatus, "recording_status"))
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    call: Mapped[Call] = relationship()

    def __repr__(self) -> str:
        return f"<Recording {self.uuid} {self.path} {self.status}>"
