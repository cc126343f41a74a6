"""The centres file -> Directory, reporting every problem (see defaults/centres.toml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from config.area_codes import area_code_problem
from config.hours import CLOSED_WEEK, Week, read_week
from config.lines import NAME, line_identity, parse_line
from config.menus import CentreSeen, read_menus
from config.model import WEEKDAYS, Centre, Directory, Line, Prompts, RingStrategy
from config.problems import Report
from config.tables import Table, read_toml

STANDARD_LINE_COUNT = 5
RING_TIMEOUT_RANGE = (5, 300)
# Centre ids and prompt names become file, queue and mailbox names that Asterisk
# receives verbatim (same rule as recordings/names.py).
_CENTRE_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_PROMPT_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")

_CENTRE_KEYS = (
    "id",
    "name",
    "province",
    "area_codes",
    "lines",
    "ring_strategy",
    "ring_timeout",
    "voicemail_box",
    "allowed_line_count",
    "hours",
    "prompts",
)


@dataclass(frozen=True)
class CentresResult:
    directory: Directory | None  # None unless the whole file validated
    # Ids seen even in a file with problems, so the calendar can still be checked;
    # None when the file could not be read at all.
    centre_ids: frozenset[str] | None


@dataclass(frozen=True)
class _Defaults:
    ring_strategy: RingStrategy = RingStrategy.RINGALL
    ring_timeout: int = 25
    hours: Week | None = CLOSED_WEEK  # None: [defaults.hours] given but invalid


@dataclass
class _LineRegistry:
    """Where each phone is already used, to catch one phone in two places."""

    seen: dict[tuple[str, str], str] = field(default_factory=dict)

    def claim(self, report: Report, key: str, line: Line, owner: str) -> None:
        identity = line_identity(line)
        if identity in self.seen:
            report.add(key, f"线路 {line.kind}:{line.target} 已用于 {self.seen[identity]}")
        else:
            self.seen[identity] = f"{key}（中心 {owner}）"


def load_centres(path: Path, report: Report, prompts_dir: Path | None) -> CentresResult:
    """Parse and check the centres file; prompt files are checked when prompts_dir is given."""
    raw = read_toml(path, report)
    if raw is None:
        return CentresResult(None, None)
    root = Table(report, "", raw, ("national", "defaults", "province", "centre", "menu"))
    national = root.table("national", ("fallback",), required=True)
    national_fallback = national.text("fallback") if national else None
    defaults = _read_defaults(root)
    province_fallbacks, area_provinces = _read_provinces(root)

    centres: list[Centre | None] = []
    seen: list[CentreSeen] = []
    lines = _LineRegistry()
    missing_prompts: set[str] = set()
    for table in root.tables("centre", _CENTRE_KEYS, required=True):
        centre, centre_seen = _read_centre(table, defaults, lines, set(province_fallbacks))
        if centre_seen.id is not None and any(s.id == centre_seen.id for s in seen):
            report.add(table.key("id"), f"中心编号 {centre_seen.id!r} 重复")
        centres.append(centre)
        seen.append(centre_seen)
        if centre is not None and prompts_dir is not None:
            _check_prompt_files(table, centre.prompts, prompts_dir, missing_prompts)

    menus = read_menus(root, seen)
    known_ids = {s.id for s in seen if s.id is not None}
    if national_fallback is not None and national_fallback not in known_ids:
        report.add("national.fallback", f"未知的中心 {national_fallback!r}")
    for province, (fallback, key) in province_fallbacks.items():
        if fallback is not None and fallback not in known_ids:
            report.add(key, f"{province}的兜底中心 {fallback!r} 未知")

    if not report.ok or menus is None or national_fallback is None:
        return CentresResult(None, frozenset(known_ids))
    directory = Directory(
        centres=tuple(c for c in centres if c is not None),
        menus=menus,
        province_fallbacks={p: f for p, (f, _) in province_fallbacks.items() if f is not None},
        area_provinces=area_provinces,
        national_fallback=national_fallback,
    )
    return CentresResult(directory, frozenset(known_ids))


def _read_defaults(root: Table) -> _Defaults:
    table = root.table("defaults", ("ring_strategy", "ring_timeout", "hours"))
    if table is None:
        return _Defaults()
    strategy = _read_strategy(table) or RingStrategy.RINGALL
    timeout = _read_ring_timeout(table) or 25
    hours_table = table.table("hours", WEEKDAYS)
    hours = read_week(hours_table, None) if hours_table else CLOSED_WEEK
    return _Defaults(strategy, timeout, hours)


def _read_strategy(table: Table) -> RingStrategy | None:
    text = table.text("ring_strategy", required=False)
    if text is None:
        return None
    try:
        return RingStrategy(text)
    except ValueError:
        choices = ", ".join(s.value for s in RingStrategy)
        table.report.add(table.key("ring_strategy"), f"未知的振铃策略 {text!r}（可用：{choices}）")
        return None


def _read_ring_timeout(table: Table) -> int | None:
    low, high = RING_TIMEOUT_RANGE
    return table.integer("ring_timeout", minimum=low, maximum=high, required=False)


def _read_provinces(
    root: Table,
) -> tuple[dict[str, tuple[str | None, str]], dict[str, str]]:
    """province -> (fallback centre id, its key) checked later; area code -> province."""
    fallbacks: dict[str, tuple[str | None, str]] = {}
    area_provinces: dict[str, str] = {}
    for table in root.tables("province", ("name", "fallback", "area_codes")):
        name = table.text("name")
        fallback = table.text("fallback")
        codes = table.text_list("area_codes") or []
        if name is not None:
            if name in fallbacks:
                table.report.add(table.key("name"), f"省份 {name!r} 重复声明")
            else:
                fallbacks[name] = (fallback, table.key("fallback"))
        for key, code in codes:
            reason = area_code_problem(code)
            if reason:
                table.report.add(key, reason)
            elif code in area_provinces:
                table.report.add(key, f"区号 {code} 已归属{area_provinces[code]}")
            elif name is not None:
                area_provinces[code] = name
    return fallbacks, area_provinces


def _read_centre(
    table: Table, defaults: _Defaults, lines: _LineRegistry, provinces: set[str]
) -> tuple[Centre | None, CentreSeen]:
    report = table.report
    problems_before = len(report.problems)
    centre_id = table.text("id")
    if centre_id is not None and not _CENTRE_ID.match(centre_id):
        report.add(table.key("id"), f"中心编号 {centre_id!r} 无效（小写字母、数字和 -，最长 32）")
    name = table.text("name")
    province = table.text("province")
    if province is not None and province not in provinces:
        report.add(table.key("province"), f"未知的省份 {province!r}（请在 [[province]] 中声明）")
    area_codes = _read_area_codes(table)
    centre_lines = _read_lines(table, lines, centre_id or "?")
    strategy = _read_strategy(table) or defaults.ring_strategy
    timeout = _read_ring_timeout(table) or defaults.ring_timeout
    box = table.text("voicemail_box", required=False, default="")
    if box and not NAME.match(box):
        report.add(
            table.key("voicemail_box"), f"语音信箱名 {box!r} 无效（只能含字母、数字、_ . -）"
        )
    hours_table = table.table("hours", WEEKDAYS)
    hours = read_week(hours_table, defaults.hours) if hours_table else defaults.hours
    if hours is not None and not any(hours):
        report.add(
            table.key("hours"),
            "每天都不开放：请在 [centre.hours] 或 [defaults.hours] 中给出工作时间",
        )
    prompts = _read_prompts(table)

    seen = CentreSeen(
        id=centre_id,
        name=name,
        menu_label=(prompts.menu_label if prompts else "") or (name or ""),
        area_codes=tuple(area_codes or ()),
        key=table.path,
    )
    parts = (centre_id, name, province, area_codes, centre_lines, hours, prompts)
    # A part is None when its problem was reported here or (defaults) elsewhere.
    if len(report.problems) > problems_before or any(part is None for part in parts):
        return None, seen
    assert centre_id and name and province and area_codes and centre_lines and hours and prompts
    centre = Centre(
        id=centre_id,
        name=name,
        province=province,
        area_codes=tuple(code for _, code in area_codes),
        lines=centre_lines,
        hours=hours,
        ring_strategy=strategy,
        ring_timeout=timeout,
        voicemail_box=box or "",
        prompts=prompts,
    )
    return centre, seen


def _read_area_codes(table: Table) -> list[tuple[str, str]] | None:
    items = table.text_list("area_codes")
    if items is None:
        return None
    if not items:
        table.report.add(table.key("area_codes"), "中心至少要有一个区号")
        return None
    first_seen: dict[str, str] = {}
    for key, code in items:
        reason = area_code_problem(code)
        if reason:
            table.report.add(key, reason)
        elif code in first_seen:
            table.report.add(key, f"区号 {code} 重复（另见 {first_seen[code]}）")
        else:
            first_seen[code] = key
    return items


def _read_lines(table: Table, registry: _LineRegistry, owner: str) -> tuple[Line, ...] | None:
    items = table.text_list("lines")
    allowed = table.integer("allowed_line_count", minimum=1, maximum=100, required=False)
    if items is None:
        return None
    parsed: list[Line] = []
    for key, spec in items:
        result = parse_line(spec)
        if isinstance(result, str):
            table.report.add(key, result)
        else:
            registry.claim(table.report, key, result, owner)
            parsed.append(result)
    count = len(table.data["lines"]) if isinstance(table.data.get("lines"), list) else 0
    if allowed is not None and count != allowed:
        table.report.add(
            table.key("lines"), f"给出 {count} 条线路，但 allowed_line_count = {allowed}"
        )
    elif allowed is None and not table.has("allowed_line_count") and count != STANDARD_LINE_COUNT:
        table.report.add(
            table.key("lines"),
            f"给出 {count} 条线路；每个中心应有 {STANDARD_LINE_COUNT} 条"
            "（其他数量须设置 allowed_line_count）",
        )
    return tuple(parsed)


def _read_prompts(table: Table) -> Prompts | None:
    prompts = table.table("prompts", ("greeting", "voicemail", "menu_label"))
    if prompts is None:
        return Prompts()
    greeting = prompts.text("greeting", required=False, default="greeting")
    voicemail = prompts.text("voicemail", required=False, default="voicemail")
    label = prompts.text("menu_label", required=False, default="")
    ok = greeting is not None and voicemail is not None and label is not None
    for name, value in (("greeting", greeting), ("voicemail", voicemail)):
        if value is not None and not _PROMPT_NAME.match(value):
            prompts.report.add(
                prompts.key(name),
                f"提示音名称 {value!r} 无效（不带 .wav 的文件名：小写字母、数字和 -）",
            )
            ok = False
    if not ok:
        return None
    assert greeting is not None and voicemail is not None and label is not None
    return Prompts(greeting=greeting, voicemail=voicemail, menu_label=label)


def _check_prompt_files(table: Table, prompts: Prompts, prompts_dir: Path, reported: set[str]):
    for role, name in (("greeting", prompts.greeting), ("voicemail", prompts.voicemail)):
        wav = prompts_dir / f"{name}.wav"
        if name not in reported and not wav.is_file():
            reported.add(name)
            table.report.add(f"{table.path}.prompts.{role}", f"提示音文件 {wav} 不存在")
