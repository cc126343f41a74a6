"""`hotline12330 console`: the web console on its own (`serve --console` runs it beside
the FastAGI server)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from config.logging import configure_logging
from config.problems import ConfigInvalid
from config.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("console", help="run the operators' web console")
    parser.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    parser.add_argument("--host", help="bind address (default: console_host setting)")
    parser.add_argument("--port", type=int, help="port (default: console_port setting)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    configure_logging(settings.log_level)
    try:
        return asyncio.run(_run(settings, args.host, args.port))
    except ConfigInvalid as exc:
        print(f"configuration invalid:\n{exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot listen: {exc}", file=sys.stderr)
        return 1


async def _run(settings, host: str | None, port: int | None) -> int:
    from console.server import ConsoleServer, standalone_app

    server = ConsoleServer(
        standalone_app(settings),
        host or settings.console_host,
        settings.console_port if port is None else port,
    )
    await server.start()
    print(f"console listening on http://{server.host}:{server.port}/", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await server.stop()
    return 0
