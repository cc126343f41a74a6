"""How long a prompt plays: the AGI command timeout of a playback is built from it."""

from __future__ import annotations

import wave

from agi.flow.prompts import UNKNOWN_PROMPT_SECONDS, PromptPaths


def write_wav(path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\0\0" * int(seconds * rate))


async def test_prompt_seconds_reads_the_wav(tmp_path):
    write_wav(tmp_path / "greeting.wav", 12.5)
    prompts = PromptPaths(tmp_path)
    assert await prompts.seconds(prompts.path("greeting")) == 12.5


async def test_unreadable_or_missing_prompt_gets_the_upper_bound(tmp_path):
    (tmp_path / "broken.wav").write_bytes(b"RIFF....not a wave")
    prompts = PromptPaths(tmp_path)
    assert await prompts.seconds(prompts.path("broken")) == UNKNOWN_PROMPT_SECONDS
    assert await prompts.seconds(prompts.path("absent")) == UNKNOWN_PROMPT_SECONDS
