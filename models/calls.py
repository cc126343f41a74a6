"""One row per call, and the append-only log of the steps each call went through."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import CODE_LENGTH, Base, str_enum, utc_now

# Raw caller ID as Asterisk delivered it (after the caller's sanitising), bounded.
CALLER_NUMBER_LENGTH = 128
DIALLED_NUMBER_LENGTH = 64
AREA_CODE_LENGTH = 8
UNIQUEID_LENGTH = 64  # Asterisk uniqueid/linkedid: "<epoch>.<seq>", or a system-name prefix
OPEN_REASON_LENGTH = 255


class CallOutcome(enum.StrEnum):
    IN_PROGRESS = "in_progress"  # live call, or a call whose end was never recorded
    ANSWERED = "answered"
    VOICEMAIL = "voicemail"
    ABANDONED_GREETING = "abandoned_greeting"  # hung up during the greeting / notice
    ABANDONED_MENU = "abandoned_menu"  # hung up in the centre-choice menu
    ABANDONED_RINGING = "abandoned_ringing"  # hung up while the lines were ringing
    FAILED = "failed"  # our fault: AGI error, dial failure, unusable config


class CallSource(enum.StrEnum):
    AGI = "agi"  # written live by the FastAGI server
    RECONCILED = "reconciled"  # rebuilt afterwards from Asterisk's CDR


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("menu_invalid_count >= 0 AND menu_timeout_count >= 0", name="menu_counts"),
        CheckConstraint("wait_seconds IS NULL OR wait_seconds >= 0", name="wait_seconds"),
        CheckConstraint("talk_seconds IS NULL OR talk_seconds >= 0", name="talk_seconds"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(UNIQUEID_LENGTH), unique=True)
    linkedid: Mapped[str] = mapped_column(String(UNIQUEID_LENGTH), index=True)

    started_at: Mapped[dt.datetime] = mapped_column(index=True)
    answered_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]

    caller_number: Mapped[str | None] = mapped_column(String(CALLER_NUMBER_LENGTH))
    dialled_number: Mapped[str] = mapped_column(String(DIALLED_NUMBER_LENGTH))
    trunk_area_code: Mapped[str | None] = mapped_column(String(AREA_CODE_LENGTH))
    area_code: Mapped[str | None] = mapped_column(String(AREA_CODE_LENGTH))  # as resolved
    centre_id: Mapped[str | None] = mapped_column(String(CODE_LENGTH), index=True)

    is_open: Mapped[bool | None] = mapped_column(Boolean)  # None until the decision is made
    # routing.reasons JSON: {"code": ..., **params}, never prose (kept within the column).
    open_reason: Mapped[str | None] = mapped_column(String(OPEN_REASON_LENGTH))

    menu_digits: Mapped[str] = mapped_column(String(32), default="", server_default="")
    menu_invalid_count: Mapped[int] = mapped_column(default=0, server_default="0")
    menu_timeout_count: Mapped[int] = mapped_column(default=0, server_default="0")

    outcome: Mapped[CallOutcome] = mapped_column(
        str_enum(CallOutcome, "call_outcome"),
        default=CallOutcome.IN_PROGRESS,
        server_default=CallOutcome.IN_PROGRESS.value,
        index=True,
    )
    answered_line: Mapped[str | None] = mapped_column(String(128))  # dial target that answered
    wait_seconds: Mapped[float | None] = mapped_column(Float)  # ringing until answer
    talk_seconds: Mapped[float | None] = mapped_column(Float)  # answer until hang-up
    failure_reason: Mapped[str | None] = mapped_column(Text)  # routing.reasons JSON too

    is_test: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_undercover: Mapped[bool] = mapped_column(default=False, server_default=false())  # 暗访
    source: Mapped[CallSource] = mapped_column(
        str_enum(CallSource, "call_source"), default=CallSource.AGI
    )
    # Who set the outcome: the live hangup step wins over reconcile, never the reverse.
    closed_by: Mapped[CallSource | None] = mapped_column(str_enum(CallSource, "closed_by"))

    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.id", passive_deletes="all"
    )

    def __repr__(self) -> str:
        return f"<Call {self.id} {self.uniqueid} {self.outcome}>"


class CallEvent(Base):
    """One step of a call (greeting played, digit pressed, dial result...). Never updated.

    Migrations add triggers that refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "call_events"
    __table_args__ = (
        Index(None, "call_id", "id"),
        Index("uq_call_events_journal_key", "journal_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    step: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None]
    # "<journal id>:<seq>" for events replayed from a journal: written at most once.
    journal_key: Mapped[str | None] = mapped_column(String(64))

    call: Mapped[Call] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"<CallEvent {self.call_id} {self.step} {self.at:%H:%M:%S}>"
