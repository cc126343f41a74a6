"""The asyncio FastAGI server: accept, read the header, run the handler, never crash.

No global state: everything a server needs is passed to its constructor, including how
to tell the dialplan that a session failed (`signal_failure`): the server knows no
dialplan variable of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from agi import protocol
from agi.errors import AgiError, AgiHangup
from agi.session import AgiSession, read_headers
from config.peers import Network, peer_allowed

Handler = Callable[[AgiSession], Awaitable[None]]
HandlerResolver = Callable[[str], Handler | None]
# Called on a session the server refused or whose handler failed (never on a hangup).
FailureSignal = Callable[[AgiSession], Awaitable[None]]

MIN_BACKLOG = 128


class AgiServer:
    def __init__(
        self,
        resolve: HandlerResolver,
        *,
        host: str = "127.0.0.1",
        port: int = 4573,
        max_sessions: int = 256,
        header_timeout: float = 5.0,
        command_timeout: float = 10.0,
        backlog: int = MIN_BACKLOG,
        allowed_peers: tuple[Network, ...] = (),
        logger: structlog.typing.FilteringBoundLogger | None = None,
        signal_failure: FailureSignal | None = None,
    ) -> None:
        self._resolve = resolve
        self._signal = signal_failure
        self.host = host
        self.port = port
        self._max_sessions = max_sessions
        self._header_timeout = header_timeout
        self._command_timeout = command_timeout
        self._backlog = max(backlog, MIN_BACKLOG)
        self._allowed_peers = allowed_peers  # empty: every peer (a loopback-only port)
        self._log = logger or structlog.get_logger("agi")
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.accepting = False
        self.sessions_total = 0
        self.sessions_failed = 0

    @property
    def active_sessions(self) -> int:
        return len(self._tasks)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._on_connect,
            self.host,
            self.port,
            backlog=self._backlog,
            limit=protocol.MAX_LINE_BYTES,
        )
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]  # the real one when 0 was asked for
        self.accepting = True
        self._log.info("agi.listening", host=self.host, port=self.port)

    async def shutdown(self, deadline: float = 10.0) -> None:
        """Stop accepting, let in-flight calls finish up to `deadline`, then cancel them."""
        self.accepting = False
        if self._server is not None:
            self._server.close()
        pending = set(self._tasks)
        if pending:
            _, still = await asyncio.wait(pending, timeout=deadline)
            for task in still:
                task.cancel()
            if still:
                await asyncio.wait(still, timeout=1.0)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
        self._log.info("agi.stopped", cancelled=len(pending) - len(self._tasks))

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        task = asyncio.current_task()
        assert task is not None
        if self._allowed_peers and not self._peer_allowed(writer):
            return
        if not self.accepting or len(self._tasks) >= self._max_sessions:
            await self._refuse(reader, writer)
            return
        self._tasks.add(task)
        try:
            await self._run_session(reader, writer)
        finally:
            self._tasks.discard(task)

    def _peer_allowed(self, writer: asyncio.StreamWriter) -> bool:
        """FastAGI has no authentication: close a peer not in the allowlist before
        reading a byte from it."""
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if peer_allowed(address, self._allowed_peers):
            return True
        self._log.warning("agi.peer_refused", peer=address or repr(peer))
        writer.close()
        return False

    async def _refuse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Over capacity or shutting down: tell the dialplan to take its fallback path."""
        self._log.warning("agi.refused", active=len(self._tasks), accepting=self.accepting)
        try:
            env = await read_headers(reader, self._header_timeout)
            session = AgiSession(reader, writer, env, command_timeout=self._command_timeout)
            if self._signal is not None:
                await self._signal(session)
        except (AgiError, OSError):
            pass
        finally:
            writer.close()

    async def _run_session(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.sessions_total += 1
        structlog.contextvars.clear_contextvars()
        try:
            env = await read_headers(reader, self._header_timeout)
        except (AgiError, UnicodeError, OSError) as exc:
            self._log.warning("agi.bad_header", error=str(exc))
            writer.close()
            return
        session = AgiSession(reader, writer, env, command_timeout=self._command_timeout)
        structlog.contextvars.bind_contextvars(
            call_id=session.uniqueid, script=session.script, centre=None
        )
        handler = self._resolve(session.script)
        try:
            if handler is None:
                raise LookupError(f"no handler for AGI script {session.script!r}")
            await handler(session)
        except AgiHangup:
            self._log.info("agi.caller_hung_up")
        except Exception as exc:  # a handler bug must still send the caller somewhere
            self.sessions_failed += 1
            self._log.exception("agi.handler_failed", error=repr(exc))
            await self._signal_failure(session)
        finally:
            session.close()
            structlog.contextvars.clear_contextvars()

    async def _signal_failure(self, session: AgiSession) -> None:
        if self._signal is None:
            return
        with contextlib.suppress(AgiError, OSError):
            await self._signal(session)
