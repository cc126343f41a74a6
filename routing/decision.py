"""The whole routing decision for one call: area code, centre(s), open or closed, action."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from config.model import CalendarOverrides, Directory, Menu
from routing.area import choose_area
from routing.centres import ChoiceKind, choose_centres
from routing.hours import OpenState, open_state
from routing.local_time import in_china
from routing.reasons import Code, Reason


class Action(StrEnum):
    GREET_AND_RING = "greet_and_ring"  # greeting + recording notice, ring the operator lines
    VOICEMAIL = "voicemail"  # closed: voicemail prompt and take a message
    MENU = "menu"  # shared area code: ask the caller to choose, then decide_after_menu


@dataclass(frozen=True)
class RouteDecision:
    at: dt.datetime  # the instant decided, in Asia/Shanghai
    dialled: str  # normalized ("12330", "02112330"), or the raw text when rejected
    dialled_problem: str | None  # why the dialled number was rejected, if it was
    area_code: str | None
    area_source: str  # dialled, trunk or none
    area_reason: Reason
    centres: tuple[str, ...]  # the centre, or the menu's centres
    choice: ChoiceKind
    menu: Menu | None
    reason: Reason  # why these centres (after a menu: `then` says how it chose)
    centre_id: str | None  # where the call goes; None while the menu is pending
    open_state: OpenState | None  # None while the menu is pending
    action: Action

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.open_state.warnings if self.open_state else ()

    def to_dict(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "dialled": self.dialled,
            "dialled_problem": self.dialled_problem,
            "area_code": self.area_code,
            "area_source": self.area_source,
            "area_reason": self.area_reason.to_dict(),
            "centres": list(self.centres),
            "choice": self.choice.value,
            "menu": menu_to_dict(self.menu) if self.menu else None,
            "reason": self.reason.to_dict(),
            "centre_id": self.centre_id,
            "open_state": self.open_state.to_dict() if self.open_state else None,
            "warnings": list(self.warnings),
            "action": self.action.value,
        }


def menu_to_dict(menu: Menu) -> dict[str, object]:
    return {
        "area_code": menu.area_code,
        "options": [
            {"digit": o.digit, "centre_id": o.centre_id, "label": o.label} for o in menu.options
        ],
        "default_centre_id": menu.default_centre_id,
        "max_tries": menu.max_tries,
        "timeout_seconds": menu.timeout_seconds,
    }


def _action(state: OpenState) -> Action:
    return Action.GREET_AND_RING if state.is_open else Action.VOICEMAIL


def decide(
    directory: Directory,
    calendar: CalendarOverrides,
    dialled: str,
    trunk_area: str | None,
    at: dt.datetime,
) -> RouteDecision:
    """Route one call. A rejected dialled number does not raise: the call still goes
    somewhere (trunk area or national fallback) and `dialled_problem` says why.
    Raises ValueError only for a naive `at`."""
    local_at = in_china(at)
    area = choose_area(dialled, trunk_area)
    choice = choose_centres(directory, area.area_code)
    common = {
        "at": local_at,
        "dialled": area.dialled.normalized if area.dialled else dialled,
        "dialled_problem": area.dialled_problem,
        "area_code": area.area_code,
        "area_source": area.source.value,
        "area_reason": area.reason,
        "centres": choice.centre_ids,
        "choice": choice.kind,
        "menu": choice.menu,
        "reason": choice.reason,
    }
    if choice.kind is ChoiceKind.MENU:
        return RouteDecision(**common, centre_id=None, open_state=None, action=Action.MENU)
    centre_id = choice.centre_ids[0]
    state = open_state(directory.centre(centre_id), calendar, local_at)
    return RouteDecision(**common, centre_id=centre_id, open_state=state, action=_action(state))


def decide_after_menu(
    directory: Directory,
    calendar: CalendarOverrides,
    decision: RouteDecision,
    centre_id: str,
    at: dt.datetime,
    *,
    how: Reason | None = None,
) -> RouteDecision:
    """The decision once the caller chose `centre_id` (or max tries chose the default).
    `how` (e.g. MenuOutcome.reason) becomes the reason's `then`; raises ValueError when
    `decision` had no menu or `centre_id` is not one of its centres."""
    menu = decision.menu
    if menu is None:
        raise ValueError("decision has no menu to choose from")
    allowed = {o.centre_id for o in menu.options} | {menu.default_centre_id}
    if centre_id not in allowed:
        raise ValueError(f"centre {centre_id!r} is not in the menu for {menu.area_code}")
    local_at = in_china(at)
    state = open_state(directory.centre(centre_id), calendar, local_at)
    return dataclasses.replace(
        decision,
        at=local_at,
        reason=decision.reason.with_params(
            then=(how or Reason.of(Code.MENU_CALLER_CHOSE, centre=centre_id)).to_dict()
        ),
        centre_id=centre_id,
        open_state=state,
        action=_action(state),
    )
