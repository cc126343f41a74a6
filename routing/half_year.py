"""Half-years, the periods of the 12330 usage report (〔2009〕115号 四、情况汇总): due by
15 July for the first half, by 15 January for the second; edges at China midnight.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from routing.local_time import local_day_bounds

_PERIOD = re.compile(r"^\s*(\d{4})\s*-?\s*[Hh]([12])\s*$")


@dataclass(frozen=True)
class HalfYear:
    year: int
    half: int  # 1: January-June, 2: July-December

    @classmethod
    def parse(cls, text: str) -> HalfYear:
        match = _PERIOD.match(text or "")
        if not match or not 2000 <= int(match.group(1)) <= 2999:
            raise ValueError(f"period {text!r}: expected YEAR H1 or YEAR H2, e.g. 2026H1")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def last_completed(cls, today: dt.date) -> HalfYear:
        """The latest half-year that has ended: the one whose report is due next."""
        return cls(today.year, 1) if today.month >= 7 else cls(today.year - 1, 2)

    @property
    def code(self) -> str:
        return f"{self.year}H{self.half}"

    @property
    def label_zh(self) -> str:
        return f"{self.year}年{'上' if self.half == 1 else '下'}半年"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, 6, 30) if self.half == 1 else dt.date(self.year, 12, 31)

    @property
    def due(self) -> dt.date:
        return dt.date(self.year, 7, 15) if self.half == 1 else dt.date(self.year + 1, 1, 15)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in China time: a call at 23:59 on 30 June belongs to the first half."""
        return local_day_bounds(self.first_day)[0], local_day_bounds(self.last_day)[1]
