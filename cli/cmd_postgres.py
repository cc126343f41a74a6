"""`hotline12330 postgres console-role`: the web console's own PostgreSQL role.

    hotline12330 postgres console-role [--role NAME] [--apply [--url URL]]
        the SQL giving the web console its own role (only INSERT and SELECT on
        audit_log); --apply runs it on database_url as the owner

The dev cluster (`postgres up|down|status|url`) is the dev stack's: `python -m devstack`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

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


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "postgres",
        help="the web console's own PostgreSQL role",
        description="PostgreSQL administration the service needs (the dev cluster is "
        "`python -m devstack postgres`).",
    )
    actions = parser.add_subparsers(dest="postgres_command", required=True, metavar="ACTION")
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
