"""Prompt names -> the path Asterisk plays (absolute, without extension), and how long
it plays (the AGI command timeout must outlast the sound).

Lengths are kept in memory (PromptLengths): a call never waits on the disk for them.
Operators may replace a prompt while the service runs, so a length older than
REFRESH_SECONDS is read again in the background; a wrong length only widens or
narrows a command's timeout, which has the base AGI timeout on top.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from config.model import Centre
from recordings.audio import WAV_PARSE_ERRORS, read_wav_info
from recordings.names import GREETING, INVALID, TIMEOUT, VOICEMAIL, menu_prompt_name

# A prompt whose length cannot be read (not our WAV, or missing: Asterisk then fails
# fast) may play at most this long before the command counts as hung.
UNKNOWN_PROMPT_SECONDS = 300.0
REFRESH_SECONDS = 30.0


def wav_seconds(path: Path) -> float | None:
    """Length of a WAV file, or None when its header cannot be read."""
    try:
        info = read_wav_info(path)
    except (OSError, *WAV_PARSE_ERRORS):
        return None
    return info.duration_seconds if info.rate else None


class PromptLengths:
    """How long each prompt plays, from memory; read (again) in the background."""

    def __init__(self, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._refresh_seconds = refresh_seconds
        self._known: dict[str, tuple[float | None, float]] = {}  # path -> (length, read at)
        self._reading: dict[str, asyncio.Task[None]] = {}

    def seconds(self, path: str) -> float:
        """The length of `path` (a prompt path without extension) as last read; a prompt
        not read yet, or unreadable, counts as UNKNOWN_PROMPT_SECONDS."""
        known = self._known.get(path)
        if known is None or time.monotonic() - known[1] > self._refresh_seconds:
            self._read_later(path)
        length = known[0] if known else None
        return UNKNOWN_PROMPT_SECONDS if length is None else length

    async def load(self, prompts_dir: Path) -> None:
        """Read every prompt in `prompts_dir` now (at start-up, off the call path)."""
        paths = await asyncio.to_thread(lambda: sorted(prompts_dir.glob("*.wav")))
        for wav in paths:
            await self._read(str(wav.with_suffix("")))

    def _read_later(self, path: str) -> None:
        if path not in self._reading:
            task = asyncio.create_task(self._read(path))
            self._reading[path] = task
            task.add_done_callback(lambda _t: self._reading.pop(path, None))

    async def _read(self, path: str) -> None:
        length = await asyncio.to_thread(wav_seconds, Path(path + ".wav"))
        self._known[path] = (length, time.monotonic())


class PromptPaths:
    def __init__(self, prompts_dir: Path, lengths: PromptLengths) -> None:
        self._dir = prompts_dir
        self._lengths = lengths

    def path(self, name: str) -> str:
        return str(self._dir / name)

    def seconds(self, path: str) -> float:
        """How long the prompt at `path` (as returned above) plays."""
        return self._lengths.seconds(path)

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
