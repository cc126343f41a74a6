"""The server's current config, swapped whole on a successful reload."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from config.loader import LoadedConfig, load_config
from config.problems import ConfigInvalid, Problem
from config.settings import Settings

log = structlog.get_logger(__name__)


class ConfigHolder:
    """Owned by the server (not global). Calls in flight keep the LoadedConfig they read."""

    def __init__(
        self, settings: Settings, loader: Callable[[Settings], LoadedConfig] = load_config
    ) -> None:
        self._settings = settings
        self._loader = loader
        self._current = loader(settings)  # raises ConfigInvalid: no server without a config

    @property
    def current(self) -> LoadedConfig:
        return self._current

    def reload(self) -> list[Problem]:
        """Load the files again; on failure keep the last good config and return the problems.

        Reads files synchronously: from the event loop, call it via asyncio.to_thread.
        """
        try:
            fresh = self._loader(self._settings)
        except ConfigInvalid as exc:
            log.warning(
                "config_reload_rejected",
                problems=[str(p) for p in exc.problems],
                kept="last good config",
            )
            return list(exc.problems) or [Problem("", "", "配置被拒绝（无详情）")]
        except Exception as exc:  # a reload must never take the server down
            # A loader bug or a file that defeats a parser is still a config problem: the
            # caller (the SIGHUP task) gets it reported, and the last good config stays.
            log.error("config_reload_failed", error=repr(exc)[:300], kept="last good config")
            return [Problem("", "(reload)", f"配置无法加载：{type(exc).__name__}: {exc}"[:300])]
        self._current = fresh  # one reference swap: readers see the old or the new set whole
        log.info("config_reloaded", centres=len(fresh.directory.centres))
        return []
