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
        report.add("(file)", f"cannot read: {exc.strerror or exc}")
        return None
    except UnicodeDecodeError as exc:
        report.add("(file)", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        where = (found.group(1) or found.group(2)) if found else "(file)"
        report.add(where, f"not valid TOML: {message}")
        return None


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date-time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
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
                report.add(self.key(name), f"unknown key (allowed: {allowed_text})")

    def key(self, name: str) -> str:
        return join_key(self.path, name)

    def has(self, name: str) -> bool:
        return name in self.data

    def _get(self, name: str, required: bool) -> Any:
        if name not in self.data:
            if required:
                self.report.add(self.key(name), "required key missing")
            return None
        return self.data[name]

    def _wrong(self, name: str, expected: str, value: object) -> None:
        self.report.add(self.key(name), f"expected {expected}, got {type_name(value)}")

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
            self._wrong(name, "a string", value)
            return None
        if not empty_ok and not value.strip():
            self.report.add(self.key(name), "must not be empty")
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
            self._wrong(name, "an integer", value)
            return None
        if not minimum <= value <= maximum:
            self.report.add(self.key(name), f"{value} out of range {minimum}..{maximum}")
            return None
        return value

    def boolean(self, name: str, *, required: bool = True) -> bool | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            self._wrong(name, "true or false", value)
            return None
        return value

    def date(self, name: str, *, required: bool = True) -> dt.date | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            self._wrong(name, "a TOML date such as 2026-10-01 (no quotes, no time)", value)
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
            self._wrong(name, "an array of strings", value)
            return None
        items: list[tuple[str, str]] = []
        for index, item in enumerate(value):
            item_key = f"{self.key(name)}[{index}]"
            if isinstance(item, str):
                items.append((item_key, item))
            else:
                self.report.add(item_key, f"expected a string, got {type_name(item)}")
        return items

    def table(self, name: str, allowed: Iterable[str], *, required: bool = False) -> Table | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self._wrong(name, f"a table ([{self.key(name)}])", value)
            return None
        return Table(self.report, self.key(name), value, allowed)

    def mapping(self, name: str, *, required: bool = True) -> dict[str, Any] | None:
        """A table with free keys (e.g. menu options), checked by the caller."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self._wrong(name, "a table", value)
            return None
        return value

    def tables(self, name: str, allowed: Iterable[str], *, required: bool = False) -> list[Table]:
        """An array of tables ([[name]]), each as a Table with key path name[i]."""
        value = self._get(name, required)
        if value is None:
            return []
        expected = f"an array of tables ([[{self.key(name)}]])"
        if not isinstance(value, list):
            self._wrong(name, expected, value)
            return []
        odd = next((v for v in value if not isinstance(v, dict)), None)
        if odd is not None:
            got = f"an array holding a {type_name(odd)}"
            self.report.add(self.key(name), f"expected {expected}, got {got}")
            return []
        allowed = tuple(allowed)
        return [
            Table(self.report, f"{self.key(name)}[{index}]", item, allowed)
            for index, item in enumerate(value)
        ]
