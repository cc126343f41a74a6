"""Importing operator recordings: any format in, 8 kHz mono 16-bit WAV out, or nothing."""

from __future__ import annotations

import hashlib
import json
import subprocess
import wave
from pathlib import Path

import pytest

from recordings.audio import is_silent
from recordings.manifest import MANIFEST_NAME
from recordings.names import PromptNameError, centre_prompt_name, validate_prompt_name
from recordings.prompts import PromptError, import_prompt, list_prompts


def run(command: list[str]) -> None:
    subprocess.run(command, check=True, timeout=60, capture_output=True)


def sox_tone(path: Path, seconds: float, rate: int, channels: int, *effects: str) -> Path:
    output = ["-r", str(rate), "-c", str(channels), str(path)]
    run(["sox", "-n", *output, "synth", str(seconds), "sine", "440", *effects])
    return path


def ffmpeg_tone(path: Path, seconds: float, rate: int, channels: int) -> Path:
    source = f"sine=frequency=440:duration={seconds}:sample_rate={rate}"
    output = ["-ac", str(channels), str(path)]
    run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, *output])
    return path


def wav_format(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        return rate, wav.getnchannels(), wav.getsampwidth(), wav.getnframes() / rate


def leftovers(prompts_dir: Path) -> list[str]:
    """Anything in the prompts directory other than the manifest."""
    if not prompts_dir.exists():
        return []
    return sorted(p.name for p in prompts_dir.iterdir() if p.name != MANIFEST_NAME)


@pytest.mark.parametrize(
    ("make", "filename", "seconds", "rate", "channels"),
    [
        (ffmpeg_tone, "tone.mp3", 2.0, 44100, 2),
        (ffmpeg_tone, "tone.m4a", 1.5, 48000, 1),
        (sox_tone, "tone.ogg", 1.5, 48000, 2),
        (sox_tone, "tone.wav", 2.5, 44100, 2),
        (sox_tone, "tone16k.wav", 1.0, 16000, 1),
        (sox_tone, "already.wav", 1.0, 8000, 1),
        (sox_tone, "tone.flac", 1.2, 22050, 1),
    ],
)
def test_import_converts_to_telephony_wav(
    tmp_path: Path, make, filename: str, seconds: float, rate: int, channels: int
) -> None:
    source = make(tmp_path / filename, seconds, rate, channels)
    prompts_dir = tmp_path / "prompts"

    result = import_prompt(prompts_dir, source, "greeting")

    assert result.name == "greeting"
    assert result.path == prompts_dir / "greeting.wav"
    assert (result.source_rate, result.source_channels) == (rate, channels)
    out_rate, out_channels, width, duration = wav_format(result.path)
    assert (out_rate, out_channels, width) == (8000, 1, 2)
    # Lossy encoders pad a few milliseconds.
    assert duration == pytest.approx(seconds, abs=0.08)
    assert result.duration_seconds == pytest.approx(duration, abs=0.001)
    assert not is_silent(result.path)
    assert leftovers(prompts_dir) == ["greeting.wav"]
    manifest = json.loads((prompts_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["prompts"]["greeting"] == {
        "source": "imported",
        "original_name": filename,
        "updated_at": manifest["prompts"]["greeting"]["updated_at"],
    }


@pytest.mark.parametrize(
    ("name", "centre", "expected_name", "config_line"),
    [
        ("greeting", "sh", "greeting-sh", 'centre.prompts.greeting = "greeting-sh"'),
        ("voicemail", "sh-pd", "voicemail-sh-pd", 'centre.prompts.voicemail = "voicemail-sh-pd"'),
        ("timeout", "tj", "timeout-tj", ""),  # centres.toml has no per-centre timeout
        ("greeting", None, "greeting", ""),
        ("menu-021", None, "menu-021", ""),
        ("new-year-notice", None, "new-year-notice", ""),
    ],
)
def test_import_names(
    tmp_path: Path, name: str, centre: str | None, expected_name: str, config_line: str
) -> None:
    source = sox_tone(tmp_path / "in.wav", 1.0, 8000, 1)
    result = import_prompt(tmp_path / "prompts", source, name, centre_id=centre)
    assert result.name == expected_name
    assert result.path == tmp_path / "prompts" / f"{expected_name}.wav"
    assert result.config_line == config_line
    assert {p.name: p.source for p in list_prompts(tmp_path / "prompts")} == {
        expected_name: "imported"
    }


def _garbage(tmp: Path) -> Path:
    path = tmp / "garbage.mp3"
    path.write_bytes(bytes((i * 37 + 11) % 256 for i in range(20000)))
    return path


def _text(tmp: Path) -> Path:
    path = tmp / "notes.wav"
    path.write_text("这不是音频文件\n", encoding="utf-8")
    return path


def _empty(tmp: Path) -> Path:
    path = tmp / "empty.ogg"
    path.write_bytes(b"")
    return path


def _missing(tmp: Path) -> Path:
    return tmp / "absent.mp3"


def _directory(tmp: Path) -> Path:
    path = tmp / "folder.wav"
    path.mkdir()
    return path


def _silent(tmp: Path) -> Path:
    return sox_tone(tmp / "silent.wav", 2.0, 8000, 1, "vol", "0")


def _zero_length(tmp: Path) -> Path:
    path = tmp / "zero.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
    return path


def _too_long(tmp: Path) -> Path:
    return sox_tone(tmp / "long.wav", 301.5, 8000, 1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_garbage, "无法"),
        (_text, "无法"),
        (_empty, "为空"),
        (_missing, "找不到"),
        (_directory, "找不到"),
        (_silent, "静音"),
        (_zero_length, "没有声音"),
        (_too_long, "太长"),
    ],
)
def test_bad_audio_is_refused_and_nothing_changes(tmp_path: Path, make, message: str) -> None:
    prompts_dir = tmp_path / "prompts"
    prompts_dir.mkdir()
    existing = sox_tone(tmp_path / "old.wav", 1.0, 8000, 1)
    import_prompt(prompts_dir, existing, "invalid")
    before = hashlib.sha256((prompts_dir / "invalid.wav").read_bytes()).hexdigest()
    manifest_before = (prompts_dir / MANIFEST_NAME).read_bytes()

    with pytest.raises(PromptError, match=message):
        import_prompt(prompts_dir, make(tmp_path), "invalid")

    assert leftovers(prompts_dir) == ["invalid.wav"]  # no temp file, no half-written prompt
    assert hashlib.sha256((prompts_dir / "invalid.wav").read_bytes()).hexdigest() == before
    assert (prompts_dir / MANIFEST_NAME).read_bytes() == manifest_before


def test_custom_length_limit(tmp_path: Path) -> None:
    source = sox_tone(tmp_path / "three.wav", 3.0, 8000, 1)
    with pytest.raises(PromptError, match="太长"):
        import_prompt(tmp_path / "prompts", source, "greeting", max_seconds=2.0)
    assert leftovers(tmp_path / "prompts") == []


def test_reimport_replaces_and_original_file_is_untouched(tmp_path: Path) -> None:
    first = sox_tone(tmp_path / "first.wav", 1.0, 8000, 1)
    second = ffmpeg_tone(tmp_path / "second.mp3", 2.0, 44100, 2)
    second_bytes = second.read_bytes()
    import_prompt(tmp_path / "prompts", first, "invalid")
    result = import_prompt(tmp_path / "prompts", second, "invalid")
    assert wav_format(result.path)[3] == pytest.approx(2.0, abs=0.08)
    assert second.read_bytes() == second_bytes


@pytest.mark.parametrize(
    "name",
    [
        "greeting",
        "voicemail",
        "fallback-greeting",
        "invalid",
        "timeout",
        "goodbye",
        "menu-021",
        "menu-0755",
        "greeting-sh",
        "holiday2025",
        "a",
    ],
)
def test_valid_prompt_names(name: str) -> None:
    assert validate_prompt_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Greeting",
        "../greeting",
        "a/b",
        "greeting.wav",
        "menu-12",  # looks like a menu but is not an area code
        "menu-12345",
        "-greeting",
        "greeting-",
        "greet ing",
        "问候",
        "x" * 65,
    ],
)
def test_invalid_prompt_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(PromptNameError):
        validate_prompt_name(name)
    source = sox_tone(tmp_path / "in.wav", 1.0, 8000, 1)
    with pytest.raises(PromptNameError):
        import_prompt(tmp_path / "prompts", source, name)
    assert leftovers(tmp_path / "prompts") == []


@pytest.mark.parametrize("centre", ["", "SH", "../sh", "sh/pd", "sh pd", "-sh"])
def test_invalid_centre_ids(centre: str) -> None:
    with pytest.raises(PromptNameError):
        centre_prompt_name("greeting", centre)
