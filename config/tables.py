"""Reading TOML tables key by key, reporting unknown, missing and mistyped keys.

Every accessor returns None when the value is missing or unusable; the problem
is already in the report, so callers only need to skip their own checks.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from config.problems import Report

_TOML_POSITION = re.compile(r"\((?:at )?(line \d+)(?:, column \d+)?\)|\(at (end of document)\)")


def read_toml(path: Path, report: Report) -> dict[str, Any] | None:
    """The parsed file, or None with a problem (unreadable, syntax error, impossible date)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        report.add("(file)", f"无法读取文件：{exc.strerror or exc}")
        return None
    except UnicodeDecodeError as exc:
        report.add("(file)", f"不是 UTF-8 文本（第 {exc.start} 字节：{exc.reason}）")
        return None
    try:
        return tomllib.loads(text)
    except RecursionError:
        # tomllib parses nested arrays/tables recursively: a hostile nesting depth would
        # otherwise escape every caller (and kill the SIGHUP reload task).
        report.add("(file)", "TOML 嵌套层数过深，无法解析")
        return None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        where = (found.group(1) or found.group(2)) if found else "(file)"
        report.add(where, f"TOML 格式错误（含不存在的日期）：{message}")
        return None


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, float):
        return "小数"
    if isinstance(value, str):
        return "字符串"
    if isinstance(value, dt.datetime):
        return "日期时间"
    if isinstance(value, dt.date):
        return "日期"
    if isinstance(value, dt.time):
        return "时间"
    if isinstance(value, list):
        return "数组"
    if isinstance(value, dict):
        return "表"
    return type(value).__name__


def join_key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class Table:
    """One TOML table at key path `path`; unknown keys are reported on creation."""

    def __init__(self, report: Report, path: str, data: dict[str, Any], allowed: Iterable[str]):
        self.report = report
        self.path = path
        self.data = data
        allowed_set = set(allowed)
        for name in data:
            if name not in allowed_set:
                allowed_text = ", ".join(sorted(allowed_set))
                report.add(self.key(name), f"未知的键（可用：{allowed_text}）")

    def key(self, name: str) -> str:
        return join_key(self.path, name)

    def has(self, name: str) -> bool:
        return name in self.data

    def _get(self, name: str, required: bool) -> Any:
        if name not in self.data:
            if required:
                self.report.add(self.key(name), "缺少必填的键")
            return None
        return self.data[name]

    def _wrong(self, name: str, expected: str, value: object) -> None:
        self.report.add(self.key(name), f"类型错误：应为{expected}，实际为{type_name(value)}")

    def text(
        self,
        name: str,
        *,
        required: bool = True,
        default: str | None = None,
        empty_ok: bool = False,
    ) -> str | None:
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, str):
            self._wrong(name, "字符串", value)
            return None
        if not empty_ok and not value.strip():
            self.report.add(self.key(name), "不能为空")
            return None
        return value

    def integer(
        self,
        name: str,
        *,
        minimum: int,
        maximum: int,
        required: bool = True,
        default: int | None = None,
    ) -> int | None:
        value = self._get(name, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong(name, "整数", value)
            return None
        if not minimum <= value <= maximum:
            self.report.add(self.key(name), f"{value} 超出范围 {minimum}..{maximum}")
            return None
        return value

    def boolean(self, name: str, *, required: bool = True) -> bool | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            self._wrong(name, "布尔值（true 或 false）", value)
            return None
        return value

    def date(self, name: str, *, required: bool = True) -> dt.date | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            self._wrong(name, "日期（TOML 日期如 2026-10-01，不加引号、不带时间）", value)
            return None
        return value

    def text_list(self, name: str, *, required: bool = True) -> list[tuple[str, str]] | None:
        """The strings of an array with each one's key path; non-strings are reported."""
        value = self._get(name, required)
        if value is None:
            return None
        return self.text_items(name, value)

    def text_items(self, name: str, value: object) -> list[tuple[str, str]] | None:
        if not isinstance(value, list):
            self._wrong(name, "字符串数组", value)
            return None
        items: list[tuple[str, str]] = []
        for index, item in enumerate(value):
            item_key = f"{self.key(name)}[{index}]"
            if isinstance(item, str):
                items.append((item_key, item))
            else:
                self.report.add(item_key, f"类型错误：应为字符串，实际为{type_name(item)}")
        return items

    def table(self, name: str, allowed: Iterable[str], *, required: bool = False) -> Table | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self._wrong(name, f"表（[{self.key(name)}]）", value)
            return None
        return Table(self.report, self.key(name), value, allowed)

    def mapping(self, name: str, *, required: bool = True) -> dict[str, Any] | None:
        """A table with free keys (e.g. menu options), checked by the caller."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self._wrong(name, "表", value)
            return None
        return value

    def tables(self, name: str, allowed: Iterable[str], *, required: bool = False) -> list[Table]:
        """An array of tables ([[name]]), each as a Table with key path name[i]."""
        value = self._get(name, required)
        if value is None:
            return []
        expected = f"表数组（[[{self.key(name)}]]）"
        if not isinstance(value, list):
            self._wrong(name, expected, value)
            return []
        odd = next((v for v in value if not isinstance(v, dict)), None)
        if odd is not None:
            got = f"含{type_name(odd)}的数组"
            self.report.add(self.key(name), f"类型错误：应为{expected}，实际为{got}")
            return []
        allowed = tuple(allowed)
        return [
            Table(self.report, f"{self.key(name)}[{index}]", item, allowed)
            for index, item in enumerate(value)
        ]
