"""The editable prompt text table: the shipped one loads, broken ones say what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from recordings.names import STANDARD_PROMPTS
from recordings.prompt_texts import DEFAULT_PROMPTS_FILE, PromptTextError, load_prompt_texts

VALID_PROMPTS = "\n".join(f'{name} = "文本{i}"' for i, name in enumerate(STANDARD_PROMPTS))


def test_shipped_table_has_every_prompt_with_the_recording_notice() -> None:
    texts = load_prompt_texts(DEFAULT_PROMPTS_FILE)
    assert set(STANDARD_PROMPTS) <= set(texts.texts)
    # Callers must hear that the call is recorded before anything else happens.
    for name in ("greeting", "fallback-greeting"):
        assert "录音" in texts.texts[name]
    assert "留言" in texts.texts["fallback-greeting"]
    assert "留言" in texts.texts["voicemail"]
    assert texts.voice.startswith("cmn")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[prompts\n", "not valid TOML"),
        (f"[prompts]\n{VALID_PROMPTS}\n[extra]\n", "unknown section"),
        ("[prompts]\ngreeting = '您好'\n", "missing voicemail"),
        (f"[prompts]\n{VALID_PROMPTS}\nBad_Name = 'x'\n", "prompts.Bad_Name"),
        (f"[prompts]\n{VALID_PROMPTS.replace('文本0', '  ')}\n", "prompts.greeting"),
        (f"[speech]\nvoice = ''\n[prompts]\n{VALID_PROMPTS}\n", "speech.voice"),
        (f"[speech]\nwords_per_minute = 5\n[prompts]\n{VALID_PROMPTS}\n", "words_per_minute"),
        (f"[speech]\nwords_per_minute = true\n[prompts]\n{VALID_PROMPTS}\n", "words_per_minute"),
        (f"[prompts]\n{VALID_PROMPTS}\n[menu]\noption = '{{label}}'\n", "menu.option"),
        (f"[prompts]\n{VALID_PROMPTS}\n[menu]\noption = '{{name}}{{digit}}'\n", "menu.option"),
        (f"[prompts]\n{VALID_PROMPTS}\n[menu]\nintro = 3\n", "menu.intro"),
        (f"[prompts]\n{VALID_PROMPTS}\n[menu]\nprefix = 'x'\n", "unknown key"),
        ("prompts = 3\n", "prompts: expected a table"),
    ],
)
def test_broken_tables_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "prompts.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PromptTextError, match=message) as caught:
        load_prompt_texts(path)
    assert str(path) in str(caught.value)


def test_minimal_table_uses_defaults(tmp_path: Path) -> None:
    path = tmp_path / "prompts.toml"
    path.write_text(f"[prompts]\n{VALID_PROMPTS}\ncustom-notice = '通知'\n", encoding="utf-8")
    texts = load_prompt_texts(path)
    assert texts.voice == "cmn"
    assert texts.words_per_minute == 150
    assert texts.texts["custom-notice"] == "通知"
    assert texts.menu.option == "{label}请按{digit}"


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(PromptTextError, match="cannot read"):
        load_prompt_texts(tmp_path / "absent.toml")
