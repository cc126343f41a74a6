"""`python -m devstack postgres up|down|status|url`: the PostgreSQL dev server.

    python -m devstack postgres up [--print-url]   initdb if needed, start, create role + db
    python -m devstack postgres down
    python -m devstack postgres status             exit 0 running, 3 not running
    python -m devstack postgres url                the SQLAlchemy URL (HOTLINE12330_DATABASE_URL)

The cluster lives in $XDG_CACHE_HOME/hotline12330/postgres (default ~/.cache/...),
listens on 127.0.0.1, port 55432 or HOTLINE12330_POSTGRES_PORT.
"""

from __future__ import annotations

import argparse
import sys

from devstack import postgres as pg

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_RUNNING = 3  # as pg_ctl status


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "postgres",
        help="run the PostgreSQL dev server (cluster in the cache dir)",
        description="A private PostgreSQL cluster for development and tests, run as the "
        "postgres OS user, listening on 127.0.0.1.",
    )
    actions = parser.add_subparsers(dest="postgres_command", required=True, metavar="ACTION")
    start = actions.add_parser(
        "up", help="initialise if needed, start, create role and database (idempotent)"
    )
    start.add_argument(
        "--print-url",
        action="store_true",
        help="print only the database URL on stdout, no progress (for $(...) in scripts)",
    )
    actions.add_parser("down", help="stop the server")
    actions.add_parser("status", help="running? (exit 0 running, 3 not running)")
    actions.add_parser("url", help="print the SQLAlchemy URL of the dev database")
    for sub in actions.choices.values():
        sub.add_argument("--port", type=_port, help=f"TCP port (default {pg.DEFAULT_PORT})")
        sub.set_defaults(func=run)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1..65535)")
    return int(text)


def run(args: argparse.Namespace) -> int:
    try:
        cluster = pg.default_cluster()
        if args.port is not None:
            cluster = pg.Cluster(root=cluster.root, port=args.port)
        return _ACTIONS[args.postgres_command](cluster, args)
    except pg.PostgresError as exc:
        print(f"devstack postgres: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _up(cluster: pg.Cluster, args: argparse.Namespace) -> int:
    quiet = args.print_url
    url = pg.up(cluster, log=(lambda _m: None) if quiet else _progress)
    print(url)
    return EXIT_OK


def _down(cluster: pg.Cluster, _args: argparse.Namespace) -> int:
    pg.down(cluster, log=_progress)
    return EXIT_OK


def _status(cluster: pg.Cluster, _args: argparse.Namespace) -> int:
    state = pg.status(cluster)
    if not state.initialised:
        print(f"not initialised (no cluster in {cluster.data})")
        return EXIT_NOT_RUNNING
    if not state.running:
        print(f"stopped (cluster in {cluster.data})")
        return EXIT_NOT_RUNNING
    print(f"running: pid {state.pid}, {pg.HOST}:{state.port}, cluster in {cluster.data}")
    print(f"url: {cluster.url()}")
    return EXIT_OK


def _url(cluster: pg.Cluster, _args: argparse.Namespace) -> int:
    print(cluster.url())
    return EXIT_OK


def _progress(message: str) -> None:
    print(message, file=sys.stderr)


_ACTIONS = {"up": _up, "down": _down, "status": _status, "url": _url}
