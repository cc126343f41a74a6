"""AMI Originate through panoramisk against a fake AMI server that drops the line.

panoramisk reconnects and re-sends unanswered actions; a re-sent Originate would be a
second call, so the test counts the Originates the server receives.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from config.settings import load_settings
from devstack.ami import AmiError, originate_and_wait


class FakeAmi:
    """Answers Login; drops the connection on every Originate, as a crashing Asterisk
    would."""

    def __init__(self) -> None:
        self.actions: list[str] = []
        self.connections = 0
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                fields = dict(
                    line.split(": ", 1) for line in block.decode().split("\r\n") if ": " in line
                )
                action = fields.get("Action", "").lower()
                self.actions.append(action)
                if action == "originate":
                    break  # the connection drops before any reply
                reply = f"Response: Success\r\nActionID: {fields.get('ActionID', '')}\r\n"
                if action == "login":
                    reply += "Message: Authentication accepted\r\n"
                writer.write(reply.encode() + b"\r\n")
                if action == "login":  # as Asterisk does; panoramisk re-sends on it
                    writer.write(b"Event: FullyBooted\r\nStatus: Fully Booted\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def test_originate_is_not_resent_after_a_reconnect(tmp_path):
    fake = FakeAmi()
    port = await fake.start()
    settings = dataclasses.replace(
        load_settings(path=None, environ={}), ami_port=port, ami_timeout=2.0, data_dir=tmp_path
    )
    try:
        with pytest.raises((AmiError, TimeoutError)):
            await originate_and_wait(settings, dialed="12330", limit_seconds=4.0)
        # panoramisk reconnects after 2 s; give it the time to (not) re-send.
        await asyncio.sleep(3.0)
    finally:
        await fake.stop()
    assert fake.actions.count("originate") == 1, fake.actions
