"""A fake AMI server for tests: answers every action with Success (Login as Asterisk
does, then FullyBooted), and can drop the line on chosen actions or stop and start
again on the same port, as a crashing or restarting Asterisk would."""

from __future__ import annotations

import asyncio


class FakeAmi:
    def __init__(self, drop_on: frozenset[str] = frozenset()) -> None:
        self.drop_on = drop_on  # lower-case action names that get no reply: the line drops
        self.actions: list[str] = []
        self.connections = 0
        self.port = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                fields = dict(
                    line.split(": ", 1) for line in block.decode().split("\r\n") if ": " in line
                )
                action = fields.get("Action", "").lower()
                self.actions.append(action)
                if action in self.drop_on:
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
