"""Chinese long-distance area codes as written with the trunk prefix 0."""

from __future__ import annotations

import re

# 010 (Beijing), 02X (the large cities), 0[3-9]XX (everyone else).
_AREA_CODE = re.compile(r"^(?:010|02\d|0[3-9]\d\d)$")


def is_area_code(text: str) -> bool:
    return bool(_AREA_CODE.match(text))


def area_code_problem(text: str) -> str | None:
    """Why `text` is not an area code, or None when it is one."""
    if is_area_code(text):
        return None
    return f"{text!r} 不是有效的区号（010、02X 或 0[3-9]XX，含开头的 0）"
