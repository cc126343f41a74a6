"""Call-path services on a test database, with the journal and its drain: what a
call-flow step records reaches the database when the test says `settle()`."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agi.flow.calllog import CallRecorder
from agi.flow.services import CallServices, utc_now
from calllog.drain import Drainer
from calllog.writer import JournalWriter
from config.holder import ConfigHolder
from config.loader import load_config
from config.settings import Settings
from models.calls import Call


@dataclass
class Journalled:
    services: CallServices
    drainer: Drainer
    sessions: sessionmaker[Session]

    async def settle(self) -> None:
        """Write what is buffered and drain the journal into the database."""
        await self.services.journal.flush()
        while await self.drainer.drain_once():
            pass

    def recorder(self, uniqueid: str, started_at: dt.datetime) -> CallRecorder:
        return CallRecorder.for_call(
            self.services.journal,
            uniqueid=uniqueid,
            linkedid=uniqueid,
            started_at=started_at,
            dialled_number="01012330",
            caller_number=None,
            trunk_area_code=None,
            is_test=False,
        )

    async def new_call(self, uniqueid: str, started_at: dt.datetime) -> CallRecorder:
        recorder = self.recorder(uniqueid, started_at)
        recorder.start()
        await self.settle()
        return recorder

    def call(self, uniqueid: str) -> Call | None:
        with self.sessions() as session:
            return session.scalars(select(Call).where(Call.uniqueid == uniqueid)).one_or_none()

    def call_id(self, uniqueid: str) -> int:
        call = self.call(uniqueid)
        assert call is not None, uniqueid
        return call.id


@contextlib.asynccontextmanager
async def journalled(
    settings: Settings,
    sessions: sessionmaker[Session],
    journal_dir: Path,
    clock: Callable[[], dt.datetime] = utc_now,
) -> AsyncIterator[Journalled]:
    journal = JournalWriter(journal_dir / "journal.sqlite3", max_bytes=10**9)
    await journal.start()
    services = CallServices(
        settings=settings,
        config=ConfigHolder(settings, loader=lambda s: load_config(s, check_prompts=False)),
        journal=journal,
        clock=clock,
    )
    try:
        yield Journalled(services, Drainer(journal, sessions), sessions)
    finally:
        await journal.stop()
