"""Who is calling and what they dialled, read from the AGI environment and arguments.

The dialplan passes the dialled number, its area, the trunk area and the recording
path as AGI arguments. Caller ID is untrusted input: it is filtered to dialable
characters and capped here before it reaches the log or any command.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

CALLER_MAX_LEN = 32
_NOT_DIALABLE = re.compile(r"[^0-9+*#]")
_DIGITS = re.compile(r"^[0-9+]{0,24}$")


def sanitize_caller(raw: str | None) -> str:
    """Keep only dialable characters; 'unknown', empty and junk become ''."""
    if not raw:
        return ""
    return _NOT_DIALABLE.sub("", raw)[:CALLER_MAX_LEN]


def safe_digits(raw: str | None) -> str:
    """An argument that must be digits (dialled number, area codes); junk becomes ''."""
    value = (raw or "").strip()
    return value if _DIGITS.match(value) else ""


@dataclass(frozen=True)
class CallIdentity:
    uniqueid: str
    linkedid: str
    channel: str
    caller: str
    dialled: str
    dialled_area: str
    trunk_area: str
    recording_relpath: str
    test_at: dt.datetime | None  # an instant forced by a test call, if the server allows it
    is_test: bool


def parse_test_instant(raw: str | None) -> dt.datetime | None:
    """HOTLINE_TEST_AT is ISO 8601; a naive value means Asia/Shanghai time."""
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        from routing import CHINA_TZ

        value = value.replace(tzinfo=CHINA_TZ)
    return value
