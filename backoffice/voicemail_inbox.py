"""The centre's voicemail inbox: new messages first, callback deadlines, handling."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backoffice.scope import NotInScope, centre_condition, may_see
from config.model import CalendarOverrides
from models.base import utc_now
from models.calls import Call
from models.repository import mark_voicemail_handled
from models.users import User
from models.voicemail import Voicemail, VoicemailStatus
from routing.working_days import callback_due, is_overdue

NOTE_LENGTH = 2000


class InvalidHandling(ValueError):
    pass


# Handled messages per page: new ones are always all shown, as they still need work.
HANDLED_PER_PAGE = 50


@dataclass(frozen=True)
class InboxRow:
    voicemail: Voicemail
    due: dt.date
    overdue: bool


@dataclass(frozen=True)
class Inbox:
    rows: list[InboxRow]  # every new message, then one page of handled ones
    handled_page: int
    more_handled: bool


def inbox(
    session: Session,
    user: User,
    calendar: CalendarOverrides,
    days: int,
    now: dt.datetime,
    handled_page: int = 0,
    per_page: int = HANDLED_PER_PAGE,
) -> Inbox:
    """New messages (overdue first, then newest), then handled ones, newest handled first:
    a page of them, so years of handled messages never load at once."""
    in_scope = (
        select(Voicemail)
        .join(Call, Call.id == Voicemail.call_id)
        .where(centre_condition(user, Call.centre_id))
        .options(selectinload(Voicemail.call))
    )
    new = session.scalars(
        in_scope.where(Voicemail.status == VoicemailStatus.NEW).order_by(
            Voicemail.created_at.desc(), Voicemail.id.desc()
        )
    ).all()
    handled = session.scalars(
        in_scope.where(Voicemail.status == VoicemailStatus.HANDLED)
        .order_by(Voicemail.handled_at.desc(), Voicemail.id.desc())
        .offset(handled_page * per_page)
        .limit(per_page + 1)
    ).all()

    def row(vm: Voicemail) -> InboxRow:
        due = callback_due(calendar, vm.created_at, days)
        return InboxRow(vm, due, is_overdue(due, vm.called_back_at is not None, now))

    new_rows = sorted((row(vm) for vm in new), key=lambda r: not r.overdue)  # stable: newest first
    return Inbox(
        new_rows + [row(vm) for vm in handled[:per_page]], handled_page, len(handled) > per_page
    )


def voicemail_in_scope(session: Session, user: User, voicemail_id: str) -> Voicemail:
    try:
        key = uuid.UUID(voicemail_id)
    except (ValueError, AttributeError):
        raise NotInScope(voicemail_id) from None
    vm = session.scalars(select(Voicemail).where(Voicemail.uuid == key)).one_or_none()
    if vm is None or not may_see(user, vm.call.centre_id):
        raise NotInScope(voicemail_id)
    return vm


def handle(
    session: Session,
    vm: Voicemail,
    user: User,
    *,
    called_back: bool,
    note: str,
    now: dt.datetime | None = None,
) -> None:
    """Mark the message handled; `called_back` also records the callback time."""
    note = note.strip()
    if len(note) > NOTE_LENGTH:
        raise InvalidHandling(f"备注不能超过 {NOTE_LENGTH} 字")
    if not note:
        raise InvalidHandling("请填写处理备注（如回电结果）")
    now = now or utc_now()
    mark_voicemail_handled(
        session,
        vm.id,
        handled_by=user.username,
        at=now,
        called_back_at=now if called_back else vm.called_back_at,
        note=note,
    )
