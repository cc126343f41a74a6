"""`hotline12330 user add|list`: console users.

The password comes from --password-stdin (one line), or an interactive prompt; with
neither, a random one is generated and printed once.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from pathlib import Path

from sqlalchemy import select

from backoffice.passwords import WeakPassword
from backoffice.users import InvalidUser, save_user
from config.loader import ConfigInvalid, load_config
from config.settings import SettingsError, load_settings
from models.db import make_engine, session_factory
from models.users import Role, User


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("user", help="manage console users")
    actions = parser.add_subparsers(dest="user_action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create a user (or change one with --update)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--centre", action="append", default=[], metavar="ID", help="repeatable")
    add.add_argument("--all-centres", action="store_true", help="supervisor: every centre")
    add.add_argument("--display-name", default="", help="name shown in the console")
    add.add_argument("--password-stdin", action="store_true", help="read the password")
    add.add_argument("--update", action="store_true", help="change an existing user")
    add.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    add.set_defaults(func=run_add)
    listing = actions.add_parser("list", help="list users")
    listing.add_argument("--config", type=Path, metavar="PATH", help="settings file")
    listing.set_defaults(func=run_list)


def _password(args: argparse.Namespace) -> tuple[str | None, bool]:
    """The password and whether we generated it."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("密码: ")
        if first != getpass.getpass("再次输入: "):
            raise InvalidUser("两次输入的密码不一致")
        return first, False
    if args.update:
        return None, False  # keep the current password
    return secrets.token_urlsafe(12), True


def run_add(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
        known = [c.id for c in load_config(settings, check_prompts=False).directory.centres]
        password, generated = _password(args)
        engine = make_engine(settings.database_url)
        try:
            with session_factory(engine).begin() as session:
                user, created = save_user(
                    session,
                    args.name,
                    role=Role(args.role),
                    password=password,
                    centres=args.centre,
                    known_centres=known,
                    all_centres=args.all_centres,
                    display_name=args.display_name,
                    update=args.update,
                )
                summary = f"{'created' if created else 'updated'} {user.username} ({user.role})"
        finally:
            engine.dispose()
    except (SettingsError, InvalidUser, WeakPassword) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigInvalid as exc:
        print(f"configuration invalid:\n{exc}", file=sys.stderr)
        return 1
    print(summary)
    if generated:
        print(f"password: {password}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            for user in session.scalars(select(User).order_by(User.username)):
                centres = "all" if user.sees_all_centres else ",".join(user.centre_ids)
                state = "" if user.is_active else " (disabled)"
                print(f"{user.username}\t{user.role.value}\t{centres}{state}")
    finally:
        engine.dispose()
    return 0
