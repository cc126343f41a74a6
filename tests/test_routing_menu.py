"""The shared-area-code menu: attempts -> outcome, and the decision after the choice."""

from __future__ import annotations

import dataclasses

import pytest
from routing_fixtures import at, sample_calendar, sample_directory

from routing import AttemptProblem, decide, decide_after_menu, menu_choice

DIRECTORY = sample_directory()
CALENDAR = sample_calendar()
MENU = DIRECTORY.menu_for_area("021")
assert MENU is not None
INVALID, TIMEOUT = AttemptProblem.INVALID, AttemptProblem.TIMEOUT


def R(code: str, **params: object) -> dict[str, object]:
    """A reason as routing.reasons stores it: the code and its parameters."""
    return {"code": code, **params}


# attempts (None = timeout) -> centre (None = ask again), digit, by default,
#   invalid count, timeout count, last problem, reason
MENU_ROWS = [
    (["2"], "sh-pd", "2", False, 0, 0, None, R("menu_digit", digit="2", centre="sh-pd", failed=0)),
    (["1"], "sh", "1", False, 0, 0, None, R("menu_digit", digit="1", centre="sh", failed=0)),
    (["9", "*", "3"], "sh-cp", "3", False, 2, 0, None,
     R("menu_digit", digit="3", centre="sh-cp", failed=2)),
    ([None, "1"], "sh", "1", False, 0, 1, None, R("menu_digit", digit="1", centre="sh", failed=1)),
    (["12", "3"], "sh-cp", "3", False, 1, 0, None,
     R("menu_digit", digit="3", centre="sh-cp", failed=1)),
    (["1", "2"], "sh", "1", False, 0, 0, None, R("menu_digit", digit="1", centre="sh", failed=0)),
    ([None, None, None], "sh", None, True, 0, 3, TIMEOUT, R("menu_default", centre="sh")),
    (["9", None, "#"], "sh", None, True, 2, 1, INVALID, R("menu_default", centre="sh")),
    (["9", None, "#", "2"], "sh", None, True, 2, 1, INVALID,
     R("menu_default", centre="sh")),
    (["", "", ""], "sh", None, True, 0, 3, TIMEOUT, R("menu_default", centre="sh")),
    ([], None, None, False, 0, 0, None, R("menu_waiting", attempt=1, max_tries=3)),
    (["9"], None, None, False, 1, 0, INVALID, R("menu_waiting", attempt=2, max_tries=3)),
    ([None, None], None, None, False, 0, 2, TIMEOUT, R("menu_waiting", attempt=3, max_tries=3)),
    (["0", None], None, None, False, 1, 1, TIMEOUT, R("menu_waiting", attempt=3, max_tries=3)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("attempts", "centre", "digit", "by_default", "invalid", "timeouts", "last", "reason"),
    MENU_ROWS,
)
def test_menu_choice(
    attempts: list[str | None],
    centre: str | None,
    digit: str | None,
    by_default: bool,
    invalid: int,
    timeouts: int,
    last: AttemptProblem | None,
    reason: dict[str, object],
) -> None:
    outcome = menu_choice(MENU, attempts)
    assert (outcome.centre_id, outcome.digit, outcome.by_default) == (centre, digit, by_default)
    assert (outcome.invalid_count, outcome.timeout_count) == (invalid, timeouts)
    assert (outcome.last_problem, outcome.reason.to_dict()) == (last, reason)
    assert outcome.decided == (centre is not None)


@pytest.mark.parametrize(
    ("max_tries", "attempts", "centre"),
    [(1, [None], "sh-pd"), (1, ["7"], "sh-pd"), (2, ["7"], None), (2, ["7", None], "sh-pd")],
)
def test_max_tries_and_default_come_from_the_menu(
    max_tries: int, attempts: list[str | None], centre: str | None
) -> None:
    menu = dataclasses.replace(MENU, max_tries=max_tries, default_centre_id="sh-pd")
    assert menu_choice(menu, attempts).centre_id == centre


MENU_REASON = R("centre_menu", area="021", centres=["sh", "sh-pd", "sh-cp"])

# chosen centre, instant -> action, open/closed reason
AFTER_MENU_ROWS = [
    ("sh", "2026-03-11T11:29", "greet_and_ring", R("open_hours", range="09:00–11:30")),
    ("sh", "2026-03-11T11:30", "voicemail", R("closed_break", start="11:30", end="13:00")),
    ("sh-pd", "2026-03-11T11:30", "greet_and_ring", R("open_hours", range="09:00–12:00")),
    ("sh-pd", "2026-03-11T12:59", "voicemail", R("closed_break", start="12:00", end="13:30")),
    ("sh", "2026-03-11T17:00", "voicemail", R("closed_after_closing", closes="17:00")),
    ("sh-cp", "2026-03-11T17:00", "greet_and_ring", R("open_hours", range="13:30–17:30")),
    ("sh", "2026-12-31T11:00", "greet_and_ring",
     R("open_special_hours", range="09:00–12:00", note="年终盘点，下午休息")),
    ("sh", "2026-12-31T14:00", "voicemail",
     R("closed_after_closing", closes="12:00", special="年终盘点，下午休息")),
    ("sh-pd", "2026-12-31T14:00", "greet_and_ring", R("open_hours", range="13:30–17:30")),
    ("sh-cp", "2026-10-05T10:00", "voicemail", R("closed_holiday", name="国庆节")),
    ("sh-cp", "2026-02-28T10:00", "greet_and_ring",
     R("open_makeup_day", date="2026-02-28", range="09:00–12:00")),
]  # fmt: skip


@pytest.mark.parametrize(("centre", "instant", "action", "reason"), AFTER_MENU_ROWS)
def test_decide_after_menu(
    centre: str, instant: str, action: str, reason: dict[str, object]
) -> None:
    menu_decision = decide(DIRECTORY, CALENDAR, "02112330", None, at(instant))
    assert menu_decision.action == "menu"
    final = decide_after_menu(DIRECTORY, CALENDAR, menu_decision, centre, at(instant))
    assert final.open_state is not None
    state = final.open_state
    assert (final.action, final.centre_id, state.reason.to_dict()) == (action, centre, reason)
    then = R("menu_caller_chose", centre=centre)
    assert final.reason.to_dict() == {**MENU_REASON, "then": then}
    # what the caller was offered stays on the record
    assert final.centres == ("sh", "sh-pd", "sh-cp") and final.menu == MENU


def test_max_tries_outcome_flows_into_the_decision() -> None:
    instant = at("2026-03-11T10:00")
    menu_decision = decide(DIRECTORY, CALENDAR, "+862112330", None, instant)
    assert menu_decision.menu is not None
    outcome = menu_choice(menu_decision.menu, [None, "8", None])
    assert outcome.centre_id is not None
    final = decide_after_menu(
        DIRECTORY, CALENDAR, menu_decision, outcome.centre_id, instant, how=outcome.reason
    )
    assert final.centre_id == "sh"
    assert final.reason.to_dict() == {**MENU_REASON, "then": R("menu_default", centre="sh")}
    assert final.to_dict()["centre_id"] == "sh"


def test_after_menu_refuses_a_centre_not_offered() -> None:
    instant = at("2026-03-11T10:00")
    menu_decision = decide(DIRECTORY, CALENDAR, "02112330", None, instant)
    with pytest.raises(ValueError, match="not in the menu"):
        decide_after_menu(DIRECTORY, CALENDAR, menu_decision, "bj", instant)
    single = decide(DIRECTORY, CALENDAR, "01012330", None, instant)
    with pytest.raises(ValueError, match="no menu"):
        decide_after_menu(DIRECTORY, CALENDAR, single, "bj", instant)
