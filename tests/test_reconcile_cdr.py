# ruff: noqa: E501  (the pasted CDR rows are kept exactly as Asterisk wrote them)
"""Reconcile from Asterisk's CDR: every row of a call, pasted from the dev stack.

The tables are Master.csv rows exactly as cdr_csv wrote them (Asterisk 22, cdr.conf of
asterisk-conf/: usegmtime, loguniqueid, loguserfield, newcdrcolumns) for real calls placed
by tests/test_calls_real.py's machinery: an operator answered call, where the caller leg
has one row per queue member rung, and a voicemail call whose uniqueids carry an
asterisk.conf systemname prefix ("pbx1-"). Like wazo-call-logd's @raw_cels tables.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from journal_support import journalled

from agi.reconcile import cdr_calls, line_of_channel, reconcile
from config.settings import load_settings


def raw_cdr(text: str) -> list[list[str]]:
    """Pasted Master.csv lines as cdr_csv rows."""
    return list(csv.reader(io.StringIO(text.strip() + "\n")))


# 01012330 in hours, the queue rings bj's five simulated operators, op2 answers (2 s talk).
# Caller leg 1796285143.195106092 (Local;2 running [hotline12330-call]); linkedid is the
# test caller's leg. Rows of the operators' own legs and of the test caller are here too.
ANSWERED = raw_cdr(
    r'''
"bj","13800138000","bj-op5","hotline12330-test-operators","""13800138000"" <13800138000>","Local/bj-op5@hotline12330-test-operators-00000001;2","","Answer","","2026-12-03 08:05:45","2026-12-03 08:05:45","2026-12-03 08:05:45",0,0,"ANSWERED","DOCUMENTATION","1796285145.3","","","1796285143.286353799",3
"bj","13800138000","bj-op1","hotline12330-test-operators","""13800138000"" <13800138000>","Local/bj-op1@hotline12330-test-operators-00000005;2","","Answer","","2026-12-03 08:05:45","2026-12-03 08:05:45","2026-12-03 08:05:45",0,0,"ANSWERED","DOCUMENTATION","1796285145.11","","","1796285143.286353799",14
"bj","13800138000","bj-op3","hotline12330-test-operators","""13800138000"" <13800138000>","Local/bj-op3@hotline12330-test-operators-00000003;2","","Answer","","2026-12-03 08:05:45","2026-12-03 08:05:45","2026-12-03 08:05:45",0,0,"ANSWERED","DOCUMENTATION","1796285145.7","","","1796285143.286353799",8
"bj","13800138000","bj-op4","hotline12330-test-operators","""13800138000"" <13800138000>","Local/bj-op4@hotline12330-test-operators-00000002;2","","Answer","","2026-12-03 08:05:45","2026-12-03 08:05:45","2026-12-03 08:05:45",0,0,"ANSWERED","DOCUMENTATION","1796285145.5","","","1796285143.286353799",5
"","13800138000","s","hotline12330-test-caller","""13800138000"" <13800138000>","Local/01012330@hotline12330-inbound-00000000;1","","Hangup","","2026-12-03 08:05:43","2026-12-03 08:05:43","2026-12-03 08:05:48",4,4,"ANSWERED","DOCUMENTATION","1796285143.286353799","","","1796285143.286353799",0
"bj","13800138000","bj-op2","hotline12330-test-operators","""13800138000"" <13800138000>","Local/bj-op2@hotline12330-test-operators-00000004;2","","Playback","demo-congrats","2026-12-03 08:05:45","2026-12-03 08:05:45","2026-12-03 08:05:48",2,2,"ANSWERED","DOCUMENTATION","1796285145.9","","","1796285143.286353799",11
"bj","13800138000","01012330","hotline12330-call","""13800138000"" <13800138000>","Local/01012330@hotline12330-inbound-00000000;2","Local/bj-op5@hotline12330-test-operators-00000001;1","Queue","hotline12330-bj,r,,,5,,hotline12330-answered","2026-12-03 08:05:43","2026-12-03 08:05:43","2026-12-03 08:05:45",2,2,"NO ANSWER","DOCUMENTATION","1796285143.195106092","","","1796285143.286353799",1
"bj","13800138000","01012330","hotline12330-call","""13800138000"" <13800138000>","Local/01012330@hotline12330-inbound-00000000;2","Local/bj-op4@hotline12330-test-operators-00000002;1","Queue","hotline12330-bj,r,,,5,,hotline12330-answered","2026-12-03 08:05:45","2026-12-03 08:05:45","2026-12-03 08:05:45",0,0,"NO ANSWER","DOCUMENTATION","1796285143.195106092","","","1796285143.286353799",6
"bj","13800138000","01012330","hotline12330-call","""13800138000"" <13800138000>","Local/01012330@hotline12330-inbound-00000000;2","Local/bj-op3@hotline12330-test-operators-00000003;1","Queue","hotline12330-bj,r,,,5,,hotline12330-answered","2026-12-03 08:05:45","2026-12-03 08:05:45","2026-12-03 08:05:45",0,0,"NO ANSWER","DOCUMENTATION","1796285143.195106092","","","1796285143.286353799",9
"bj","13800138000","01012330","hotline12330-call","""13800138000"" <13800138000>","Local/01012330@hotline12330-inbound-00000000;2","Local/bj-op2@hotline12330-test-operators-00000004;1","Queue","hotline12330-bj,r,,,5,,hotline12330-answered","2026-12-03 08:05:45","2026-12-03 08:05:45","2026-12-03 08:05:48",2,2,"ANSWERED","DOCUMENTATION","1796285143.195106092","","","1796285143.286353799",12
"bj","13800138000","01012330","hotline12330-call","""13800138000"" <13800138000>","Local/01012330@hotline12330-inbound-00000000;2","Local/bj-op1@hotline12330-test-operators-00000005;1","Queue","hotline12330-bj,r,,,5,,hotline12330-answered","2026-12-03 08:05:45","2026-12-03 08:05:45","2026-12-03 08:05:45",0,0,"NO ANSWER","DOCUMENTATION","1796285143.195106092","","","1796285143.286353799",15
"bj","13800138000","01012330","hotline12330-call","""13800138000"" <13800138000>","Local/01012330@hotline12330-inbound-00000000;2","","Return","","2026-12-03 08:05:48","2026-12-03 08:05:48","2026-12-03 08:05:48",0,0,"ANSWERED","DOCUMENTATION","1796285143.195106092","answered|2026/12/03/1796285143.195106092.wav|1","","1796285143.286353799",16
'''
)

# Sunday: voicemail in bj; asterisk.conf systemname "pbx1" prefixes both uniqueids.
VOICEMAIL = raw_cdr(
    r'''
"","13800138000","s","hotline12330-test-caller","""13800138000"" <13800138000>","Local/01012330@hotline12330-inbound-00000006;1","","Hangup","","2026-12-03 08:05:48","2026-12-03 08:05:48","2026-12-03 08:05:58",10,10,"ANSWERED","DOCUMENTATION","pbx1-1796285148.224039938","","","pbx1-1796285148.224039938",17
"bj","13800138000","01012330","hotline12330-call","""13800138000"" <13800138000>","Local/01012330@hotline12330-inbound-00000006;2","","Return","","2026-12-03 08:05:48","2026-12-03 08:05:48","2026-12-03 08:05:58",10,10,"ANSWERED","DOCUMENTATION","pbx1-1796285148.381835098","voicemail|2026/12/03/pbx1-1796285148.381835098.wav|1","","pbx1-1796285148.224039938",18
'''
)

UTC = dt.UTC
T = dt.datetime


def without(rows: list[list[str]], dstchannel_contains: str) -> list[list[str]]:
    return [row for row in rows if dstchannel_contains not in row[6]]


# (case, rows, expected calls: uniqueid -> (step, line, answered at, talk seconds, start, end))
CDR_TABLE = [
    (
        "answered: the line, answer time and billsec of the member that took it",
        ANSWERED,
        {
            "1796285143.195106092": (
                "answered",
                "Local/bj-op2@hotline12330-test-operators",
                T(2026, 12, 3, 8, 5, 45, tzinfo=UTC),
                2.0,
                T(2026, 12, 3, 8, 5, 43, tzinfo=UTC),
                T(2026, 12, 3, 8, 5, 48, tzinfo=UTC),
            )
        },
    ),
    (
        "answered, the answered member's row lost: answered, line unknown",
        without(ANSWERED, "bj-op2"),
        {
            "1796285143.195106092": (
                "answered",
                None,
                None,
                None,
                T(2026, 12, 3, 8, 5, 43, tzinfo=UTC),
                T(2026, 12, 3, 8, 5, 48, tzinfo=UTC),
            )
        },
    ),
    (
        "voicemail with a systemname prefix",
        VOICEMAIL,
        {
            "pbx1-1796285148.381835098": (
                "voicemail",
                None,
                None,
                None,
                T(2026, 12, 3, 8, 5, 48, tzinfo=UTC),
                T(2026, 12, 3, 8, 5, 58, tzinfo=UTC),
            )
        },
    ),
    ("both calls in one file, rows interleaved", VOICEMAIL[:1] + ANSWERED + VOICEMAIL[1:], None),
]


@pytest.mark.parametrize(
    ("rows", "expected"), [r[1:] for r in CDR_TABLE], ids=[r[0] for r in CDR_TABLE]
)
def test_cdr_calls_decides_per_call_leg(rows, expected):
    expected = expected or {**CDR_TABLE[0][2], **CDR_TABLE[2][2]}
    calls = {c.uniqueid: c for c in cdr_calls(rows)}
    got = {
        uid: (c.step, c.answered_line, c.answered_at, c.talk_seconds, c.start, c.end)
        for uid, c in calls.items()
    }
    assert got == expected
    for call in calls.values():
        assert call.linkedid != call.uniqueid  # the test caller's leg links the call
        assert call.centre == "bj" and call.caller == "13800138000" and call.is_test


@pytest.mark.parametrize(
    ("channel", "line"),
    [
        (
            "Local/bj-op2@hotline12330-test-operators-00000004;1",
            "Local/bj-op2@hotline12330-test-operators",
        ),
        ("PJSIP/bj-op2-0000000b", "PJSIP/bj-op2"),
        ("PJSIP/carrier-bj-0000001f", "PJSIP/carrier-bj"),  # a landline: only its trunk
        ("PJSIP/bj-op2", "PJSIP/bj-op2"),
    ],
)
def test_line_of_channel(channel, line):
    assert line_of_channel(channel) == line


@pytest.fixture
async def log(tmp_path: Path, sessions):
    settings = dataclasses.replace(
        load_settings(path=None, environ={}),
        recordings_root=tmp_path / "recordings",
        voicemail_spool=tmp_path / "spool",
        cdr_csv=tmp_path / "Master.csv",
    )
    a_day_later = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)  # files settled
    async with journalled(settings, sessions, tmp_path, lambda: a_day_later) as log:
        yield log


async def test_reconcile_rebuilds_an_answered_call_as_answered(log):
    services = log.services
    with services.settings.cdr_csv.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(ANSWERED + VOICEMAIL)
    assert await reconcile(services, log.drainer) == 2
    await log.settle()
    assert await reconcile(services, log.drainer) == 0  # closed calls are left alone
    call = log.call("1796285143.195106092")
    assert call.outcome == "answered" and call.failure_reason is None
    assert call.source == "reconciled"
    assert call.answered_line == "Local/bj-op2@hotline12330-test-operators"
    assert call.answered_at == dt.datetime(2026, 12, 3, 8, 5, 45, tzinfo=dt.UTC)
    assert call.talk_seconds == 2.0
    assert call.started_at == dt.datetime(2026, 12, 3, 8, 5, 43, tzinfo=dt.UTC)
    assert call.centre_id == "bj" and call.is_test
    voicemail_call = log.call("pbx1-1796285148.381835098")
    assert voicemail_call.outcome == "voicemail"
    assert voicemail_call.linkedid == "pbx1-1796285148.224039938"


A_DAY_LATER = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)  # the `log` fixture's clock

# (case, started before the clock, journal entry left pending, CDR rows, expected outcome)
CUT_OFF_TABLE = [
    ("past the call limit, no CDR: cut off", dt.timedelta(hours=2), False, [], "failed"),
    ("within the call limit: may be live", dt.timedelta(minutes=50), False, [], "in_progress"),
    ("its end still in the journal: the drain's", dt.timedelta(hours=2), True, [], "in_progress"),
]


@pytest.mark.parametrize(
    ("age", "pending", "rows", "expected"),
    [r[1:] for r in CUT_OFF_TABLE],
    ids=[r[0] for r in CUT_OFF_TABLE],
)
async def test_reconcile_closes_rows_asterisk_cut_off(log, age, pending, rows, expected):
    services = log.services
    services.settings.cdr_csv.write_text("", encoding="utf-8")
    recorder = await log.new_call("1796200000.1", A_DAY_LATER - age)
    if pending:
        # An event still waiting for the database (a drain behind an outage).
        recorder.event("routing", centre="bj")
        await services.journal.flush()
    assert await reconcile(services, log.drainer) == (1 if expected == "failed" else 0)
    call = log.call("1796200000.1")
    assert call.outcome == expected
    if expected == "failed":
        assert call.source == "agi" and call.closed_by == "reconciled"
        assert json.loads(call.failure_reason) == {"code": "cut_off"}
        await log.settle()
        assert await reconcile(services, log.drainer) == 0  # once


async def test_reconcile_prefers_the_cdr_to_cutting_off(log):
    """A row the CDR explains is closed from the CDR, even long after the call."""
    services = log.services
    with services.settings.cdr_csv.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(ANSWERED)
    await log.new_call("1796285143.195106092", T(2026, 12, 3, 8, 5, 43, tzinfo=UTC))
    assert await reconcile(services, log.drainer) == 1
    assert log.call("1796285143.195106092").outcome == "answered"
