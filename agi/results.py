"""Typed replies of AGI commands."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AgiReply:
    """`200 result=<result> [(<data>)] [endpos=<n>]`."""

    code: int
    result: str  # as sent: GET DATA puts digits here, most commands a number
    data: str | None = None
    endpos: int | None = None
    raw: str = ""

    @property
    def value(self) -> int:
        try:
            return int(self.result)
        except ValueError:
            return 0

    @property
    def digit(self) -> str | None:
        """STREAM FILE / WAIT FOR DIGIT: the ASCII code of the key pressed, 0 for none."""
        return chr(self.value) if 0 < self.value < 128 else None


@dataclass(frozen=True)
class DigitsReply:
    """GET DATA: what the caller typed, and whether the wait timed out."""

    digits: str
    timed_out: bool
