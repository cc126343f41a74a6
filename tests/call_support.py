"""Shared by the real-call tests: short prompts, the test clock, simulated callers."""

from __future__ import annotations

import dataclasses
import datetime as dt

from agi.fallback_refresh import refresh_fallback
from config.asterisk_fallback import FALLBACK_FILE, fallback_conf
from config.asterisk_files import fallback_file, load_directory
from config.model import CalendarOverrides, LocalEntry, LocalKind, TimeRange
from config.settings import Settings
from devstack.ami import SimulatedCaller
from recordings.prompt_texts import MenuTemplate, PromptTexts, load_prompt_texts
from recordings.prompts import generate_default_prompts
from routing import CHINA_TZ

# Short prompts keep each call to seconds; the default texts are generated elsewhere.
SHORT_TEXTS = {
    "greeting": "欢迎，通话录音",
    "voicemail": "请留言",
    "fallback-greeting": "暂无坐席，请留言",
    "invalid": "错误",
    "timeout": "超时",
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


# The dialplan's own fallback reads Asterisk's real clock, not HOTLINE_TEST_AT: tests
# generate its hours around the real "now" with local calendar entries (they win over
# holidays and weekends), every centre open all day or closed.
ALL_DAY = (TimeRange(dt.time(0, 0), dt.time(23, 59)),)


def around_now(settings: Settings, kind: LocalKind) -> CalendarOverrides:
    """Every centre open all day (LocalKind.HOURS) or closed, yesterday to tomorrow."""
    today = dt.datetime.now(CHINA_TZ).date()
    hours = ALL_DAY if kind is LocalKind.HOURS else ()
    return CalendarOverrides(
        local=tuple(
            LocalEntry(centre.id, today + dt.timedelta(days=n), kind, "test", hours)
            for centre in load_directory(settings).centres
            for n in (-1, 0, 1)
        )
    )


async def install_fallback_hours(stack, kind: LocalKind, *, first_day: dt.date | None = None):
    """Install the fallback file for these hours the way the service does (refresh_fallback:
    atomic write, then Reload of pbx_config over AMI)."""
    settings = dataclasses.replace(stack.settings, asterisk_conf_dir=stack.paths.etc)
    first = first_day or dt.datetime.now(CHINA_TZ).date() - dt.timedelta(days=1)
    await refresh_fallback(settings, load_directory(settings), around_now(settings, kind), first)


def fallback_text(settings: Settings, kind: LocalKind) -> str:
    """The fallback file with every centre open all day or closed, from yesterday."""
    first = dt.datetime.now(CHINA_TZ).date() - dt.timedelta(days=1)
    return fallback_conf(load_directory(settings), around_now(settings, kind), first)


def install_conf(stack, name: str, text: str) -> None:
    (stack.paths.etc / name).write_text(text, encoding="utf-8")
    stack.cli("dialplan reload")


def restore_fallback(stack) -> None:
    """The fallback file the session installed (today's real hours)."""
    install_conf(stack, FALLBACK_FILE, fallback_file(stack.settings)[FALLBACK_FILE])
