"""Run the console under uvicorn inside an existing event loop (`serve`) or alone.

We bind the socket ourselves: uvicorn would otherwise sys.exit() on a busy port,
and port 0 (tests) needs the real port back. Signal handling stays with the
caller, so `serve` keeps its own SIGTERM drain of AGI calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from config.holder import ConfigHolder
from config.loader import load_config
from config.settings import Settings, SettingsError
from console.app import create_app
from models.db import is_memory_sqlite, make_engine, session_factory

START_TIMEOUT = 10.0


class _QuietSignals(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ConsoleServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: _QuietSignals | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        # X-Forwarded-For only from a configured proxy: uvicorn's default believes any
        # local process, which would forge the audited address and slip the throttle.
        trusted = list(self.app.state.console.settings.console_trusted_proxies)
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or [],
        )
        self._server = _QuietSignals(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        async with asyncio.timeout(START_TIMEOUT):
            while not self._server.started:
                if self._task.done():
                    self._task.result()  # raises what stopped it
                    raise RuntimeError("console server stopped during start-up")
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def console_engine(settings: Settings, **pool: Any) -> Engine:
    """The console's own engine, never the call path's: operators' slow pages and
    downloads can exhaust only this pool, and a request waits at most
    console_pool_timeout seconds for a connection before it gets a "busy" page."""
    url = settings.console_database_url or settings.database_url
    if is_memory_sqlite(make_url(url)):
        # Not pooled (and a second engine would be a second, empty database).
        raise SettingsError("database_url: the console needs a database file or server")
    pool.setdefault("pool_timeout", settings.console_pool_timeout)
    return make_engine(url, **pool)


def standalone_app(settings: Settings) -> FastAPI:
    """The console with its own engine and config (`hotline12330 console`)."""
    # The console plays no prompts: missing prompt files must not keep it down.
    config = ConfigHolder(settings, lambda s: load_config(s, check_prompts=False))
    return create_app(settings, config=config, sessions=session_factory(console_engine(settings)))
