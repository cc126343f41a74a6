"""The running service: FastAGI server, health route, AMI watch, config reload.

Built from Settings by `hotline12330 serve` (and by the tests); nothing global.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable

import structlog
from panoramisk import Manager

from agi.flow.call import handle_call
from agi.flow.calllog import CallLog
from agi.flow.hangup import handle_hangup
from agi.flow.services import CallServices
from agi.health import HealthServer
from agi.reconcile import reconcile
from agi.server import AgiServer, Handler
from agi.session import AgiSession
from config.holder import ConfigHolder
from config.settings import Settings
from models.db import make_engine, session_factory

log = structlog.get_logger("service")

FLOWS: dict[str, Callable[[AgiSession, CallServices], Awaitable[None]]] = {
    "call": handle_call,
    "hangup": handle_hangup,
}


class Service:
    def __init__(self, settings: Settings, *, allow_test_clock: bool = False) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.services = CallServices(
            settings=settings,
            config=ConfigHolder(settings),
            calllog=CallLog(session_factory(self.engine)),
            allow_test_clock=allow_test_clock,
        )
        self.agi = AgiServer(
            self.resolve,
            host=settings.agi_host,
            port=settings.agi_port,
            max_sessions=settings.agi_max_sessions,
            header_timeout=settings.agi_header_timeout,
            command_timeout=settings.agi_command_timeout,
        )
        self.health = HealthServer(
            self.status, host=settings.health_host, port=settings.health_port
        )
        self.ami_connected = False
        self._ami_task: asyncio.Task[None] | None = None

    def resolve(self, script: str) -> Handler | None:
        flow = FLOWS.get(script)
        if flow is None:
            return None

        async def run(session: AgiSession) -> None:
            await flow(session, self.services)

        return run

    def status(self) -> dict[str, object]:
        return {
            "status": "ok" if self.agi.accepting else "draining",
            "accepting": self.agi.accepting,
            "sessions": self.agi.active_sessions,
            "sessions_total": self.agi.sessions_total,
            "sessions_failed": self.agi.sessions_failed,
            "ami_connected": self.ami_connected,
            "agi_port": self.agi.port,
        }

    async def start(self, *, watch_ami: bool = True, reconcile_on_start: bool = True) -> None:
        if reconcile_on_start:
            since = self.services.clock() - dt.timedelta(days=self.settings.reconcile_days)
            try:
                await reconcile(self.services, since)
            except Exception:  # a bad CDR file must not keep the hotline down
                log.exception("service.reconcile_failed")
        await self.agi.start()
        await self.health.start()
        if watch_ami:
            self._ami_task = asyncio.create_task(self._watch_ami())
        log.info("service.started", agi_port=self.agi.port, health_port=self.health.port)

    async def reload(self) -> None:
        problems = await asyncio.to_thread(self.services.config.reload)
        if problems:
            log.error("service.reload_rejected", problems=[str(p) for p in problems])
        else:
            log.info("service.reloaded")

    async def stop(self, deadline: float = 10.0) -> None:
        await self.agi.shutdown(deadline)
        if self.services.background:
            await asyncio.wait(set(self.services.background), timeout=deadline)
        await self.health.stop()
        if self._ami_task:
            self._ami_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ami_task
        self.engine.dispose()

    async def _watch_ami(self) -> None:
        """Keep an AMI login to report Asterisk's reachability on /health."""
        settings = self.settings
        while True:
            manager = Manager(
                host=settings.ami_host,
                port=settings.ami_port,
                username=settings.ami_user,
                secret=settings.ami_secret,
                ping_delay=10,
                loop=asyncio.get_running_loop(),
            )
            manager.connection_lost = lambda exc: None  # we reconnect ourselves
            try:
                await asyncio.wait_for(manager.connect(), settings.ami_timeout)
                reply = await asyncio.wait_for(
                    manager.send_action({"Action": "Ping"}), settings.ami_timeout
                )
                self.ami_connected = reply.get("Response") == "Success"
            except (OSError, TimeoutError):
                self.ami_connected = False
            finally:
                manager.close()
            await asyncio.sleep(15 if self.ami_connected else 5)
