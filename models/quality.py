"""Supervisors' quality checks: spot-check samples, evaluations and undercover calls."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, JsonDocument, str_enum, utc_now
from models.calls import Call


class SampleStratum(enum.StrEnum):
    CENTRE = "centre"
    OPERATOR = "operator"


class SpotCheck(Base):
    """One draw: its parameters, the candidates it drew from and the seed, so that the
    same draw can be repeated and checked."""

    __tablename__ = "spot_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    period_from: Mapped[dt.date] = mapped_column(Date)
    period_to: Mapped[dt.date] = mapped_column(Date)
    stratum: Mapped[SampleStratum] = mapped_column(str_enum(SampleStratum, "sample_stratum"))
    per_group: Mapped[int]
    seed: Mapped[str] = mapped_column(String(64))
    centre_ids: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    # Test calls are left out unless the supervisor asked for them (demos, training).
    include_test_calls: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # {group: [call ids]} as drawn from, sorted: the input of the reproducible draw.
    candidates: Mapped[dict[str, Any]]

    items: Mapped[list[SpotCheckItem]] = relationship(
        back_populates="spot_check", order_by="SpotCheckItem.id", cascade="all, delete-orphan"
    )


class SpotCheckItem(Base):
    __tablename__ = "spot_check_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spot_check_id: Mapped[int] = mapped_column(ForeignKey("spot_checks.id"), index=True)
    # A call is sampled at most once, in any draw.
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)
    group: Mapped[str] = mapped_column(String(64))

    spot_check: Mapped[SpotCheck] = relationship(back_populates="items")
    call: Mapped[Call] = relationship()


class Evaluation(Base):
    """A supervisor's scoring of one call against the configured evaluation form."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    centre_id: Mapped[str | None] = mapped_column(String(48), index=True)
    operator_name: Mapped[str | None] = mapped_column(String(64), index=True)
    evaluator: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    scores: Mapped[dict[str, Any]]  # item code -> points given
    # Codes of the red lines crossed: any one fails the call whatever its points.
    auto_fail: Mapped[list[str]] = mapped_column(JsonDocument, default=list)
    total: Mapped[float] = mapped_column(Float)
    max_total: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")

    call: Mapped[Call] = relationship()


class UndercoverVerdict(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class UndercoverResult(Base):
    """The result of an undercover (暗访) test call; the call itself has is_undercover."""

    __tablename__ = "undercover_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)
    verdict: Mapped[UndercoverVerdict] = mapped_column(
        str_enum(UndercoverVerdict, "undercover_verdict")
    )
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    marked_by: Mapped[str] = mapped_column(String(64))
    marked_at: Mapped[dt.datetime] = mapped_column(default=utc_now)

    call: Mapped[Call] = relationship()
