"""Menus for area codes shared by several centres: explicit [[menu]] tables or derived ones."""

from __future__ import annotations

import re
from dataclasses import dataclass

from config.area_codes import area_code_problem
from config.model import Menu, MenuOption
from config.tables import Table, type_name

_DIGIT = re.compile(r"^[1-9]$")
DERIVED_MAX_TRIES = 3
DERIVED_TIMEOUT = 5
MAX_TRIES_RANGE = (1, 9)
TIMEOUT_RANGE = (1, 30)  # seconds to wait for a digit


@dataclass(frozen=True)
class CentreSeen:
    """What a menu needs to know of a centre, even one that has problems itself."""

    id: str | None
    name: str | None
    menu_label: str
    area_codes: tuple[tuple[str, str], ...]  # (key path, code)
    key: str


def read_menus(root: Table, centres: list[CentreSeen]) -> tuple[Menu, ...] | None:
    """Explicit menus, then one derived menu per shared area code without one."""
    serving = _centres_by_area(centres)
    by_id = {c.id: c for c in centres if c.id is not None}
    menus: list[Menu] = []
    ok = True
    explicit: dict[str, str] = {}  # area code -> menu key
    for table in root.tables("menu", ("area_code", "default", "max_tries", "timeout", "options")):
        area_code = table.text("area_code")
        if area_code is not None:
            if area_code in explicit:
                table.report.add(
                    table.key("area_code"),
                    f"区号 {area_code} 的菜单已在 {explicit[area_code]}",
                )
                area_code = None
            else:
                explicit[area_code] = table.path
        menu = _read_menu(table, area_code, serving, by_id)
        ok = ok and menu is not None
        if menu is not None:
            menus.append(menu)

    for area_code, sharing in serving.items():
        if len(sharing) < 2 or area_code in explicit:
            continue
        if len(sharing) > 9:
            key, _ = next(kc for kc in sharing[9].area_codes if kc[1] == area_code)
            root.report.add(key, f"区号 {area_code} 由超过 9 个中心共用，菜单只有 1-9 键")
            ok = False
            continue
        options = tuple(
            MenuOption(str(digit), centre.id or "", centre.menu_label)
            for digit, centre in enumerate(sharing, start=1)
        )
        menus.append(Menu(area_code, options, options[0].centre_id))
    return tuple(menus) if ok else None


def _centres_by_area(centres: list[CentreSeen]) -> dict[str, list[CentreSeen]]:
    serving: dict[str, list[CentreSeen]] = {}
    for centre in centres:
        for _, code in centre.area_codes:
            if area_code_problem(code) is None and centre not in serving.get(code, []):
                serving.setdefault(code, []).append(centre)
    return serving


def _read_menu(
    table: Table,
    area_code: str | None,
    serving: dict[str, list[CentreSeen]],
    by_id: dict[str, CentreSeen],
) -> Menu | None:
    report = table.report
    before = len(report.problems)
    sharing: list[CentreSeen] | None = None
    if area_code is not None:
        reason = area_code_problem(area_code)
        sharing = serving.get(area_code, [])
        if reason:
            report.add(table.key("area_code"), reason)
            sharing = None
        elif len(sharing) < 2:
            report.add(
                table.key("area_code"),
                f"区号 {area_code} 只有 {len(sharing)} 个中心服务；"
                "菜单只用于 2 个及以上中心共用的区号",
            )
            sharing = None
    low, high = MAX_TRIES_RANGE
    max_tries = table.integer("max_tries", minimum=low, maximum=high, required=False, default=3)
    low, high = TIMEOUT_RANGE
    timeout = table.integer("timeout", minimum=low, maximum=high, required=False, default=5)
    options = _read_options(table, area_code, sharing, by_id)
    default = table.text("default", required=False)
    if options and default is not None and default not in {o.centre_id for o in options}:
        report.add(table.key("default"), f"默认中心 {default!r} 不在菜单选项中")
    if len(report.problems) > before or not options or area_code is None:
        return None
    assert max_tries is not None and timeout is not None
    return Menu(area_code, options, default or options[0].centre_id, max_tries, timeout)


def _read_options(
    table: Table,
    area_code: str | None,
    sharing: list[CentreSeen] | None,
    by_id: dict[str, CentreSeen],
) -> tuple[MenuOption, ...] | None:
    raw = table.mapping("options")
    if raw is None:
        return None
    report = table.report
    options: list[MenuOption] = []
    digit_of: dict[str, str] = {}  # centre id -> digit
    for digit, centre_id in raw.items():
        key = table.key(f"options.{digit}")
        if not _DIGIT.match(digit):
            report.add(key, f"菜单键 {digit!r} 不是 1-9 中的单个数字")
            continue
        if not isinstance(centre_id, str):
            report.add(key, f"类型错误：应为中心编号字符串，实际为{type_name(centre_id)}")
            continue
        if centre_id in digit_of:
            report.add(key, f"中心 {centre_id!r} 已占用按键 {digit_of[centre_id]}")
            continue
        digit_of[centre_id] = digit
        centre = by_id.get(centre_id)
        if centre is None:
            report.add(key, f"未知的中心 {centre_id!r}")
            continue
        if sharing is not None and centre not in sharing:
            report.add(key, f"中心 {centre_id!r} 不服务区号 {area_code}")
            continue
        options.append(MenuOption(digit, centre_id, centre.menu_label))
    if not raw:
        report.add(table.key("options"), "菜单没有选项")
    for centre in sharing or ():
        if centre.id is not None and centre.id not in digit_of:
            report.add(
                table.key("options"),
                f"中心 {centre.id!r} 服务区号 {area_code}，但菜单中没有它的按键",
            )
    return tuple(sorted(options, key=lambda o: o.digit))
