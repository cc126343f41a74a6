"""Real calls through the Asterisk 22 dev stack: the dialplan contract end to end.

A tiny scripted FastAGI server stands in for the real one, so these tests pin down
what the dialplan does with each answer the AGI can give.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from call_support import fallback_text, install_conf, restore_fallback
from conftest_asterisk import AsteriskStack

from agi.flow.prompts import wav_seconds as read_wav_seconds
from config.asterisk_fallback import FALLBACK_FILE
from config.model import LocalKind
from devstack.ami import SimulatedCaller

pytestmark = pytest.mark.asterisk


@dataclass
class AgiRequest:
    script: str
    env: dict[str, str]
    answers: dict[str, str] = field(default_factory=dict)  # GET VARIABLE results


@dataclass
class ScriptedAgi:
    """/call: SET VARIABLE each of `sets`; /hangup: GET VARIABLE each of `gets`."""

    sets: dict[str, str]
    gets: tuple[str, ...] = ("HOTLINE_OUTCOME", "QUEUESTATUS", "VMSTATUS", "MEMBERNAME")
    requests: list[AgiRequest] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            env: dict[str, str] = {}
            while line := (await asyncio.wait_for(reader.readline(), 5)).decode().strip():
                key, _, value = line.partition(": ")
                env[key] = value
            request = AgiRequest(env.get("agi_network_script", ""), env)
            self.requests.append(request)
            if request.script == "call":
                for name, value in self.sets.items():
                    await self._command(reader, writer, f'SET VARIABLE {name} "{value}"')
            elif request.script == "hangup":
                for name in self.gets:
                    reply = await self._command(reader, writer, f"GET VARIABLE {name}")
                    value = reply.partition("(")[2].rpartition(")")[0]
                    request.answers[name] = value if "result=1" in reply else ""
        finally:
            writer.close()

    async def _command(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, command: str
    ) -> str:
        writer.write(command.encode() + b"\n")
        await writer.drain()
        reply = (await asyncio.wait_for(reader.readline(), 5)).decode().strip()
        assert reply.startswith("200"), f"{command} -> {reply}"
        return reply

    def one(self, script: str) -> AgiRequest:
        found = [r for r in self.requests if r.script == script]
        assert len(found) == 1, f"expected one /{script} request, got {self.requests}"
        return found[0]


@contextlib.asynccontextmanager
async def serving(stack: AsteriskStack, agi: ScriptedAgi) -> AsyncIterator[ScriptedAgi]:
    server = await asyncio.start_server(agi.handle, "127.0.0.1", stack.settings.agi_port)
    try:
        yield agi
    finally:
        server.close()
        await server.wait_closed()


def wav_seconds(path) -> float:
    """Length of a WAV file; 0 while MixMonitor is still writing its header."""
    return read_wav_seconds(path) or 0.0


def mailbox_messages(stack: AsteriskStack, box: str) -> set[str]:
    inbox = stack.paths.voicemail_spool / box / "INBOX"
    return {p.name for p in inbox.glob("msg*.txt")} if inbox.is_dir() else set()


@pytest.fixture(scope="module", autouse=True)
def centres_closed(asterisk_stack):
    """The dialplan's own fallback reads the real clock: every centre closed, so a
    fallback call always ends in its centre's mailbox."""
    install_conf(
        asterisk_stack, FALLBACK_FILE, fallback_text(asterisk_stack.settings, LocalKind.CLOSED)
    )
    yield
    restore_fallback(asterisk_stack)


async def test_agi_down_and_nothing_generated_takes_national_voicemail(asterisk_stack):
    """The last resort: no AGI server and no generated fallback data (a stack where
    nothing was generated yet) -> fallback greeting and the national mailbox."""
    stack = asterisk_stack
    before = mailbox_messages(stack, "national")
    install_conf(stack, FALLBACK_FILE, "; nothing generated yet\n")
    try:
        # Nothing listens on the AGI port: the FastAGI connection is refused.
        result = await stack.originate_and_wait(
            "02112330", caller=SimulatedCaller(say_seconds=1, hold_seconds=8), timeout=40
        )
    finally:
        install_conf(stack, FALLBACK_FILE, fallback_text(stack.settings, LocalKind.CLOSED))
    assert result.variables["AGISTATUS"] == "FAILURE"
    assert result.outcome == "fallback"
    assert result.applications.index("MixMonitor") < result.applications.index("AGI")
    assert "VoiceMail" in result.applications
    # The recording is on the host at the dated path the dialplan announced.
    recording = stack.recording_path(result)
    assert result.recording_relpath == (f"{result.started_at:%Y/%m/%d}/{result.call_uniqueid}.wav")
    for _ in range(50):  # MixMonitor closes the file just after the hangup
        if recording.is_file() and wav_seconds(recording) > 0:
            break
        await asyncio.sleep(0.1)
    assert wav_seconds(recording) >= 8
    assert len(mailbox_messages(stack, "national") - before) == 1
    # cdr_csv logged the call even though no AGI server saw it.
    with stack.paths.cdr_csv.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if result.call_uniqueid in row]
    assert rows, "no CDR row for the call"
    assert rows[-1][2] == "02112330"  # dst: the dialled number
    assert f"fallback|{result.recording_relpath}|" in rows[-1]  # not a test call


