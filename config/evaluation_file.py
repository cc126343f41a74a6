"""The supervisors' evaluation form (see defaults/evaluation.toml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from config.problems import ConfigInvalid, Report
from config.tables import Table, read_toml

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
MAX_ITEM_POINTS = 1000


@dataclass(frozen=True)
class ScoredItem:
    code: str
    label_zh: str
    max_points: int


@dataclass(frozen=True)
class AutoFailItem:
    code: str
    label_zh: str


@dataclass(frozen=True)
class EvaluationForm:
    items: tuple[ScoredItem, ...]
    auto_fail: tuple[AutoFailItem, ...]
    pass_score: int

    @property
    def max_total(self) -> int:
        return sum(item.max_points for item in self.items)


def load_evaluation_form(path: Path) -> EvaluationForm:
    """The validated form; raises ConfigInvalid listing every problem."""
    report = Report(path)
    form = read_evaluation_form(path, report)
    if form is None:
        raise ConfigInvalid(report.problems)
    return form


def read_evaluation_form(path: Path, report: Report) -> EvaluationForm | None:
    raw = read_toml(path, report)
    if raw is None:
        return None
    root = Table(report, "", raw, ("pass_score", "item", "auto_fail"))
    codes: dict[str, str] = {}
    items: list[ScoredItem] = []
    for table in root.tables("item", ("code", "label_zh", "max"), required=True):
        code, label = _code(table, codes), table.text("label_zh")
        points = table.integer("max", minimum=1, maximum=MAX_ITEM_POINTS)
        if code and label and points:
            items.append(ScoredItem(code, label, points))
    red_lines: list[AutoFailItem] = []
    for table in root.tables("auto_fail", ("code", "label_zh")):
        code, label = _code(table, codes), table.text("label_zh")
        if code and label:
            red_lines.append(AutoFailItem(code, label))
    pass_score = root.integer("pass_score", minimum=0, maximum=MAX_ITEM_POINTS * 100)
    if not items and "item" in raw:
        report.add("item", "评分项不能为空")
    total = sum(item.max_points for item in items)
    if pass_score is not None and items and pass_score > total:
        report.add(root.key("pass_score"), f"合格分 {pass_score} 高于满分 {total}")
    if not report.ok or pass_score is None:
        return None
    return EvaluationForm(tuple(items), tuple(red_lines), pass_score)


def _code(table: Table, seen: dict[str, str]) -> str | None:
    code = table.text("code")
    if code is None:
        return None
    if not _CODE.match(code):
        table.report.add(
            table.key("code"), f"代码 {code!r} 无效（小写字母开头，只含 a-z、0-9 和 _）"
        )
        return None
    if code in seen:
        table.report.add(table.key("code"), f"代码 {code!r} 重复（另见 {seen[code]}）")
        return None
    seen[code] = table.path
    return code
