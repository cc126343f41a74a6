"""The writes the call flow makes, as small functions on a Session.

Each function flushes (so ids are set and constraint errors surface here) but never
commits: the caller owns the transaction, e.g. `with sessions.begin() as session:`.
Bad arguments raise ValueError naming the field, before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid as uuid_module
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.base import CODE_LENGTH, RELATIVE_PATH_LENGTH, utc_now
from models.calls import (
    CALLER_NUMBER_LENGTH,
    DIALLED_NUMBER_LENGTH,
    UNIQUEID_LENGTH,
    Call,
    CallEvent,
    CallOutcome,
    CallSource,
)
from models.recordings import Recording, RecordingStatus
from models.voicemail import SPOOL_MSG_ID_LENGTH, Voicemail, VoicemailStatus

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def create_call(
    session: Session,
    *,
    uniqueid: str,
    linkedid: str,
    started_at: dt.datetime,
    dialled_number: str,
    caller_number: str | None = None,
    trunk_area_code: str | None = None,
    source: CallSource = CallSource.AGI,
    is_test: bool = False,
    is_undercover: bool = False,
) -> Call:
    """The call row for `uniqueid`, created if new; an existing row is returned unchanged.

    Race-free: two sessions creating the same uniqueid both get the one row.
    """
    _check_text("uniqueid", uniqueid, UNIQUEID_LENGTH, required=True)
    _check_text("linkedid", linkedid, UNIQUEID_LENGTH, required=True)
    _check_text("dialled_number", dialled_number, DIALLED_NUMBER_LENGTH, required=True)
    _check_text("caller_number", caller_number, CALLER_NUMBER_LENGTH)
    _check_aware("started_at", started_at)
    now = utc_now()
    values: dict[str, Any] = {
        "uniqueid": uniqueid,
        "linkedid": linkedid,
        "started_at": started_at,
        "dialled_number": dialled_number,
        "caller_number": caller_number,
        "trunk_area_code": trunk_area_code,
        "source": source,
        "is_test": is_test,
        "is_undercover": is_undercover,
        "outcome": CallOutcome.IN_PROGRESS,
        "menu_digits": "",
        "menu_invalid_count": 0,
        "menu_timeout_count": 0,
        "created_at": now,
        "updated_at": now,
    }
    insert = _insert(session)
    session.execute(insert(Call).values(values).on_conflict_do_nothing(index_elements=["uniqueid"]))
    # populate_existing: a copy already in this session's identity map may predate the row.
    query = select(Call).where(Call.uniqueid == uniqueid).execution_options(populate_existing=True)
    return session.scalars(query).one()


def get_call(session: Session, uniqueid: str) -> Call | None:
    return session.scalars(select(Call).where(Call.uniqueid == uniqueid)).one_or_none()


def outcomes(session: Session, uniqueids: list[str]) -> dict[str, CallOutcome]:
    """uniqueid -> outcome for the calls of `uniqueids` that have a row."""
    found: dict[str, CallOutcome] = {}
    for start in range(0, len(uniqueids), 500):
        chunk = uniqueids[start : start + 500]
        rows = session.execute(select(Call.uniqueid, Call.outcome).where(Call.uniqueid.in_(chunk)))
        found.update({uid: CallOutcome(outcome) for uid, outcome in rows})
    return found


def in_progress_before(session: Session, before: dt.datetime, limit: int = 500) -> list[Call]:
    """Calls still in progress that started before `before`, oldest first."""
    _check_aware("before", before)
    query = (
        select(Call)
        .where(Call.outcome == CallOutcome.IN_PROGRESS, Call.started_at < before)
        .order_by(Call.started_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def append_event(
    session: Session,
    call_id: int,
    step: str,
    detail: dict[str, Any] | None = None,
    *,
    at: dt.datetime | None = None,
) -> CallEvent:
    """Add one step to the call's event log (events are never changed afterwards)."""
    _check_text("step", step, 64, required=True)
    if at is not None:
        _check_aware("at", at)
    event = CallEvent(call_id=call_id, step=step, detail=detail, at=at or utc_now())
    session.add(event)
    session.flush()
    return event


