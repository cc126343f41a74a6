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
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog
from sqlalchemy.orm import Session

from agi import contract
from agi.flow.archive import SETTLE_SECONDS, collect_voicemail, index_recording
from agi.flow.calllog import CallRecorder
from agi.flow.hangup import OUTCOME_BY_STEP
from agi.flow.identity import safe_digits, sanitize_caller
from agi.flow.services import CallServices
from calllog.drain import Drainer
from models import repository as repo
from models.calls import CallOutcome, CallSource
from routing.reasons import Code, Reason

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
    # From the leg's row that an operator answered (the Queue member it was bridged to).
    answered_line: str | None = None
    answered_at: dt.datetime | None = None
    talk_seconds: float | None = None


def _utc(raw: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


# A channel name is its device plus "-<8 hex digits>" (and ";1"/";2" for Local halves):
# PJSIP/bj-op2-0000000b, Local/bj-op2@hotline12330-test-operators-00000004;1.
_CHANNEL_SUFFIX = re.compile(r"-[0-9a-f]{8}(?:;[12])?$")


def line_of_channel(channel: str) -> str:
    """The Queue member interface a channel was dialled as (what MEMBERINTERFACE holds):
    the channel name without its sequence suffix. A landline dialled through a trunk
    shows as the trunk (PJSIP/<trunk>), since its number is not in the channel name."""
    return _CHANNEL_SUFFIX.sub("", channel)[:128]


def _answered_row(rows: list[dict[str, str]]) -> dict[str, str] | None:
    """The row of a caller leg that was bridged to an answering operator: Queue dialled
    a member (dstchannel) and that member answered. Rows of members that did not answer
    say NO ANSWER; the last answered one is the operator the call ended with."""
    answered = [
        row
        for row in rows
        if row["dstchannel"] and row["disposition"] == "ANSWERED" and _utc(row["answer"])
    ]
    if not answered:
        return None
    return max(answered, key=lambda row: (row["answer"], _number(row["sequence"])))


def _number(raw: str) -> int:
    return int(raw) if raw.isdigit() else 0


def cdr_calls(rows: Iterable[list[str]], since: dt.datetime | None = None) -> list[CdrCall]:
    """The 12330 calls in cdr_csv rows: one per uniqueid whose userfield our dialplan set
    (started at or after `since` when given), completed from every row of that leg."""
    legs: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if len(row) < len(COLUMNS) - 1:
            continue
        fields = dict(zip(COLUMNS, row, strict=False))
        fields.setdefault("sequence", "")
        if fields["uniqueid"]:
            legs.setdefault(fields["uniqueid"], []).append(fields)
    calls = []
    for uniqueid, leg_rows in legs.items():
        call = _call_of_leg(uniqueid, leg_rows)
        if call is not None and (since is None or call.start >= since):
            calls.append(call)
    return calls


def _call_of_leg(uniqueid: str, rows: list[dict[str, str]]) -> CdrCall | None:
    ours = [row for row in rows if "|" in row["userfield"]]
    if not ours:
        return None  # not a 12330 call leg (an operator's leg, the test caller ...)
    last = ours[-1]  # the hangup handler's row: the final outcome
    step, _, rest = last["userfield"].partition("|")
    relpath, _, test_flag = rest.partition("|")
    starts = [start for row in rows if (start := _utc(row["start"])) is not None]
    ends = [end for row in rows if (end := _utc(row["end"])) is not None]
    if not starts:
        return None
    answered = _answered_row(rows) if step == "answered" else None
    return CdrCall(
        uniqueid=uniqueid[:64],
        linkedid=(last.get("linkedid") or uniqueid)[:64],
        channel=last["channel"],
        caller=sanitize_caller(last["src"]),
        dialled=safe_digits(last["dst"]) or contract.SERVICE_NUMBER,
        centre=last["accountcode"][:32],
        step=step,
        recording_relpath=relpath,
        is_test=test_flag == "1",
        start=min(starts),
        end=max(ends) if ends else None,
        answered_line=line_of_channel(answered["dstchannel"]) if answered else None,
        answered_at=_utc(answered["answer"]) if answered else None,
        talk_seconds=float(_number(answered["billsec"])) if answered else None,
    )


def read_cdr_calls(path: Path, since: dt.datetime | None = None) -> list[CdrCall]:
    """The 12330 calls in Master.csv (see cdr_calls)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return cdr_calls(csv.reader(handle), since)


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
    cut_off = await _close_cut_off(services, drainer, since, pending)
    log.info("reconcile.done", calls=fixed, cut_off=cut_off)
    return fixed + cut_off


# No call is up longer than the dialplan's TIMEOUT(absolute); past it, with room for the
# hangup step, a row still in progress with no CDR lost its end: Asterisk stopped or
# crashed with the call up (a graceful stop writes the CDR, closed above).
CUT_OFF_AFTER = dt.timedelta(seconds=contract.MAX_CALL_SECONDS + 2 * GRACE_SECONDS)
CUT_OFF_REASON = Reason.of(Code.CUT_OFF).to_json()


async def _close_cut_off(
    services: CallServices, drainer: Drainer, since: dt.datetime | None, pending: set[str]
) -> int:
    """Close rows that can no longer be live and that no CDR row explains, as failed.

    The outcome is what the log knows: the call was cut off by our side. Nothing is
    guessed about whether an operator had answered."""
    before = services.clock() - CUT_OFF_AFTER

    def stale(session: Session) -> list[tuple[int, str]]:
        rows = repo.in_progress_before(session, before)
        return [(c.id, c.uniqueid) for c in rows if since is None or c.started_at >= since]

    closed = 0
    for call_id, uniqueid in await drainer.in_db_thread(stale):
        if uniqueid in pending:
            continue
        if await drainer.in_db_thread(lambda s, i=call_id: _close_cut_off_call(s, i)):
            log.warning("reconcile.cut_off", uniqueid=uniqueid)
            closed += 1
    return closed


def _close_cut_off_call(session: Session, call_id: int) -> bool:
    closed = repo.close_call(
        session,
        call_id,
        CallOutcome.FAILED,
        closed_by=CallSource.RECONCILED,
        failure_reason=CUT_OFF_REASON,
    )
    if closed:
        repo.append_event(session, call_id, "reconciled", {"step": "cut_off", "created": False})
    return closed


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
    reason: Reason | None = None
    answer: dict[str, object] = {}
    if outcome is CallOutcome.ANSWERED:
        answer = answer_fields(cdr)
    elif cdr.step == contract.Step.FALLBACK:
        reason = Reason.of(Code.FALLBACK_NATIONAL, reconciled=True)
    elif not existed and cdr.centre:
        # No server ever saw the call, yet it reached a centre: the dialplan's fallback.
        reason = Reason.of(Code.FALLBACK_DIALPLAN, centre=cdr.centre, reconciled=True)
    elif outcome is CallOutcome.FAILED:
        reason = Reason.of(Code.UNKNOWN_STEP, step=cdr.step[:40], reconciled=True)
    if cdr.centre:  # the CDR's accountcode: also when the server died before routing was logged
        repo.set_centre_if_unknown(session, call.id, cdr.centre)
    closed = repo.close_call(
        session,
        call.id,
        outcome,
        closed_by=CallSource.RECONCILED,
        ended_at=cdr.end,
        failure_reason=reason.to_json() if reason else None,
        **answer,
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
        national = cdr.step == contract.Step.FALLBACK
        mailbox = contract.NATIONAL_MAILBOX if national else _mailbox(services, cdr.centre)
        await collect_voicemail(
            services,
            recorder,
            cdr.channel,
            mailbox,
            cdr.start,
            wait_seconds=wait,
            call_window=(cdr.start, cdr.end) if cdr.end else None,
        )


def answer_fields(cdr: CdrCall) -> dict[str, object]:
    """The answered call's fields as the hangup step writes them; the wait is unknown (the
    CDR has no ring start), and the line "unknown" when no answered row survived."""
    fields: dict[str, object] = {"answered_line": cdr.answered_line or "unknown"}
    if cdr.answered_at is not None:
        fields["answered_at"] = cdr.answered_at
    if cdr.talk_seconds is not None:
        fields["talk_seconds"] = cdr.talk_seconds
    return fields


def _mailbox(services: CallServices, centre_id: str) -> str:
    try:
        return services.config.current.directory.centre(centre_id).mailbox
    except KeyError:
        return contract.NATIONAL_MAILBOX
