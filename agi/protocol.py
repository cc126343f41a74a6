"""Pure AGI wire format: header blocks, reply lines, argument quoting. No I/O here."""

from __future__ import annotations

import re

from agi.errors import AgiProtocolError
from agi.results import AgiReply

ENCODING = "utf-8"
MAX_LINE_BYTES = 8 * 1024  # a header or reply line; longer means the peer is not Asterisk
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADER_LINES = 200
HANGUP_NOTICE = "HANGUP"
# Commands Asterisk still runs once the channel is gone ("dead AGI").
DEAD_MODE_VERBS = frozenset(
    {"GET VARIABLE", "GET FULL VARIABLE", "SET VARIABLE", "EXEC", "VERBOSE", "NOOP"}
)

_HEADER = re.compile(r"^(agi_[A-Za-z0-9_]+):\s?(.*)$")
_REPLY = re.compile(r"^(\d{3})(?: result=(\S*))?(.*)$")
_ENDPOS = re.compile(r"\s*endpos=(-?\d+)\s*$")
_UNSAFE = str.maketrans("", "", "\r\n\x00")


def decode(raw: bytes) -> str:
    """Bytes from Asterisk may carry anything a caller influenced: never fail on them."""
    return raw.decode(ENCODING, errors="replace").rstrip("\r\n")


def parse_header_line(line: str) -> tuple[str, str]:
    match = _HEADER.match(line)
    if not match:
        raise AgiProtocolError(f"not an AGI header line: {line[:80]!r}")
    return match.group(1), match.group(2)


def quote(value: object) -> str:
    """One AGI argument: double-quoted, backslash and quote escaped, CR/LF/NUL removed."""
    text = str(value).translate(_UNSAFE)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_command(verb: str, *args: object) -> bytes:
    if not re.fullmatch(r"[A-Z][A-Z ]*[A-Z]", verb):
        raise ValueError(f"not an AGI verb: {verb!r}")
    parts = [verb, *(quote(a) for a in args)]
    return (" ".join(parts) + "\n").encode(ENCODING)


def parse_reply(line: str) -> AgiReply:
    """A single-line reply; 520 multi-line replies are assembled by the session."""
    match = _REPLY.match(line)
    if not match:
        raise AgiProtocolError(f"not an AGI reply: {line[:80]!r}")
    code = int(match.group(1))
    result = match.group(2) or ""
    rest = match.group(3) or ""
    endpos = None
    end = _ENDPOS.search(rest)
    if end:
        endpos = int(end.group(1))
        rest = rest[: end.start()]
    rest = rest.strip()
    data = None
    if rest.startswith("(") and rest.endswith(")"):
        data = rest[1:-1]
    elif rest and code != 200:
        data = rest
    return AgiReply(code=code, result=result, data=data, endpos=endpos, raw=line)
