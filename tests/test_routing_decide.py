"""decide(): scenario tables from (dialled, trunk area, instant) to the whole decision."""

from __future__ import annotations

import datetime as dt
import inspect
import json

import pytest
from routing_fixtures import at, sample_calendar, sample_directory

from routing import decide

DIRECTORY = sample_directory()
CALENDAR = sample_calendar()
NOT_CONFIRMED_2027 = ("calendar for 2027 is not confirmed; weekday rule used",)
NOT_CONFIRMED_2029 = ("calendar for 2029 is not confirmed; weekday rule used",)


def R(code: str, **params: object) -> dict[str, object]:
    """A reason as routing.reasons stores it: the code and its parameters."""
    return {"code": code, **params}


# dialled, trunk area, instant (China time unless an offset is given)
#   -> action, centre, open/closed reason (code and parameters), warnings
OPENING_SCENARIOS = [
    # statutory calendar 2026 (chinesecalendar)
    ("01012330", None, "2026-02-14T10:00", "greet_and_ring", "bj",
     R("open_makeup_day", date="2026-02-14", range="09:00–12:00"), ()),
    ("02012330", None, "2026-10-01T10:00", "voicemail", "gd",
     R("closed_holiday", name="国庆节"), ()),
    ("02012330", None, "2026-10-03T10:00", "voicemail", "gd",
     R("closed_holiday", name="国庆节"), ()),  # a Saturday inside the holiday block
    ("02012330", None, "2026-10-10T10:00", "greet_and_ring", "gd",
     R("open_makeup_day", date="2026-10-10", range="09:00–12:00"), ()),
    ("02012330", None, "2026-10-10T12:15", "voicemail", "gd",
     R("closed_break", start="12:00", end="13:30"), ()),  # a make-up day keeps the lunch break
    ("02012330", None, "2026-02-17T10:00", "voicemail", "gd",
     R("closed_holiday", name="春节"), ()),
    ("02012330", None, "2026-05-01T10:00", "voicemail", "gd",
     R("closed_holiday", name="劳动节"), ()),
    ("02012330", None, "2026-03-15T10:00", "voicemail", "gd", R("closed_weekend"), ()),
    ("02012330", None, "2026-03-14T10:00", "voicemail", "gd", R("closed_weekend"), ()),
    # an override beats chinesecalendar (an ordinary Monday there)
    ("02012330", None, "2026-06-01T10:00", "voicemail", "gd",
     R("closed_holiday", name="测试调休假"), ()),
    # ordinary Wednesday 2026-03-11: opening, lunch and closing boundaries minute by minute
    ("01012330", None, "2026-03-11T08:59", "voicemail", "bj",
     R("closed_before_opening", opens="09:00"), ()),
    ("01012330", None, "2026-03-11T09:00", "greet_and_ring", "bj",
     R("open_hours", range="09:00–12:00"), ()),
    ("01012330", None, "2026-03-11T11:59", "greet_and_ring", "bj",
     R("open_hours", range="09:00–12:00"), ()),
    ("01012330", None, "2026-03-11T11:59:59", "greet_and_ring", "bj",
     R("open_hours", range="09:00–12:00"), ()),
    ("01012330", None, "2026-03-11T12:00", "voicemail", "bj",
     R("closed_break", start="12:00", end="13:30"), ()),
    ("01012330", None, "2026-03-11T12:45", "voicemail", "bj",
     R("closed_break", start="12:00", end="13:30"), ()),
    ("01012330", None, "2026-03-11T13:29", "voicemail", "bj",
     R("closed_break", start="12:00", end="13:30"), ()),
    ("01012330", None, "2026-03-11T13:30", "greet_and_ring", "bj",
     R("open_hours", range="13:30–17:30"), ()),
    ("01012330", None, "2026-03-11T17:28", "greet_and_ring", "bj",
     R("open_hours", range="13:30–17:30"), ()),
    ("01012330", None, "2026-03-11T17:29", "greet_and_ring", "bj",
     R("open_hours", range="13:30–17:30"), ()),
    ("01012330", None, "2026-03-11T17:30", "voicemail", "bj",
     R("closed_after_closing", closes="17:30"), ()),
    ("01012330", None, "2026-03-11T17:31", "voicemail", "bj",
     R("closed_after_closing", closes="17:30"), ()),
    ("01012330", None, "2026-03-11T23:59", "voicemail", "bj",
     R("closed_after_closing", closes="17:30"), ()),
    ("01012330", None, "2026-03-11T00:00", "voicemail", "bj",
     R("closed_before_opening", opens="09:00"), ()),
    # the instant is converted to China time whatever its offset
    ("01012330", None, "2026-03-11T01:00+00:00", "greet_and_ring", "bj",
     R("open_hours", range="09:00–12:00"), ()),
    ("01012330", None, "2026-03-11T00:59+00:00", "voicemail", "bj",
     R("closed_before_opening", opens="09:00"), ()),
    ("01012330", None, "2026-03-10T17:00-08:00", "greet_and_ring", "bj",
     R("open_hours", range="09:00–12:00"), ()),  # = 2026-03-11 09:00 in China
    ("01012330", None, "2026-03-11T09:30+00:00", "voicemail", "bj",
     R("closed_after_closing", closes="17:30"), ()),  # = 17:30 in China
    # per-centre weekly hours: Shenzhen opens Saturday mornings and closes Wednesday at noon
    ("075512330", None, "2026-03-14T11:59", "greet_and_ring", "sz",
     R("open_hours", range="09:00–12:00"), ()),
    ("075512330", None, "2026-03-14T12:00", "voicemail", "sz",
     R("closed_after_closing", closes="12:00"), ()),
    ("075512330", None, "2026-03-11T14:00", "voicemail", "sz",
     R("closed_after_closing", closes="12:00"), ()),
    # a centre open only on Tuesdays; a make-up day uses its first weekday with hours
    ("02512330", None, "2026-03-11T11:00", "voicemail", "js",
     R("closed_no_hours", weekday="wed"), ()),
    ("02512330", None, "2026-03-10T11:00", "greet_and_ring", "js",
     R("open_hours", range="10:00–16:00"), ()),
    ("02512330", None, "2026-02-14T15:59", "greet_and_ring", "js",
     R("open_makeup_day", date="2026-02-14", range="10:00–16:00"), ()),
    ("02512330", None, "2026-02-14T09:59", "voicemail", "js",
     R("closed_before_opening", opens="10:00"), ()),
    ("02512330", None, "2026-02-14T16:00", "voicemail", "js",
     R("closed_after_closing", closes="16:00"), ()),
    # local entries beat the national calendar and the weekday hours
    ("01012330", None, "2026-03-10T10:00", "voicemail", "bj",
     R("closed_local", note="停电检修"), ()),
    ("01012330", None, "2026-10-01T10:30", "greet_and_ring", "bj",
     R("open_special_hours", range="10:00–12:00", note="国庆值班"), ()),
    ("01012330", None, "2026-10-01T09:59", "voicemail", "bj",
     R("closed_before_opening", opens="10:00", special="国庆值班"), ()),
    ("01012330", None, "2026-10-01T12:00", "voicemail", "bj",
     R("closed_after_closing", closes="12:00", special="国庆值班"), ()),
    # 2027: not in chinesecalendar, not complete in the overrides
    ("01012330", None, "2027-03-01T10:00", "greet_and_ring", "bj",
     R("open_hours", range="09:00–12:00"), NOT_CONFIRMED_2027),
    ("01012330", None, "2027-03-06T10:00", "voicemail", "bj",
     R("closed_weekend"), NOT_CONFIRMED_2027),
    ("01012330", None, "2027-10-01T10:00", "voicemail", "bj",
     R("closed_holiday", name="国庆节"), ()),  # an override closes the date: no guess involved
    ("01012330", None, "2027-10-09T10:00", "greet_and_ring", "bj",
     R("open_makeup_day", date="2027-10-09", range="09:00–12:00"), ()),
    # 2028: marked complete in the overrides, so the weekday rule is confirmed
    ("01012330", None, "2028-10-03T10:00", "greet_and_ring", "bj",
     R("open_hours", range="09:00–12:00"), ()),
    ("01012330", None, "2028-10-07T10:00", "voicemail", "bj", R("closed_weekend"), ()),
    ("01012330", None, "2028-10-02T10:00", "voicemail", "bj",
     R("closed_holiday", name="国庆节"), ()),
    # 2029: no word at all
    ("01012330", None, "2029-03-01T10:00", "greet_and_ring", "bj",
     R("open_hours", range="09:00–12:00"), NOT_CONFIRMED_2029),
]  # fmt: skip


