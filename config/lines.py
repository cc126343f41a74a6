"""Operator line specs: "pjsip:ENDPOINT" or "landline:DIGITS@TRUNK"."""

from __future__ import annotations

import re

from config.model import Line, LineKind

# Asterisk object names: no spaces, slashes, commas or other dialplan-special characters.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DIGITS = re.compile(r"^\d{3,20}$")

SPEC_FORMS = "pjsip:ENDPOINT or landline:DIGITS@TRUNK"


def parse_line(spec: str) -> Line | str:
    """The line, or the reason the spec is malformed."""
    kind_text, sep, rest = spec.partition(":")
    if not sep:
        return f"{spec!r} is not a line spec ({SPEC_FORMS})"
    try:
        kind = LineKind(kind_text.strip())
    except ValueError:
        return f"unknown line kind {kind_text!r} in {spec!r} ({SPEC_FORMS})"
    if kind is LineKind.PJSIP:
        if not NAME.match(rest):
            return f"bad PJSIP endpoint {rest!r} in {spec!r} (letters, digits, _ . - only)"
        return Line(kind, rest)
    digits, at, trunk = rest.partition("@")
    if not at or not trunk:
        return f"landline {spec!r} needs a trunk: landline:DIGITS@TRUNK"
    if not _DIGITS.match(digits):
        return f"bad landline number {digits!r} in {spec!r} (3 to 20 digits)"
    if not NAME.match(trunk):
        return f"bad trunk name {trunk!r} in {spec!r} (letters, digits, _ . - only)"
    return Line(kind, digits, trunk)


def line_identity(line: Line) -> tuple[str, str]:
    """Two specs ring the same phone when this matches (a landline whatever its trunk)."""
    return (line.kind.value, line.target)
