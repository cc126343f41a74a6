"""The running service: FastAGI server, journal and its drain, health route, reconcile,
AMI watch, config reload.

Built from Settings by `hotline12330 serve` (and by the tests); nothing global.
Start-up order matters: the journal opens, then the AGI port listens, and only then
does anything touch the database (the drain, reconcile) — in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Coroutine

import structlog

from agi.ami_link import AmiLink, AmiLinkError
from agi.fallback_refresh import FallbackRefreshError, refresh_fallback
from agi.flow.call import handle_call
from agi.flow.handoff import flag_agi_failed
from agi.flow.hangup import handle_hangup
from agi.flow.services import CallServices
from agi.health import HealthServer
from agi.reconcile import reconcile
from agi.server import AgiServer, Handler
from agi.session import AgiSession
from calllog.drain import Drainer
from calllog.journal import JournalStats
from calllog.writer import JournalWriter
from config.holder import ConfigHolder
from config.peers import networks
from config.settings import Settings
from models.db import make_engine, session_factory
from routing import in_china

log = structlog.get_logger("service")

FLOWS: dict[str, Callable[[AgiSession, CallServices], Awaitable[None]]] = {
    "call": handle_call,
    "hangup": handle_hangup,
}
STATS_SECONDS = 2.0  # how often /health's journal figures are refreshed
STATS_LOG_SECONDS = 60.0  # how often a backlog or a database outage is logged
FIRST_RECONCILE_WAIT_SECONDS = 30.0
FALLBACK_REFRESH_SECONDS = 3600.0  # cheap: Asterisk reloads only when the text changed


class Service:
    def __init__(
        self,
        settings: Settings,
        *,
        allow_test_clock: bool = False,
        config: ConfigHolder | None = None,
    ) -> None:
        self.settings = settings
        # The call log's own engine: only the drain and reconcile use it, never a caller.
        self.engine = make_engine(settings.database_url)
        self.journal = JournalWriter(
            settings.journal_path, max_bytes=settings.journal_max_mb * 1024 * 1024
        )
        self.drainer = Drainer(self.journal, session_factory(self.engine))
        self.services = CallServices(
            settings=settings,
            config=config or ConfigHolder(settings),
            journal=self.journal,
            allow_test_clock=allow_test_clock,
        )
        self.agi = AgiServer(
            self.resolve,
            host=settings.agi_host,
            port=settings.agi_port,
            max_sessions=settings.agi_max_sessions,
            header_timeout=settings.agi_header_timeout,
            command_timeout=settings.agi_command_timeout,
            allowed_peers=networks(settings.agi_allowed_peers),
            signal_failure=flag_agi_failed,
        )
        self.health = HealthServer(
            self.status, host=settings.health_host, port=settings.health_port
        )
        self.ami = AmiLink(settings)
        self.journal_stats: JournalStats | None = None
        self.started_at: dt.datetime | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def resolve(self, script: str) -> Handler | None:
        flow = FLOWS.get(script)
        if flow is None:
            return None

        async def run(session: AgiSession) -> None:
            structlog.contextvars.bind_contextvars(instance=self.settings.instance)
            await flow(session, self.services)

        return run

    def status(self) -> dict[str, object]:
        stats = self.journal_stats
        oldest = stats.oldest_at if stats else None
        return {
            "status": "ok" if self.agi.accepting else "draining",
            "instance": self.settings.instance,
            "accepting": self.agi.accepting,
            "sessions": self.agi.active_sessions,
            "sessions_total": self.agi.sessions_total,
            "sessions_failed": self.agi.sessions_failed,
            "ami_connected": self.ami.connected,
            "agi_port": self.agi.port,
            "journal": {
                "depth": stats.depth if stats else None,
                "oldest_age_seconds": round(time.time() - oldest, 1) if oldest else None,
                "bytes": stats.bytes if stats else None,
                "max_bytes": self.journal.max_bytes,
                "in_memory": self.journal.buffered,
                "dropped": self.journal.dropped,
                "quarantined": stats.quarantined if stats else None,
                "write_failing": self.journal.failing,
            },
            "database": {
                "ok": self.drainer.db_ok,
                "error": self.drainer.db_error,
                "down_since": self.drainer.db_down_since,
            },
        }

    async def start(self, *, watch_ami: bool = True, reconcile_on_start: bool = True) -> None:
        self.started_at = self.services.clock()
        await self.open_log()
        await self.services.prompt_lengths.load(self.settings.prompts_dir)
        await self.agi.start()
        await self.health.start()
        self._spawn(self._watch_journal())
        if reconcile_on_start:
            self._spawn(self._reconcile_often())
        if watch_ami:  # the AMI side: reachability, and the dialplan's fallback data
            self._spawn(self.ami.run())
            self._spawn(self._refresh_fallback_often())
        log.info(
            "service.started",
            instance=self.settings.instance,
            agi_port=self.agi.port,
            health_port=self.health.port,
            journal=str(self.journal.path),
        )

    async def open_log(self) -> None:
        """The journal and its drain (also all `hotline12330 reconcile` needs)."""
        await self.journal.start()
        self.drainer.start()

    async def close_log(self, deadline: float) -> None:
        """Write what is buffered, drain what the database takes before `deadline`."""
        await self.journal.flush()
        await self.drainer.stop(deadline)
        await self.journal.stop()
        self.engine.dispose()

    def _spawn(self, work: Coroutine[object, object, None]) -> None:
        self._tasks.append(asyncio.create_task(work))

    async def reconcile_now(self) -> int:
        since = self.services.clock() - dt.timedelta(days=self.settings.reconcile_days)
        return await reconcile(self.services, self.drainer, since, server_started=self.started_at)

    async def _reconcile_often(self) -> None:
        """Reconcile once the port listens, then every reconcile_minutes, in the background.

        The first run waits (bounded) for what an earlier run of this server left in its
        journal: reconcile leaves calls with entries still pending to the drain.
        """
        for _ in range(int(FIRST_RECONCILE_WAIT_SECONDS / 0.5)):
            if not (await self.journal.run(lambda j: j.stats())).depth:
                break
            await asyncio.sleep(0.5)
        while True:
            try:
                await self.reconcile_now()
            except Exception:  # a bad CDR file or a database outage: try again next time
                log.exception("service.reconcile_failed")
            await asyncio.sleep(self.settings.reconcile_minutes * 60)

    async def _watch_journal(self) -> None:
        last_logged = 0.0
        while True:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(STATS_SECONDS * 5):
                    self.journal_stats = await self.journal.run(lambda j: j.stats())
            stats = self.journal_stats
            behind = bool(stats and stats.depth) or self.drainer.db_ok is False
            if behind and time.monotonic() - last_logged > STATS_LOG_SECONDS:
                last_logged = time.monotonic()
                status = self.status()
                log.warning(
                    "service.journal_backlog",
                    journal=status["journal"],
                    database=status["database"],
                )
            if stats and stats.bytes >= self.journal.max_bytes:
                log.error("service.journal_full", bytes=stats.bytes, bound=self.journal.max_bytes)
            await asyncio.sleep(STATS_SECONDS)

    async def reload(self) -> None:
        problems = await asyncio.to_thread(self.services.config.reload)
        if problems:
            log.error("service.reload_rejected", problems=[str(p) for p in problems])
        else:
            log.info("service.reloaded")
            await self.refresh_fallback()

    async def refresh_fallback(self) -> None:
        """Rewrite the dialplan's own routing data (hours from today) and reload it if it
        changed; a failure keeps the old file, and is logged and tried again later."""
        config = self.services.config.current
        today = in_china(self.services.clock()).date()  # routing decides in China time
        try:
            await refresh_fallback(
                self.settings,
                config.directory,
                config.calendar,
                today,
                reload=self._reload_dialplan,
            )
        except FallbackRefreshError as exc:
            log.error("service.fallback_refresh_failed", error=str(exc)[:300])

    async def _refresh_fallback_often(self) -> None:
        """At start, then hourly: the window of dated hours moves with the day."""
        while True:
            await self.refresh_fallback()
            await asyncio.sleep(FALLBACK_REFRESH_SECONDS)

    async def stop(self, deadline: float = 10.0) -> None:
        await self.agi.shutdown(deadline)
        if self.services.background:
            await asyncio.wait(set(self.services.background), timeout=deadline)
        await self.health.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.close_log(deadline)

    async def _reload_dialplan(self, settings: Settings) -> None:
        """Reload of pbx_config over the service's one AMI link (its `config` class)."""
        try:
            await self.ami.send(
                {"Action": "Reload", "Module": "pbx_config"}, wait=settings.ami_timeout
            )
        except AmiLinkError as exc:
            raise FallbackRefreshError(str(exc)) from exc
