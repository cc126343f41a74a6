"""Keep the dialplan's fallback data current: rewrite hotline12330-fallback.conf, reload.

The file holds opening hours date by date for a window starting today (see
config/asterisk_fallback.py), so the service must rewrite it every day and whenever
the centres or calendar change. The write is atomic (a reload never reads half a file)
and Asterisk is asked to reload its dialplan over AMI (Reload of pbx_config) only when
the text changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog
from panoramisk import Manager

from config.asterisk_fallback import FALLBACK_FILE, fallback_conf
from config.model import CalendarOverrides, Directory
from config.settings import Settings

log = structlog.get_logger("fallback")

Reload = Callable[[Settings], Awaitable[None]]


class FallbackRefreshError(RuntimeError):
    """The file could not be written or Asterisk did not reload it; the message says which."""


def fallback_path(settings: Settings) -> Path:
    return settings.asterisk_conf_dir / FALLBACK_FILE


def write_atomically(target: Path, text: str) -> bool:
    """Write `text` to `target` through a temporary file and rename; False if unchanged."""
    try:
        if target.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with partial.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        partial.chmod(0o644)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return True


async def ami_dialplan_reload(settings: Settings) -> None:
    """Reload of pbx_config through the service's AMI user (its `config` class: it has
    no `command`); every step has a timeout."""
    manager = Manager(
        host=settings.ami_host,
        port=settings.ami_port,
        username=settings.ami_user,
        secret=settings.ami_secret,
        ping_delay=3600,
        loop=asyncio.get_running_loop(),
        forgetable_actions=("ping", "login", "reload"),
    )
    try:
        await asyncio.wait_for(manager.connect(), settings.ami_timeout)
        if manager.authenticated_future is not None:
            await asyncio.wait_for(manager.authenticated_future, settings.ami_timeout)
        if not manager.authenticated:
            raise FallbackRefreshError(f"AMI login as {settings.ami_user!r} failed")
        reply = await asyncio.wait_for(
            manager.send_action({"Action": "Reload", "Module": "pbx_config"}),
            settings.ami_timeout,
        )
        if reply.get("Response") != "Success":
            raise FallbackRefreshError(f"dialplan reload refused: {reply.get('Message')}")
    except (OSError, TimeoutError) as exc:
        raise FallbackRefreshError(f"AMI {settings.ami_host}:{settings.ami_port}: {exc!r}") from exc
    finally:
        # panoramisk reconnects whenever the connection drops; we are done with it.
        manager.connection_lost = lambda exc: None  # type: ignore[method-assign]
        manager.close()


async def refresh_fallback(
    settings: Settings,
    directory: Directory,
    calendar: CalendarOverrides,
    today: dt.date,
    *,
    reload: Reload = ami_dialplan_reload,
) -> bool:
    """Rewrite settings.asterisk_conf_dir/hotline12330-fallback.conf for the window from
    `today` (a China date) and have Asterisk reload its dialplan when it changed.
    True when the file changed. Raises FallbackRefreshError (the old file stays)."""
    text = fallback_conf(directory, calendar, today, source="the service's loaded config")
    target = fallback_path(settings)
    try:
        changed = await asyncio.to_thread(write_atomically, target, text)
    except OSError as exc:
        raise FallbackRefreshError(f"cannot write {target}: {exc}") from exc
    if changed:
        await reload(settings)
    log.info("fallback.refreshed", path=str(target), changed=changed, first_day=str(today))
    return changed