@pytest.mark.parametrize(
    ("dialled", "trunk", "instant", "action", "centre", "reason", "warnings"), OPENING_SCENARIOS
)
def test_opening_scenarios(
    dialled: str,
    trunk: str | None,
    instant: str,
    action: str,
    centre: str,
    reason: dict[str, object],
    warnings: tuple[str, ...],
) -> None:
    decision = decide(DIRECTORY, CALENDAR, dialled, trunk, at(instant))
    assert decision.open_state is not None
    assert (decision.action, decision.centre_id, decision.open_state.reason.to_dict()) == (
        action,
        centre,
        reason,
    )
    assert decision.open_state.is_open == (action == "greet_and_ring")
    assert decision.open_state.warnings == warnings
    assert decision.warnings == warnings


# dialled, trunk area -> area code, area source, choice, centres, reason of the centre choice
ROUTING_SCENARIOS = [
    ("01012330", None, "010", "dialled", "single", ("bj",),
     R("centre_single", area="010", centre="bj")),
    ("02112330", None, "021", "dialled", "menu", ("sh", "sh-pd", "sh-cp"),
     R("centre_menu", area="021", centres=["sh", "sh-pd", "sh-cp"])),
    ("+862112330", None, "021", "dialled", "menu", ("sh", "sh-pd", "sh-cp"),
     R("centre_menu", area="021", centres=["sh", "sh-pd", "sh-cp"])),
    ("0086 755 12330", None, "0755", "dialled", "single", ("sz",),
     R("centre_single", area="0755", centre="sz")),
    ("051212330", None, "0512", "dialled", "single", ("js",),
     R("centre_single", area="0512", centre="js")),
    # the dialled area code wins over the trunk's
    ("075512330", "010", "0755", "dialled", "single", ("sz",),
     R("centre_single", area="0755", centre="sz")),
    # plain 12330: the trunk's home area code
    ("12330", "0755", "0755", "trunk", "single", ("sz",),
     R("centre_single", area="0755", centre="sz")),
    ("+8612330", "021", "021", "trunk", "menu", ("sh", "sh-pd", "sh-cp"),
     R("centre_menu", area="021", centres=["sh", "sh-pd", "sh-cp"])),
    # fallbacks
    ("075712330", None, "0757", "dialled", "fallback", ("gd",),
     R("centre_province_fallback", area="0757", province="广东", centre="gd")),
    ("12330", "0513", "0513", "trunk", "fallback", ("js",),
     R("centre_province_fallback", area="0513", province="江苏", centre="js")),
    ("059112330", None, "0591", "dialled", "fallback", ("bj",),
     R("centre_province_no_fallback", area="0591", province="福建", centre="bj")),
    ("089812330", None, "0898", "dialled", "fallback", ("bj",),
     R("centre_province_unknown", area="0898", centre="bj")),
    ("12330", None, None, "none", "fallback", ("bj",), R("centre_no_area", centre="bj")),
    ("12330", "", None, "none", "fallback", ("bj",), R("centre_no_area", centre="bj")),
    ("12330", "21", None, "none", "fallback", ("bj",), R("centre_no_area", centre="bj")),
    # a rejected dialled number still reaches someone, via the trunk or the national fallback
    ("0211233O", "021", "021", "trunk", "menu", ("sh", "sh-pd", "sh-cp"),
     R("centre_menu", area="021", centres=["sh", "sh-pd", "sh-cp"])),
    ("01112330", None, None, "none", "fallback", ("bj",), R("centre_no_area", centre="bj")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("dialled", "trunk", "area_code", "source", "choice", "centres", "reason"), ROUTING_SCENARIOS
)
def test_routing_scenarios(
    dialled: str,
    trunk: str | None,
    area_code: str | None,
    source: str,
    choice: str,
    centres: tuple[str, ...],
    reason: dict[str, object],
) -> None:
    decision = decide(DIRECTORY, CALENDAR, dialled, trunk, at("2026-03-11T10:00"))
    assert (decision.area_code, decision.area_source, decision.choice) == (
        area_code,
        source,
        choice,
    )
    assert (decision.centres, decision.reason.to_dict()) == (centres, reason)
    if choice == "menu":
        assert decision.action == "menu"
        assert decision.menu is not None and decision.menu.area_code == area_code
        assert decision.centre_id is None and decision.open_state is None
    else:
        assert decision.centre_id == centres[0]
        assert decision.action in ("greet_and_ring", "voicemail")


# dialled, trunk -> the area reason (code and parameters)
AREA_REASONS = [
    ("02112330", None, R("area_dialled", area="021", dialled="02112330")),
    ("+8675512330", "021", R("area_dialled", area="0755", dialled="075512330")),
    ("12330", "0755", R("area_trunk", area="0755", dialled="12330")),
    ("12330", None, R("area_none", dialled="12330")),
    ("12330", "21", R("area_trunk_rejected", dialled="12330", trunk="21",
                      trunk_problem="area code 21 must start with 0")),
    ("0211233O", "021", R("area_trunk", area="021", dialled="0211233O",
                          problem="contains characters other than digits: 'O'")),
    ("01112330", None, R("area_none", dialled="01112330", problem="impossible area code 011 "
                         "(010 is the only code starting with 01)")),
]  # fmt: skip


@pytest.mark.parametrize(("dialled", "trunk", "reason"), AREA_REASONS)
def test_area_reasons(dialled: str, trunk: str | None, reason: dict[str, object]) -> None:
    decision = decide(DIRECTORY, CALENDAR, dialled, trunk, at("2026-03-11T10:00"))
    assert decision.area_reason.to_dict() == reason


def test_rejected_dialled_number_is_kept_with_its_problem() -> None:
    decision = decide(DIRECTORY, CALENDAR, "0211233O", None, at("2026-03-11T10:00"))
    assert decision.dialled == "0211233O"
    assert decision.dialled_problem == "contains characters other than digits: 'O'"
    ok = decide(DIRECTORY, CALENDAR, "+86 10 12330", None, at("2026-03-11T10:00"))
    assert (ok.dialled, ok.dialled_problem) == ("01012330", None)


def test_caller_id_cannot_reach_the_decision() -> None:
    # Routing by caller ID is forbidden: the API takes no caller number at all, so a
    # plain 12330 from a Shenzhen mobile on a trunk without an area goes national.
    assert list(inspect.signature(decide).parameters) == [
        "directory",
        "calendar",
        "dialled",
        "trunk_area",
        "at",
    ]
    decision = decide(DIRECTORY, CALENDAR, "12330", None, at("2026-03-11T10:00"))
    assert (decision.area_source, decision.centre_id) == ("none", "bj")


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        decide(DIRECTORY, CALENDAR, "01012330", None, dt.datetime(2026, 3, 11, 10, 0))


def test_decision_time_is_china_time() -> None:
    decision = decide(DIRECTORY, CALENDAR, "01012330", None, at("2026-03-11T02:00+00:00"))
    assert decision.at.isoformat() == "2026-03-11T10:00:00+08:00"


def test_to_dict_is_json_and_complete() -> None:
    single = decide(DIRECTORY, CALENDAR, "12330", "0755", at("2027-03-01T10:00"))
    data = json.loads(json.dumps(single.to_dict(), ensure_ascii=False))
    assert data["area_code"] == "0755" and data["area_source"] == "trunk"
    assert data["centres"] == ["sz"] and data["choice"] == "single"
    assert data["open_state"]["is_open"] is True
    assert data["open_state"]["source"] == "weekday-rule"
    assert data["warnings"] == list(NOT_CONFIRMED_2027)
    assert data["action"] == "greet_and_ring" and data["menu"] is None

    menu = decide(DIRECTORY, CALENDAR, "02112330", None, at("2026-03-11T10:00")).to_dict()
    assert menu["action"] == "menu" and menu["open_state"] is None
    assert [o["digit"] for o in menu["menu"]["options"]] == ["1", "2", "3"]
    assert [o["centre_id"] for o in menu["menu"]["options"]] == ["sh", "sh-pd", "sh-cp"]
    assert menu["menu"]["options"][1]["label"] == "浦东新区知识产权维权援助中心"
    assert menu["menu"]["default_centre_id"] == "sh"
