"""The shared-area-code menu: from the caller's attempts so far to a centre, or "ask again".

The IVR calls `menu_choice` after every attempt with the whole list: None is a
timeout (an empty string from the AGI layer counts as one too), anything else is
what the caller pressed. Invalid digits and timeouts both use up a try; after
`max_tries` failed tries the call goes to the menu's default centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from config.model import Menu
from routing.reasons import Code, Reason


class AttemptProblem(StrEnum):
    INVALID = "invalid"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class MenuOutcome:
    centre_id: str | None  # None: no decision yet, ask again
    digit: str | None  # the valid digit pressed, None for the default or while pending
    by_default: bool  # True when max tries sent the call to the default centre
    invalid_count: int
    timeout_count: int
    last_problem: AttemptProblem | None  # what to tell the caller before asking again
    reason: Reason

    @property
    def decided(self) -> bool:
        return self.centre_id is not None


def menu_choice(menu: Menu, attempts: Sequence[str | None]) -> MenuOutcome:
    """Attempts after the deciding one are ignored."""
    invalid = timeouts = 0
    last: AttemptProblem | None = None
    max_tries = max(1, menu.max_tries)
    for attempt in attempts[:max_tries]:
        if attempt is None or attempt == "":
            timeouts += 1
            last = AttemptProblem.TIMEOUT
            continue
        centre_id = menu.centre_for(attempt)
        if centre_id is None:
            invalid += 1
            last = AttemptProblem.INVALID
            continue
        failed = invalid + timeouts
        reason = Reason.of(Code.MENU_DIGIT, digit=attempt, centre=centre_id, failed=failed)
        return MenuOutcome(centre_id, attempt, False, invalid, timeouts, None, reason)

    if invalid + timeouts >= max_tries:
        default = menu.default_centre_id
        reason = Reason.of(Code.MENU_DEFAULT, centre=default)
        return MenuOutcome(default, None, True, invalid, timeouts, last, reason)
    attempt_no = invalid + timeouts + 1
    reason = Reason.of(Code.MENU_WAITING, attempt=attempt_no, max_tries=max_tries)
    return MenuOutcome(None, None, False, invalid, timeouts, last, reason)
