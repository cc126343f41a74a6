"""One FastAGI conversation: the header block, then strictly one command at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from agi import protocol
from agi.errors import AgiCommandError, AgiHangup, AgiProtocolError, AgiTimeout
from agi.results import AgiReply, DigitsReply


async def _read_line(reader: asyncio.StreamReader) -> str | None:
    """One line, or None at EOF. An oversized line is a protocol error, never a spin."""
    try:
        raw = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError:
        # Asterisk ends every line with a newline: a line cut off by EOF is truncated
        # (a lone "\r" would even pass for the header's closing blank line), never data.
        return None
    except asyncio.LimitOverrunError as exc:
        raise AgiProtocolError("line longer than the limit") from exc
    if len(raw) > protocol.MAX_LINE_BYTES:
        raise AgiProtocolError("line longer than the limit")
    return protocol.decode(raw)


async def read_headers(reader: asyncio.StreamReader, limit_seconds: float) -> dict[str, str]:
    """The `agi_*` block up to its blank line, within `limit_seconds` and the size caps."""

    async def read_block() -> dict[str, str]:
        env: dict[str, str] = {}
        total = 0
        for _ in range(protocol.MAX_HEADER_LINES):
            line = await _read_line(reader)
            if line is None:
                raise AgiHangup("connection closed during the AGI header")
            if line == "":
                if not env:
                    raise AgiProtocolError("empty AGI header")
                return env
            total += len(line) + 1
            if total > protocol.MAX_HEADER_BYTES:
                raise AgiProtocolError("AGI header larger than the limit")
            key, value = protocol.parse_header_line(line)
            env.setdefault(key, value)  # first wins: later copies cannot override it
        raise AgiProtocolError("AGI header has too many lines")

    try:
        return await asyncio.wait_for(read_block(), limit_seconds)
    except TimeoutError as exc:
        raise AgiTimeout("no complete AGI header in time") from exc


class AgiSession:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        env: dict[str, str],
        *,
        command_timeout: float = 10.0,
    ) -> None:
        self.env = env
        self._reader = reader
        self._writer = writer
        self._timeout = command_timeout
        self._lock = asyncio.Lock()  # no pipelining: one command in flight at a time
        self.hung_up = False
        self.closed = False

    # -- environment --------------------------------------------------------------
    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def channel(self) -> str:
        return self.env.get("agi_channel", "")

    @property
    def callerid(self) -> str:
        return self.env.get("agi_callerid", "")

    @property
    def extension(self) -> str:
        return self.env.get("agi_extension", "")

    @property
    def script(self) -> str:
        """The path of agi://host:port/PATH, without slashes or query."""
        raw = self.env.get("agi_network_script") or self.env.get("agi_request", "")
        raw = raw.split("?", 1)[0]
        if "://" in raw:
            raw = raw.split("://", 1)[1].partition("/")[2]
        return raw.strip("/")

    @property
    def arguments(self) -> list[str]:
        args = []
        index = 1
        while f"agi_arg_{index}" in self.env:
            args.append(self.env[f"agi_arg_{index}"])
            index += 1
        return args

    # -- commands -----------------------------------------------------------------
    async def command(self, verb: str, *args: object, media_seconds: float = 0.0) -> AgiReply:
        """Send one command and wait for its reply, with the session's timeout.

        Playback commands reply only when the sound ends: `media_seconds` (how long it
        may play) is added to the timeout so a long greeting is not taken for a hang.
        """
        limit = self._timeout + max(0.0, media_seconds)
        async with self._lock:
            if self.closed:
                raise AgiHangup("session closed")
            if self.hung_up and verb not in protocol.DEAD_MODE_VERBS:
                raise AgiHangup(f"{verb} not sent: the channel hung up")
            line = protocol.format_command(verb, *args)
            try:
                self._writer.write(line)
                await asyncio.wait_for(self._writer.drain(), self._timeout)
                reply = await asyncio.wait_for(self._read_reply(), limit)
            except TimeoutError as exc:
                self.close()
                raise AgiTimeout(f"no reply to {verb} in {limit:g}s") from exc
            except (ConnectionError, OSError) as exc:
                self._mark_gone()
                raise AgiHangup(f"connection lost during {verb}") from exc
        return self._check(verb, reply)

    async def _read_reply(self) -> AgiReply:
        while True:
            line = await _read_line(self._reader)
            if line is None:
                self._mark_gone()
                raise AgiHangup("connection closed by Asterisk")
            if line == protocol.HANGUP_NOTICE:
                # Unprompted notice: the reply to our command is still to come.
                self.hung_up = True
                continue
            if line.startswith("520-"):
                usage = [line[4:]]
                while True:
                    more = await _read_line(self._reader)
                    if more is None:
                        self._mark_gone()
                        raise AgiHangup("connection closed inside a 520 reply")
                    if more.startswith("520 "):
                        usage.append(more[4:])
                        raise AgiCommandError(520, "\n".join(usage))
                    usage.append(more)
            if line == "":
                continue
            return protocol.parse_reply(line)

    def _check(self, verb: str, reply: AgiReply) -> AgiReply:
        if reply.code == 511:
            self.hung_up = True
            raise AgiHangup(f"{verb}: channel is dead (511)")
        if reply.code != 200:
            raise AgiCommandError(reply.code, reply.data or reply.raw)
        if reply.result == "-1" and verb != "GET DATA":
            self.hung_up = True
            raise AgiHangup(f"{verb}: result=-1")
        return reply

    def _mark_gone(self) -> None:
        self.hung_up = True
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._writer.close()

    # -- conveniences -------------------------------------------------------------
    async def answer(self) -> None:
        await self.command("ANSWER")

    async def stream_file(
        self, name: str, escape_digits: str = "", *, play_seconds: float = 0.0
    ) -> str | None:
        """Play a file (`play_seconds` long); the key that interrupted it, or None."""
        reply = await self.command("STREAM FILE", name, escape_digits, media_seconds=play_seconds)
        return reply.digit

    async def get_data(
        self, name: str, timeout_ms: int, max_digits: int, *, play_seconds: float = 0.0
    ) -> DigitsReply:
        waits = timeout_ms / 1000 * max(1, max_digits)  # Asterisk waits per digit
        reply = await self.command(
            "GET DATA", name, timeout_ms, max_digits, media_seconds=play_seconds + waits
        )
        if reply.result == "-1":
            self.hung_up = True
            raise AgiHangup("GET DATA: result=-1")
        digits = "".join(ch for ch in reply.result if ch in "0123456789*#")
        return DigitsReply(digits=digits, timed_out=reply.data == "timeout")

    async def set_variable(self, name: str, value: object) -> None:
        await self.command("SET VARIABLE", name, value)

    async def set_variables(self, values: Mapping[str, object]) -> None:
        """Several variables in one round trip (EXEC MSet, in order). MSet splits on
        commas, so a value holding one is set on its own instead."""
        texts = {name: str(value) for name, value in values.items()}
        if all("," not in text and "=" not in name for name, text in texts.items()):
            reply = await self.exec("MSet", *(f"{name}={text}" for name, text in texts.items()))
            if reply.value == 0:
                return
        for name, text in texts.items():  # MSet refused or unusable: one at a time
            await self.set_variable(name, text)

    async def get_variable(self, name: str) -> str | None:
        """The value, or None when the variable is unset."""
        reply = await self.command("GET VARIABLE", name)
        return reply.data if reply.value == 1 else None

    async def exec(self, application: str, *args: object) -> AgiReply:
        return await self.command("EXEC", application, ",".join(str(a) for a in args))

    async def verbose(self, message: str, level: int = 1) -> None:
        await self.command("VERBOSE", message, level)

    async def hangup(self) -> None:
        await self.command("HANGUP")
