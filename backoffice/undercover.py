"""Undercover (暗访) test calls: marking a call and recording how it went.

Such calls leave normal statistics and spot checks, and are listed on their own.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.scope import centre_condition
from models.base import utc_now
from models.calls import Call
from models.quality import UndercoverResult, UndercoverVerdict
from models.users import User

NOTE_LENGTH = 2000


class InvalidUndercover(ValueError):
    pass


def mark_undercover(
    session: Session,
    call: Call,
    user: User,
    verdict: str,
    note: str,
    now: dt.datetime | None = None,
) -> UndercoverResult:
    try:
        result_verdict = UndercoverVerdict(verdict)
    except ValueError:
        raise InvalidUndercover("请选择暗访结果：合格或不合格") from None
    note = note.strip()
    if len(note) > NOTE_LENGTH:
        raise InvalidUndercover(f"说明不能超过 {NOTE_LENGTH} 字")
    call.is_undercover = True
    result = session.scalars(
        select(UndercoverResult).where(UndercoverResult.call_id == call.id)
    ).one_or_none()
    if result is None:
        result = UndercoverResult(call_id=call.id, marked_by=user.username)
        session.add(result)
    result.verdict = result_verdict
    result.note = note
    result.marked_by = user.username
    result.marked_at = now or utc_now()
    session.flush()
    return result


def undercover_calls(session: Session, user: User) -> list[tuple[Call, UndercoverResult | None]]:
    query = (
        select(Call, UndercoverResult)
        .outerjoin(UndercoverResult, UndercoverResult.call_id == Call.id)
        .where(Call.is_undercover.is_(True))
        .where(centre_condition(user, Call.centre_id))
        .order_by(Call.started_at.desc())
    )
    return [(call, result) for call, result in session.execute(query)]
