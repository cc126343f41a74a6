"""Read back what the server logged for one call: row, events, recording, voicemail."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from config.settings import Settings
from models.calls import Call, CallEvent, CallOutcome
from models.db import make_engine, session_factory
from models.recordings import Recording
from models.voicemail import Voicemail


def call_report(settings: Settings, uniqueid: str) -> dict[str, object]:
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            call = session.scalars(select(Call).where(Call.uniqueid == uniqueid)).one_or_none()
            if call is None:
                return {}
            events = session.scalars(
                select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
            ).all()
            recording = session.scalars(
                select(Recording).where(Recording.call_id == call.id)
            ).one_or_none()
            voicemail = session.scalars(
                select(Voicemail).where(Voicemail.call_id == call.id)
            ).one_or_none()
            return {
                "call": _row(call),
                "events": [{"step": e.step, "detail": e.detail} for e in events],
                "recording": _row(recording) if recording else None,
                "voicemail": _row(voicemail) if voicemail else None,
            }
    finally:
        engine.dispose()


def _row(obj: object) -> dict[str, object]:
    table = obj.__table__  # type: ignore[attr-defined]
    return {c.name: getattr(obj, c.key, None) for c in table.columns}


async def wait_for_call_report(
    settings: Settings, uniqueid: str, limit_seconds: float = 30.0
) -> dict[str, object]:
    """Poll until the call is closed and its recording indexed (the server does both)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_seconds
    report: dict[str, object] = {}
    while loop.time() < deadline:
        report = await asyncio.to_thread(call_report, settings, uniqueid)
        call = report.get("call")
        closed = bool(call) and call["outcome"] != CallOutcome.IN_PROGRESS  # type: ignore[index]
        message_due = closed and call["outcome"] == CallOutcome.VOICEMAIL  # type: ignore[index]
        if closed and report.get("recording") and (report.get("voicemail") or not message_due):
            return report
        await asyncio.sleep(0.5)
    return report
