"""Real calls through Asterisk 22: the scenario table of the 12330 call flow.

Each row places one call (AMI Originate of a Local channel; the caller leg sends
DTMF and plays sound, simulated operators answer / are busy / do not answer) into
the real dialplan, served by the real FastAGI service on SQLite and PostgreSQL.
The call time is forced with HOTLINE_TEST_AT (the test service allows it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from call_support import (
    AFTER_GREETING,
    AFTER_PROMPT,
    AFTER_RINGING,
    SUNDAY,
    WORKDAY_10AM,
    call_variables,
    install_fallback_hours,
    leaves_message,
    prepare_short_prompts,
    restore_fallback,
    talk,
)

from agi import contract
from agi.app import Service
from config.asterisk_files import load_directory
from config.model import LocalKind
from devstack.ami import SimulatedCaller
from devstack.call_report import wait_for_call_report
from recordings.layout import resolve_under_root
from recordings.verify import is_silent, verify_recording

pytestmark = pytest.mark.asterisk


@dataclass(frozen=True)
class Row:
    name: str
    dialled: str
    at: str
    caller: SimulatedCaller
    outcome: str
    centre: str | None
    open_reason: dict[str, str] | None = None  # code and parameters of the row's open_reason
    events: tuple[str, ...] = ()  # steps that must be in the event log
    absent_events: tuple[str, ...] = ()
    menu: tuple[int, int] | None = None  # (invalid count, timeout count)
    voicemail: bool = False
    answered: bool = False
    extra: dict[str, str] = field(default_factory=dict)


SCENARIOS = [
    Row(
        "answered",
        "01012330",
        WORKDAY_10AM,
        talk(operator="answer"),
        "answered",
        "bj",
        {"code": "open_hours"},
        ("greeting_by_dialplan", "handoff"),
        answered=True,
    ),
    Row(
        "busy",
        "01012330",
        WORKDAY_10AM,
        leaves_message(AFTER_RINGING, operator="busy"),
        "voicemail",
        "bj",
        {"code": "open_hours"},
        ("greeting_by_dialplan",),
        voicemail=True,
    ),
    Row(
        "no answer",
        "01012330",
        WORKDAY_10AM,
        leaves_message(AFTER_RINGING, operator="noanswer"),
        "voicemail",
        "bj",
        {"code": "open_hours"},
        ("greeting_by_dialplan",),
        voicemail=True,
    ),
    Row(
        "holiday",
        "01012330",
        "2026-10-01T10:00",
        leaves_message(AFTER_PROMPT),
        "voicemail",
        "bj",
        {"code": "closed_holiday", "name": "国庆节"},
        ("handoff",),
        ("greeting_played", "greeting_by_dialplan"),
        voicemail=True,
    ),
    Row(
        "make-up saturday",
        "01012330",
        "2026-02-14T10:00",
        talk(operator="answer"),
        "answered",
        "bj",
        {"code": "open_makeup_day", "date": "2026-02-14"},
        ("greeting_by_dialplan",),
        answered=True,
    ),
    Row(
        "sunday",
        "01012330",
        SUNDAY,
        leaves_message(AFTER_PROMPT),
        "voicemail",
        "bj",
        {"code": "closed_weekend"},
        (),
        ("greeting_played", "greeting_by_dialplan"),
        voicemail=True,
    ),
    Row(
        "menu digit 2",
        "02112330",
        WORKDAY_10AM,
        talk(digits="2", digits_delay=AFTER_GREETING, operator="answer"),
        "answered",
        "sh-pd",
        {"code": "open_hours"},
        ("menu_choice",),
        menu=(0, 0),
        answered=True,
    ),
    Row(
        "two invalid then valid",
        "02112330",
        WORKDAY_10AM,
        talk(digits="9wwwwww9wwwwww2", digits_delay=AFTER_GREETING, operator="answer"),
        "answered",
        "sh-pd",
        {"code": "open_hours"},
        ("menu_choice",),
        menu=(2, 0),
        answered=True,
    ),
    Row(
        "timeouts to default",
        "02112330",
        WORKDAY_10AM,
        talk(operator="answer", hold_seconds=28),
        "answered",
        "sh",
        {"code": "open_hours"},
        ("menu_choice",),
        menu=(0, 3),
        answered=True,
    ),
    Row(
        "hangup in greeting",
        "01012330",
        WORKDAY_10AM,
        # Hangs up 1.2 s into the 2.3 s greeting.
        SimulatedCaller(digits_delay=0, hold_seconds=1.2),
        "abandoned_greeting",
        "bj",  # routed before the greeting starts
        {"code": "open_hours"},
        ("hangup",),
    ),
]


@pytest.fixture(scope="module")
def stack(asterisk_stack):
    prepare_short_prompts(asterisk_stack.settings)
    return asterisk_stack


@pytest.fixture
def live_settings(stack, migrated_url, tmp_path):
    # A base AGI timeout shorter than the greeting: playbacks must add the sound's length.
    # Each test's own data dir: its own journal, for its own database.
    return dataclasses.replace(
        stack.settings,
        data_dir=tmp_path,
        database_url=migrated_url,
        health_port=0,
        agi_command_timeout=1.5,
    )


@pytest.fixture
async def service(live_settings):
    running = Service(live_settings, allow_test_clock=True)
    await running.start(watch_ami=False, reconcile_on_start=False)
    yield running
    await running.stop(5)


@pytest.mark.parametrize("row", SCENARIOS, ids=lambda r: r.name)
async def test_call_scenario(row: Row, stack, service, live_settings, capsys):
    result = await stack.originate_and_wait(
        row.dialled, caller=row.caller, variables=call_variables(row.at), timeout=120
    )
    report = await wait_for_call_report(live_settings, result.call_uniqueid, 40)
    call = report["call"]
    assert call, f"no call row for {result.call_uniqueid}"
    assert call["outcome"] == row.outcome, report["events"]
    assert call["centre_id"] == row.centre
    if row.open_reason:
        stored = json.loads(call["open_reason"])
        assert {k: stored.get(k) for k in row.open_reason} == row.open_reason, stored
    steps = [e["step"] for e in report["events"]]
    for step in row.events:
        assert step in steps
    if "greeting_by_dialplan" in row.events:  # and Asterisk did play it, before ringing
        assert result.greeted_before_ringing(), result.history
    for step in row.absent_events:
        assert step not in steps
    if row.menu:
        assert (call["menu_invalid_count"], call["menu_timeout_count"]) == row.menu
        choice = next(e for e in report["events"] if e["step"] == "menu_choice")
        if row.menu[1] == 3:
            assert choice["detail"]["reason"] == {"code": "menu_default", "centre": "sh"}
    assert call["is_test"] is True
    # Every log line of the call names it and its centre (None until the route is known).
    lines = [
        line
        for line in capsys.readouterr().out.splitlines()
        if f"call_id={result.call_uniqueid}" in line
    ]
    assert lines and all("centre=" in line for line in lines), lines
    ended = [line for line in lines if "call.ended" in line]
    assert ended and f"centre={row.centre}" in ended[-1], ended[-1]
    if not row.menu:
        routed = [line for line in lines if "call.routed" in line]
        assert routed and f"centre={row.centre}" in routed[-1], routed

    recording = report["recording"]
    assert recording and recording["status"] == "ok", recording
    path = resolve_under_root(live_settings.recordings_root, recording["path"])
    check = verify_recording(path)
    assert check.sha256 == recording["sha256"] and check.bytes == recording["bytes"]
    assert not is_silent(path)

    if row.answered:
        assert call["answered_line"].startswith(f"Local/{row.centre.replace('-', '')}")
        assert call["talk_seconds"] and call["talk_seconds"] > 1
        assert call["wait_seconds"] is not None
        # The recording runs from answer to hangup: greeting, ringing and the talk.
        assert recording["duration_seconds"] >= call["talk_seconds"] - 0.5
    if row.voicemail:
        voicemail = report["voicemail"]
        assert voicemail and voicemail["duration_seconds"] > 0.5, report
        mailbox = stack_mailbox(live_settings, row.centre)
        assert voicemail["mailbox"] == mailbox
        assert (live_settings.recordings_root / voicemail["file"]).stat().st_size > 0
    else:
        assert report["voicemail"] is None


def stack_mailbox(settings, centre_id: str) -> str:
    return load_directory(settings).centre(centre_id).mailbox


async def test_agi_down_falls_back_and_is_reconciled(stack, live_settings):
    """No FastAGI server, the centre closed now (generated fallback hours): the dialplan
    alone sends the caller to their own centre (bj), who leaves a message in bj's mailbox,
    and `reconcile` (run at start-up) puts the call in the log."""
    await install_fallback_hours(stack, LocalKind.CLOSED)
    try:
        result = await stack.originate_and_wait(
            "01012330",
            caller=leaves_message(AFTER_PROMPT + 2),
            variables=call_variables(WORKDAY_10AM),
            timeout=90,
        )
    finally:
        restore_fallback(stack)
    assert result.variables["HOTLINE_FALLBACK"] == "1"
    assert result.outcome == "voicemail"
    running = Service(live_settings)
    await running.start(watch_ami=False, reconcile_on_start=True)
    try:
        report = await wait_for_call_report(live_settings, result.call_uniqueid, 30)
    finally:
        await running.stop(5)
    call = report["call"]
    assert call["source"] == "reconciled"
    assert call["is_test"] is True  # the test flag travels through the CDR
    assert call["outcome"] == "voicemail"
    assert call["centre_id"] == "bj"  # the accountcode the fallback set
    assert json.loads(call["failure_reason"]) == {
        "code": "fallback_dialplan",
        "centre": "bj",
        "reconciled": True,
    }
    assert report["recording"]["status"] == "ok"
    assert report["voicemail"]["mailbox"] == stack_mailbox(live_settings, "bj")
    assert report["voicemail"]["duration_seconds"] > 0.5


CALLER_HZ = 700  # Asterisk's beep, which the simulated caller plays
OPERATOR_HZ = 2500  # a tone the simulated operator plays
CONTROL_HZ = 1600  # neither side makes this sound


def band_rms_db(path: Path, start: float, hz: int) -> float:
    """RMS level (dB) of `path` from `start` seconds on, in a 100 Hz band around `hz`."""
    out = subprocess.run(
        ["sox", str(path), "-n", "trim", f"{start}", "sinc", f"{hz - 50}-{hz + 50}", "stats"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    match = re.search(r"^RMS lev dB\s+(-?[\d.]+|-inf)", out, re.MULTILINE)
    assert match, out
    return float(match.group(1))


async def test_recording_holds_both_voices(stack, service, live_settings):
    """Scenario 1: after the greeting, the caller's and the operator's sounds are both
    in the one mixed recording (told apart by frequency)."""
    tone = live_settings.prompts_dir / "test-operator-tone"
    synth = ["synth", "6", "sine", str(OPERATOR_HZ), "vol", "0.5"]
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", f"{tone}.wav", *synth], check=True
    )
    greeting = verify_recording(live_settings.prompts_dir / "greeting.wav").duration_seconds
    caller = SimulatedCaller(
        speak_after=greeting + 1.5,  # the caller talks while the operator is on the line
        say_seconds=3,
        hold_seconds=6,
        operator="answer",
        operator_says=str(tone),
    )
    result = await stack.originate_and_wait(
        "01012330", caller=caller, variables=call_variables(WORKDAY_10AM), timeout=60
    )
    report = await wait_for_call_report(live_settings, result.call_uniqueid, 40)
    assert report["call"]["outcome"] == "answered", report["events"]
    path = resolve_under_root(live_settings.recordings_root, report["recording"]["path"])
    after_greeting = greeting + 0.3
    control = band_rms_db(path, after_greeting, CONTROL_HZ)
    assert band_rms_db(path, after_greeting, CALLER_HZ) > control + 15
    assert band_rms_db(path, after_greeting, OPERATOR_HZ) > control + 15


async def test_hostile_caller_id_is_sanitised(stack, service, live_settings):
    hostile = "\"13800'; DROP TABLE calls;--" + "9" * 200
    result = await stack.originate_and_wait(
        "01012330",
        caller=talk(operator="answer"),
        caller_id=hostile,
        variables=call_variables(WORKDAY_10AM),
    )
    report = await wait_for_call_report(live_settings, result.call_uniqueid, 40)
    call = report["call"]
    assert call["outcome"] == "answered"
    assert call["caller_number"] and set(call["caller_number"]) <= set("0123456789+*#")
    assert len(call["caller_number"]) <= 32


# Scenario 12: protocol abuse against the live FastAGI service while a real call runs.

DEAD_MODE_VERBS = ("GET VARIABLE", "SET VARIABLE", "EXEC", "VERBOSE")
REPLY_520 = (
    b"520-Invalid command syntax.  Proper usage follows:\n"
    b"Usage: GET VARIABLE <variablename>\n"
    b"520 End of proper usage.\n"
)


def fake_header(
    uniqueid: str, callerid: bytes = b"13900139000", dialled: bytes = b"01012330"
) -> bytes:
    area = dialled[: len(dialled) - 5]
    return (
        b"agi_network: yes\n"
        b"agi_network_script: call\n"
        b"agi_request: agi://127.0.0.1/call\n"
        b"agi_channel: PJSIP/abuse-00000001\n"
        b"agi_uniqueid: " + uniqueid.encode() + b"\n"
        b"agi_callerid: " + callerid + b"\n"
        b"agi_extension: " + dialled + b"\n"
        b"agi_arg_1: " + dialled + b"\n"
        b"agi_arg_2: " + area + b"\n"
        b"agi_arg_3: \n"  # Asterisk sends empty arguments too: they keep the positions
        b"agi_arg_4: \n"
        b"agi_arg_5: \n"
        b"agi_arg_6: 1\n"  # a test call on a working Wednesday morning
        b"agi_arg_7: " + WORKDAY_10AM.encode() + b"\n"
        b"\n"
    )


async def fake_asterisk(port: int, opening: bytes, respond, *, eof_after_send=False) -> list[str]:
    """Play Asterisk's side: send `opening`, answer each command; the commands seen."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    commands: list[str] = []
    try:
        writer.write(opening)
        await writer.drain()
        if eof_after_send:
            writer.write_eof()
        while True:
            try:
                line = await asyncio.wait_for(reader.readline(), 15)
            except ConnectionResetError:
                break
            if not line:
                break
            commands.append(line.decode("utf-8", "replace").rstrip("\n"))
            writer.write(respond(len(commands) - 1, commands[-1]))
            await writer.drain()
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        writer.close()
    return commands


