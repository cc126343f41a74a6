"""`hotline12330 db upgrade|current|seed-categories`: the service's database.

    hotline12330 db upgrade [--url URL] [--revision REV]   create or migrate (alembic)
    hotline12330 db current [--url URL] [--check]          the revision; --check: exit 1 if behind
    hotline12330 db seed-categories [--url URL]            copy the category lists in

The database is settings.database_url (HOTLINE12330_DATABASE_URL) unless --url names one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from config.categories_file import load_categories
from config.problems import Report
from config.settings import Settings, SettingsError, load_settings
from migrations import current_revision, head_revision, upgrade
from models.db import make_engine, session_factory
from models.seed import seed_categories

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    common.add_argument("--url", metavar="URL", help="SQLAlchemy database URL (default: settings)")
    parser = subparsers.add_parser(
        "db", help="create, migrate and seed the database", description=__doc__.split("\n")[0]
    )
    actions = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = actions.add_parser(
        "upgrade", parents=[common], help="migrate to the newest schema (creates a new database)"
    )
    up.add_argument("--revision", default="head", help="target revision (default: head)")
    current = actions.add_parser("current", parents=[common], help="show the schema revision")
    current.add_argument(
        "--check", action="store_true", help="exit 1 unless the database is at the newest revision"
    )
    actions.add_parser(
        "seed-categories",
        parents=[common],
        help="upsert the call-log category lists from the categories file",
    )
    for sub in actions.choices.values():
        sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(f"hotline12330 db: settings: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    url = args.url or settings.database_url
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        print(f"hotline12330 db: {url!r} is not a database URL", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if args.db_command == "upgrade":
            return _upgrade(url, shown, args.revision)
        if args.db_command == "current":
            return _current(url, shown, check=args.check)
        return _seed(url, shown, settings)
    except SQLAlchemyError as exc:
        print(f"hotline12330 db: {shown}: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _upgrade(url: str, shown: str, revision: str) -> int:
    before = current_revision(url)
    upgrade(url, revision)
    after = current_revision(url)
    if before == after:
        print(f"{shown}: already at {after}")
    else:
        print(f"{shown}: {before or 'empty'} -> {after}")
    return EXIT_OK


def _current(url: str, shown: str, *, check: bool) -> int:
    current, head = current_revision(url), head_revision()
    state = "newest" if current == head else f"newest is {head}"
    print(f"{shown}: {current or 'not migrated'} ({state})")
    return EXIT_FAILED if check and current != head else EXIT_OK


def _seed(url: str, shown: str, settings: Settings) -> int:
    if current_revision(url) != head_revision():
        print(
            f"hotline12330 db: {shown} is not at the newest schema; run `hotline12330 db upgrade`",
            file=sys.stderr,
        )
        return EXIT_FAILED
    report = Report(settings.categories_file)
    categories = load_categories(settings.categories_file, report)
    if categories is None:
        print("hotline12330 db: the categories file is invalid:", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            result = seed_categories(session, categories)
    finally:
        engine.dispose()
    print(f"{shown}: categories {result.summary()}")
    return EXIT_OK
