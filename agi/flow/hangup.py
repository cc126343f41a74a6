"""The `hangup` AGI (run by the dialplan's hangup handler): close the call's log.

The channel is already gone, so the dialplan passes everything as arguments (no
dead-mode round trips): the step the call ended in (HOTLINE_OUTCOME), the recording,
the centre, the queue's answer details, the mailbox and the call's identity. The
outcome follows from the step. File checks (recording, voicemail) run in the
background: MixMonitor finishes writing only after the channel is destroyed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

import structlog

from agi.contract import Step
from agi.flow.archive import archive_call_files
from agi.flow.calllog import CallRecorder, utc_from_epoch
from agi.flow.identity import safe_digits, sanitize_caller
from agi.flow.services import CallServices
from agi.session import AgiSession
from models.calls import CallOutcome
from routing.reasons import Code, Reason

log = structlog.get_logger("hangup")

# What each HOTLINE_OUTCOME step at hangup means for the call; anything else failed.
OUTCOME_BY_STEP: dict[str, CallOutcome] = {
    Step.ANSWERED: CallOutcome.ANSWERED,
    Step.RINGING: CallOutcome.ABANDONED_RINGING,
    Step.VOICEMAIL: CallOutcome.VOICEMAIL,
    Step.FALLBACK: CallOutcome.VOICEMAIL,
    Step.ABANDONED_GREETING: CallOutcome.ABANDONED_GREETING,
    Step.ABANDONED_MENU: CallOutcome.ABANDONED_MENU,
    Step.ROUTING: CallOutcome.ABANDONED_GREETING,
}


@dataclass(frozen=True)
class HangupArgs:
    """AGI(.../hangup,<step>,<rec relpath>,<centre>,<member interface>,<ring start>,
    <answered at>,<mailbox>,<linkedid>,<test flag>,<dialled>,<trunk area>,<fallback>)"""

    step: str
    recording_relpath: str
    centre: str
    member_interface: str
    ring_start: dt.datetime | None
    answered_at: dt.datetime | None
    mailbox: str
    linkedid: str
    is_test: bool
    dialled: str
    trunk_area: str
    by_dialplan: bool  # HOTLINE_FALLBACK: the dialplan routed the call alone

    @classmethod
    def parse(cls, arguments: list[str]) -> HangupArgs:
        a = [*arguments, *[""] * 12][:12]
        return cls(
            step=a[0][:40],
            recording_relpath=a[1],
            centre=a[2][:32],
            member_interface=a[3][:128],
            ring_start=utc_from_epoch(a[4]),
            answered_at=utc_from_epoch(a[5]),
            mailbox=a[6][:64],
            linkedid=a[7][:64],
            is_test=a[8] == "1",
            dialled=safe_digits(a[9]),
            trunk_area=safe_digits(a[10]),
            by_dialplan=a[11] == "1",
        )


async def handle_hangup(session: AgiSession, services: CallServices) -> None:
    ended_at = services.clock()
    args = HangupArgs.parse(session.arguments)
    if args.centre:  # every log line of the call names its centre
        structlog.contextvars.bind_contextvars(centre=args.centre)
    # The identity creates the row if the call AGI never ran (server down then).
    recorder = CallRecorder.for_call(
        services.journal,
        uniqueid=session.uniqueid,
        linkedid=args.linkedid,
        started_at=ended_at,
        dialled_number=args.dialled,
        caller_number=sanitize_caller(session.callerid),
        trunk_area_code=args.trunk_area,
        is_test=args.is_test,
    )
    outcome = OUTCOME_BY_STEP.get(args.step, CallOutcome.FAILED)
    recorder.finish(outcome, **close_fields(args, outcome, ended_at))
    recorder.event("hangup", step=args.step, outcome=outcome.value)
    log.info("call.ended", outcome=outcome.value, step=args.step)

    task = asyncio.create_task(
        archive_call_files(
            services,
            recorder,
            channel=session.channel,
            recording_relpath=args.recording_relpath,
            mailbox=args.mailbox if outcome is CallOutcome.VOICEMAIL else None,
            started_hint=ended_at,
        )
    )
    services.background.add(task)
    task.add_done_callback(services.background.discard)


def close_fields(args: HangupArgs, outcome: CallOutcome, ended_at: dt.datetime) -> dict:
    fields: dict[str, object] = {"ended_at": ended_at}
    if args.step == Step.FALLBACK:
        fields["failure_reason"] = Reason.of(Code.FALLBACK_NATIONAL)
    elif args.by_dialplan:
        fields["failure_reason"] = Reason.of(Code.FALLBACK_DIALPLAN, centre=args.centre)
        # No server decided it, so no routing entry names the centre: the close does.
        fields["centre_id"] = args.centre or None
    elif outcome is CallOutcome.FAILED:
        fields["failure_reason"] = Reason.of(Code.UNKNOWN_STEP, step=args.step)
    if outcome is CallOutcome.ANSWERED:
        fields["answered_line"] = args.member_interface or "unknown"
        if args.answered_at:
            fields["answered_at"] = args.answered_at
            fields["talk_seconds"] = max(0.0, (ended_at - args.answered_at).total_seconds())
            if args.ring_start:
                wait = (args.answered_at - args.ring_start).total_seconds()
                fields["wait_seconds"] = max(0.0, wait)
    elif outcome is CallOutcome.ABANDONED_RINGING and args.ring_start:
        fields["wait_seconds"] = max(0.0, (ended_at - args.ring_start).total_seconds())
    return fields
