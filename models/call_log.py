"""The operator's record of a call (the 12330 电话服务记录表) and its edit history.

One current entry per call; every save appends a history row with the old and new
values, so the current entry may change but what it said before is never lost.
Category fields hold codes from the `categories` table (lists ip_type, caller_role,
caller_entity, service_type); they are checked when saved, not by foreign keys, so a
list can evolve without touching old logs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Integer,
    Select,
    String,
    Text,
    and_,
    exists,
    false,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import CODE_LENGTH, Base, utc_now
from models.calls import Call, CallOutcome

# Calls that an operator is expected to write a log for.
OUTCOMES_NEEDING_LOG = (CallOutcome.ANSWERED, CallOutcome.VOICEMAIL)


class CallLogEntry(Base):
    __tablename__ = "call_log_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")  # 通话内容要点
    caller_role_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))  # 来电人身份
    caller_entity_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))  # 来电主体
    is_sme: Mapped[bool] = mapped_column(default=False, server_default=false())  # 中小微企业
    service_type_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))  # 服务类型
    operator_name: Mapped[str] = mapped_column(String(64))
    filled_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    call: Mapped[Call] = relationship()
    ip_types: Mapped[list[CallLogIpType]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="CallLogIpType.ip_type_code"
    )
    history: Mapped[list[CallLogHistory]] = relationship(
        back_populates="entry", order_by="CallLogHistory.id", passive_deletes="all"
    )

    @property
    def ip_type_codes(self) -> list[str]:
        return [link.ip_type_code for link in self.ip_types]

    @hybrid_property
    def is_complete(self) -> bool:
        """Summary written, role, entity and service type chosen, at least one IP type."""
        return bool(
            self.summary.strip()
            and self.caller_role_code
            and self.caller_entity_code
            and self.service_type_code
            and self.ip_types
        )

    @is_complete.inplace.expression
    @classmethod
    def _is_complete_expression(cls) -> ColumnElement[bool]:
        return and_(
            func.trim(cls.summary) != "",
            _filled(cls.caller_role_code),
            _filled(cls.caller_entity_code),
            _filled(cls.service_type_code),
            exists().where(CallLogIpType.entry_id == cls.id),
        )

    def snapshot(self) -> dict[str, Any]:
        """The values the history table records (JSON-ready)."""
        return {
            "summary": self.summary,
            "caller_role": self.caller_role_code,
            "caller_entity": self.caller_entity_code,
            "is_sme": self.is_sme,
            "service_type": self.service_type_code,
            "ip_types": sorted(self.ip_type_codes),
            "operator": self.operator_name,
        }


class CallLogIpType(Base):
    """An IP category ticked on a log entry (the form allows several)."""

    __tablename__ = "call_log_ip_types"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("call_log_entries.id", ondelete="CASCADE"), primary_key=True
    )
    ip_type_code: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)

    entry: Mapped[CallLogEntry] = relationship(back_populates="ip_types")


class CallLogHistory(Base):
    """One save of a log entry: who, when, the values before and after. Never updated.

    Migrations add triggers that refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "call_log_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("call_log_entries.id"), index=True)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    old_values: Mapped[dict[str, Any] | None]  # None for the first save
    new_values: Mapped[dict[str, Any]]

    entry: Mapped[CallLogEntry] = relationship(back_populates="history")


def _filled(column: ColumnElement[str | None]) -> ColumnElement[bool]:
    return and_(column.is_not(None), column != "")


def log_entry_of(session: Session, call_id: int) -> CallLogEntry | None:
    """The call's current log entry, if an operator has filed one."""
    return session.scalars(
        select(CallLogEntry).where(CallLogEntry.call_id == call_id)
    ).one_or_none()


def log_complete() -> ColumnElement[bool]:
    """SQL condition on CallLogEntry: the log has everything the form requires."""
    return CallLogEntry.is_complete


def calls_with_incomplete_log(
    outcomes: tuple[CallOutcome, ...] = OUTCOMES_NEEDING_LOG, *, include_tests: bool = False
) -> Select[tuple[Call]]:
    """Calls with one of `outcomes` whose log is missing or incomplete, oldest first."""
    query = (
        select(Call)
        .outerjoin(CallLogEntry, CallLogEntry.call_id == Call.id)
        .where(Call.outcome.in_(outcomes))
        .where(or_(CallLogEntry.id.is_(None), not_(log_complete())))
        .order_by(Call.started_at, Call.id)
    )
    if not include_tests:
        query = query.where(Call.is_test.is_(False))
    return query
