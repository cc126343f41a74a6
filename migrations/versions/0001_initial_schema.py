"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 11:41:29.850772

Written by autogenerate, then edited: frozen plain types (no models import), boolean
defaults that work on both backends, and triggers that keep call_events and
call_log_history append-only (UPDATE and DELETE refused, on SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
APPEND_ONLY_TABLES = ("call_events", "call_log_history")


def create_append_only_triggers() -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the append-only tables.

    SQLite batch migrations recreate a table and lose its triggers: a later migration
    that batch-alters one of these tables must call this again.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION hotline12330_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'restrict_violation';
            END
            $$
            """
        )
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION hotline12330_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION hotline12330_refuse_change()"
            )
        return
    for table in APPEND_ONLY_TABLES:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
            )


def drop_append_only_triggers() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY_TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS hotline12330_refuse_change()")


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("caller_number", sa.String(length=128), nullable=True),
        sa.Column("dialled_number", sa.String(length=64), nullable=False),
        sa.Column("trunk_area_code", sa.String(length=8), nullable=True),
        sa.Column("area_code", sa.String(length=8), nullable=True),
        sa.Column("centre_id", sa.String(length=48), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=True),
        sa.Column("open_reason", sa.String(length=255), nullable=True),
        sa.Column("menu_digits", sa.String(length=32), server_default="", nullable=False),
        sa.Column("menu_invalid_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("menu_timeout_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "in_progress",
                "answered",
                "voicemail",
                "abandoned_greeting",
                "abandoned_menu",
                "abandoned_ringing",
                "failed",
                name="call_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="in_progress",
            nullable=False,
        ),
        sa.Column("answered_line", sa.String(length=128), nullable=True),
        sa.Column("wait_seconds", sa.Float(), nullable=True),
        sa.Column("talk_seconds", sa.Float(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("is_test", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_undercover", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "agi",
                "reconciled",
                name="call_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "wait_seconds IS NULL OR wait_seconds >= 0", name=op.f("ck_calls_wait_seconds")
        ),
        sa.CheckConstraint(
            "talk_seconds IS NULL OR talk_seconds >= 0", name=op.f("ck_calls_talk_seconds")
        ),
        sa.CheckConstraint(
            "menu_invalid_count >= 0 AND menu_timeout_count >= 0", name=op.f("ck_calls_menu_counts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("uniqueid", name=op.f("uq_calls_uniqueid")),
    )
    op.create_index(op.f("ix_calls_centre_id"), "calls", ["centre_id"], unique=False)
    op.create_index(op.f("ix_calls_linkedid"), "calls", ["linkedid"], unique=False)
    op.create_index(op.f("ix_calls_outcome"), "calls", ["outcome"], unique=False)
    op.create_index(op.f("ix_calls_started_at"), "calls", ["started_at"], unique=False)

    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("label_zh", sa.String(length=200), nullable=False),
        sa.Column("gloss_en", sa.String(length=200), nullable=False),
        sa.Column("parent_code", sa.String(length=48), nullable=True),
        sa.Column("flags", JSON_DOCUMENT, nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("list_name", "code", name=op.f("uq_categories_list_name_code")),
    )
    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("detail", JSON_DOCUMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_events_call_id_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_events")),
    )
    op.create_index(
        op.f("ix_call_events_call_id_id"), "call_events", ["call_id", "id"], unique=False
    )

    op.create_table(
        "call_log_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("caller_role_code", sa.String(length=48), nullable=True),
        sa.Column("caller_entity_code", sa.String(length=48), nullable=True),
        sa.Column("is_sme", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("service_type_code", sa.String(length=48), nullable=True),
        sa.Column("operator_name", sa.String(length=64), nullable=False),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_log_entries_call_id_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_log_entries")),
        sa.UniqueConstraint("call_id", name=op.f("uq_call_log_entries_call_id")),
    )
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ok",
                "missing",
                "failed",
                name="recording_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("path NOT LIKE '/%'", name=op.f("ck_recordings_relative_path")),
        sa.CheckConstraint("bytes IS NULL OR bytes >= 0", name=op.f("ck_recordings_bytes")),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds >= 0", name=op.f("ck_recordings_duration")
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_recordings_call_id_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        sa.UniqueConstraint("path", name=op.f("uq_recordings_path")),
        sa.UniqueConstraint("uuid", name=op.f("uq_recordings_uuid")),
    )
    op.create_index(op.f("ix_recordings_call_id"), "recordings", ["call_id"], unique=False)

    op.create_table(
        "voicemails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=64), nullable=False),
        sa.Column("file", sa.String(length=512), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "handled",
                name="voicemail_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("handled_by", sa.String(length=64), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("called_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("file NOT LIKE '/%'", name=op.f("ck_voicemails_relative_file")),
        sa.CheckConstraint(
            "status = 'new' OR (handled_by IS NOT NULL AND handled_at IS NOT NULL)",
            name=op.f("ck_voicemails_handled_has_who_and_when"),
        ),
        sa.CheckConstraint(
            "duration_seconds IS NULL OR duration_seconds >= 0", name=op.f("ck_voicemails_duration")
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_voicemails_call_id_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voicemails")),
        sa.UniqueConstraint("call_id", name=op.f("uq_voicemails_call_id")),
    )
    op.create_index(op.f("ix_voicemails_mailbox"), "voicemails", ["mailbox"], unique=False)
    op.create_index(op.f("ix_voicemails_status"), "voicemails", ["status"], unique=False)

    op.create_table(
        "call_log_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_values", JSON_DOCUMENT, nullable=True),
        sa.Column("new_values", JSON_DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["call_log_entries.id"],
            name=op.f("fk_call_log_history_entry_id_call_log_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_log_history")),
    )
    op.create_index(
        op.f("ix_call_log_history_entry_id"), "call_log_history", ["entry_id"], unique=False
    )

    op.create_table(
        "call_log_ip_types",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("ip_type_code", sa.String(length=48), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["call_log_entries.id"],
            name=op.f("fk_call_log_ip_types_entry_id_call_log_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "ip_type_code", name=op.f("pk_call_log_ip_types")),
    )
    create_append_only_triggers()


def downgrade() -> None:
    drop_append_only_triggers()
    op.drop_table("call_log_ip_types")
    op.drop_index(op.f("ix_call_log_history_entry_id"), table_name="call_log_history")

    op.drop_table("call_log_history")
    op.drop_index(op.f("ix_voicemails_status"), table_name="voicemails")
    op.drop_index(op.f("ix_voicemails_mailbox"), table_name="voicemails")

    op.drop_table("voicemails")
    op.drop_index(op.f("ix_recordings_call_id"), table_name="recordings")

    op.drop_table("recordings")
    op.drop_table("call_log_entries")
    op.drop_index(op.f("ix_call_events_call_id_id"), table_name="call_events")

    op.drop_table("call_events")
    op.drop_table("categories")
    op.drop_index(op.f("ix_calls_started_at"), table_name="calls")
    op.drop_index(op.f("ix_calls_outcome"), table_name="calls")
    op.drop_index(op.f("ix_calls_linkedid"), table_name="calls")
    op.drop_index(op.f("ix_calls_centre_id"), table_name="calls")

    op.drop_table("calls")
