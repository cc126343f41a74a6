"""Write-behind call log: events keyed by their journal entry (replayed at most once),
and who closed each call (the live hangup step or reconcile).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOSED_BY = ("agi", "reconciled")


def upgrade() -> None:
    # call_events is append-only (triggers refuse UPDATE/DELETE): a plain ADD COLUMN keeps
    # the table and its triggers; SQLite batch mode would recreate it.
    op.add_column("call_events", sa.Column("journal_key", sa.String(64), nullable=True))
    op.create_index(
        op.f("uq_call_events_journal_key"), "call_events", ["journal_key"], unique=True
    )
    with op.batch_alter_table("calls") as batch:
        batch.add_column(
            sa.Column(
                "closed_by",
                sa.Enum(*CLOSED_BY, name="closed_by", native_enum=False, length=32,
                        create_constraint=True),
                nullable=True,
            )
        )
    # Rows written before this revision were closed by one of the two; keep the source.
    op.execute("UPDATE calls SET closed_by = source WHERE outcome <> 'in_progress'")


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_constraint(op.f("ck_calls_closed_by"), type_="check")
        batch.drop_column("closed_by")
    op.drop_index(op.f("uq_call_events_journal_key"), table_name="call_events")
    op.drop_column("call_events", "journal_key")
