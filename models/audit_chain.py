"""The audit log's hash chain: each row stores the previous row's hash and its own,
sha256 over its canonical content, so a deleted or edited row breaks the chain.

Rows are chained in id order. Inserts are serialized (a PostgreSQL advisory lock held to
the end of the transaction; SQLite's single writer lock taken before the last row is
read), so two concurrent inserts can never both chain onto the same row.

The hash has no key: whoever can rewrite the table can also recompute every later hash.
The chain makes tampering by the console's own credentials (which cannot UPDATE or
DELETE, see cli/cmd_postgres.py) or by hand detectable; keep the head that
`hotline12330 audit verify` prints somewhere else to detect a rewrite or a cut tail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models.audit import AuditEntry
from models.base import utc_now

GENESIS = "0" * 64  # the prev_hash of the first row
# pg_advisory_xact_lock key of the audit chain ("12330audit" folded into a bigint).
PG_LOCK_KEY = 0x12330A0D17
CHAINED_FIELDS = (
    "at",
    "user_id",
    "username",
    "action",
    "object_type",
    "object_id",
    "call_id",
    "centre_id",
    "ip",
    "user_agent",
    "detail",
)


def _canonical_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite hands back naive UTC outside the ORM type
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value


def canonical(fields: dict[str, Any], prev_hash: str) -> bytes:
    """The bytes a row's hash covers: its content and the previous row's hash."""
    content = {name: _canonical_value(fields[name]) for name in CHAINED_FIELDS}
    content["prev_hash"] = prev_hash
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def row_hash(fields: dict[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(fields, prev_hash)).hexdigest()


def fields_of(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in CHAINED_FIELDS}


def lock_chain(session: Session) -> None:
    """Serialize chain inserts until this transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
    else:
        # A write statement takes SQLite's writer lock for the rest of the transaction;
        # it deletes nothing (the append-only triggers fire per row, so not at all).
        session.execute(text("DELETE FROM audit_log WHERE 0"))


def append(session: Session, entry: AuditEntry) -> None:
    """Chain `entry` onto the last row and insert it (flushed, so the next append in the
    same transaction chains onto it)."""
    # Column defaults are filled in at flush, after hashing: the hash must see them.
    if entry.at is None:
        entry.at = utc_now()
    if entry.user_agent is None:
        entry.user_agent = ""
    lock_chain(session)
    session.flush()  # earlier appends of this transaction come first
    last = session.scalar(select(AuditEntry.row_hash).order_by(AuditEntry.id.desc()).limit(1))
    entry.prev_hash = last or GENESIS
    entry.row_hash = row_hash(fields_of(entry), entry.prev_hash)
    session.add(entry)
    session.flush()


@dataclass(frozen=True)
class ChainReport:
    rows: int
    head_id: int | None  # the last row checked
    head_hash: str | None
    broken_id: int | None = None  # the first row that does not verify
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def check(rows: Iterable[tuple[int, dict[str, Any], str | None, str | None]]) -> ChainReport:
    """Walk (id, fields, prev_hash, row_hash) in id order; stop at the first break."""
    expected_prev, previous_id, count = GENESIS, None, 0
    for row_id, fields, prev, own in rows:
        after = f"row {previous_id}" if previous_id is not None else "the start of the log"
        if own is None or prev is None:
            reason = "has no hash (written around the chain)"
        elif prev != expected_prev:
            reason = (
                f"its prev_hash does not match {after}: a row between them was deleted, "
                "or the row before it was edited"
            )
        elif row_hash(fields, prev) != own:
            reason = "its content does not match its hash: the row was edited"
        else:
            expected_prev, previous_id, count = own, row_id, count + 1
            continue
        return ChainReport(count, previous_id, expected_prev, row_id, reason)
    return ChainReport(count, previous_id, None if previous_id is None else expected_prev)


def verify(session: Session, batch: int = 1000) -> ChainReport:
    """Check the whole chain, reading `batch` rows at a time."""
    columns = [getattr(AuditEntry, name) for name in CHAINED_FIELDS]
    query = select(AuditEntry.id, AuditEntry.prev_hash, AuditEntry.row_hash, *columns).order_by(
        AuditEntry.id
    )
    result = session.execute(query.execution_options(yield_per=batch))
    return check(
        (row[0], dict(zip(CHAINED_FIELDS, row[3:], strict=True)), row[1], row[2]) for row in result
    )
