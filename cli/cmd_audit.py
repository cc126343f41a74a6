"""`hotline12330 audit verify`: check the audit log's hash chain.

    hotline12330 audit verify [--url URL]   exit 0: intact; 1: broken (the first broken
                                            row is named); 2: bad input or no database

The database is settings.database_url (HOTLINE12330_DATABASE_URL) unless --url names one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from config.settings import SettingsError, load_settings
from models.audit_chain import verify
from models.db import make_engine, session_factory

EXIT_INTACT = 0
EXIT_BROKEN = 1
EXIT_BAD_INPUT = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "audit", help="check the console's audit log", description=__doc__.split("\n")[0]
    )
    actions = parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    check = actions.add_parser(
        "verify",
        help="check the hash chain of the audit log; exit 1 naming the first broken row",
    )
    check.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    check.add_argument("--url", metavar="URL", help="SQLAlchemy database URL (default: settings)")
    check.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        url = args.url or load_settings(args.config).database_url
        shown = make_url(url).render_as_string(hide_password=True)
    except SettingsError as exc:
        print(f"hotline12330 audit: settings: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ArgumentError:
        print(f"hotline12330 audit: {url!r} is not a database URL", file=sys.stderr)
        return EXIT_BAD_INPUT
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            report = verify(session)
    except SQLAlchemyError as exc:
        print(f"hotline12330 audit: {shown}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        engine.dispose()
    if not report.intact:
        print(
            f"BROKEN: audit_log row {report.broken_id}: {report.reason} "
            f"({report.rows} rows before it verify)"
        )
        return EXIT_BROKEN
    if report.head_id is None:
        print("OK: the audit log is empty")
    else:
        print(
            f"OK: {report.rows} rows, chain intact; head: row {report.head_id} "
            f"sha256 {report.head_hash} (keep it elsewhere to detect a rewrite or a cut tail)"
        )
    return EXIT_INTACT
