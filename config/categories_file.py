"""The call-log category lists -> Categories (see defaults/categories.toml)."""

from __future__ import annotations

import re
from pathlib import Path

from config.model import Categories, Category
from config.problems import Report
from config.tables import Table, read_toml

LIST_NAMES = ("ip_type", "caller_role", "caller_entity", "service_type")
KNOWN_FLAGS = frozenset({"sme"})  # sme: the 中小微 (small/medium/micro enterprise) box applies
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


def load_categories(path: Path, report: Report) -> Categories | None:
    raw = read_toml(path, report)
    if raw is None:
        return None
    root = Table(report, "", raw, LIST_NAMES)
    lists = {name: _read_list(root, name) for name in LIST_NAMES}
    if not report.ok:
        return None
    return Categories(lists=lists)


def _read_list(root: Table, name: str) -> tuple[Category, ...]:
    tables = root.tables(name, ("code", "label_zh", "gloss_en", "parent", "flags"), required=True)
    if name in root.data and not tables and isinstance(root.data[name], list):
        root.report.add(root.key(name), "列表为空")
    entries: list[tuple[Table, Category]] = []
    codes: dict[str, str] = {}
    for table in tables:
        code = table.text("code")
        label = table.text("label_zh")
        gloss = table.text("gloss_en")
        parent = table.text("parent", required=False)
        flags = table.text_list("flags", required=False) or []
        for key, flag in flags:
            if flag not in KNOWN_FLAGS:
                known = ", ".join(sorted(KNOWN_FLAGS))
                table.report.add(key, f"未知的标记 {flag!r}（可用：{known}）")
        if code is not None and not _CODE.match(code):
            table.report.add(
                table.key("code"), f"代码 {code!r} 无效（小写字母开头，只含 a-z、0-9 和 _）"
            )
        elif code is not None and code in codes:
            table.report.add(table.key("code"), f"代码 {code!r} 重复（另见 {codes[code]}）")
            continue
        if code is not None:
            codes[code] = table.path
        if code and label and gloss:
            category = Category(code, label, gloss, parent, tuple(f for _, f in flags))
            entries.append((table, category))
    parents = {c.code: c for _, c in entries}
    for table, category in entries:
        if category.parent is None:
            continue
        parent = parents.get(category.parent)
        if parent is None:
            table.report.add(table.key("parent"), f"{name} 中没有上级代码 {category.parent!r}")
        elif parent.parent is not None:
            # One level of sub-types keeps the form's drop-downs simple and rules out cycles.
            table.report.add(
                table.key("parent"), f"上级 {parent.code!r} 本身是子类（只允许一级子类）"
            )
    return tuple(c for _, c in entries)
