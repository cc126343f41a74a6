"""The FastAGI server over real TCP on 127.0.0.1, the test playing Asterisk's side.

Every peer read is bounded by asyncio.wait_for, so a server that stays silent fails
the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from agi import contract
from agi.errors import AgiCommandError, AgiHangup, AgiTimeout
from agi.flow.handoff import flag_agi_failed
from agi.health import HealthServer
from agi.server import AgiServer
from agi.session import AgiSession

HOST = "127.0.0.1"
READ_LIMIT = 2.0  # seconds a peer waits for anything it expects
HEADER_TIMEOUT = 1.0
COMMAND_TIMEOUT = 1.0
AGI_FAILED_LINE = f'SET VARIABLE "{contract.AGI_FAILED}" "1"\n'.encode()

Handler = Callable[[AgiSession], Awaitable[None]]


def header(script: str = "hotline", **extra: str) -> bytes:
    fields = {
        "agi_network": "yes",
        "agi_network_script": script,
        "agi_request": f"agi://{HOST}:4573/{script}",
        "agi_channel": "PJSIP/trunk-00000001",
        "agi_uniqueid": "1700000000.1",
        "agi_callerid": "13800138000",
        "agi_extension": "02112330",
        **extra,
    }
    return "".join(f"{k}: {v}\n" for k, v in fields.items()).encode() + b"\n"


class Peer:
    """The Asterisk end of one FastAGI connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int, head: bytes | None = None) -> Peer:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), READ_LIMIT)
        peer = cls(reader, writer)
        if head is not None:
            await peer.send(head)
        return peer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await asyncio.wait_for(self.writer.drain(), READ_LIMIT)

    async def line(self, limit: float = READ_LIMIT) -> bytes:
        return await asyncio.wait_for(self.reader.readline(), limit)

    async def expect(self, expected: bytes) -> None:
        assert await self.line() == expected

    async def expect_closed(self, limit: float = READ_LIMIT) -> None:
        """The server closes the connection without sending anything more."""
        try:
            rest = await asyncio.wait_for(self.reader.read(), limit)
        except ConnectionResetError:  # closed with our bytes unread: RST instead of FIN
            return
        assert rest == b""

    def close(self) -> None:
        self.writer.close()


class Resolver:
    """Maps script names to handlers and remembers what it was asked."""

    def __init__(self, handlers: dict[str, Handler]) -> None:
        self.handlers = handlers
        self.asked: list[str] = []

    def __call__(self, script: str) -> Handler | None:
        self.asked.append(script)
        return self.handlers.get(script)


async def started_server(handlers: dict[str, Handler] | Resolver, **options: object) -> AgiServer:
    resolver = handlers if isinstance(handlers, Resolver) else Resolver(handlers)
    options.setdefault("header_timeout", HEADER_TIMEOUT)
    options.setdefault("command_timeout", COMMAND_TIMEOUT)
    options.setdefault("signal_failure", flag_agi_failed)
    server = AgiServer(resolver, host=HOST, port=0, **options)
    await server.start()
    assert server.port != 0
    return server


@contextlib.asynccontextmanager
async def running(
    handlers: dict[str, Handler] | Resolver, **options: object
) -> AsyncIterator[AgiServer]:
    server = await started_server(handlers, **options)
    try:
        yield server
    finally:
        await server.shutdown(1)


async def wait_until(condition: Callable[[], bool], limit: float = READ_LIMIT) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not condition():
        assert loop.time() < end, "condition not reached in time"
        await asyncio.sleep(0.01)


# --- a normal conversation ----------------------------------------------------------


