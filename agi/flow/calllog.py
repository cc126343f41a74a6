"""The call log as the call path sees it: async methods over the pooled engine.

Each method is one short transaction run in a worker thread (asyncio.to_thread),
so a slow database never blocks the event loop and no call opens a connection of
its own: the engine's pool is shared by the whole server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import repository as repo
from models.calls import Call, CallOutcome
from models.recordings import Recording, RecordingStatus
from models.voicemail import Voicemail

T = TypeVar("T")


class CallLog:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    async def _run(self, work: Callable[[Session], T]) -> T:
        def transaction() -> T:
            with self._sessions.begin() as session:
                return work(session)

        return await asyncio.to_thread(transaction)

    async def start_call(self, **fields: Any) -> int:
        """Create (or find, if it exists) the row for fields['uniqueid']; returns its id."""
        return await self._run(lambda s: repo.create_call(s, **fields).id)

    async def call_id(self, uniqueid: str) -> int | None:
        def find(session: Session) -> int | None:
            call = repo.get_call(session, uniqueid)
            return call.id if call else None

        return await self._run(find)

    async def outcomes(self, uniqueids: list[str]) -> dict[str, CallOutcome]:
        """uniqueid -> outcome for the calls of `uniqueids` that have a row."""

        def load(session: Session) -> dict[str, CallOutcome]:
            found: dict[str, CallOutcome] = {}
            for start in range(0, len(uniqueids), 500):
                chunk = uniqueids[start : start + 500]
                rows = session.execute(
                    select(Call.uniqueid, Call.outcome).where(Call.uniqueid.in_(chunk))
                )
                found.update({uid: CallOutcome(outcome) for uid, outcome in rows})
            return found

        return await self._run(load)

    async def event(self, call_id: int, step: str, detail: dict[str, Any] | None = None) -> None:
        await self._run(lambda s: repo.append_event(s, call_id, step, detail))

    async def routed(
        self,
        call_id: int,
        *,
        area_code: str | None,
        centre_id: str | None,
        is_open: bool | None,
        reason: str | None,
    ) -> None:
        await self._run(
            lambda s: repo.set_call_routing(
                s,
                call_id,
                area_code=area_code,
                centre_id=centre_id,
                is_open=is_open,
                open_reason=reason,
            )
        )

    async def menu(self, call_id: int, *, digits: str, invalid: int, timeouts: int) -> None:
        await self._run(
            lambda s: repo.set_call_menu(
                s, call_id, digits=digits, invalid_count=invalid, timeout_count=timeouts
            )
        )

    async def finish(self, call_id: int, outcome: CallOutcome, **fields: Any) -> None:
        await self._run(lambda s: repo.update_call_outcome(s, call_id, outcome, **fields))

    async def snapshot(self, call_id: int) -> Call:
        """A detached copy of the row (for tests and the `call` command)."""

        def load(session: Session) -> Call:
            call = session.get(Call, call_id)
            if call is None:
                raise LookupError(call_id)
            session.expunge(call)
            return call

        return await self._run(load)

    async def add_recording(
        self,
        call_id: int,
        path: str,
        *,
        status: RecordingStatus,
        size_bytes: int | None,
        duration_seconds: float | None,
        sha256: str | None,
    ) -> None:
        """Index a recording once: a second check of the same path updates the row."""

        def upsert(session: Session) -> None:
            existing = session.scalars(
                select(Recording).where(Recording.path == path)
            ).one_or_none()
            if existing is None:
                repo.add_recording(
                    session,
                    call_id,
                    path,
                    status=status,
                    size_bytes=size_bytes,
                    duration_seconds=duration_seconds,
                    sha256=sha256,
                )
                return
            existing.status = status
            existing.bytes = size_bytes
            existing.duration_seconds = duration_seconds
            existing.sha256 = sha256

        await self._run(upsert)

    async def add_voicemail(
        self,
        call_id: int,
        *,
        mailbox: str,
        file: str,
        duration_seconds: float | None,
        spool_msg_id: str | None = None,
    ) -> bool:
        """Claim a message for the call; False when the call already has one, or another
        call holds this file or spool message (the unique constraints settle races)."""

        def claim(session: Session) -> bool:
            taken = or_(Voicemail.call_id == call_id, Voicemail.file == file)
            if spool_msg_id:
                same_message = (Voicemail.mailbox == mailbox) & (
                    Voicemail.spool_msg_id == spool_msg_id
                )
                taken = or_(taken, same_message)
            if session.scalar(select(Voicemail.id).where(taken).limit(1)) is not None:
                return False
            try:
                with session.begin_nested():
                    repo.add_voicemail(
                        session,
                        call_id,
                        mailbox=mailbox,
                        file=file,
                        duration_seconds=duration_seconds,
                        spool_msg_id=spool_msg_id,
                    )
            except IntegrityError:
                return False
            return True

        return await self._run(claim)


def utc_from_epoch(raw: str | None) -> dt.datetime | None:
    """Asterisk hands times over as epoch seconds (possibly fractional)."""
    try:
        return dt.datetime.fromtimestamp(float(raw or ""), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None
