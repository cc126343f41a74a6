"""Voicemail claim: one archived file and one spool message belong to one call only.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spool_msg_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_voicemails_file"), ["file"])
        batch_op.create_unique_constraint(
            batch_op.f("uq_voicemails_mailbox_spool_msg_id"), ["mailbox", "spool_msg_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_voicemails_mailbox_spool_msg_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_voicemails_file"), type_="unique")
        batch_op.drop_column("spool_msg_id")