async def test_round_trip_sends_quoted_commands_and_reads_replies():
    seen: dict[str, object] = {}

    async def handler(session: AgiSession) -> None:
        seen["env"] = (session.channel, session.uniqueid, session.callerid, session.extension)
        seen["area"] = await session.get_variable(contract.TRUNK_AREA)
        seen["unset"] = await session.get_variable("HOTLINE_NOT_SET")
        await session.set_variable(contract.CENTRE, 'sh "a"\\b\nHANGUP')
        seen["digit"] = await session.stream_file("hotline/greeting", "12")
        seen["no_digit"] = await session.stream_file("hotline/notice")
        seen["done"] = True

    resolver = Resolver({"hotline": handler})
    async with running(resolver) as server:
        peer = await Peer.connect(server.port, header())
        await peer.expect(f'GET VARIABLE "{contract.TRUNK_AREA}"\n'.encode())
        await peer.send(b"200 result=1 (021)\n")
        await peer.expect(b'GET VARIABLE "HOTLINE_NOT_SET"\n')
        await peer.send(b"200 result=0\n")
        await peer.expect(f'SET VARIABLE "{contract.CENTRE}" "sh \\"a\\"\\\\bHANGUP"\n'.encode())
        await peer.send(b"200 result=1\n")
        await peer.expect(b'STREAM FILE "hotline/greeting" "12"\n')
        await peer.send(b"200 result=50 endpos=12000\n")
        await peer.expect(b'STREAM FILE "hotline/notice" ""\n')
        await peer.send(b"200 result=0 endpos=8000\n")
        await peer.expect_closed()
        peer.close()
        await wait_until(lambda: server.active_sessions == 0)
        assert (server.sessions_total, server.sessions_failed) == (1, 0)

    assert seen == {
        "env": ("PJSIP/trunk-00000001", "1700000000.1", "13800138000", "02112330"),
        "area": "021",
        "unset": None,
        "digit": "2",
        "no_digit": None,
        "done": True,
    }
    assert resolver.asked == ["hotline"]


@pytest.mark.parametrize(
    ("fields", "script"),
    [
        ({"agi_network_script": "hotline"}, "hotline"),
        ({"agi_network_script": "hangup"}, "hangup"),
        ({"agi_network_script": "", "agi_request": "agi://10.0.0.1:4573/hangup?x=1"}, "hangup"),
        ({"agi_network_script": "/hotline/"}, "hotline"),
    ],
)
async def test_resolver_gets_the_script_path(fields, script):
    resolver = Resolver({})
    async with running(resolver) as server:
        peer = await Peer.connect(server.port, header(**fields))
        await peer.expect(AGI_FAILED_LINE)  # nothing resolves: the dialplan falls back
        await peer.send(b"200 result=1\n")
        await peer.expect_closed()
        peer.close()
    assert resolver.asked == [script]


# --- abusive peers do not hurt anyone else --------------------------------------------


ABUSIVE = {
    "eof-mid-header": (b"agi_channel: PJSIP/x\nagi_uniq", True),
    "eof-after-cr": (b"agi_channel: PJSIP/x\n\r", True),  # a cut "\r\n" is no blank line
    "line-100k": (b"agi_channel: " + b"x" * 100_000, False),
    "line-100k-newline": (b"agi_channel: " + b"x" * 100_000 + b"\n\n", False),
    "invalid-utf8-key": (b"agi_\xff\xfe: x\n\n", False),
    "binary-100k": (bytes(range(256)) * 400, False),
    "http": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", False),
    "silent": (b"", False),
    "header-never-ends": (b"agi_channel: PJSIP/x\n", False),
}


async def test_abusive_connections_leave_the_server_responsive():
    loop = asyncio.get_running_loop()
    seen: dict[str, str | None] = {}

    async def handler(session: AgiSession) -> None:
        seen["callerid"] = session.callerid
        seen["name"] = await session.get_variable("CALLERID(name)")

    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            await asyncio.sleep(0.1)
            ticks.append(loop.time())

    resolver = Resolver({"hotline": handler})
    async with running(resolver) as server:
        tick_started = loop.time()
        tick_task = asyncio.create_task(ticker())
        abusers: dict[str, Peer] = {}
        for name, (data, eof) in ABUSIVE.items():
            peer = await Peer.connect(server.port)
            with contextlib.suppress(ConnectionError):
                await peer.send(data)
                if eof:
                    peer.writer.write_eof()
            abusers[name] = peer

        # A well-formed call, invalid UTF-8 in its header and reply, completes in time.
        started = loop.time()
        good = await Peer.connect(server.port, header().replace(b"13800138000", b"138\xff\xfe00"))
        await good.expect(b'GET VARIABLE "CALLERID(name)"\n')
        await good.send(b"200 result=1 (\xe5\xbc\xa0\xff)\n")
        await good.expect_closed()
        assert loop.time() - started < 2.0
        assert seen == {"callerid": "138\ufffd\ufffd00", "name": "张\ufffd"}

        # While the silent ones still wait for their header timeout, nothing spins.
        cpu_before, wall_before = time.process_time(), loop.time()
        await asyncio.sleep(0.5)
        cpu_used = time.process_time() - cpu_before
        assert cpu_used < 0.25, f"{cpu_used:.2f}s CPU in 0.5s idle: the loop is spinning"
        assert loop.time() - wall_before < 0.9

        for name, peer in abusers.items():
            try:
                await peer.expect_closed(HEADER_TIMEOUT + READ_LIMIT)
            except Exception as exc:
                raise AssertionError(f"{name}: not closed by the server") from exc
            peer.close()
        good.close()

        tick_task.cancel()
        # How many ticks fit depends on how fast the server closed the abusers; what matters
        # is that no gap, including the one up to now, shows a blocked loop.
        gaps = [b - a for a, b in itertools.pairwise([tick_started, *ticks, loop.time()])]
        assert len(ticks) >= 5, "the ticker barely ran: the test window is too short"
        assert max(gaps) < 0.3, f"event loop blocked for {max(gaps):.2f}s"
        await wait_until(lambda: server.active_sessions == 0)

    # Only the well-formed call ever reached a handler.
    assert resolver.asked == ["hotline"]


