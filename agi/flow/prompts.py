"""Prompt names -> the path Asterisk plays (absolute, without extension)."""

from __future__ import annotations

from pathlib import Path

from config.model import Centre
from recordings.names import GOODBYE, GREETING, INVALID, TIMEOUT, VOICEMAIL, menu_prompt_name


class PromptPaths:
    def __init__(self, prompts_dir: Path) -> None:
        self._dir = prompts_dir

    def path(self, name: str) -> str:
        return str(self._dir / name)

    def greeting(self, centre: Centre | None) -> str:
        return self.path(centre.prompts.greeting if centre else GREETING)

    def voicemail(self, centre: Centre | None) -> str:
        return self.path(centre.prompts.voicemail if centre else VOICEMAIL)

    def menu(self, area_code: str) -> str:
        return self.path(menu_prompt_name(area_code))

    @property
    def invalid(self) -> str:
        return self.path(INVALID)

    @property
    def timeout(self) -> str:
        return self.path(TIMEOUT)

    @property
    def goodbye(self) -> str:
        return self.path(GOODBYE)
