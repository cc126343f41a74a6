"""What a media request will actually be sent, decided before anything is sent.

The audit needs to know whether a response carries the start of the file (a play) or
only a later part (a seek). So the Range header is parsed here, strictly, and the
response is built from this decision rather than by FileResponse on its own terms.
Players ask for one range at a time; a list of ranges is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPEC = re.compile(r"bytes=(\d*)-(\d*)")
MAX_DIGITS = 18  # past any file size; keeps int() cheap on hostile input


class RangeRefused(Exception):
    """A Range the console does not serve: answered 416 with the file's size."""


@dataclass(frozen=True)
class Plan:
    """Bytes start..end-1 of a file of `size` bytes; `partial` answers 206, else 200."""

    start: int
    end: int
    size: int
    partial: bool

    @property
    def includes_start(self) -> bool:
        return self.start == 0


def plan(range_header: str | None, if_range: str | None, size: int, validators) -> Plan:
    """The response for these headers: the whole file (200) or one range (206).

    `validators` are the file's current ETag and Last-Modified: an If-Range naming
    anything else gets the whole file, as HTTP requires (and the audit sees a 200).
    """
    whole = Plan(0, size, size, partial=False)
    if range_header is None:
        return whole
    if if_range is not None and if_range not in validators:
        return whole
    match = _SPEC.fullmatch(range_header.strip().replace(" ", ""))
    if match is None:
        raise RangeRefused(range_header[:100])  # lists, other units, garbage
    first, last = match.groups()
    if (not first and not last) or len(first) > MAX_DIGITS or len(last) > MAX_DIGITS:
        raise RangeRefused(range_header[:100])
    if first:
        start = int(first)
        end = min(int(last) + 1, size) if last else size
    else:  # a suffix: the last N bytes
        start, end = max(size - int(last), 0), size
    if start >= size or start >= end:
        raise RangeRefused(range_header[:100])
    return Plan(start, end, size, partial=True)
