"""Audit log hash chain: each row keeps the previous row's hash and its own.

Existing rows are chained in id order. The append-only triggers are dropped for the
backfill and created again in the same transaction.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from models.audit_chain import CHAINED_FIELDS, GENESIS, row_hash
from models.base import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns the hash covers, typed so that values read back as the ORM sees them.
AUDIT = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", UtcDateTime()),
    sa.column("user_id", sa.Integer()),
    sa.column("username", sa.String()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("call_id", sa.Integer()),
    sa.column("centre_id", sa.String()),
    sa.column("ip", sa.String()),
    sa.column("user_agent", sa.String()),
    sa.column("detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)


def _triggers(create: bool) -> None:
    """0002's append-only triggers of audit_log."""
    if op.get_bind().dialect.name == "postgresql":
        if create:
            op.execute(
                "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION hotline12330_refuse_change()"
            )
        else:
            op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        return
    for action in ("UPDATE", "DELETE"):
        name = f"audit_log_no_{action.lower()}"
        if create:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {action} ON audit_log BEGIN SELECT "
                f"RAISE(ABORT, 'audit_log is append-only: {action} refused'); END"
            )
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    # Plain ADD COLUMN keeps the table and its triggers (SQLite batch mode would not).
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(64), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(AUDIT).order_by(AUDIT.c.id)).mappings().all()
    if not rows:
        return
    _triggers(create=False)
    previous = GENESIS
    for row in rows:
        own = row_hash({name: row[name] for name in CHAINED_FIELDS}, previous)
        bind.execute(
            AUDIT.update()
            .where(AUDIT.c.id == row["id"])
            .values(prev_hash=previous, row_hash=own)
        )
        previous = own
    _triggers(create=True)


def downgrade() -> None:
    op.drop_column("audit_log", "row_hash")
    op.drop_column("audit_log", "prev_hash")
