"""Replay journal entries into the database, idempotently.

Every entry names its call by uniqueid; entries that may be a call's first word
(start, finish) carry the call's identity, so the row is created by whichever
arrives first, whatever server wrote it. Replaying an entry twice changes nothing:
rows are created ON CONFLICT DO NOTHING, events carry their journal key, the other
writes set fields to the same values, and outcomes follow `close_call`'s precedence.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from calllog.journal import StoredEntry
from models import repository as repo
from models.calls import OPEN_REASON_LENGTH, Call, CallOutcome, CallSource
from models.recordings import Recording, RecordingStatus
from models.voicemail import Voicemail
from routing.dialled import SERVICE_NUMBER
from routing.reasons import stored as stored_reason


class Kind(enum.StrEnum):
    START = "start"
    EVENT = "event"
    ROUTED = "routed"
    MENU = "menu"
    FINISH = "finish"
    RECORDING = "recording"
    VOICEMAIL = "voicemail"


class MissingCall(LookupError):
    """An entry for a call no entry has created (its start was lost)."""


def apply_entries(session: Session, journal_id: str, batch: list[StoredEntry]) -> None:
    """Apply `batch` in order inside the caller's transaction."""
    _create_calls(session, batch)
    ids = _call_ids(session, {s.entry.uniqueid for s in batch})
    for stored in batch:
        entry = stored.entry
        call_id = ids.get(entry.uniqueid)
        if call_id is None:
            raise MissingCall(f"no call row for {entry.uniqueid!r} ({entry.kind})")
        _APPLY[Kind(entry.kind)](session, call_id, entry.body, f"{journal_id}:{stored.seq}")
    session.flush()


def identity_body(
    *,
    uniqueid: str,
    linkedid: str,
    started_at: dt.datetime,
    dialled_number: str,
    caller_number: str | None,
    trunk_area_code: str | None,
    is_test: bool,
) -> dict[str, Any]:
    """What creating the call's row needs, as journal JSON (empty values as the row
    stores them)."""
    return {
        "uniqueid": uniqueid,
        "linkedid": linkedid or uniqueid,
        "started_at": started_at.isoformat(),
        "dialled_number": dialled_number or SERVICE_NUMBER,
        "caller_number": caller_number or None,
        "trunk_area_code": trunk_area_code or None,
        "is_test": is_test,
    }


def _create_calls(session: Session, batch: list[StoredEntry]) -> None:
    seen: set[str] = set()
    for stored in batch:
        identity = stored.entry.body.get("call")
        if identity and stored.entry.uniqueid not in seen:
            seen.add(stored.entry.uniqueid)
            repo.create_call(
                session, **{**identity, "started_at": _instant(identity["started_at"])}
            )


def _call_ids(session: Session, uniqueids: set[str]) -> dict[str, int]:
    rows = session.execute(select(Call.uniqueid, Call.id).where(Call.uniqueid.in_(uniqueids)))
    return {uniqueid: call_id for uniqueid, call_id in rows}


def _instant(raw: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(raw) if raw else None


def _start(session: Session, call_id: int, body: dict[str, Any], key: str) -> None:
    """The row itself was created above."""


def _event(session: Session, call_id: int, body: dict[str, Any], key: str) -> None:
    at = _instant(body["at"])
    assert at is not None
    repo.append_event_once(
        session, call_id, body["step"], body.get("detail"), at=at, journal_key=key
    )


def _routed(session: Session, call_id: int, body: dict[str, Any], key: str) -> None:
    repo.set_call_routing(
        session,
        call_id,
        area_code=body.get("area_code"),
        centre_id=body.get("centre_id"),
        is_open=body.get("is_open"),
        open_reason=stored_reason(body.get("reason"), OPEN_REASON_LENGTH),
    )


def _menu(session: Session, call_id: int, body: dict[str, Any], key: str) -> None:
    repo.set_call_menu(
        session,
        call_id,
        digits=body["digits"],
        invalid_count=body["invalid"],
        timeout_count=body["timeouts"],
    )


FINISH_INSTANTS = ("ended_at", "answered_at")
FINISH_FIELDS = ("answered_line", "wait_seconds", "talk_seconds", "failure_reason")


def _finish(session: Session, call_id: int, body: dict[str, Any], key: str) -> None:
    if body.get("centre_id"):  # routed by the dialplan alone: only the close knows where
        repo.set_centre_if_unknown(session, call_id, body["centre_id"])
    fields: dict[str, Any] = {name: _instant(body.get(name)) for name in FINISH_INSTANTS}
    fields.update({name: body.get(name) for name in FINISH_FIELDS})
    fields["failure_reason"] = stored_reason(fields["failure_reason"])
    repo.close_call(
        session, call_id, CallOutcome(body["outcome"]), closed_by=CallSource.AGI, **fields
    )


def _recording(session: Session, call_id: int, body: dict[str, Any], key: str) -> None:
    """Index a recording once: a second check of the same path updates the row."""
    status = RecordingStatus(body["status"])
    existing = session.scalars(
        select(Recording).where(Recording.path == body["path"])
    ).one_or_none()
    if existing is None:
        repo.add_recording(
            session,
            call_id,
            body["path"],
            status=status,
            size_bytes=body.get("bytes"),
            duration_seconds=body.get("duration_seconds"),
            sha256=body.get("sha256"),
        )
        return
    existing.status = status
    existing.bytes = body.get("bytes")
    existing.duration_seconds = body.get("duration_seconds")
    existing.sha256 = body.get("sha256")


def _voicemail(session: Session, call_id: int, body: dict[str, Any], key: str) -> None:
    """Claim the message once: not when the call has one already, nor when another call
    holds this file or spool message (the unique constraints back this up)."""
    taken = or_(Voicemail.call_id == call_id, Voicemail.file == body["file"])
    if body.get("spool_msg_id"):
        same_message = (Voicemail.mailbox == body["mailbox"]) & (
            Voicemail.spool_msg_id == body["spool_msg_id"]
        )
        taken = or_(taken, same_message)
    if session.scalar(select(Voicemail.id).where(taken).limit(1)) is not None:
        return
    repo.add_voicemail(
        session,
        call_id,
        mailbox=body["mailbox"],
        file=body["file"],
        duration_seconds=body.get("duration_seconds"),
        spool_msg_id=body.get("spool_msg_id"),
    )


_APPLY = {
    Kind.START: _start,
    Kind.EVENT: _event,
    Kind.ROUTED: _routed,
    Kind.MENU: _menu,
    Kind.FINISH: _finish,
    Kind.RECORDING: _recording,
    Kind.VOICEMAIL: _voicemail,
}
