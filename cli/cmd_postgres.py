"""`hotline12330 postgres up|down|status|url`: the PostgreSQL dev server.

    hotline12330 postgres up [--print-url]   initdb if needed, start, create role + database
    hotline12330 postgres down
    hotline12330 postgres status             exit 0 running, 3 not running
    hotline12330 postgres url                the SQLAlchemy URL (HOTLINE12330_DATABASE_URL)
    hotline12330 postgres console-role [--role NAME] [--apply [--url URL]]
                                             the SQL giving the web console its own role
                                             (only INSERT and SELECT on audit_log); --apply
                                             runs it on database_url as the owner

The cluster lives in $XDG_CACHE_HOME/hotline12330/postgres (default ~/.cache/...),
listens on 127.0.0.1, port 55432 or HOTLINE12330_POSTGRES_PORT.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from cli import devstack_postgres as pg
from config.settings import SettingsError, load_settings
from migrations import VERSION_TABLE
from models.console_role import (
    DEFAULT_ROLE,
    RoleNameError,
    console_role_sql,
    create_role_sql,
)
from models.db import make_engine

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
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
    role = actions.add_parser(
        "console-role",
        help="print (or --apply) the SQL granting the console's restricted role",
        description="The web console's own PostgreSQL role: SELECT/INSERT/UPDATE/DELETE on "
        "what it edits, only INSERT and SELECT on audit_log, only SELECT on call_events, "
        "owner of nothing (so it cannot drop the append-only triggers). A superuser creates "
        "the role and sets its password; --apply grants as the tables' owner. Point "
        "console_database_url at it. Re-run after every `db upgrade`.",
    )
    role.add_argument("--role", default=DEFAULT_ROLE, help=f"role name (default {DEFAULT_ROLE})")
    role.add_argument("--apply", action="store_true", help="run the SQL (as the database owner)")
    role.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    role.add_argument("--url", metavar="URL", help="database URL of the owner (default: settings)")
    role.set_defaults(func=run_console_role)


def run_console_role(args: argparse.Namespace) -> int:
    try:
        statements = console_role_sql(args.role, version_table=VERSION_TABLE)
    except RoleNameError as exc:
        print(f"hotline12330 postgres: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.apply:
        print("-- Once, as a superuser (or a CREATEROLE role), then set its password with")
        print(f"-- \\password {args.role} in psql:")
        print(f"-- {create_role_sql(args.role)};")
        print("-- As the owner of the tables (the role `hotline12330 db upgrade` runs as):")
        for statement in statements:
            print(f"{statement};")
        return EXIT_OK
    try:
        url = make_url(args.url or load_settings(args.config).database_url)
    except (SettingsError, ArgumentError) as exc:
        print(f"hotline12330 postgres: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if url.get_backend_name() != "postgresql":
        print("hotline12330 postgres: console-role needs a PostgreSQL database", file=sys.stderr)
        return EXIT_BAD_INPUT
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": args.role}
            )
            if not exists:
                print(
                    f"hotline12330 postgres: role {args.role} does not exist; a superuser "
                    f"creates it first: {create_role_sql(args.role)}",
                    file=sys.stderr,
                )
                return EXIT_FAILED
            for statement in statements:
                connection.execute(text(statement))
    except SQLAlchemyError as exc:
        print(f"hotline12330 postgres: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.dispose()
    print(f"granted: role {args.role} on {url.render_as_string(hide_password=True)}")
    return EXIT_OK


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
        print(f"hotline12330 postgres: {exc}", file=sys.stderr)
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