# --- hangup, errors, timeouts ---------------------------------------------------------


@pytest.mark.parametrize(
    ("signal", "dead_mode_answered"),
    [
        (b"HANGUP\n200 result=-1 endpos=0\n", True),
        (b"200 result=-1 endpos=0\n", True),
        (b"511 Command Not Permitted on a dead channel or intercept routine\n", True),
        (b"HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n", True),
        (b"200 result=0 endpos=0\nHANGUP\n", None),  # notice after the reply: seen next time
        (b"", False),  # EOF: the session is over, nothing more can be sent
        (b"200 result=0 end", False),  # a reply cut off by EOF is no reply
    ],
    ids=["notice-then-reply", "result-1", "511", "notice-then-511", "late-notice", "eof", "cut"],
)
async def test_hangup_signals(signal, dead_mode_answered):
    outcome: dict[str, object] = {}

    async def handler(session: AgiSession) -> None:
        try:
            await session.stream_file("hotline/greeting")
            outcome["first"] = "played"
        except AgiHangup:
            outcome["first"] = "hangup"
        try:
            await session.stream_file("hotline/notice")
            outcome["second"] = "played"
        except AgiHangup:
            outcome["second"] = "hangup"
        try:
            await session.set_variable(contract.OUTCOME, "hangup")
            outcome["dead_mode"] = "answered"
        except AgiHangup:
            outcome["dead_mode"] = "refused"
        outcome["hung_up"] = session.hung_up

    async with running({"hotline": handler}) as server:
        peer = await Peer.connect(server.port, header())
        await peer.expect(b'STREAM FILE "hotline/greeting" ""\n')
        await peer.send(signal)
        if not signal or not signal.endswith(b"\n"):
            peer.writer.write_eof()
        if dead_mode_answered is None:
            # The late notice is read before the second command's reply.
            await peer.expect(b'STREAM FILE "hotline/notice" ""\n')
            await peer.send(b"200 result=-1 endpos=0\n")
            await peer.expect(f'SET VARIABLE "{contract.OUTCOME}" "hangup"\n'.encode())
            await peer.send(b"200 result=1\n")
        elif dead_mode_answered:
            # The second STREAM FILE is never sent: the next line is the dead-mode command.
            await peer.expect(f'SET VARIABLE "{contract.OUTCOME}" "hangup"\n'.encode())
            await peer.send(b"200 result=1\n")
        await peer.expect_closed()
        peer.close()
        await wait_until(lambda: server.active_sessions == 0)

    if dead_mode_answered is None:
        assert outcome == {
            "first": "played",
            "second": "hangup",
            "dead_mode": "answered",
            "hung_up": True,
        }
    else:
        assert outcome == {
            "first": "hangup",
            "second": "hangup",
            "dead_mode": "answered" if dead_mode_answered else "refused",
            "hung_up": True,
        }


USAGE_520 = (
    b"520-Invalid command syntax.  Proper usage follows:\n"
    b" Usage: STREAM FILE <filename> <escape digits> [<sample offset>]\n"
    b"     Send the given file, allowing playback to be interrupted.\n"
    b"520 End of proper usage.\n"
)


