"""Default prompts spoken by espeak-ng: format, content, and who may overwrite what."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import wave
from pathlib import Path

import pytest

from config.model import Menu, MenuOption
from recordings.audio import is_silent
from recordings.manifest import MANIFEST_NAME, ManifestError
from recordings.names import STANDARD_PROMPTS
from recordings.prompt_texts import (
    MenuTemplate,
    PromptTextError,
    load_prompt_texts,
    menu_text,
)
from recordings.prompts import generate_default_prompts, import_prompt, list_prompts
from recordings.tts import SpeechError

SHANGHAI_MENU = Menu(
    area_code="021",
    options=(
        MenuOption("1", "sh", "上海市知识产权维权援助中心"),
        MenuOption("2", "sh-pd", "浦东新区知识产权维权援助中心"),
        MenuOption("3", "sh-cp", "中国上海知识产权保护中心"),
    ),
    default_centre_id="sh",
)
SHENZHEN_MENU = Menu(
    area_code="0755",
    options=(
        MenuOption("1", "sz", "深圳市知识产权维权援助中心"),
        MenuOption("2", "qh", "前海知识产权保护中心"),
    ),
    default_centre_id="sz",
)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_loud_wav(path: Path, seconds: float = 1.0) -> None:
    """A square wave at 8 kHz: something an operator might have recorded."""
    frames = bytes([0x00, 0x40, 0x00, 0xC0] * int(4000 * seconds))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(frames)


def test_generates_every_prompt_in_telephony_format(tmp_path: Path) -> None:
    written = generate_default_prompts(tmp_path, [SHANGHAI_MENU, SHENZHEN_MENU])

    expected = {*STANDARD_PROMPTS, "menu-021", "menu-0755"}
    assert {p.stem for p in written} == expected
    for path in written:
        assert path.parent == tmp_path and path.suffix == ".wav"
        with wave.open(str(path), "rb") as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
            assert wav.getnframes() / wav.getframerate() > 0.5, path.name
        assert not is_silent(path), path.name
    assert {p.name: p.source for p in list_prompts(tmp_path)} == dict.fromkeys(
        expected, "generated"
    )


def test_long_texts_give_longer_prompts(tmp_path: Path) -> None:
    generate_default_prompts(tmp_path, [SHANGHAI_MENU])
    durations = {p.name: p.duration_seconds for p in list_prompts(tmp_path)}
    # The greeting carries the recording notice; timeout is one short sentence.
    assert durations["greeting"] > 2 * durations["timeout"]
    assert durations["menu-021"] > durations["invalid"]


@pytest.mark.parametrize(
    ("menu", "expected"),
    [
        (
            SHANGHAI_MENU,
            "请选择服务中心：上海市知识产权维权援助中心请按1，浦东新区知识产权维权援助中心请按2，"
            "中国上海知识产权保护中心请按3。",
        ),
        (
            SHENZHEN_MENU,
            "请选择服务中心：深圳市知识产权维权援助中心请按1，前海知识产权保护中心请按2。",
        ),
        (
            Menu("022", (MenuOption("2", "b", " 乙中心 "), MenuOption("1", "a", "甲中心")), "a"),
            "请选择服务中心：乙中心请按2，甲中心请按1。",
        ),
    ],
)
def test_menu_text_lists_labels_with_digits(menu: Menu, expected: str) -> None:
    text = menu_text(menu, load_prompt_texts().menu)
    assert text == expected
    for option in menu.options:
        assert f"{option.label.strip()}请按{option.digit}" in text


def test_menu_text_follows_the_template() -> None:
    template = MenuTemplate(
        intro="请选择：", option="按{digit}转{label}", separator="；", ending=""
    )
    assert menu_text(SHENZHEN_MENU, template) == (
        "请选择：按1转深圳市知识产权维权援助中心；按2转前海知识产权保护中心"
    )


def test_menu_option_without_label_is_an_error(tmp_path: Path) -> None:
    menu = Menu("021", (MenuOption("1", "sh", "上海"), MenuOption("2", "sh-pd", "  ")), "sh")
    with pytest.raises(PromptTextError, match="sh-pd"):
        generate_default_prompts(tmp_path, [menu])
    assert not list(tmp_path.glob("*.wav"))


def test_regenerating_keeps_unchanged_and_imported_prompts(tmp_path: Path) -> None:
    generate_default_prompts(tmp_path, [SHANGHAI_MENU])
    source = tmp_path / "operator-recording.wav"
    write_loud_wav(source)
    import_prompt(tmp_path, source, "greeting")
    imported_hash = sha(tmp_path / "greeting.wav")
    timeout_hash = sha(tmp_path / "timeout.wav")

    assert generate_default_prompts(tmp_path, [SHANGHAI_MENU]) == []
    forced = generate_default_prompts(tmp_path, [SHANGHAI_MENU], overwrite=True)

    assert {p.stem for p in forced} == {*STANDARD_PROMPTS, "menu-021"} - {"greeting"}
    assert sha(tmp_path / "greeting.wav") == imported_hash
    assert sha(tmp_path / "timeout.wav") == timeout_hash  # espeak-ng is deterministic
    sources = {p.name: p.source for p in list_prompts(tmp_path)}
    assert sources["greeting"] == "imported"
    assert sources["voicemail"] == "generated"


def test_edited_text_is_respoken_without_force(tmp_path: Path) -> None:
    texts = load_prompt_texts()
    generate_default_prompts(tmp_path, [], texts=texts)
    before = sha(tmp_path / "timeout.wav")

    edited = dataclasses.replace(texts, texts={**texts.texts, "timeout": "您没有输入。"})
    written = generate_default_prompts(tmp_path, [], texts=edited)

    assert [p.stem for p in written] == ["timeout"]
    assert sha(tmp_path / "timeout.wav") != before
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["prompts"]["timeout"]["text"] == "您没有输入。"


def test_new_menu_prompt_is_added_for_a_new_shared_area_code(tmp_path: Path) -> None:
    generate_default_prompts(tmp_path, [SHANGHAI_MENU])
    written = generate_default_prompts(tmp_path, [SHANGHAI_MENU, SHENZHEN_MENU])
    assert [p.stem for p in written] == ["menu-0755"]


def test_hand_placed_file_counts_as_imported(tmp_path: Path) -> None:
    write_loud_wav(tmp_path / "voicemail.wav")
    before = sha(tmp_path / "voicemail.wav")

    written = generate_default_prompts(tmp_path, [], overwrite=True)

    assert "voicemail" not in {p.stem for p in written}
    assert sha(tmp_path / "voicemail.wav") == before
    assert {p.name: p.source for p in list_prompts(tmp_path)}["voicemail"] == "imported"


def test_deleted_imported_prompt_falls_back_to_the_default(tmp_path: Path) -> None:
    generate_default_prompts(tmp_path, [])
    source = tmp_path / "mine.wav"
    write_loud_wav(source)
    import_prompt(tmp_path, source, "timeout")
    (tmp_path / "timeout.wav").unlink()

    written = generate_default_prompts(tmp_path, [])

    assert [p.stem for p in written] == ["timeout"]
    assert {p.name: p.source for p in list_prompts(tmp_path)}["timeout"] == "generated"


def test_damaged_manifest_stops_before_writing(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(ManifestError, match="损坏"):
        generate_default_prompts(tmp_path, [])
    assert not list(tmp_path.glob("*.wav"))


def test_missing_espeak_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    with pytest.raises(SpeechError, match="espeak-ng"):
        generate_default_prompts(tmp_path / "prompts", [])
    assert not (tmp_path / "prompts").exists() or not any((tmp_path / "prompts").iterdir())


@pytest.mark.parametrize("voice", ["no-such-voice", "nonexistent", "cmn-typo"])
def test_unknown_voice_fails_and_writes_nothing(tmp_path: Path, voice: str) -> None:
    # espeak-ng itself would speak "no-such-voice" as Norwegian and exit 0.
    texts = dataclasses.replace(load_prompt_texts(), voice=voice)
    with pytest.raises(SpeechError, match=voice):
        generate_default_prompts(tmp_path, [], texts=texts)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("voice", ["cmn", "cmn-latn-pinyin", "zh", "CMN", "cmn+f3"])
def test_known_mandarin_voices_are_accepted(tmp_path: Path, voice: str) -> None:
    texts = dataclasses.replace(load_prompt_texts(), voice=voice)
    written = generate_default_prompts(tmp_path, [], texts=texts)
    assert len(written) == len(STANDARD_PROMPTS)
