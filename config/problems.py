"""Config problems: every one is collected and reported, none stops the check early."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: str
    key: str  # dotted path, e.g. "centre[3].area_codes[0]"; 0-based indexes
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.reason}"


class ConfigInvalid(Exception):
    """The config file set does not validate; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Report:
    """Collects the problems of one file."""

    def __init__(self, file: Path | str) -> None:
        self.file = str(file)
        self.problems: list[Problem] = []

    def add(self, key: str, reason: str) -> None:
        self.problems.append(Problem(self.file, key, reason))

    @property
    def ok(self) -> bool:
        return not self.problems
