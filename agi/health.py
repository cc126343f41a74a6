"""A tiny HTTP health route on its own port: GET /health -> 200 JSON, 503 while draining.

Stdlib asyncio only; it reads at most one small request per connection, with a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable

MAX_REQUEST_BYTES = 4096
READ_TIMEOUT = 3.0

StatusProvider = Callable[[], dict[str, object]]


class HealthServer:
    def __init__(self, status: StatusProvider, *, host: str = "127.0.0.1", port: int = 4574):
        self._status = status
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._on_connect, self.host, self.port, limit=MAX_REQUEST_BYTES
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            status, body = await asyncio.wait_for(self._respond(reader), READ_TIMEOUT)
        except (TimeoutError, asyncio.LimitOverrunError, asyncio.IncompleteReadError, ValueError):
            status, body = 400, {"error": "bad request"}
        payload = json.dumps(body, ensure_ascii=False).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"}
        head = (
            f"HTTP/1.1 {status} {reason[status]}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            writer.write(head.encode() + payload)
            await asyncio.wait_for(writer.drain(), READ_TIMEOUT)
        writer.close()

    async def _respond(self, reader: asyncio.StreamReader) -> tuple[int, dict[str, object]]:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line = head.split(b"\r\n", 1)[0].decode("ascii", errors="replace")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return 400, {"error": "bad request"}
        method, path = parts[0], parts[1].split("?", 1)[0]
        if method != "GET" or path != "/health":
            return 404, {"error": "not found"}
        status = self._status()
        return (200 if status.get("accepting") else 503), status
