"""Shared by the real-call tests: short prompts, the test clock, simulated callers."""

from __future__ import annotations

import dataclasses

from cli.devstack_ami import SimulatedCaller
from cli.devstack_config import load_directory
from config.settings import Settings
from recordings.prompt_texts import MenuTemplate, PromptTexts, load_prompt_texts
from recordings.prompts import generate_default_prompts

# Short prompts keep each call to seconds; the default texts are generated elsewhere.
SHORT_TEXTS = {
    "greeting": "欢迎，通话录音",
    "voicemail": "请留言",
    "fallback-greeting": "暂无坐席，请留言",
    "invalid": "错误",
    "timeout": "超时",
    "goodbye": "再见",
}
WORKDAY_10AM = "2026-11-25T10:00"  # a Wednesday
# The greeting (with its recording notice) cannot be skipped: menu digits come after it.
AFTER_GREETING = 3.5
SUNDAY = "2026-11-29T10:00"
# Seconds to the voicemail beep: greeting (short test prompt) + ring timeout + prompt.
AFTER_RINGING = 11
AFTER_PROMPT = 4


def talk(**kw) -> SimulatedCaller:
    return SimulatedCaller(**{"say_seconds": 2, "hold_seconds": 2, **kw})


def leaves_message(after: float, **kw) -> SimulatedCaller:
    """A caller who stays silent `after` seconds (past the beep), then speaks."""
    return talk(speak_after=after, say_seconds=3, **kw)


def short_texts() -> PromptTexts:
    base = load_prompt_texts()
    menu = MenuTemplate(intro="", option="{digit}", separator=" ", ending="")
    return dataclasses.replace(base, texts=SHORT_TEXTS, menu=menu)


def prepare_short_prompts(settings: Settings) -> None:
    generate_default_prompts(
        settings.prompts_dir, load_directory(settings).menus, overwrite=True, texts=short_texts()
    )


def call_variables(at: str) -> dict[str, str]:
    return {"HOTLINE_TEST_CALL": "1", "HOTLINE_TEST_AT": at}
