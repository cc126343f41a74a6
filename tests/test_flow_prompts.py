"""How long a prompt plays: the AGI command timeout of a playback is built from it."""

from __future__ import annotations

import asyncio
import wave

from agi.flow.prompts import UNKNOWN_PROMPT_SECONDS, PromptLengths, PromptPaths


def write_wav(path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\0\0" * int(seconds * rate))


async def test_prompt_seconds_come_from_the_wavs_read_at_start_up(tmp_path):
    write_wav(tmp_path / "greeting.wav", 12.5)
    lengths = PromptLengths()
    await lengths.load(tmp_path)
    prompts = PromptPaths(tmp_path, lengths)
    assert prompts.seconds(prompts.path("greeting")) == 12.5


async def test_unreadable_or_missing_prompt_gets_the_upper_bound(tmp_path):
    (tmp_path / "broken.wav").write_bytes(b"RIFF....not a wave")
    lengths = PromptLengths()
    await lengths.load(tmp_path)
    prompts = PromptPaths(tmp_path, lengths)
    assert prompts.seconds(prompts.path("broken")) == UNKNOWN_PROMPT_SECONDS
    assert prompts.seconds(prompts.path("absent")) == UNKNOWN_PROMPT_SECONDS


async def test_a_replaced_prompt_is_read_again_in_the_background(tmp_path):
    write_wav(tmp_path / "greeting.wav", 2.0)
    lengths = PromptLengths(refresh_seconds=0.0)
    prompts = PromptPaths(tmp_path, lengths)
    path = prompts.path("greeting")
    # Never read: the call does not wait for the disk, it gets the upper bound...
    assert prompts.seconds(path) == UNKNOWN_PROMPT_SECONDS
    await until(lambda: prompts.seconds(path) == 2.0)  # ...it is there for a later call
    write_wav(tmp_path / "greeting.wav", 7.0)  # an operator's own recording
    await until(lambda: prompts.seconds(path) == 7.0)


async def until(condition, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)
