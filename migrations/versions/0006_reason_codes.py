"""Reasons as codes: calls.open_reason and calls.failure_reason become routing.reasons JSON.

Rows written before hold English prose. Each known pattern (frozen here as the code
wrote it up to 0005) becomes `{"code": ..., **params}`; anything else becomes
`{"code": "legacy", "text": <the old text>}`. call_events stay as written: they are
append-only history, and the renderer reads their prose as legacy text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_REASON_LENGTH = 255

CALLS = sa.table(
    "calls",
    sa.column("id", sa.Integer()),
    sa.column("open_reason", sa.String()),
    sa.column("failure_reason", sa.Text()),
)

_SPECIAL = r"(?: \(special hours: (?P<special>.*)\))?"
_HM = r"\d\d:\d\d"

# (code, pattern); named groups are the parameters, empty optional ones left out.
OPEN_PATTERNS: tuple[tuple[str, str], ...] = (
    ("open_hours", r"open: working hours (?P<range>\S+)"),
    ("open_makeup_day", r"open: make-up working day (?P<date>\d{4}-\d\d-\d\d)"),
    ("open_special_hours", r"open: special hours (?P<range>\S+) \((?P<note>.*)\)"),
    ("closed_makeup_no_hours", r"closed: make-up working day but no weekday opening hours"),
    ("closed_local", r"closed: local closure ?(?P<note>.*)"),
    ("closed_holiday", r"closed: statutory holiday ?(?P<name>.*)"),
    ("closed_weekend", r"closed: weekend"),
    ("closed_no_hours", r"closed: no opening hours on (?P<weekday>\w+)"),
    ("closed_before_opening", rf"closed: before opening (?P<opens>{_HM}){_SPECIAL}"),
    ("closed_after_closing", rf"closed: after closing (?P<closes>{_HM}){_SPECIAL}"),
    ("closed_break", rf"closed: lunch break (?P<start>{_HM})–(?P<end>{_HM}){_SPECIAL}"),
    ("closed_outside_hours", rf"closed: outside opening hours{_SPECIAL}"),
)
FAILURE_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "fallback_national",
        r"FastAGI unavailable or failed: fallback greeting and national voicemail",
    ),
    (
        "fallback_national",
        r"FastAGI unavailable: fallback greeting and national voicemail "
        r"(?P<reconciled>\(reconciled\))",
    ),
    (
        "fallback_dialplan",
        r"FastAGI unavailable or failed: the dialplan's fallback routed the call to "
        r"(?P<centre>\S*)",
    ),
    (
        "fallback_dialplan",
        r"FastAGI unavailable: the dialplan's fallback routed the call to (?P<centre>\S+) "
        r"(?P<reconciled>\(reconciled\))",
    ),
    ("unknown_step", r"call ended in unknown step (?P<step>'.*'|\".*\")"),
    (
        "unknown_step",
        r"(?P<reconciled>reconciled): call ended in unknown step (?P<step>'.*'|\".*\")",
    ),
    ("cut_off", r"reconciled: the call's end was never recorded \(Asterisk stopped with it up\)"),
)


def code_of(text: str, patterns: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The code and parameters of one stored prose reason."""
    for code, pattern in patterns:
        match = re.fullmatch(pattern, text, re.DOTALL)
        if match is None:
            continue
        params: dict[str, Any] = {k: v for k, v in match.groupdict().items() if v is not None}
        if "reconciled" in params:
            params["reconciled"] = True
        if "step" in params:
            params["step"] = params["step"][1:-1]  # the repr's quotes
        if code in ("closed_local", "closed_holiday"):
            params.setdefault("note" if code == "closed_local" else "name", "")
        return {"code": code, **params}
    return {"code": "legacy", "text": text}


def _json(data: dict[str, Any], limit: int | None) -> str:
    """Compact JSON, the longest text shortened with "…" until it fits `limit`."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    while limit is not None and len(text) > limit:
        key = max(
            (k for k in data if k != "code" and isinstance(data[k], str)),
            key=lambda k: len(data[k]),
        )
        value = data[key].removesuffix("…")
        data[key] = value[: max(0, len(value) - (len(text) - limit) - 1)] + "…"
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text


def converted(
    text: str | None, patterns: Sequence[tuple[str, str]], limit: int | None
) -> str | None:
    """None for NULL and for a row that already holds a code."""
    if not text or text.startswith('{"code":'):
        return None
    return _json(code_of(text, patterns), limit)


def _convert(column: str, convert: Callable[[str | None], str | None]) -> None:
    bind = op.get_bind()
    target = CALLS.c[column]
    rows = bind.execute(sa.select(CALLS.c.id, target).where(target.is_not(None))).all()
    for call_id, text in rows:
        new = convert(text)
        if new is not None:
            bind.execute(CALLS.update().where(CALLS.c.id == call_id).values({column: new}))


def upgrade() -> None:
    _convert("open_reason", lambda t: converted(t, OPEN_PATTERNS, OPEN_REASON_LENGTH))
    _convert("failure_reason", lambda t: converted(t, FAILURE_PATTERNS, None))


def downgrade() -> None:
    """Back to English prose, as the code before 0006 reads it (the CLI's rendering)."""
    from routing.reasons import render_stored

    def prose(limit: int | None) -> Callable[[str | None], str | None]:
        def back(text: str | None) -> str | None:
            if not text or not text.startswith('{"code":'):
                return None
            return render_stored(text, "en")[:limit]

        return back

    _convert("open_reason", prose(OPEN_REASON_LENGTH))
    _convert("failure_reason", prose(None))
