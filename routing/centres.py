"""Which centre(s) take a call for an area code, with the fallback chain and its reason."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from config.model import Directory, Menu, MenuOption
from routing.reasons import Code, Reason


class ChoiceKind(StrEnum):
    SINGLE = "single"  # one centre serves the area code
    MENU = "menu"  # several do: the caller picks with a digit
    FALLBACK = "fallback"  # none does: province fallback, else national fallback


@dataclass(frozen=True)
class CentreChoice:
    kind: ChoiceKind
    centre_ids: tuple[str, ...]
    menu: Menu | None
    reason: Reason


def choose_centres(directory: Directory, area_code: str | None) -> CentreChoice:
    national = directory.national_fallback
    if area_code is None:
        reason = Reason.of(Code.CENTRE_NO_AREA, centre=national)
        return CentreChoice(ChoiceKind.FALLBACK, (national,), None, reason)
    serving = directory.centres_for_area(area_code)
    if len(serving) == 1:
        only = serving[0].id
        reason = Reason.of(Code.CENTRE_SINGLE, area=area_code, centre=only)
        return CentreChoice(ChoiceKind.SINGLE, (only,), None, reason)
    if len(serving) > 1:
        menu = directory.menu_for_area(area_code) or _derived_menu(directory, area_code)
        ids = tuple(option.centre_id for option in menu.options)
        return CentreChoice(
            ChoiceKind.MENU,
            ids,
            menu,
            Reason.of(Code.CENTRE_MENU, area=area_code, centres=list(ids)),
        )
    return _fallback(directory, area_code)


def _fallback(directory: Directory, area_code: str) -> CentreChoice:
    national = directory.national_fallback
    province = directory.area_provinces.get(area_code)
    if province is None:
        why = Reason.of(Code.CENTRE_PROVINCE_UNKNOWN, area=area_code, centre=national)
        return CentreChoice(ChoiceKind.FALLBACK, (national,), None, why)
    centre_id = directory.province_fallbacks.get(province)
    if centre_id is None:
        why = Reason.of(
            Code.CENTRE_PROVINCE_NO_FALLBACK, area=area_code, province=province, centre=national
        )
        return CentreChoice(ChoiceKind.FALLBACK, (national,), None, why)
    why = Reason.of(
        Code.CENTRE_PROVINCE_FALLBACK, area=area_code, province=province, centre=centre_id
    )
    return CentreChoice(ChoiceKind.FALLBACK, (centre_id,), None, why)


def _derived_menu(directory: Directory, area_code: str) -> Menu:
    """Only reached when the loader built no menu for a shared code: better a menu than a
    dropped call. Digits follow the centres' order in the file; one digit each, so at most 9."""
    centres = directory.centres_for_area(area_code)[:9]
    options = tuple(
        MenuOption(str(i), c.id, c.prompts.menu_label or c.name)
        for i, c in enumerate(centres, start=1)
    )
    return Menu(area_code, options, default_centre_id=centres[0].id)
