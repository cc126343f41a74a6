"""The service's one AMI connection: logged in once, kept with Ping, reconnected with
back-off. /health reads `connected`; the fallback refresh sends its dialplan reload
through it. Logging in again every few seconds would fill a production Asterisk's log
(`displayconnects`) and its manager sessions.

Nothing on a caller's path uses AMI: a dead link only shows on /health.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import structlog
from panoramisk import Manager

from config.settings import Settings

log = structlog.get_logger("ami")

PING_SECONDS = 15.0
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0


class AmiLinkError(RuntimeError):
    """No AMI login right now, or an action was refused; the message says which."""


class AmiLink:
    def __init__(
        self,
        settings: Settings,
        *,
        ping_seconds: float = PING_SECONDS,
        max_backoff: float = MAX_BACKOFF,
        manager_factory: Callable[..., Manager] = Manager,
    ) -> None:
        self._settings = settings
        self._ping_seconds = ping_seconds
        self._max_backoff = max_backoff
        self._factory = manager_factory
        self._manager: Manager | None = None
        self._lost = asyncio.Event()
        self._up = asyncio.Event()
        self.connected = False
        self.logins = 0  # how many times the link logged in (once, while Asterisk stays up)

    async def run(self) -> None:
        """Forever: log in, ping until the link fails, wait, log in again."""
        backoff = FIRST_BACKOFF
        while True:
            try:
                await self._log_in()
                backoff = FIRST_BACKOFF
                await self._keep_alive()
            except Exception as exc:  # whatever broke the link, the loop must live on
                if self.connected or self.logins == 0:
                    log.warning("ami.link_down", error=repr(exc)[:200], retry_seconds=backoff)
            finally:
                self._drop()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    async def send(self, action: dict[str, Any], *, wait: float = 0.0) -> dict[str, Any]:
        """One action over the link, waiting up to `wait` seconds for it to be up; raises
        AmiLinkError if there is none or the action is refused."""
        if wait > 0 and not self.connected:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._up.wait(), wait)
        if self._manager is None or not self.connected:
            raise AmiLinkError("no AMI connection")
        try:
            reply = await asyncio.wait_for(
                self._manager.send_action(action), self._settings.ami_timeout
            )
        except (OSError, TimeoutError) as exc:
            self._lost.set()
            raise AmiLinkError(f"AMI {action.get('Action')}: {exc!r}") from exc
        if reply.get("Response") != "Success":
            raise AmiLinkError(f"AMI {action.get('Action')} refused: {reply.get('Message')}")
        return reply

    async def _log_in(self) -> None:
        settings = self._settings
        manager = self._factory(
            host=settings.ami_host,
            port=settings.ami_port,
            username=settings.ami_user,
            secret=settings.ami_secret,
            ping_delay=3600,  # we ping ourselves, with a timeout
            loop=asyncio.get_running_loop(),
            forgetable_actions=("ping", "login", "reload"),
        )
        self._lost.clear()
        # panoramisk would reconnect on its own; this loop does, with back-off.
        manager.connection_lost = lambda _exc: self._lost.set()
        self._manager = manager
        await asyncio.wait_for(manager.connect(), settings.ami_timeout)
        if manager.authenticated_future is not None:
            await asyncio.wait_for(manager.authenticated_future, settings.ami_timeout)
        if not manager.authenticated:
            raise AmiLinkError(f"AMI login as {settings.ami_user!r} failed")
        self.logins += 1
        self.connected = True
        self._up.set()
        log.info("ami.link_up", logins=self.logins)

    async def _keep_alive(self) -> None:
        while True:
            await self.send({"Action": "Ping"})
            try:
                await asyncio.wait_for(self._lost.wait(), self._ping_seconds)
            except TimeoutError:
                continue
            raise AmiLinkError("AMI connection lost")

    def _drop(self) -> None:
        self.connected = False
        self._up.clear()
        if self._manager is not None:
            self._manager.connection_lost = lambda _exc: None
            self._manager.close()
            self._manager = None