@pytest.mark.parametrize(
    ("error_reply", "code", "message_has"),
    [
        (USAGE_520, 520, "Usage: STREAM FILE"),
        (b"520 Invalid command syntax.  Proper usage not available.\n", 520, "syntax"),
        (b"510 Invalid or unknown command\n", 510, "Invalid or unknown command"),
    ],
    ids=["520-multi-line", "520-single-line", "510"],
)
async def test_command_errors_do_not_desync(error_reply, code, message_has):
    outcome: dict[str, object] = {}

    async def handler(session: AgiSession) -> None:
        try:
            await session.stream_file("hotline/greeting")
        except AgiCommandError as exc:
            outcome["error"] = (exc.code, message_has in exc.message)
        outcome["next"] = await session.get_variable("NEXT")
        outcome["hung_up"] = session.hung_up

    async with running({"hotline": handler}) as server:
        peer = await Peer.connect(server.port, header())
        await peer.expect(b'STREAM FILE "hotline/greeting" ""\n')
        await peer.send(error_reply)
        await peer.expect(b'GET VARIABLE "NEXT"\n')
        await peer.send(b"200 result=1 (after)\n")
        await peer.expect_closed()
        peer.close()

    assert outcome == {"error": (code, True), "next": "after", "hung_up": False}


async def test_reply_timeout_closes_the_session():
    loop = asyncio.get_running_loop()
    outcome: dict[str, object] = {}

    async def handler(session: AgiSession) -> None:
        try:
            await session.get_variable("SLOW")
        except AgiTimeout:
            outcome["timeout"] = True
            outcome["closed"] = session.closed
            raise

    async with running({"hotline": handler}, command_timeout=0.3) as server:
        peer = await Peer.connect(server.port, header())
        await peer.expect(b'GET VARIABLE "SLOW"\n')
        asked = loop.time()
        # No reply: the server gives up, and cannot tell the dialplan over a dead session.
        await peer.expect_closed()
        assert 0.25 <= loop.time() - asked < 1.5
        peer.close()
        await wait_until(lambda: server.active_sessions == 0)
        assert server.sessions_failed == 1

    assert outcome == {"timeout": True, "closed": True}


@pytest.mark.parametrize(
    ("command", "reply_after", "expect_reply"),
    [
        # The base timeout is 0.3 s; the sound plays 0.8 s: its reply is waited for.
        ("stream", 0.8, True),
        ("get_data", 0.8, True),
        # Silent past the sound's length plus the base timeout: a hung command.
        ("stream", 1.6, False),
    ],
)
async def test_playback_timeout_outlasts_the_sound(command, reply_after, expect_reply):
    outcome: dict[str, object] = {}

    async def handler(session: AgiSession) -> None:
        try:
            if command == "stream":
                await session.stream_file("greeting", play_seconds=0.8)
            else:
                await session.get_data("menu", 100, 1, play_seconds=0.7)
            outcome["replied"] = True
        except AgiTimeout:
            outcome["replied"] = False
            raise

    async with running({"hotline": handler}, command_timeout=0.3) as server:
        peer = await Peer.connect(server.port, header())
        await peer.line()
        await asyncio.sleep(reply_after)
        with contextlib.suppress(ConnectionError):
            await peer.send(b"200 result=0 endpos=8000\n")
        await wait_until(lambda: server.active_sessions == 0)
        peer.close()

    assert outcome == {"replied": expect_reply}


async def test_no_pipelining_second_command_waits_for_first_reply():
    results: list[object] = []

    async def handler(session: AgiSession) -> None:
        results.extend(
            await asyncio.gather(session.get_variable("FIRST"), session.get_variable("SECOND"))
        )

    async with running({"hotline": handler}) as server:
        peer = await Peer.connect(server.port, header())
        await peer.expect(b'GET VARIABLE "FIRST"\n')
        with pytest.raises(TimeoutError):
            await peer.line(0.3)  # the second command must not be on the wire yet
        await peer.send(b"200 result=1 (one)\n")
        await peer.expect(b'GET VARIABLE "SECOND"\n')
        await peer.send(b"200 result=1 (two)\n")
        await peer.expect_closed()
        peer.close()

    assert results == ["one", "two"]


