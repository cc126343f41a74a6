"""Prompt names -> the path Asterisk plays (absolute, without extension), and how long
it plays (the AGI command timeout must outlast the sound)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from config.model import Centre
from recordings.audio import WAV_PARSE_ERRORS, read_wav_info
from recordings.names import GOODBYE, GREETING, INVALID, TIMEOUT, VOICEMAIL, menu_prompt_name

# A prompt whose length cannot be read (not our WAV, or missing: Asterisk then fails
# fast) may play at most this long before the command counts as hung.
UNKNOWN_PROMPT_SECONDS = 300.0


def wav_seconds(path: Path) -> float | None:
    """Length of a WAV file, or None when its header cannot be read."""
    try:
        info = read_wav_info(path)
    except (OSError, *WAV_PARSE_ERRORS):
        return None
    return info.duration_seconds if info.rate else None


class PromptPaths:
    def __init__(self, prompts_dir: Path) -> None:
        self._dir = prompts_dir

    def path(self, name: str) -> str:
        return str(self._dir / name)

    async def seconds(self, path: str) -> float:
        """How long the prompt at `path` (as returned above) plays."""
        length = await asyncio.to_thread(wav_seconds, Path(path + ".wav"))
        return UNKNOWN_PROMPT_SECONDS if length is None else length

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
