"""Fault F4: no FastAGI server at all. The dialplan routes every call by itself, with
the generated hotline12330-fallback.conf, to the caller's own centre: its queue in
working hours, its mailbox otherwise; the national mailbox only when nothing was
generated.

The dialplan reads Asterisk's real clock (HOTLINE_TEST_AT is the server's), so each
test generates the hours around the real "now": every centre open all day, or every
centre closed, through the calendar's local entries (they win over holidays too).
What the caller got is read from Asterisk's side: the channel variables, the queue
member that answered, the voicemail spool, the CDR.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import datetime as dt
from dataclasses import dataclass

import pytest
from call_support import (
    AFTER_GREETING,
    AFTER_PROMPT,
    install_conf,
    install_fallback_hours,
    leaves_message,
    prepare_short_prompts,
    restore_fallback,
    talk,
)
from ports import free_port

from config.asterisk_fallback import FALLBACK_FILE
from config.asterisk_gen import globals_conf, options_from_settings
from config.model import LocalKind
from devstack.ami import SimulatedCaller
from routing import CHINA_TZ

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def stack(asterisk_stack):
    prepare_short_prompts(asterisk_stack.settings)
    yield asterisk_stack
    restore_fallback(asterisk_stack)


def messages(stack, box: str) -> set[str]:
    inbox = stack.paths.voicemail_spool / box / "INBOX"
    return {p.name for p in inbox.glob("msg*.txt")} if inbox.is_dir() else set()


def all_messages(stack) -> dict[str, set[str]]:
    spool = stack.paths.voicemail_spool
    boxes = [p.name for p in spool.iterdir()] if spool.is_dir() else []
    return {box: messages(stack, box) for box in boxes}


async def new_messages(stack, before: dict[str, set[str]], wait_for: str | None) -> dict:
    """Mailbox -> new message files; waits (a little) for the one expected box."""
    for _ in range(50):
        now = all_messages(stack)
        new = {box: names - before.get(box, set()) for box, names in now.items()}
        new = {box: names for box, names in new.items() if names}
        if wait_for is None or wait_for in new:
            return new
        await asyncio.sleep(0.1)
    return new


async def cdr_row(stack, uniqueid: str) -> list[str]:
    """The call leg's cdr_csv row (written at hangup)."""
    for _ in range(50):
        with contextlib.suppress(FileNotFoundError):
            with stack.paths.cdr_csv.open(newline="", encoding="utf-8") as handle:
                rows = [row for row in csv.reader(handle) if uniqueid in row]
            if rows:
                return rows[-1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no CDR row for {uniqueid}")


@dataclass(frozen=True)
class Row:
    name: str
    dialled: str
    hours: LocalKind
    caller: SimulatedCaller
    centre: str
    mailbox: str | None  # the box that gets the message; None: an operator answers
    trunk_area: str = ""


OPEN, CLOSED = LocalKind.HOURS, LocalKind.CLOSED
ANSWERS = talk(operator="answer", hold_seconds=6)
SCENARIOS = [
    Row("single code, open", "01012330", OPEN, ANSWERS, "bj", None),
    Row("single code, closed", "01012330", CLOSED, leaves_message(AFTER_PROMPT), "bj", "bj"),
    Row(
        "shared code, digit 2, open",
        "02112330",
        OPEN,
        talk(digits="2", digits_delay=AFTER_GREETING, operator="answer", hold_seconds=6),
        "sh-pd",
        None,
    ),
    Row(
        "shared code, digit 3, closed",
        "02112330",
        CLOSED,
        SimulatedCaller(digits="3", digits_delay=1, speak_after=AFTER_PROMPT, say_seconds=3),
        "sh-cp",
        "sh-cp",
    ),
    # The centres file knows no centre or province for 0999: routing sends such a call
    # to its national fallback centre (bj), and so does the dialplan.
    Row("unknown code, closed", "099912330", CLOSED, leaves_message(AFTER_PROMPT), "bj", "bj"),
    Row("unknown code, open", "099912330", OPEN, ANSWERS, "bj", None),
    Row("province fallback", "075712330", CLOSED, leaves_message(AFTER_PROMPT), "gd", "gd"),
    Row("plain 12330 on a trunk", "12330", CLOSED, leaves_message(AFTER_PROMPT), "tj", "tj", "022"),
]


@pytest.mark.parametrize("row", SCENARIOS, ids=lambda r: r.name)
async def test_no_agi_server_reaches_the_callers_own_centre(stack, row: Row):
    await install_fallback_hours(stack, row.hours)
    before = all_messages(stack)
    variables = {"HOTLINE_TRUNK_AREA": row.trunk_area} if row.trunk_area else {}
    result = await stack.originate_and_wait(
        row.dialled, caller=row.caller, variables=variables, timeout=60
    )
    got = result.variables
    assert got["AGISTATUS"] == "FAILURE"  # nothing listens on the AGI port
    assert got["HOTLINE_FALLBACK"] == "1"
    assert got["HOTLINE_CENTRE"] == row.centre
    new = await new_messages(stack, before, row.mailbox)
    if row.mailbox is None:
        # An operator of the centre's own queue answered; nobody left a message.
        line = row.centre.replace("-", "")  # the sample phones: shpd-op1 ...
        assert got.get("MEMBERNAME", "").startswith(f"{line}-op"), got
        assert new == {}
        outcome = "answered"
    else:
        assert "MEMBERNAME" not in got
        assert {box: len(names) for box, names in new.items()} == {row.mailbox: 1}
        outcome = "voicemail"
    cdr = await cdr_row(stack, result.call_uniqueid)
    assert cdr[0] == row.centre  # accountcode
    assert cdr[-4].startswith(f"{outcome}|{result.recording_relpath}|"), cdr


async def test_stale_hours_ring_the_centre_rather_than_say_closed(stack):
    """Generated hours that ended (the service stopped refreshing them) must not close
    a centre: the call rings its queue (and would reach its mailbox unanswered)."""
    long_ago = dt.datetime.now(CHINA_TZ).date() - dt.timedelta(days=40)
    await install_fallback_hours(stack, CLOSED, first_day=long_ago)
    result = await stack.originate_and_wait("01012330", caller=ANSWERS, timeout=60)
    assert result.variables["HOTLINE_CENTRE"] == "bj"
    assert result.variables.get("MEMBERNAME", "").startswith("bj-op")


async def test_nothing_generated_takes_the_national_mailbox(stack):
    install_conf(stack, FALLBACK_FILE, "; nothing generated yet\n")
    before = all_messages(stack)
    result = await stack.originate_and_wait(
        "01012330", caller=leaves_message(AFTER_PROMPT + 2), timeout=60
    )
    assert result.outcome == "fallback"
    assert "HOTLINE_CENTRE" not in result.variables
    new = await new_messages(stack, before, "national")
    assert {box: len(names) for box, names in new.items()} == {"national": 1}
    assert (await cdr_row(stack, result.call_uniqueid))[-4].startswith("fallback|")


@contextlib.asynccontextmanager
async def second_server(stack):
    """HOTLINE12330_AGI2 pointing at a scripted FastAGI server; the first stays down."""
    port = free_port()
    requests: list[tuple[str, dict[str, str]]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            env: dict[str, str] = {}
            while line := (await asyncio.wait_for(reader.readline(), 5)).decode().strip():
                key, _, value = line.partition(": ")
                env[key] = value
            requests.append((env.get("agi_network_script", ""), env))
            if env.get("agi_network_script") == "call":
                for name, value in (
                    ("HOTLINE_CENTRE", "tj"),
                    ("HOTLINE_MAILBOX", "tj"),
                    ("HOTLINE_VM_PROMPT", ""),
                    ("HOTLINE_ROUTE_ACTION", "voicemail"),
                ):
                    writer.write(f'SET VARIABLE {name} "{value}"\n'.encode())
                    await writer.drain()
                    assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"200")
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    settings = dataclasses.replace(stack.settings, agi_second_url=f"agi://127.0.0.1:{port}")
    options = options_from_settings(settings, dev_operators=True)
    original = (stack.paths.etc / "hotline12330-globals.conf").read_text(encoding="utf-8")
    install_conf(stack, "hotline12330-globals.conf", globals_conf(options))
    try:
        yield requests
    finally:
        install_conf(stack, "hotline12330-globals.conf", original)
        server.close()
        await server.wait_closed()


async def test_second_agi_server_takes_the_call_when_the_first_is_down(stack):
    await install_fallback_hours(stack, OPEN)  # the fallback would ring bj: the server says tj
    before = all_messages(stack)
    async with second_server(stack) as requests:
        result = await stack.originate_and_wait(
            "01012330", caller=leaves_message(AFTER_PROMPT), timeout=60
        )
        for _ in range(50):
            if any(script == "hangup" for script, _ in requests):
                break
            await asyncio.sleep(0.1)
    assert [script for script, _ in requests] == ["call", "hangup"]
    assert requests[0][1]["agi_uniqueid"] == result.call_uniqueid
    assert requests[1][1]["agi_arg_1"] == "voicemail"
    assert "HOTLINE_FALLBACK" not in result.variables
    new = await new_messages(stack, before, "tj")
    assert {box: len(names) for box, names in new.items()} == {"tj": 1}
