"""The editable table of default prompt texts (config/defaults/prompts.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from config.model import Menu
from config.settings import DEFAULTS_DIR
from recordings.names import STANDARD_PROMPTS, PromptNameError, validate_prompt_name

DEFAULT_PROMPTS_FILE = DEFAULTS_DIR / "prompts.toml"


class PromptTextError(ValueError):
    """The prompt text table cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class MenuTemplate:
    intro: str = "请选择服务中心："
    option: str = "{label}请按{digit}"
    separator: str = "，"
    ending: str = "。"


@dataclass(frozen=True)
class PromptTexts:
    voice: str
    words_per_minute: int
    texts: dict[str, str]  # prompt name -> what the caller hears
    menu: MenuTemplate


def menu_text(menu: Menu, template: MenuTemplate) -> str:
    """What a caller hears for an area code shared by several centres."""
    parts = []
    for option in menu.options:
        if not option.label.strip():
            raise PromptTextError(
                f"区号 {menu.area_code} 的菜单选项 {option.digit}（{option.centre_id}）没有名称"
                "（centre.prompts.menu_label）"
            )
        parts.append(template.option.format(label=option.label.strip(), digit=option.digit))
    if not parts:
        raise PromptTextError(f"区号 {menu.area_code} 的菜单没有选项")
    return template.intro + template.separator.join(parts) + template.ending


def load_prompt_texts(path: Path = DEFAULT_PROMPTS_FILE) -> PromptTexts:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PromptTextError(f"{path}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PromptTextError(f"{path}: not valid TOML: {exc}") from exc

    unknown = set(raw) - {"speech", "prompts", "menu"}
    if unknown:
        raise PromptTextError(f"{path}: unknown section(s): {', '.join(sorted(unknown))}")
    speech = _table(raw, "speech", path)
    voice = speech.get("voice", "cmn")
    wpm = speech.get("words_per_minute", 150)
    if not isinstance(voice, str) or not voice.strip():
        raise PromptTextError(f'{path}: speech.voice: expected a voice name such as "cmn"')
    if isinstance(wpm, bool) or not isinstance(wpm, int) or not 80 <= wpm <= 450:
        raise PromptTextError(f"{path}: speech.words_per_minute: expected an integer 80..450")

    texts: dict[str, str] = {}
    for name, text in _table(raw, "prompts", path).items():
        try:
            validate_prompt_name(name)
        except PromptNameError as exc:
            raise PromptTextError(f"{path}: prompts.{name}: {exc}") from exc
        if not isinstance(text, str) or not text.strip():
            raise PromptTextError(f"{path}: prompts.{name}: expected a non-empty text")
        texts[name] = text.strip()
    missing = [name for name in STANDARD_PROMPTS if name not in texts]
    if missing:
        raise PromptTextError(f"{path}: prompts: missing {', '.join(missing)}")

    return PromptTexts(
        voice=voice.strip(), words_per_minute=wpm, texts=texts, menu=_menu(raw, path)
    )


def _table(raw: dict[str, object], key: str, path: Path) -> dict[str, object]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise PromptTextError(f"{path}: {key}: expected a table")
    return value


def _menu(raw: dict[str, object], path: Path) -> MenuTemplate:
    table = _table(raw, "menu", path)
    fields = {"intro", "option", "separator", "ending"}
    unknown = set(table) - fields
    if unknown:
        raise PromptTextError(f"{path}: menu: unknown key(s): {', '.join(sorted(unknown))}")
    for key, value in table.items():
        if not isinstance(value, str):
            raise PromptTextError(f"{path}: menu.{key}: expected a string")
    template = MenuTemplate(**table)  # type: ignore[arg-type]
    try:
        template.option.format(label="", digit="")
    except (KeyError, IndexError, ValueError) as exc:
        raise PromptTextError(
            f"{path}: menu.option: only {{label}} and {{digit}} may be used: {exc}"
        ) from exc
    if "{label}" not in template.option or "{digit}" not in template.option:
        raise PromptTextError(f"{path}: menu.option: must contain both {{label}} and {{digit}}")
    return template
