"""The PostgreSQL role the web console should connect as: it may read and write what the
console edits, but only INSERT and SELECT the audit log and only read the call events.

It owns nothing, so it can neither drop nor disable the append-only triggers, nor ALTER
or TRUNCATE a table. Re-run the grants after every `hotline12330 db upgrade` (a new
table is granted nothing until then).
"""

from __future__ import annotations

import re

import models  # noqa: F401 - registers every table on Base.metadata
from models.base import Base

DEFAULT_ROLE = "hotline12330_console"
# Tables whose rows the console must never change: (privileges).
APPEND_ONLY = {"audit_log": "SELECT, INSERT", "call_events": "SELECT"}
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleNameError(ValueError):
    """A role name that cannot be written into SQL unquoted."""


def _checked(role: str) -> str:
    if not _ROLE_NAME.match(role):
        raise RoleNameError(f"role {role!r}: lowercase letters, digits and _ (at most 63)")
    return role


def create_role_sql(role: str = DEFAULT_ROLE) -> str:
    """Run once by a superuser (or a CREATEROLE role); the password is set apart
    (\\password in psql), never on a command line."""
    return f"CREATE ROLE {_checked(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"


def console_role_sql(role: str = DEFAULT_ROLE, *, version_table: str) -> list[str]:
    """The grants, run by the tables' owner (the role `db upgrade` ran as)."""
    role = _checked(role)
    statements = [
        # Start from nothing, so a re-run also takes back what an older version granted.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
    ]
    for table in sorted(Base.metadata.tables):
        statements.append(f"GRANT {APPEND_ONLY.get(table, READ_WRITE)} ON {table} TO {role}")
    statements.append(f"GRANT SELECT ON {version_table} TO {role}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    return statements
