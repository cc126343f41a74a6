"""The `hangup` AGI (run by the dialplan's hangup handler): close the call row.

The channel is already gone, so only dead-mode commands work here. The dialplan
passes the step the call ended in (HOTLINE_OUTCOME); the outcome follows from it.
File checks (recording, voicemail) run in the background: MixMonitor finishes
writing only after the channel is destroyed.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import structlog

from agi import channel_vars as cv
from agi.flow.archive import archive_call_files
from agi.flow.calllog import utc_from_epoch
from agi.flow.identify import identify
from agi.flow.services import CallServices
from agi.session import AgiSession
from models.calls import CallOutcome

log = structlog.get_logger("hangup")

OUTCOME_BY_STEP = {
    "answered": CallOutcome.ANSWERED,
    "ringing": CallOutcome.ABANDONED_RINGING,
    "voicemail": CallOutcome.VOICEMAIL,
    "fallback": CallOutcome.VOICEMAIL,
    "abandoned_greeting": CallOutcome.ABANDONED_GREETING,
    "abandoned_menu": CallOutcome.ABANDONED_MENU,
    "routing": CallOutcome.ABANDONED_GREETING,
}


async def handle_hangup(session: AgiSession, services: CallServices) -> None:
    ended_at = services.clock()
    step = (session.arguments or [""])[0]
    calllog = services.calllog
    call_id = await calllog.call_id(session.uniqueid)
    created = call_id is None
    if call_id is None:
        # The call AGI never ran (server was down then): open the row now.
        identity = await identify(session)
        call_id = await calllog.start_call(
            uniqueid=identity.uniqueid,
            linkedid=identity.linkedid,
            started_at=ended_at,
            dialled_number=identity.dialled or "12330",
            caller_number=identity.caller or None,
            trunk_area_code=identity.trunk_area or None,
            is_test=identity.is_test,
        )
    centre = await session.get_variable(cv.CENTRE)
    if centre:  # every log line of the call names its centre
        structlog.contextvars.bind_contextvars(centre=centre[:32])
    # The dialplan routed the call alone (HOTLINE_FALLBACK=1): no server decided it.
    by_dialplan = await session.get_variable(cv.FALLBACK) == "1"
    if created and centre and by_dialplan:
        await calllog.routed(
            call_id, area_code=None, centre_id=centre[:32], is_open=None, reason=None
        )
    outcome = OUTCOME_BY_STEP.get(step, CallOutcome.FAILED)
    fields: dict[str, object] = {"ended_at": ended_at}
    if step == "fallback":
        fields["failure_reason"] = (
            "FastAGI unavailable or failed: fallback greeting and national voicemail"
        )
    elif by_dialplan:
        fields["failure_reason"] = (
            f"FastAGI unavailable or failed: the dialplan's fallback routed the call to {centre}"
        )
    elif outcome is CallOutcome.FAILED:
        fields["failure_reason"] = f"call ended in unknown step {step[:40]!r}"
    if outcome is CallOutcome.ANSWERED:
        fields.update(await _answer_details(session, ended_at))
    elif outcome is CallOutcome.ABANDONED_RINGING:
        ring_start = utc_from_epoch(await session.get_variable(cv.RING_START))
        if ring_start:
            fields["wait_seconds"] = max(0.0, (ended_at - ring_start).total_seconds())
    await calllog.finish(call_id, outcome, **fields)
    await calllog.event(call_id, "hangup", {"step": step, "outcome": outcome.value})
    log.info("call.ended", outcome=outcome.value, step=step)

    mailbox = await session.get_variable(cv.MAILBOX) if outcome is CallOutcome.VOICEMAIL else None
    if step == "fallback":
        mailbox = "national"
    task = asyncio.create_task(
        archive_call_files(
            services,
            call_id=call_id,
            uniqueid=session.uniqueid,
            channel=session.channel,
            recording_relpath=[*session.arguments, "", ""][1],
            mailbox=mailbox,
            started_hint=ended_at,
        )
    )
    services.background.add(task)
    task.add_done_callback(services.background.discard)


async def _answer_details(session: AgiSession, ended_at: dt.datetime) -> dict[str, object]:
    line = (await session.get_variable(cv.MEMBERINTERFACE)) or "unknown"
    ring_start = utc_from_epoch(await session.get_variable(cv.RING_START))
    answered_at = utc_from_epoch(await session.get_variable(f"SHARED({cv.ANSWERED_AT})"))
    details: dict[str, object] = {"answered_line": line[:128]}
    if answered_at:
        details["answered_at"] = answered_at
        details["talk_seconds"] = max(0.0, (ended_at - answered_at).total_seconds())
        if ring_start:
            details["wait_seconds"] = max(0.0, (answered_at - ring_start).total_seconds())
    return details
