"""Which area code a call belongs to: the dialled number first, then the trunk's home area.

Caller ID is never consulted: a mobile caller's number says nothing about where
the caller is, and callers may withhold or spoof it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from routing.dialled import DialledNumber, InvalidNumber, parse_area_code, parse_dialled


class AreaSource(StrEnum):
    DIALLED = "dialled"
    TRUNK = "trunk"
    NONE = "none"  # neither gave one: the national fallback takes the call


@dataclass(frozen=True)
class AreaChoice:
    area_code: str | None
    source: AreaSource
    reason: str
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
        return AreaChoice(
            dialled.area_code,
            AreaSource.DIALLED,
            f"area code {dialled.area_code} from dialled number {dialled.normalized}",
            dialled,
        )

    why_not_dialled = (
        f"dialled number {dialled_text!r} rejected: {problem}"
        if problem
        else f"dialled {dialled.normalized if dialled else dialled_text} has no area code"
    )
    if trunk_area is None or not trunk_area.strip():
        return AreaChoice(
            None, AreaSource.NONE, f"{why_not_dialled}; no trunk area code", dialled, problem
        )
    try:
        code = parse_area_code(trunk_area)
    except InvalidNumber as exc:
        return AreaChoice(
            None,
            AreaSource.NONE,
            f"{why_not_dialled}; trunk area code {trunk_area!r} rejected: {exc.reason}",
            dialled,
            problem,
        )
    return AreaChoice(
        code, AreaSource.TRUNK, f"{why_not_dialled}; area code {code} from trunk", dialled, problem
    )