@pytest.mark.parametrize(
    ("values", "script"),
    [
        # One round trip for the whole route.
        ({"A": "1", "B": "/p/q"}, [(b'EXEC "MSet" "A=1,B=/p/q"\n', b"200 result=0\n")]),
        # MSet would split a comma: one SET VARIABLE each.
        (
            {"A": "1", "B": "x,y"},
            [
                (b'SET VARIABLE "A" "1"\n', b"200 result=1\n"),
                (b'SET VARIABLE "B" "x,y"\n', b"200 result=1\n"),
            ],
        ),
        # MSet refused (-2: no such application): the same values, one at a time.
        (
            {"A": "1"},
            [
                (b'EXEC "MSet" "A=1"\n', b"200 result=-2\n"),
                (b'SET VARIABLE "A" "1"\n', b"200 result=1\n"),
            ],
        ),
    ],
)
async def test_set_variables_in_one_round_trip_or_one_by_one(values, script):
    async def handler(session: AgiSession) -> None:
        await session.set_variables(values)

    async with running({"hotline": handler}) as server:
        peer = await Peer.connect(server.port, header())
        for expected, reply in script:
            await peer.expect(expected)
            await peer.send(reply)
        await peer.expect_closed()
        peer.close()


# --- failures tell the dialplan to fall back -----------------------------------------


async def _raises(session: AgiSession) -> None:
    await session.answer()
    raise RuntimeError("handler bug")


async def _raises_at_once(session: AgiSession) -> None:
    raise KeyError("config")


async def _caller_hangs_up(session: AgiSession) -> None:
    raise AgiHangup("caller left")


@pytest.mark.parametrize(
    ("script", "before", "signals_failure", "failed"),
    [
        ("raises", [b"ANSWER\n"], True, 1),
        ("raises-at-once", [], True, 1),
        ("no-such-script", [], True, 1),
        ("hangs-up", [], False, 0),  # a hangup is no failure: nothing to signal
    ],
)
async def test_handler_failure_sets_agi_failed(script, before, signals_failure, failed):
    handlers = {"raises": _raises, "raises-at-once": _raises_at_once, "hangs-up": _caller_hangs_up}
    async with running(handlers) as server:
        peer = await Peer.connect(server.port, header(script))
        for line in before:
            await peer.expect(line)
            await peer.send(b"200 result=0\n")
        if signals_failure:
            await peer.expect(AGI_FAILED_LINE)
            await peer.send(b"200 result=1\n")
        await peer.expect_closed()
        peer.close()
        await wait_until(lambda: server.active_sessions == 0)
        assert server.sessions_failed == failed


async def _flag_other(session: AgiSession) -> None:
    await session.set_variable("OTHER_FAILED", "yes")


@pytest.mark.parametrize(
    ("signal", "sent"),
    [
        (_flag_other, b'SET VARIABLE "OTHER_FAILED" "yes"\n'),
        (None, None),  # no signal injected: the generic server just closes
    ],
)
async def test_failure_signal_is_injected_not_built_in(signal, sent):
    async with running({"raises-at-once": _raises_at_once}, signal_failure=signal) as server:
        peer = await Peer.connect(server.port, header("raises-at-once"))
        if sent is not None:
            await peer.expect(sent)
            await peer.send(b"200 result=1\n")
        await peer.expect_closed()
        peer.close()
        await wait_until(lambda: server.active_sessions == 0)
        assert server.sessions_failed == 1


async def test_session_cap_refuses_with_agi_failed():
    release = asyncio.Event()
    entered: list[str] = []

    async def held(session: AgiSession) -> None:
        entered.append(session.uniqueid)
        await release.wait()
        await session.set_variable(contract.OUTCOME, "held")

    async with running({"hotline": held}, max_sessions=1) as server:
        first = await Peer.connect(server.port, header(agi_uniqueid="1.1"))
        await wait_until(lambda: entered == ["1.1"])
        assert server.active_sessions == 1

        second = await Peer.connect(server.port, header(agi_uniqueid="1.2"))
        await second.expect(AGI_FAILED_LINE)
        await second.send(b"200 result=1\n")
        await second.expect_closed()
        second.close()
        assert entered == ["1.1"]

        release.set()
        await first.expect(f'SET VARIABLE "{contract.OUTCOME}" "held"\n'.encode())
        await first.send(b"200 result=1\n")
        await first.expect_closed()
        first.close()
        await wait_until(lambda: server.active_sessions == 0)

        # The slot is free again.
        third = await Peer.connect(server.port, header(agi_uniqueid="1.3"))
        release.set()
        await third.expect(f'SET VARIABLE "{contract.OUTCOME}" "held"\n'.encode())
        await third.send(b"200 result=1\n")
        await third.expect_closed()
        third.close()
    assert entered == ["1.1", "1.3"]


# --- graceful shutdown ----------------------------------------------------------------


