"""Parse the number a caller dialled: `12330` or area code + `12330`.

Trunks deliver the called number in several shapes; all of these mean the same
Shanghai centre: `02112330`, `021-12330`, `+862112330`, `00862112330`, `862112330`.
After a country code (+86, 0086, 86) the area code's leading 0 is dropped by
convention (+86 21 ...), but some trunks keep it (+86 021 ...): both are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SERVICE_NUMBER = "12330"
# Longest sensible input: +86 0XXX 12330 plus separators; beyond this it is junk.
_MAX_INPUT_CHARS = 32
_SEPARATORS = re.compile(r"[\s\-()]")
_AREA_CODE = re.compile(r"^(?:010|02\d|0[3-9]\d\d)$")


class InvalidNumber(ValueError):
    """A dialled number or area code that cannot be routed; `reason` says why."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"{text!r}: {reason}")


@dataclass(frozen=True)
class DialledNumber:
    normalized: str  # "12330" or e.g. "02112330"
    area_code: str | None  # None for plain 12330


def area_code_problem(code: str) -> str | None:
    """Why `code` is not a Chinese area code (010, 02X, 0[3-9]XX), or None when it is one."""
    if _AREA_CODE.match(code):
        return None
    if not code:
        return "empty area code"
    if not code.isdigit():
        return f"area code {code!r} contains non-digits"
    if not code.startswith("0"):
        return f"area code {code} must start with 0"
    if code.startswith("00"):
        return f"{code} is an international prefix, not an area code"
    if code.startswith("01"):
        return f"impossible area code {code} (010 is the only code starting with 01)"
    if code.startswith("02"):
        return f"impossible area code {code} (02X codes have 3 digits)"
    return f"impossible area code {code} (0[3-9]XX codes have 4 digits)"


def parse_area_code(text: str) -> str:
    """A trunk's home area code as configured on the channel, e.g. "021"; strict."""
    code = text.strip()
    problem = area_code_problem(code)
    if problem:
        raise InvalidNumber(text, problem)
    return code


def _strip_country_code(digits: str) -> str | None:
    """The national part after +86/0086/86, or None when there is no country code."""
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix):
            rest = digits[len(prefix) :]
            if rest == SERVICE_NUMBER or rest.startswith("0"):
                return rest
            return "0" + rest
    return None


def parse_dialled(text: str) -> DialledNumber:
    """The normalized dialled number; raises InvalidNumber with the reason."""
    if len(text) > _MAX_INPUT_CHARS:
        raise InvalidNumber(text, f"too long ({len(text)} characters)")
    compact = _SEPARATORS.sub("", text)
    if not compact:
        raise InvalidNumber(text, "empty number")
    if compact.startswith("+") and not compact.startswith("+86"):
        raise InvalidNumber(text, "international number outside China (+86)")
    national = _strip_country_code(compact)
    if national is None:
        national = compact
    if not national.isdigit():
        bad = "".join(sorted({c for c in national if not c.isdigit()}))
        raise InvalidNumber(text, f"contains characters other than digits: {bad!r}")
    if not national.endswith(SERVICE_NUMBER):
        raise InvalidNumber(text, f"does not end with {SERVICE_NUMBER}")
    prefix = national[: -len(SERVICE_NUMBER)]
    if not prefix:
        return DialledNumber(SERVICE_NUMBER, None)
    if len(prefix) > 4:
        raise InvalidNumber(text, f"too long: {prefix} before {SERVICE_NUMBER} is not an area code")
    problem = area_code_problem(prefix)
    if problem:
        raise InvalidNumber(text, problem)
    return DialledNumber(national, prefix)