def append_event_once(
    session: Session,
    call_id: int,
    step: str,
    detail: dict[str, Any] | None,
    *,
    at: dt.datetime,
    journal_key: str,
) -> None:
    """Add an event replayed from a journal; a replay of the same entry adds nothing."""
    _check_text("step", step, 64, required=True)
    _check_text("journal_key", journal_key, 64, required=True)
    _check_aware("at", at)
    values = {
        "call_id": call_id,
        "step": step,
        "detail": detail,
        "at": at,
        "journal_key": journal_key,
    }
    statement = _insert(session)(CallEvent).values(values)
    session.execute(statement.on_conflict_do_nothing(index_elements=["journal_key"]))


def close_call(
    session: Session,
    call_id: int,
    outcome: CallOutcome,
    *,
    closed_by: CallSource,
    **fields: Any,
) -> bool:
    """Set the call's outcome unless a better source already did; True if it was set.

    Reconcile only closes calls still in progress; the live hangup step also replaces
    an outcome reconcile guessed from the CDR, never the other way round.
    """
    call = session.get(Call, call_id, with_for_update=True, populate_existing=True)
    if call is None:
        raise LookupError(f"no call {call_id}")
    if call.outcome is not CallOutcome.IN_PROGRESS:
        live_over_guess = closed_by is CallSource.AGI and call.closed_by is CallSource.RECONCILED
        if not live_over_guess:
            return False
    update_call_outcome(session, call_id, outcome, **fields)
    call.closed_by = closed_by
    session.flush()
    return True


def set_call_routing(
    session: Session,
    call_id: int,
    *,
    area_code: str | None,
    centre_id: str | None,
    is_open: bool | None,
    open_reason: str | None,
) -> Call:
    """Record where the call was routed and whether the centre was open (and why)."""
    call = _call(session, call_id)
    call.area_code = area_code
    call.centre_id = centre_id
    call.is_open = is_open
    call.open_reason = open_reason
    session.flush()
    return call


def set_centre_if_unknown(session: Session, call_id: int, centre_id: str) -> None:
    """Name the call's centre when no routing step did (the dialplan routed it alone)."""
    _check_text("centre_id", centre_id, CODE_LENGTH, required=True)
    call = _call(session, call_id)
    if call.centre_id is None:
        call.centre_id = centre_id
        session.flush()


def set_call_menu(
    session: Session, call_id: int, *, digits: str, invalid_count: int, timeout_count: int
) -> Call:
    """Record the digits pressed in the centre menu and how many tries went wrong."""
    _check_text("digits", digits, 32)
    if invalid_count < 0 or timeout_count < 0:
        raise ValueError("menu counts cannot be negative")
    call = _call(session, call_id)
    call.menu_digits = digits
    call.menu_invalid_count = invalid_count
    call.menu_timeout_count = timeout_count
    session.flush()
    return call


def update_call_outcome(
    session: Session,
    call_id: int,
    outcome: CallOutcome,
    *,
    ended_at: dt.datetime | None = None,
    answered_at: dt.datetime | None = None,
    answered_line: str | None = None,
    wait_seconds: float | None = None,
    talk_seconds: float | None = None,
    failure_reason: str | None = None,
) -> Call:
    """Set how the call ended: every outcome field at once (those not given become NULL).

    Repeating the same update is harmless, so a retry after a lost commit is safe.
    """
    outcome = CallOutcome(outcome)
    if outcome is CallOutcome.IN_PROGRESS:
        raise ValueError("outcome: in_progress is not an outcome; a call starts in progress")
    for name, value in (("ended_at", ended_at), ("answered_at", answered_at)):
        if value is not None:
            _check_aware(name, value)
    for name, seconds in (("wait_seconds", wait_seconds), ("talk_seconds", talk_seconds)):
        if seconds is not None and seconds < 0:
            raise ValueError(f"{name}: {seconds} is negative")
    answered = outcome is CallOutcome.ANSWERED
    if answered and not answered_line:
        raise ValueError("answered_line: an answered call needs the line that answered")
    if not answered and (answered_line or answered_at or talk_seconds is not None):
        raise ValueError(
            f"answered_line/answered_at/talk_seconds: a {outcome} call was not answered"
        )
    _check_text("answered_line", answered_line, 128)

    call = _call(session, call_id)
    call.outcome = outcome
    call.ended_at = ended_at
    call.answered_at = answered_at
    call.answered_line = answered_line
    call.wait_seconds = wait_seconds
    call.talk_seconds = talk_seconds
    call.failure_reason = failure_reason
    session.flush()
    return call