def answer_everything(_index: int, command: str) -> bytes:
    """A live channel: every command succeeds (EXEC returns the application's 0)."""
    if command.startswith("STREAM FILE"):
        return b"200 result=0 endpos=8000\n"
    return b"200 result=0\n"


def hangup_first(index: int, command: str) -> bytes:
    if index == 0:
        return b"HANGUP\n200 result=0\n"  # the channel hangs up before the reply arrives
    if command.startswith(DEAD_MODE_VERBS):
        return answer_everything(index, command)
    return b"511 Command Not Permitted on a dead channel or intercept routine\n"


def reply_520_first(index: int, _command: str) -> bytes:
    return REPLY_520 if index == 0 else b"200 result=1\n"


async def test_protocol_abuse_leaves_a_real_call_working(stack, service, live_settings):
    port = live_settings.agi_port
    real_call = asyncio.create_task(
        stack.originate_and_wait(
            "01012330",
            caller=talk(operator="answer"),
            variables=call_variables(WORKDAY_10AM),
            timeout=90,
        )
    )
    eof_mid_header, long_line, bad_utf8, hangup, multi_520 = await asyncio.gather(
        fake_asterisk(port, b"agi_network: yes\nagi_chan", answer_everything, eof_after_send=True),
        fake_asterisk(
            port, b"agi_network: yes\nagi_x: " + b"x" * 100_000 + b"\n", answer_everything
        ),
        fake_asterisk(port, fake_header("abuse.utf8", b"\xff\xfe139\x80001"), answer_everything),
        # A shared code: its greeting and menu are AGI commands, so some follow the HANGUP.
        fake_asterisk(port, fake_header("abuse.hangup", dialled=b"02112330"), hangup_first),
        fake_asterisk(port, fake_header("abuse.520"), reply_520_first),
    )
    result = await real_call

    # Broken headers: closed without a single command.
    assert eof_mid_header == [] and long_line == []
    # Invalid UTF-8 in the header: the call flow ran and logged a clean caller number.
    assert bad_utf8 and bad_utf8[0].startswith('EXEC "MSet" "HOTLINE_CENTRE=bj,')
    bad = await wait_for_call_report(live_settings, "abuse.utf8", 5)
    assert bad["call"] and bad["call"]["caller_number"] == "139001"
    # HANGUP before the reply: only dead-mode commands afterwards, outcome reported.
    assert hangup and all(c.startswith(DEAD_MODE_VERBS) for c in hangup[1:])
    assert any(c.startswith(f'SET VARIABLE "{contract.OUTCOME}"') for c in hangup[1:]), hangup
    # A multi-line 520 is one reply: the handler fails over to the dialplan fallback.
    assert multi_520[-1] == f'SET VARIABLE "{contract.AGI_FAILED}" "1"', multi_520

    report = await wait_for_call_report(live_settings, result.call_uniqueid, 40)
    assert report["call"]["outcome"] == "answered", report["events"]
    assert report["recording"]["status"] == "ok"
