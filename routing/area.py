"""Which area code a call belongs to: the dialled number first, then the trunk's home area.

Caller ID is never consulted: a mobile caller's number says nothing about where
the caller is, and callers may withhold or spoof it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from routing.dialled import DialledNumber, InvalidNumber, parse_area_code, parse_dialled
from routing.reasons import Code, Reason


class AreaSource(StrEnum):
    DIALLED = "dialled"
    TRUNK = "trunk"
    NONE = "none"  # neither gave one: the national fallback takes the call


@dataclass(frozen=True)
class AreaChoice:
    area_code: str | None
    source: AreaSource
    reason: Reason
    dialled: DialledNumber | None  # None when the dialled number was rejected
    dialled_problem: str | None = None


def choose_area(dialled_text: str, trunk_area: str | None) -> AreaChoice:
    """Never raises on bad input: a rejected number is routed on and the reason kept."""
    dialled: DialledNumber | None
    problem: str | None = None
    try:
        dialled = parse_dialled(dialled_text)
    except InvalidNumber as exc:
        dialled, problem = None, exc.reason

    if dialled is not None and dialled.area_code is not None:
        reason = Reason.of(Code.AREA_DIALLED, area=dialled.area_code, dialled=dialled.normalized)
        return AreaChoice(dialled.area_code, AreaSource.DIALLED, reason, dialled)

    # Why the dialled number gave no area code: rejected (problem), or plain 12330.
    why_not: dict[str, str] = {"dialled": dialled.normalized if dialled else dialled_text}
    if problem:
        why_not = {"dialled": dialled_text, "problem": problem}
    if trunk_area is None or not trunk_area.strip():
        reason = Reason(Code.AREA_NONE, why_not)
        return AreaChoice(None, AreaSource.NONE, reason, dialled, problem)
    try:
        code = parse_area_code(trunk_area)
    except InvalidNumber as exc:
        params = {**why_not, "trunk": trunk_area, "trunk_problem": exc.reason}
        reason = Reason(Code.AREA_TRUNK_REJECTED, params)
        return AreaChoice(None, AreaSource.NONE, reason, dialled, problem)
    reason = Reason(Code.AREA_TRUNK, {"area": code, **why_not})
    return AreaChoice(code, AreaSource.TRUNK, reason, dialled, problem)