def add_recording(
    session: Session,
    call_id: int,
    path: str,
    *,
    status: RecordingStatus,
    size_bytes: int | None = None,
    duration_seconds: float | None = None,
    sha256: str | None = None,
    recording_uuid: uuid_module.UUID | None = None,
) -> Recording:
    """Index a recording file; `path` is relative to the recordings root."""
    check_relative_path("path", path)
    if sha256 is not None and not _SHA256.match(sha256):
        raise ValueError(f"sha256: {sha256!r} is not 64 lowercase hex digits")
    if size_bytes is not None and size_bytes < 0:
        raise ValueError(f"size_bytes: {size_bytes} is negative")
    if duration_seconds is not None and duration_seconds < 0:
        raise ValueError(f"duration_seconds: {duration_seconds} is negative")
    recording = Recording(
        uuid=recording_uuid or uuid_module.uuid4(),
        call_id=call_id,
        path=path,
        status=RecordingStatus(status),
        bytes=size_bytes,
        duration_seconds=duration_seconds,
        sha256=sha256,
    )
    session.add(recording)
    session.flush()
    return recording


def add_voicemail(
    session: Session,
    call_id: int,
    *,
    mailbox: str,
    file: str,
    duration_seconds: float | None = None,
    spool_msg_id: str | None = None,
) -> Voicemail:
    """Record a message left by the caller; `file` is its archived copy, relative to the
    recordings root (the spool copy may be renumbered or deleted by Asterisk), and
    `spool_msg_id` the msg_id of the spool envelope it came from."""
    _check_text("mailbox", mailbox, 64, required=True)
    check_relative_path("file", file)
    _check_text("spool_msg_id", spool_msg_id, SPOOL_MSG_ID_LENGTH)
    if duration_seconds is not None and duration_seconds < 0:
        raise ValueError(f"duration_seconds: {duration_seconds} is negative")
    voicemail = Voicemail(
        call_id=call_id,
        mailbox=mailbox,
        file=file,
        duration_seconds=duration_seconds,
        spool_msg_id=spool_msg_id,
    )
    session.add(voicemail)
    session.flush()
    return voicemail


def mark_voicemail_handled(
    session: Session,
    voicemail_id: int,
    *,
    handled_by: str,
    at: dt.datetime | None = None,
    called_back_at: dt.datetime | None = None,
    note: str | None = None,
) -> Voicemail:
    _check_text("handled_by", handled_by, 64, required=True)
    for name, value in (("at", at), ("called_back_at", called_back_at)):
        if value is not None:
            _check_aware(name, value)
    voicemail = session.get(Voicemail, voicemail_id)
    if voicemail is None:
        raise LookupError(f"no voicemail {voicemail_id}")
    voicemail.status = VoicemailStatus.HANDLED
    voicemail.handled_by = handled_by
    voicemail.handled_at = at or utc_now()
    voicemail.called_back_at = called_back_at
    voicemail.note = note
    session.flush()
    return voicemail


def check_relative_path(name: str, path: str) -> None:
    """A POSIX path below a root: not absolute, no '..', not empty, bounded."""
    _check_text(name, path, RELATIVE_PATH_LENGTH, required=True)
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("\\"):
        raise ValueError(f"{name}: {path!r} must be relative to its root")
    if ".." in pure.parts or "\x00" in path:
        raise ValueError(f"{name}: {path!r} must stay below its root")


def _insert(session: Session) -> Any:
    """INSERT with ON CONFLICT for the session's backend."""
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise LookupError(f"no call {call_id}")
    return call


def _check_text(name: str, value: str | None, limit: int, *, required: bool = False) -> None:
    if value is None or value == "":
        if required:
            raise ValueError(f"{name}: required")
        return
    if len(value) > limit:
        raise ValueError(f"{name}: {len(value)} characters, at most {limit} allowed")


def _check_aware(name: str, value: dt.datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: {value.isoformat()} has no time zone")
