"""`hotline12330 serve`: the FastAGI server, health route and AMI watch, until SIGTERM;
with --console, the web console beside them in the same event loop.

SIGHUP reloads the config (a bad file keeps the last good one). SIGTERM/SIGINT stop
accepting and let in-flight calls finish up to --drain seconds.
`serve --wait-healthy N` only waits for a running server's health route.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import signal
import sys
import time
import urllib.request
from pathlib import Path

from config.logging import configure_logging
from config.problems import ConfigInvalid
from config.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the FastAGI server")
    parser.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    parser.add_argument("--drain", type=float, default=10.0, help="shutdown deadline, seconds")
    parser.add_argument(
        "--allow-test-clock",
        action="store_true",
        help="honour HOTLINE_TEST_AT on test calls (test and demo stacks only)",
    )
    parser.add_argument(
        "--console",
        action="store_true",
        help="also serve the web console (console_host:console_port)",
    )
    parser.add_argument(
        "--instance",
        metavar="NAME",
        help="this server's name: its own journal, for two servers on one machine",
    )
    parser.add_argument(
        "--wait-healthy", type=float, metavar="SECONDS", help="wait for a running server"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    if args.instance is not None:
        settings = with_instance(settings, args.instance)
        if settings is None:
            return 2
    if args.wait_healthy is not None:
        return wait_healthy(settings.health_host, settings.health_port, args.wait_healthy)
    configure_logging(settings.log_level)
    try:
        return asyncio.run(_serve(settings, args.drain, args.allow_test_clock, args.console))
    except ConfigInvalid as exc:
        print(f"configuration invalid:\n{exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot listen: {exc}", file=sys.stderr)
        return 1


async def _serve(settings, drain: float, allow_test_clock: bool, with_console: bool) -> int:
    from agi.app import Service
    from console.app import create_app
    from console.server import ConsoleServer, console_engine
    from models.db import session_factory

    # The console's own engine and pool: operators can never starve the call path's.
    engine = console_engine(settings) if with_console else None
    service = Service(settings, allow_test_clock=allow_test_clock)
    await service.start()
    console = None
    if engine is not None:
        # The same config holder: a SIGHUP reload reaches both.
        app = create_app(settings, config=service.services.config, sessions=session_factory(engine))
        console = ConsoleServer(app, settings.console_host, settings.console_port)
        try:
            await console.start()
        except OSError:
            await service.stop(drain)
            engine.dispose()
            raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    reloads: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    def reload() -> None:
        task = asyncio.create_task(service.reload())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, reload)
    await stop.wait()
    if console is not None:
        await console.stop()
    await service.stop(drain)
    if engine is not None:
        engine.dispose()
    return 0


def with_instance(settings, name: str):
    """Settings for `--instance NAME`, checked like the setting; None (and a message) if bad."""
    from config.settings import ENV_PREFIX, SettingsError

    try:
        checked = load_settings(path=None, environ={ENV_PREFIX + "INSTANCE": name}).instance
    except SettingsError as exc:
        print(f"error: --instance: {exc}", file=sys.stderr)
        return None
    return dataclasses.replace(settings, instance=checked)


def wait_healthy(host: str, port: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    url = f"http://{host}:{port}/health"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                print(json.dumps(json.loads(response.read()), ensure_ascii=False))
                return 0
        except OSError:
            time.sleep(0.3)
    print(f"error: no healthy server at {url} after {seconds:g}s", file=sys.stderr)
    return 1