async def test_shutdown_lets_a_call_finish_and_refuses_new_ones():
    loop = asyncio.get_running_loop()
    release = asyncio.Event()
    finished: list[str] = []

    async def handler(session: AgiSession) -> None:
        await release.wait()
        await session.set_variable(contract.OUTCOME, "finished")
        finished.append(session.uniqueid)

    server = await started_server({"hotline": handler})
    peer = await Peer.connect(server.port, header())
    await wait_until(lambda: server.active_sessions == 1)

    started = loop.time()
    stopping = asyncio.create_task(server.shutdown(5.0))
    await asyncio.sleep(0.2)
    assert not stopping.done()
    assert server.accepting is False
    with pytest.raises(OSError):
        late = await Peer.connect(server.port, header())
        # Should the connect itself slip through, the server must not serve it.
        await late.expect_closed()
        late.close()

    release.set()
    await peer.expect(f'SET VARIABLE "{contract.OUTCOME}" "finished"\n'.encode())
    await peer.send(b"200 result=1\n")
    await peer.expect_closed()
    peer.close()
    await asyncio.wait_for(stopping, READ_LIMIT)
    assert loop.time() - started < 3.0
    assert finished == ["1700000000.1"]
    assert server.active_sessions == 0


async def test_shutdown_cancels_a_handler_stuck_past_the_deadline():
    loop = asyncio.get_running_loop()
    states: list[str] = []

    async def stuck(session: AgiSession) -> None:
        states.append("started")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            states.append("cancelled")
            raise

    server = await started_server({"hotline": stuck})
    peer = await Peer.connect(server.port, header())
    await wait_until(lambda: states == ["started"])

    started = loop.time()
    await asyncio.wait_for(server.shutdown(0.3), 3.0)
    elapsed = loop.time() - started
    assert 0.25 <= elapsed < 2.5
    assert states == ["started", "cancelled"]
    assert server.active_sessions == 0
    await peer.expect_closed()
    peer.close()


# --- health route ---------------------------------------------------------------------


async def http(port: int, request: bytes, *, eof: bool = False) -> tuple[int, dict[str, object]]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), READ_LIMIT)
    try:
        writer.write(request)
        if eof:
            writer.write_eof()
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 5.0)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("ascii").split("\r\n")
    assert status_line.startswith("HTTP/1.1 ")
    headers = dict(f.split(": ", 1) for f in fields)
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Content-Length"]) == len(body)
    return int(status_line.split(" ")[1]), json.loads(body)


@pytest.mark.parametrize(
    ("accepting", "request_bytes", "eof", "status"),
    [
        (True, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", False, 200),
        (True, b"GET /health?probe=1 HTTP/1.0\r\n\r\n", False, 200),
        (False, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", False, 503),
        (True, b"GET /other HTTP/1.1\r\n\r\n", False, 404),
        (True, b"POST /health HTTP/1.1\r\n\r\n", False, 404),
        (True, b"garbage\r\n\r\n", False, 400),
        (True, b"GET /health\r\n\r\n", False, 400),
        (True, b"GET /hea", True, 400),  # cut off
        (True, b"\xff\xfe\x00 / HTTP/1.1\r\n\r\n", False, 404),
        (True, b"GET /" + b"a" * 8000 + b" HTTP/1.1\r\n\r\n", False, 400),  # too big
    ],
    ids=[
        "up",
        "up-query",
        "draining",
        "other-path",
        "post",
        "garbage",
        "no-version",
        "cut",
        "binary-method",
        "too-big",
    ],
)
async def test_health_route(accepting, request_bytes, eof, status):
    state = {"accepting": accepting, "active_sessions": 3, "sessions_total": 10}
    health = HealthServer(lambda: dict(state), host=HOST, port=0)
    await health.start()
    try:
        assert health.port != 0
        got_status, body = await http(health.port, request_bytes, eof=eof)
    finally:
        await health.stop()
    assert got_status == status
    if status in (200, 503):
        assert body == state
    else:
        assert "error" in body


async def test_health_follows_the_agi_server_state():
    async with running({}) as server:
        health = HealthServer(
            lambda: {"accepting": server.accepting, "active": server.active_sessions},
            host=HOST,
            port=0,
        )
        await health.start()
        try:
            request = b"GET /health HTTP/1.1\r\n\r\n"
            assert await http(health.port, request) == (200, {"accepting": True, "active": 0})
            await server.shutdown(0.1)
            assert await http(health.port, request) == (503, {"accepting": False, "active": 0})
        finally:
            await health.stop()