# (what the AGI sets, simulated operators, caller) -> (outcome, queue status, mailbox)
RING = {
    "HOTLINE_ROUTE_ACTION": "ring",
    "HOTLINE_CENTRE": "sh",
    "HOTLINE_QUEUE": "hotline12330-sh",
    "HOTLINE_RING_TIMEOUT": "3",
    "HOTLINE_MAILBOX": "sh",
    "HOTLINE_VM_PROMPT": "",
    "HOTLINE_GREETING_DONE": "1",
}
# The fallback rows: every centre is closed (centres_closed), so the dialplan takes a
# message in the centre the server had chosen (HOTLINE_CENTRE), else in the centre the
# caller picks from the same menu the server plays (1 sh, 2 sh-pd, 3 sh-cp; the
# default sh would hide a lost digit).
SCENARIOS = [
    pytest.param(RING, "answer", "", "answered", "", None, id="ring-operator-answers"),
    pytest.param(RING, "busy", "", "voicemail", "TIMEOUT", "sh", id="ring-all-busy"),
    pytest.param(RING, "noanswer", "", "voicemail", "TIMEOUT", "sh", id="ring-no-answer"),
    pytest.param(
        {**RING, "HOTLINE_QUEUE": "hotline12330-nosuch"},
        "answer",
        "",
        "voicemail",
        "",
        "sh",
        id="ring-unknown-queue-goes-to-voicemail",
    ),
    pytest.param(
        {"HOTLINE_ROUTE_ACTION": "voicemail", "HOTLINE_MAILBOX": "tj", "HOTLINE_VM_PROMPT": ""},
        "answer",
        "",
        "voicemail",
        "",
        "tj",
        id="closed-voicemail",
    ),
    pytest.param(
        {"HOTLINE_ROUTE_ACTION": "voicemail", "HOTLINE_MAILBOX": "nosuch"},
        "answer",
        "",
        "voicemail",
        "",
        "national",
        id="unknown-mailbox-falls-back-to-national",
    ),
    # A route once set is followed, whatever became of the AGI after it.
    pytest.param(
        {**RING, "HOTLINE_AGI_FAILED": "1"},
        "answer",
        "",
        "answered",
        "",
        None,
        id="agi-failed-after-routing-follows-the-route",
    ),
    pytest.param(
        {"HOTLINE_CENTRE": "sh-pd", "HOTLINE_AGI_FAILED": "1"},
        "answer",
        "",
        "voicemail",
        "",
        "sh-pd",
        id="agi-gave-up-after-choosing-keeps-its-centre",
    ),
    pytest.param({}, "answer", "3", "voicemail", "", "sh-cp", id="agi-set-nothing-menu-digit-3"),
    pytest.param(
        {"HOTLINE_ROUTE_ACTION": "dance"},
        "answer",
        "2",
        "voicemail",
        "",
        "sh-pd",
        id="bad-action-menu-digit-2",
    ),
]


@pytest.mark.parametrize(
    ("sets", "operator", "digits", "outcome", "queue_status", "mailbox"), SCENARIOS
)
async def test_dialplan_follows_the_agi_decision(
    asterisk_stack, sets, operator, digits, outcome, queue_status, mailbox
):
    stack = asterisk_stack
    before = mailbox_messages(stack, mailbox) if mailbox else set()
    caller = SimulatedCaller(digits=digits, hold_seconds=9, operator=operator, operator_says="beep")
    async with serving(stack, ScriptedAgi(sets)) as agi:
        result = await stack.originate_and_wait(
            "02112330", caller=caller, variables={"HOTLINE_TRUNK_AREA": "021"}, timeout=40
        )
        for _ in range(50):
            if any(r.script == "hangup" for r in agi.requests):
                break
            await asyncio.sleep(0.1)

    call = agi.one("call")
    assert [call.env[f"agi_arg_{i}"] for i in range(1, 5)] == [
        "02112330",
        "021",
        "021",
        result.recording_relpath,
    ]
    assert call.env["agi_uniqueid"] == result.call_uniqueid
    assert call.env["agi_callerid"] == "13800138000"
    hangup = agi.one("hangup")
    assert hangup.env["agi_arg_1"] == outcome
    assert hangup.answers["HOTLINE_OUTCOME"] == outcome
    assert hangup.answers["QUEUESTATUS"] == queue_status
    if outcome == "answered":
        assert hangup.answers["MEMBERNAME"].startswith("sh-op")
    if mailbox:
        assert len(mailbox_messages(stack, mailbox) - before) == 1
    assert stack.recording_path(result).is_file()


DIALLED_FORMS = [
    ("12330", ""),
    ("02112330", "021"),
    ("075512330", "0755"),
    ("+862112330", "021"),
    ("+8675512330", "0755"),
    ("00862112330", "021"),
    ("008675512330", "0755"),
]


@pytest.mark.parametrize(("dialled", "area"), DIALLED_FORMS)
async def test_inbound_patterns_extract_the_area_code(asterisk_stack, dialled, area):
    stack = asterisk_stack
    voicemail_now = {"HOTLINE_ROUTE_ACTION": "voicemail", "HOTLINE_MAILBOX": "bj"}
    async with serving(stack, ScriptedAgi(voicemail_now)) as agi:
        await stack.originate_and_wait(dialled, caller=SimulatedCaller(hold_seconds=1), timeout=30)
    call = agi.one("call")
    assert call.env["agi_arg_1"] == dialled
    assert call.env.get("agi_arg_2", "") == area


async def test_numbers_that_are_not_12330_are_refused(asterisk_stack):
    async with serving(asterisk_stack, ScriptedAgi({})) as agi:
        with pytest.raises(Exception, match="Originate failed"):
            await asterisk_stack.originate_and_wait("12345", timeout=15)
    assert agi.requests == []


def test_every_centre_has_a_queue_with_ringinuse_off(asterisk_stack):
    shown = asterisk_stack.cli("queue show")
    for queue in ("hotline12330-bj", "hotline12330-sh-pd", "hotline12330-tj"):
        assert f"{queue} has 0 calls" in shown
    assert shown.count("(ringinuse disabled)") == shown.count("(Local/")
