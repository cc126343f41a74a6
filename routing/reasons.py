"""Why a call went where it went, as a code with parameters; rendered per language.

Routing returns a Reason (open or closed, which area code, which centre, the menu); the
call log stores it as JSON text `{"code": ..., **params}` (calls.open_reason,
calls.failure_reason, event details), never prose. The call's failure reasons (the
dialplan's fallback, a cut-off call) share the table, so one renderer serves the
console (zh) and the CLI (en). Rows stored before codes existed read as LEGACY.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Code(StrEnum):
    # Open or closed (routing.hours).
    OPEN_HOURS = "open_hours"  # range
    OPEN_MAKEUP_DAY = "open_makeup_day"  # date, range
    OPEN_SPECIAL_HOURS = "open_special_hours"  # range, note
    CLOSED_LOCAL = "closed_local"  # note
    CLOSED_HOLIDAY = "closed_holiday"  # name
    CLOSED_MAKEUP_NO_HOURS = "closed_makeup_no_hours"
    CLOSED_WEEKEND = "closed_weekend"
    CLOSED_NO_HOURS = "closed_no_hours"  # weekday (mon..sun)
    # The closed verdicts within a day's ranges; `special` = the local special-hours note.
    CLOSED_BEFORE_OPENING = "closed_before_opening"  # opens, [special]
    CLOSED_AFTER_CLOSING = "closed_after_closing"  # closes, [special]
    CLOSED_BREAK = "closed_break"  # start, end, [special]
    CLOSED_OUTSIDE_HOURS = "closed_outside_hours"  # [special]
    # Which area code (routing.area); `problem` = why the dialled number was rejected.
    AREA_DIALLED = "area_dialled"  # area, dialled
    AREA_TRUNK = "area_trunk"  # area, dialled, [problem]
    AREA_NONE = "area_none"  # dialled, [problem]
    AREA_TRUNK_REJECTED = "area_trunk_rejected"  # dialled, [problem], trunk, trunk_problem
    # Which centre(s) (routing.centres); after a menu, `then` is the menu's reason.
    CENTRE_SINGLE = "centre_single"  # area, centre
    CENTRE_MENU = "centre_menu"  # area, centres
    CENTRE_NO_AREA = "centre_no_area"  # centre (the national fallback)
    CENTRE_PROVINCE_UNKNOWN = "centre_province_unknown"  # area, centre
    CENTRE_PROVINCE_NO_FALLBACK = "centre_province_no_fallback"  # area, province, centre
    CENTRE_PROVINCE_FALLBACK = "centre_province_fallback"  # area, province, centre
    # The shared code's menu (routing.menu).
    MENU_DIGIT = "menu_digit"  # digit, centre, failed
    MENU_DEFAULT = "menu_default"  # centre
    MENU_WAITING = "menu_waiting"  # attempt, max_tries
    MENU_CALLER_CHOSE = "menu_caller_chose"  # centre
    # Why a call failed or was routed without the server (hangup step, reconcile).
    FALLBACK_NATIONAL = "fallback_national"  # [reconciled]
    FALLBACK_DIALPLAN = "fallback_dialplan"  # centre, [reconciled]
    UNKNOWN_STEP = "unknown_step"  # step, [reconciled]
    CUT_OFF = "cut_off"  # reconcile: the end was never recorded
    # Stored before codes existed, and not recognised by migration 0006.
    LEGACY = "legacy"  # text


@dataclass(frozen=True)
class Reason:
    code: Code
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code.value, **self.params}

    def to_json(self, limit: int | None = None) -> str:
        """JSON text; within `limit` characters when given, by shortening the longest
        free-text parameter (a calendar note, a holiday name) with "…"."""
        data = self.to_dict()
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        while limit is not None and len(text) > limit:
            texts = [k for k, v in data.items() if k != "code" and isinstance(v, str) and v]
            if not texts:
                raise ValueError(f"reason {self.code} cannot fit in {limit} characters")
            longest = max(texts, key=lambda k: len(data[k]))
            value = data[longest].removesuffix("…")
            data[longest] = value[: max(0, len(value) - (len(text) - limit) - 1)] + "…"
            if data[longest] == "…":
                data[longest] = ""
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return text

    def with_params(self, **params: Any) -> Reason:
        return Reason(self.code, {**self.params, **params})

    @classmethod
    def of(cls, code: Code, **params: Any) -> Reason:
        return cls(code, params)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        """Raises ValueError for a dict without a known code."""
        params = dict(data)
        return cls(Code(params.pop("code")), params)


def parse_stored(text: str | Mapping[str, Any] | None) -> Reason | None:
    """A stored reason (JSON text or its dict); anything else is kept as LEGACY text."""
    if text is None or text == "":
        return None
    data: object = text
    if isinstance(text, str):
        try:
            data = json.loads(text)
        except ValueError:
            return Reason.of(Code.LEGACY, text=text)
    if isinstance(data, Mapping):
        try:
            return Reason.from_dict(data)
        except (KeyError, ValueError):
            pass
    return Reason.of(Code.LEGACY, text=text if isinstance(text, str) else json.dumps(text))


def stored(text: str | None, limit: int | None = None) -> str | None:
    """`text` as the call log stores it: JSON of a code (prose becomes LEGACY)."""
    reason = parse_stored(text)
    return reason.to_json(limit) if reason else None


# --- rendering ---------------------------------------------------------------------------

WEEKDAYS_EN = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
WEEKDAYS_ZH = {
    "mon": "星期一",
    "tue": "星期二",
    "wed": "星期三",
    "thu": "星期四",
    "fri": "星期五",
    "sat": "星期六",
    "sun": "星期日",
}

EN: dict[Code, str] = {
    Code.OPEN_HOURS: "open: working hours {range}",
    Code.OPEN_MAKEUP_DAY: "open: make-up working day {date}",
    Code.OPEN_SPECIAL_HOURS: "open: special hours {range} ({note})",
    Code.CLOSED_LOCAL: "closed: local closure {note}",
    Code.CLOSED_HOLIDAY: "closed: statutory holiday {name}",
    Code.CLOSED_MAKEUP_NO_HOURS: "closed: make-up working day but no weekday opening hours",
    Code.CLOSED_WEEKEND: "closed: weekend",
    Code.CLOSED_NO_HOURS: "closed: no opening hours on {weekday_name}",
    Code.CLOSED_BEFORE_OPENING: "closed: before opening {opens}{special_note}",
    Code.CLOSED_AFTER_CLOSING: "closed: after closing {closes}{special_note}",
    Code.CLOSED_BREAK: "closed: lunch break {start}–{end}{special_note}",
    Code.CLOSED_OUTSIDE_HOURS: "closed: outside opening hours{special_note}",
    Code.AREA_DIALLED: "area code {area} from dialled number {dialled}",
    Code.AREA_TRUNK: "{why_not_dialled}; area code {area} from trunk",
    Code.AREA_NONE: "{why_not_dialled}; no trunk area code",
    Code.AREA_TRUNK_REJECTED: (
        "{why_not_dialled}; trunk area code '{trunk}' rejected: {trunk_problem}"
    ),
    Code.CENTRE_SINGLE: "area code {area} served by {centre}",
    Code.CENTRE_MENU: "area code {area} shared by {centre_list}; menu",
    Code.CENTRE_NO_AREA: "no area code; national fallback {centre}",
    Code.CENTRE_PROVINCE_UNKNOWN: (
        "no centre for area code {area}; province unknown; national fallback {centre}"
    ),
    Code.CENTRE_PROVINCE_NO_FALLBACK: (
        "no centre for area code {area}; province {province} has no fallback; "
        "national fallback {centre}"
    ),
    Code.CENTRE_PROVINCE_FALLBACK: (
        "no centre for area code {area}; province {province} fallback {centre}"
    ),
    Code.MENU_DIGIT: "digit {digit} chose {centre}{after_failed}",
    Code.MENU_DEFAULT: "max tries reached; default centre {centre}",
    Code.MENU_WAITING: "waiting for a digit (attempt {attempt} of {max_tries})",
    Code.MENU_CALLER_CHOSE: "caller chose {centre}",
    Code.FALLBACK_NATIONAL: (
        "{agi_down}: fallback greeting and national voicemail{reconciled_note}"
    ),
    Code.FALLBACK_DIALPLAN: (
        "{agi_down}: the dialplan's fallback routed the call to {centre}{reconciled_note}"
    ),
    Code.UNKNOWN_STEP: "{reconciled_prefix}call ended in unknown step '{step}'",
    Code.CUT_OFF: "reconciled: the call's end was never recorded (Asterisk stopped with it up)",
    Code.LEGACY: "{text}",
}

ZH: dict[Code, str] = {
    Code.OPEN_HOURS: "开放：工作时间 {range}",
    Code.OPEN_MAKEUP_DAY: "开放：调休工作日 {date}",
    Code.OPEN_SPECIAL_HOURS: "开放：特殊时间 {range}（{note}）",
    Code.CLOSED_LOCAL: "关闭：本中心闭馆 {note}",
    Code.CLOSED_HOLIDAY: "关闭：法定节假日 {name}",
    Code.CLOSED_MAKEUP_NO_HOURS: "关闭：调休工作日，但工作日无开放时间",
    Code.CLOSED_WEEKEND: "关闭：周末",
    Code.CLOSED_NO_HOURS: "关闭：{weekday_name}无开放时间",
    Code.CLOSED_BEFORE_OPENING: "关闭：尚未开始办公，开始于 {opens}{special_note}",
    Code.CLOSED_AFTER_CLOSING: "关闭：已下班，结束于 {closes}{special_note}",
    Code.CLOSED_BREAK: "关闭：午休 {start}–{end}{special_note}",
    Code.CLOSED_OUTSIDE_HOURS: "关闭：非工作时间{special_note}",
    Code.AREA_DIALLED: "区号 {area}，取自拨打的号码 {dialled}",
    Code.AREA_TRUNK: "{why_not_dialled}；区号 {area} 取自中继线",
    Code.AREA_NONE: "{why_not_dialled}；中继线无区号",
    Code.AREA_TRUNK_REJECTED: "{why_not_dialled}；中继线区号「{trunk}」无效：{trunk_problem}",
    Code.CENTRE_SINGLE: "区号 {area} 由 {centre} 受理",
    Code.CENTRE_MENU: "区号 {area} 由 {centre_list} 共用；语音菜单",
    Code.CENTRE_NO_AREA: "无区号；全国兜底中心 {centre}",
    Code.CENTRE_PROVINCE_UNKNOWN: "区号 {area} 无受理中心；省份不明；全国兜底中心 {centre}",
    Code.CENTRE_PROVINCE_NO_FALLBACK: (
        "区号 {area} 无受理中心；{province} 无省内兜底中心；全国兜底中心 {centre}"
    ),
    Code.CENTRE_PROVINCE_FALLBACK: "区号 {area} 无受理中心；{province} 省内兜底中心 {centre}",
    Code.MENU_DIGIT: "按键 {digit} 选择 {centre}{after_failed}",
    Code.MENU_DEFAULT: "已达最大尝试次数；默认中心 {centre}",
    Code.MENU_WAITING: "等待按键（第 {attempt} 次，共 {max_tries} 次）",
    Code.MENU_CALLER_CHOSE: "来电人选择 {centre}",
    Code.FALLBACK_NATIONAL: "FastAGI 不可用或失败：兜底问候语，全国留言箱{reconciled_note}",
    Code.FALLBACK_DIALPLAN: "FastAGI 不可用或失败：拨号方案兜底路由至 {centre}{reconciled_note}",
    Code.UNKNOWN_STEP: "通话结束于未知步骤「{step}」{reconciled_note}",
    Code.CUT_OFF: "对账：通话结束未被记录（Asterisk 停止时通话仍在进行）",
    Code.LEGACY: "{text}",
}

TEMPLATES = {"en": EN, "zh": ZH}


def _derived_en(p: Mapping[str, Any]) -> dict[str, str]:
    failed = int(p.get("failed") or 0)
    # Reconcile only knows the server was unreachable; the live hangup step, that it was
    # unreachable or failed.
    agi_down = "FastAGI unavailable" if p.get("reconciled") else "FastAGI unavailable or failed"
    dialled = p.get("dialled", "")
    return {
        "weekday_name": WEEKDAYS_EN.get(str(p.get("weekday")), str(p.get("weekday", ""))),
        "special_note": f" (special hours: {p['special']})" if p.get("special") else "",
        "why_not_dialled": (
            f"dialled number '{dialled}' rejected: {p['problem']}"
            if p.get("problem")
            else f"dialled {dialled} has no area code"
        ),
        "centre_list": ", ".join(p.get("centres") or ()),
        "after_failed": (
            f" after {failed} failed attempt{'s' if failed != 1 else ''}" if failed else ""
        ),
        "agi_down": agi_down,
        "reconciled_note": " (reconciled)" if p.get("reconciled") else "",
        "reconciled_prefix": "reconciled: " if p.get("reconciled") else "",
    }


def _derived_zh(p: Mapping[str, Any]) -> dict[str, str]:
    failed = int(p.get("failed") or 0)
    dialled = p.get("dialled", "")
    return {
        "weekday_name": WEEKDAYS_ZH.get(str(p.get("weekday")), str(p.get("weekday", ""))),
        "special_note": f"（特殊时间：{p['special']}）" if p.get("special") else "",
        "why_not_dialled": (
            f"拨打的号码「{dialled}」无效：{p['problem']}"
            if p.get("problem")
            else f"拨打的号码 {dialled} 不含区号"
        ),
        "centre_list": "、".join(p.get("centres") or ()),
        "after_failed": f"（此前 {failed} 次无效）" if failed else "",
        "reconciled_note": "（对账补记）" if p.get("reconciled") else "",
    }


DERIVED: dict[str, Callable[[Mapping[str, Any]], dict[str, str]]] = {
    "en": _derived_en,
    "zh": _derived_zh,
}
SEPARATOR = {"en": "; ", "zh": "；"}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""  # a parameter a stored row lacks renders empty, never raises


def render(reason: Reason | None, lang: str = "en") -> str:
    """The reason as staff (zh) or administrators (en) read it; a nested `then` reason
    (the menu's, after a shared code) follows the main one."""
    if reason is None:
        return "—"
    params = reason.params
    values = _Blank({k: v for k, v in params.items() if v is not None})
    values.update(DERIVED[lang](params))
    text = TEMPLATES[lang][reason.code].format_map(values).strip()
    then = params.get("then")
    if isinstance(then, Mapping):
        nested = parse_stored(then)
        text += SEPARATOR[lang] + render(nested, lang)
    return text


def render_stored(text: str | None, lang: str = "en") -> str:
    return render(parse_stored(text), lang)
