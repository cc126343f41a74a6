"""Prompt names: the fixed set the call flow plays, and the rule for operator-chosen names.

A prompt name is a file name without extension in the prompts directory, and
Asterisk receives it verbatim, so only [a-z0-9-] is ever allowed.
"""

from __future__ import annotations

import re

from config.model import Menu

GREETING = "greeting"
VOICEMAIL = "voicemail"
FALLBACK_GREETING = "fallback-greeting"
INVALID = "invalid"
TIMEOUT = "timeout"

# Played by the call flow whatever the centres are.
STANDARD_PROMPTS = (GREETING, VOICEMAIL, FALLBACK_GREETING, INVALID, TIMEOUT)

MENU_PREFIX = "menu-"
_SAFE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
_AREA_CODE = re.compile(r"0[0-9]{2,3}")


class PromptNameError(ValueError):
    """A prompt or centre name that cannot be used as a file name."""


def menu_prompt_name(area_code: str) -> str:
    if not _AREA_CODE.fullmatch(area_code):
        raise PromptNameError(f"不是有效的区号：{area_code!r}")
    return f"{MENU_PREFIX}{area_code}"


def validate_prompt_name(name: str) -> str:
    """Return `name` if it is a known prompt or a safe custom name, else raise."""
    if name in STANDARD_PROMPTS:
        return name
    if name.startswith(MENU_PREFIX) and name[len(MENU_PREFIX) :].isdigit():
        return menu_prompt_name(name[len(MENU_PREFIX) :])
    if not _SAFE_NAME.fullmatch(name):
        raise PromptNameError(
            f"提示音名称无效：{name!r}。可用 {', '.join(STANDARD_PROMPTS)}、menu-<区号>，"
            "或只含小写字母、数字和连字符（-）的名称"
        )
    return name


def validate_centre_id(centre_id: str) -> str:
    if not _SAFE_NAME.fullmatch(centre_id):
        raise PromptNameError(f"服务中心编号无效：{centre_id!r}（只能含小写字母、数字和连字符）")
    return centre_id


def centre_prompt_name(name: str, centre_id: str | None) -> str:
    """<name> or <name>-<centre id> for a centre's own version of a prompt."""
    validate_prompt_name(name)
    if centre_id is None:
        return name
    return validate_prompt_name(f"{name}-{validate_centre_id(centre_id)}")


def required_prompt_names(menus: tuple[Menu, ...] | list[Menu]) -> list[str]:
    """Every prompt the call flow can play for this set of menus."""
    return [*STANDARD_PROMPTS, *(menu_prompt_name(menu.area_code) for menu in menus)]
