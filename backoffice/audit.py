"""Writing and reading the audit log of the console's sensitive actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.audit_chain import append
from models.base import utc_now
from models.users import User

# A media player asks for the same file several times while starting one playback;
# a repeat by the same user, address and action inside this window is the same play.
REPEAT_WINDOW = dt.timedelta(seconds=10)


@dataclass(frozen=True)
class Requester:
    user: User
    ip: str
    user_agent: str


def record(
    session: Session,
    who: Requester,
    action: str,
    object_type: str,
    object_id: str,
    *,
    call_id: int | None = None,
    centre_id: str | None = None,
    detail: dict[str, Any] | None = None,
    collapse_within: dt.timedelta | None = None,
    now: dt.datetime | None = None,
) -> None:
    now = now or utc_now()
    if collapse_within is not None:
        repeat = session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.user_id == who.user.id,
                AuditEntry.action == action,
                AuditEntry.object_id == object_id,
                AuditEntry.ip == who.ip,
                AuditEntry.at >= now - collapse_within,
            )
            .limit(1)
        )
        if repeat is not None:
            return
    append(
        session,
        AuditEntry(
            at=now,
            user_id=who.user.id,
            username=who.user.username,
            action=action,
            object_type=object_type,
            object_id=object_id,
            call_id=call_id,
            centre_id=centre_id,
            ip=who.ip[:64],
            user_agent=who.user_agent[:255],
            detail=detail,
        ),
    )


def audit_query(
    *,
    username: str | None = None,
    action: str | None = None,
    call_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    centres: frozenset[str] | None = None,
) -> Select[tuple[AuditEntry]]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if username:
        query = query.where(AuditEntry.username == username)
    if action:
        query = query.where(AuditEntry.action == action)
    if call_id is not None:
        query = query.where(AuditEntry.call_id == call_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if centres is not None:
        query = query.where(AuditEntry.centre_id.in_(sorted(centres)))
    return query
