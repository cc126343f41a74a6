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
from sqlalchemy.orm import Session

from agi.flow.archive import SETTLE_SECONDS, collect_voicemail, index_recording
from agi.flow.calllog import CallRecorder
from agi.flow.hangup import OUTCOME_BY_STEP
from agi.flow.identity import safe_digits, sanitize_caller
from agi.flow.services import CallServices
from calllog.drain import Drainer
from models import repository as repo
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


# A call that ended this recently may still have its hangup step on the way (in the
# journal's memory buffer, or in another server): the next run looks again.
GRACE_SECONDS = 60.0


async def reconcile(
    services: CallServices,
    drainer: Drainer,
    since: dt.datetime | None = None,
    *,
    server_started: dt.datetime | None = None,
) -> int:
    """Close every CDR call (since `since`) the log lacks or left in progress; how many.

    Safe beside a live drain. Calls with entries still in this server's journal, and
    calls that ended after `server_started` less than GRACE_SECONDS ago, are left to
    the live path. Database work runs on the drainer's own thread, so it never races
    this server's drain; `close_call` never lets a reconciled outcome replace a live
    one written by another server.
    """
    cdr_calls = await asyncio.to_thread(read_cdr_calls, services.settings.cdr_csv, since)
    if not cdr_calls:
        return 0
    pending = await services.journal.run(lambda j: j.pending_uniqueids())
    settled_before = services.clock() - dt.timedelta(seconds=GRACE_SECONDS)
    if server_started is not None:  # no hangup step of ours is on the way for older calls
        settled_before = max(settled_before, server_started)
    candidates = [
        c for c in cdr_calls if c.uniqueid not in pending and (c.end or c.start) < settled_before
    ]
    uniqueids = [c.uniqueid for c in candidates]
    known = await drainer.in_db_thread(lambda s: repo.outcomes(s, uniqueids))
    fixed = 0
    for cdr in candidates:
        if known.get(cdr.uniqueid, CallOutcome.IN_PROGRESS) is not CallOutcome.IN_PROGRESS:
            continue
        if await drainer.in_db_thread(lambda s, c=cdr: _close_call(s, c)):
            await _archive(services, cdr)
            fixed += 1
    log.info("reconcile.done", calls=fixed)
    return fixed


def _close_call(session: Session, cdr: CdrCall) -> bool:
    """Create or close the call's row from its CDR; False if a live close got there first."""
    existed = repo.get_call(session, cdr.uniqueid) is not None
    call = repo.create_call(
        session,
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
    elif outcome is CallOutcome.FAILED:
        reason = f"reconciled: call ended in unknown step {cdr.step[:40]!r}"
    if not existed and cdr.centre:
        repo.set_call_routing(
            session, call.id, area_code=None, centre_id=cdr.centre, is_open=None, open_reason=None
        )
    closed = repo.close_call(
        session,
        call.id,
        outcome,
        closed_by=CallSource.RECONCILED,
        ended_at=cdr.end,
        failure_reason=reason,
    )
    if closed:
        repo.append_event(
            session, call.id, "reconciled", {"step": cdr.step, "created": not existed}
        )
    return closed


async def _archive(services: CallServices, cdr: CdrCall) -> None:
    """Index the call's recording and voicemail, through the journal like a live call."""
    recorder = CallRecorder.for_call(
        services.journal,
        uniqueid=cdr.uniqueid,
        linkedid=cdr.linkedid,
        started_at=cdr.start,
        dialled_number=cdr.dialled,
        caller_number=cdr.caller,
        trunk_area_code=None,
        is_test=cdr.is_test,
    )
    # Files of a call that ended a while ago are complete: check once, do not wait.
    ended = cdr.end or cdr.start
    recent = (services.clock() - ended).total_seconds() < SETTLE_SECONDS
    wait = SETTLE_SECONDS if recent else 0.0
    await index_recording(services, recorder, cdr.recording_relpath, cdr.start, settle_seconds=wait)
    if OUTCOME_BY_STEP.get(cdr.step) is CallOutcome.VOICEMAIL:
        mailbox = "national" if cdr.step == "fallback" else _mailbox(services, cdr.centre)
        await collect_voicemail(
            services, recorder, cdr.channel, mailbox, cdr.start, wait_seconds=wait
        )


def _mailbox(services: CallServices, centre_id: str) -> str:
    try:
        return services.config.current.directory.centre(centre_id).mailbox
    except KeyError:
        return "national"
