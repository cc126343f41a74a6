"""Operator line specs: "pjsip:ENDPOINT" or "landline:DIGITS@TRUNK"."""

from __future__ import annotations

import re

from config.model import Line, LineKind

# Asterisk object names: no spaces, slashes, commas or other dialplan-special characters.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DIGITS = re.compile(r"^\d{3,20}$")

SPEC_FORMS = "pjsip:ENDPOINT 或 landline:DIGITS@TRUNK"


def parse_line(spec: str) -> Line | str:
    """The line, or the reason the spec is malformed."""
    kind_text, sep, rest = spec.partition(":")
    if not sep:
        return f"{spec!r} 不是线路格式（{SPEC_FORMS}）"
    try:
        kind = LineKind(kind_text.strip())
    except ValueError:
        return f"{spec!r} 的线路类型 {kind_text!r} 未知（{SPEC_FORMS}）"
    if kind is LineKind.PJSIP:
        if not NAME.match(rest):
            return f"{spec!r} 的 PJSIP 终端名 {rest!r} 无效（只能含字母、数字、_ . -）"
        return Line(kind, rest)
    digits, at, trunk = rest.partition("@")
    if not at or not trunk:
        return f"固话线路 {spec!r} 缺少中继：landline:DIGITS@TRUNK"
    if not _DIGITS.match(digits):
        return f"{spec!r} 的固话号码 {digits!r} 无效（3 到 20 位数字）"
    if not NAME.match(trunk):
        return f"{spec!r} 的中继名 {trunk!r} 无效（只能含字母、数字、_ . -）"
    return Line(kind, digits, trunk)


def line_identity(line: Line) -> tuple[str, str]:
    """Two specs ring the same phone when this matches (a landline whatever its trunk)."""
    return (line.kind.value, line.target)
