"""Faults the fault suite injects: a database that stops answering, on either backend."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator

from sqlalchemy.engine import make_url


class TcpCut:
    """A TCP relay in front of a server that can be cut: every connection dropped and
    new ones refused, as when the server is stopped, without stopping a server other
    tests share."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2)
        self._server = None

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.transport.abort()


class DatabaseOutage:
    """`url` is what the service should use; `down()` makes it unusable until it ends.

    SQLite: another writer holds an exclusive lock. PostgreSQL: the relay is cut.
    """

    def __init__(self, database_url: str) -> None:
        self.real_url = database_url
        self.url = database_url
        self._relay: TcpCut | None = None

    async def __aenter__(self) -> DatabaseOutage:
        url = make_url(self.real_url)
        if url.get_backend_name() == "postgresql":
            self._relay = TcpCut(url.host or "127.0.0.1", url.port or 5432)
            await self._relay.start()
            proxied = url.set(host="127.0.0.1", port=self._relay.port)
            self.url = proxied.render_as_string(hide_password=False)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._relay is not None:
            with contextlib.suppress(Exception):
                await self._relay.cut()

    @contextlib.asynccontextmanager
    async def down(self) -> AsyncIterator[None]:
        if self._relay is not None:
            await self._relay.cut()
            try:
                yield
            finally:
                await self._relay.start()
            return
        locker = sqlite3.connect(make_url(self.real_url).database or "", isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            locker.execute("ROLLBACK")
            locker.close()
