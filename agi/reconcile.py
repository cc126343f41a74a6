"""Rebuild call rows from Asterisk's own CDR for calls the server never saw end.

Asterisk writes cdr_csv independently of us. The dialplan's hangup handler puts
"<step>|<recording relpath>|<test flag>" in CDR(userfield) and the centre in accountcode
before it calls the (possibly dead) hangup AGI, so every 12330 call leg can be
recognised and closed here: a missing row is created (source=reconciled), an
in-progress row gets its outcome, and its recording and voicemail are indexed.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import structlog

from agi.flow.archive import SETTLE_SECONDS, collect_voicemail, index_recording
from agi.flow.hangup import OUTCOME_BY_STEP
from agi.flow.identity import safe_digits, sanitize_caller
from agi.flow.services import CallServices
from models.calls import CallOutcome, CallSource

log = structlog.get_logger("reconcile")

# cdr_csv columns with loguniqueid, loguserfield and newcdrcolumns (cdr.conf).
COLUMNS = (
    *("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp"),
    *("lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags"),
    *("uniqueid", "userfield", "peeraccount", "linkedid", "sequence"),
)


@dataclass(frozen=True)
class CdrCall:
    uniqueid: str
    linkedid: str
    channel: str
    caller: str
    dialled: str
    centre: str
    step: str
    recording_relpath: str
    is_test: bool
    start: dt.datetime
    end: dt.datetime | None


def _utc(raw: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def read_cdr_calls(path: Path, since: dt.datetime | None = None) -> list[CdrCall]:
    """The 12330 call legs in Master.csv (the ones whose userfield our dialplan set),
    started at or after `since` when given."""
    if not path.exists():
        return []
    calls: dict[str, CdrCall] = {}
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) < len(COLUMNS) - 1:
                continue
            fields = dict(zip(COLUMNS, row, strict=False))
            step, sep, rest = fields["userfield"].partition("|")
            relpath, _, test_flag = rest.partition("|")
            start = _utc(fields["start"])
            if not sep or not fields["uniqueid"] or start is None:
                continue
            if since is not None and start < since:
                continue
            calls[fields["uniqueid"]] = CdrCall(
                uniqueid=fields["uniqueid"][:64],
                linkedid=(fields.get("linkedid") or fields["uniqueid"])[:64],
                channel=fields["channel"],
                caller=sanitize_caller(fields["src"]),
                dialled=safe_digits(fields["dst"]) or "12330",
                centre=fields["accountcode"][:32],
                step=step,
                recording_relpath=relpath,
                is_test=test_flag == "1",
                start=start,
                end=_utc(fields["end"]),
            )
    return list(calls.values())


async def reconcile(services: CallServices, since: dt.datetime | None = None) -> int:
    """Close every CDR call (since `since`) the log lacks or left in progress; how many."""
    cdr_calls = await asyncio.to_thread(read_cdr_calls, services.settings.cdr_csv, since)
    if not cdr_calls:
        return 0
    known = await services.calllog.outcomes([c.uniqueid for c in cdr_calls])
    fixed = 0
    for cdr in cdr_calls:
        if known.get(cdr.uniqueid, CallOutcome.IN_PROGRESS) is not CallOutcome.IN_PROGRESS:
            continue
        await _close_call(services, cdr, create=cdr.uniqueid not in known)
        fixed += 1
    log.info("reconcile.done", calls=fixed)
    return fixed


async def _close_call(services: CallServices, cdr: CdrCall, *, create: bool) -> None:
    calllog = services.calllog
    call_id = await calllog.start_call(
        uniqueid=cdr.uniqueid,
        linkedid=cdr.linkedid,
        started_at=cdr.start,
        dialled_number=cdr.dialled,
        caller_number=cdr.caller or None,
        is_test=cdr.is_test,
        source=CallSource.RECONCILED,
    )
    outcome = OUTCOME_BY_STEP.get(cdr.step, CallOutcome.FAILED)
    reason = None
    if outcome is CallOutcome.ANSWERED:
        # The CDR does not say which line answered; keep the call, mark it honestly.
        outcome, reason = CallOutcome.FAILED, "reconciled: answered, but the line is unknown"
    elif cdr.step == "fallback":
        reason = "FastAGI unavailable: fallback greeting and national voicemail (reconciled)"
    elif create and cdr.centre:
        # No server ever saw the call, yet it reached a centre: the dialplan's fallback.
        reason = (
            f"FastAGI unavailable: the dialplan's fallback routed the call to {cdr.centre} "
            "(reconciled)"
        )
    elif outcome is CallOutcome.FAILED:
        reason = f"reconciled: call ended in unknown step {cdr.step[:40]!r}"
    if create and cdr.centre:
        await calllog.routed(
            call_id, area_code=None, centre_id=cdr.centre, is_open=None, reason=None
        )
    await calllog.finish(call_id, outcome, ended_at=cdr.end, failure_reason=reason)
    await calllog.event(call_id, "reconciled", {"step": cdr.step, "created": create})
    # Files of a call that ended a while ago are complete: check once, do not wait.
    ended = cdr.end or cdr.start
    recent = (services.clock() - ended).total_seconds() < SETTLE_SECONDS
    wait = SETTLE_SECONDS if recent else 0.0
    await index_recording(
        services, call_id, cdr.uniqueid, cdr.recording_relpath, cdr.start, settle_seconds=wait
    )
    if outcome is CallOutcome.VOICEMAIL:
        mailbox = "national" if cdr.step == "fallback" else _mailbox(services, cdr.centre)
        await collect_voicemail(
            services, call_id, cdr.uniqueid, cdr.channel, mailbox, cdr.start, wait_seconds=wait
        )


def _mailbox(services: CallServices, centre_id: str) -> str:
    try:
        return services.config.current.directory.centre(centre_id).mailbox
    except KeyError:
        return "national"
