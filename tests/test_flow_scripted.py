"""The call flow against a scripted AGI peer, with the database locked the whole time.

Each row plays Asterisk's side of one `call` AGI session: it answers every command as
Asterisk would and keeps what the server sent. The route (centre, queue, mailbox,
action) must be set before the greeting plays, and no command may wait on the
database: it is held by another writer until the call is over. Then the journal
drains and the row is there, with no restart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sqlite3
from dataclasses import dataclass

import pytest
from console_support import console_settings
from ports import free_port

from agi import contract
from agi.app import Service
from config.holder import ConfigHolder
from config.loader import load_config
from devstack.call_report import call_report
from migrations import upgrade

WORKDAY = "2026-11-25T10:00"
HOLIDAY = "2026-10-01T10:00"


@dataclass(frozen=True)
class Row:
    name: str
    dialled: str
    at: str
    digits: str  # what GET DATA answers, in turn
    centre: str
    action: str
    greetings: int  # STREAM FILE of a greeting (a ringing call's is the dialplan's)
    commands: int  # AGI commands the call takes in all


ROWS = [
    Row("open: ring", "01012330", WORKDAY, "", "bj", contract.ROUTE_RING, 0, 1),
    Row("holiday: message", "01012330", HOLIDAY, "", "bj", contract.ROUTE_VOICEMAIL, 0, 1),
    Row("shared code, digit 2", "02112330", WORKDAY, "2", "sh-pd", contract.ROUTE_RING, 1, 4),
]


def header(uniqueid: str, dialled: str, at: str) -> bytes:
    area = dialled[: len(dialled) - 5]
    lines = {
        "agi_network": "yes",
        "agi_network_script": "call",
        "agi_request": "agi://127.0.0.1/call",
        "agi_channel": "Local/x@hotline12330-inbound-00000001;2",
        "agi_uniqueid": uniqueid,
        "agi_callerid": "13800138000",
        "agi_extension": dialled,
        "agi_arg_1": dialled,
        "agi_arg_2": area,
        "agi_arg_3": "",
        "agi_arg_4": f"2026/11/25/{uniqueid}.wav",
        "agi_arg_5": uniqueid,  # linked id
        "agi_arg_6": "1",  # a test call: its instant is honoured
        "agi_arg_7": at,
    }
    return "".join(f"{k}: {v}\n" for k, v in lines.items()).encode() + b"\n"


class ScriptedAsterisk:
    def __init__(self, row: Row) -> None:
        self.row = row
        self.commands: list[str] = []
        self.digits = list(row.digits)

    def answer(self, command: str) -> bytes:
        if command.startswith("GET DATA"):
            digit = self.digits.pop(0) if self.digits else ""
            return f"200 result={digit}\n".encode()
        if command.startswith("STREAM FILE"):
            return b"200 result=0 endpos=8000\n"
        if command.startswith("EXEC"):
            return b"200 result=0\n"  # what the application returned
        return b"200 result=1\n"

    async def run(self, port: int, uniqueid: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(header(uniqueid, self.row.dialled, self.row.at))
        await writer.drain()
        while line := await asyncio.wait_for(reader.readline(), 10):
            self.commands.append(line.decode().rstrip("\n"))
            writer.write(self.answer(self.commands[-1]))
            await writer.drain()
        writer.close()

    def sets(self) -> dict[str, str]:
        """Variables set, by SET VARIABLE or in one EXEC MSet."""
        found: dict[str, str] = {}
        for command in self.commands:
            if one := re.match(r'SET VARIABLE "([^"]+)" "(.*)"$', command):
                found[one.group(1)] = one.group(2)
            elif many := re.match(r'EXEC "MSet" "(.*)"$', command):
                found.update(pair.split("=", 1) for pair in many.group(1).split(","))
        return found

    def index(self, prefix: str) -> int:
        return next(i for i, c in enumerate(self.commands) if c.startswith(prefix))


@pytest.fixture
async def locked_service(tmp_path):
    db = tmp_path / "hotline12330.sqlite3"
    upgrade(f"sqlite:///{db}")
    settings = dataclasses.replace(
        console_settings(tmp_path, f"sqlite:///{db}"),
        data_dir=tmp_path,
        agi_port=free_port(),
        health_port=0,
    )
    config = ConfigHolder(settings, lambda s: load_config(s, check_prompts=False))
    service = Service(settings, allow_test_clock=True, config=config)
    await service.start(watch_ami=False, reconcile_on_start=False)
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        yield service, settings, locker
    finally:
        if locker.in_transaction:
            locker.execute("ROLLBACK")
        locker.close()
        await service.stop(5)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
async def test_route_first_with_the_database_locked(locked_service, row: Row):
    service, settings, locker = locked_service
    peer = ScriptedAsterisk(row)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await peer.run(settings.agi_port, "1764000000.42")
    elapsed = loop.time() - started

    sets = peer.sets()
    assert (sets[contract.CENTRE], sets[contract.ROUTE_ACTION]) == (row.centre, row.action)
    assert sets[contract.MAILBOX] and sets[contract.VM_PROMPT]
    routed = peer.index('EXEC "MSet"')
    greeting_at = [
        i for i, c in enumerate(peer.commands) if c.startswith("STREAM FILE") and "greet" in c
    ]
    if row.digits:  # the menu needs the caller first; the route follows their choice
        assert greeting_at[0] < peer.index("GET DATA") < routed
        assert not [c for c in peer.commands[routed:] if c.startswith("STREAM FILE")]
    if row.action == contract.ROUTE_RING:
        assert sets[contract.QUEUE] == f"hotline12330-{row.centre}"
        # The dialplan plays the greeting the route names, unless the AGI played it.
        assert sets[contract.GREETING].endswith("greeting") or row.greetings
    assert len(greeting_at) == row.greetings
    assert len(peer.commands) == row.commands, peer.commands
    # Nothing waited on the locked database (SQLite's busy timeout is 10 s).
    assert elapsed < 2.0, elapsed
    assert service.journal.buffered + (await service.journal.run(lambda j: j.stats())).depth

    locker.execute("ROLLBACK")  # the database is back: the journal drains, no restart
    async with asyncio.timeout(30):
        while (
            not (report := call_report(settings, "1764000000.42")).get("call", {}).get("centre_id")
        ):
            await asyncio.sleep(0.2)
    assert report["call"]["centre_id"] == row.centre
    steps = [e["step"] for e in report["events"]]
    assert steps[0] == "call_start" and "handoff" in steps


HANGUP_ARGS = [
    "answered",
    "2026/11/25/1764000000.43.wav",
    "bj",
    "Local/bj-op1@hotline12330-test-operators/n",
    "1764036000",
    "1764036005",
    "bj",
    "1764000000.43",
    "1",
    "01012330",
    "",
]


async def test_the_hangup_step_sends_no_command(locked_service):
    _service, settings, locker = locked_service
    lines = {
        "agi_network": "yes",
        "agi_network_script": "hangup",
        "agi_request": "agi://127.0.0.1/hangup",
        "agi_channel": "Local/x@hotline12330-inbound-00000002;2",
        "agi_uniqueid": "1764000000.43",
        "agi_callerid": "13800138000",
        **{f"agi_arg_{n}": value for n, value in enumerate(HANGUP_ARGS, start=1)},
    }
    reader, writer = await asyncio.open_connection("127.0.0.1", settings.agi_port)
    writer.write("".join(f"{k}: {v}\n" for k, v in lines.items()).encode() + b"\n")
    await writer.drain()
    # The server closes the session without a single command: all it needs came along.
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    locker.execute("ROLLBACK")
    async with asyncio.timeout(30):
        while not (report := call_report(settings, "1764000000.43")).get("call"):
            await asyncio.sleep(0.2)
        while report["call"]["outcome"] != "answered":
            await asyncio.sleep(0.2)
            report = call_report(settings, "1764000000.43")
    call = report["call"]
    assert call["answered_line"] == HANGUP_ARGS[3] and call["is_test"] is True
    assert call["wait_seconds"] == 5.0 and call["linkedid"] == "1764000000.43"
