"""Speech synthesis of default prompts with espeak-ng (admin commands only: blocking)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from pydub import AudioSegment

from recordings.audio import AudioError, load_audio

ESPEAK_TIMEOUT_SECONDS = 60.0
_ALIAS = re.compile(r"\(([^\s()]+) \d+\)")  # "(zh-cmn 5)" in the Other Languages column


class SpeechError(RuntimeError):
    """espeak-ng is missing or failed; the message says what to do."""


def find_espeak() -> str:
    for name in ("espeak-ng", "espeak"):
        found = shutil.which(name)
        if found:
            return found
    raise SpeechError(
        "找不到 espeak-ng：请安装 Debian 软件包 espeak-ng（apt-get install espeak-ng）"
    )


def available_voices(timeout: float = ESPEAK_TIMEOUT_SECONDS) -> frozenset[str]:
    """Every name espeak-ng accepts for its installed voices (language, file, aliases)."""
    espeak = find_espeak()
    try:
        result = subprocess.run(
            [espeak, "--voices"], capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SpeechError(f"espeak-ng 超时（{timeout:.0f} 秒）") from exc
    except OSError as exc:
        raise SpeechError(f"无法运行 espeak-ng：{exc.strerror}") from exc
    if result.returncode != 0:
        raise SpeechError(f"espeak-ng --voices 失败（退出码 {result.returncode}）")
    names: set[str] = set()
    for line in result.stdout.decode("utf-8", "replace").splitlines()[1:]:
        columns = line.split()
        if len(columns) < 5:
            continue
        language, voice_name, file = columns[1], columns[3], columns[4]
        names |= {language, voice_name, file, file.rsplit("/", 1)[-1]}
        names |= set(_ALIAS.findall(line))
    return frozenset(name.lower() for name in names)


def check_voice(voice: str) -> None:
    """Refuse a voice espeak-ng does not have.

    espeak-ng reads an unknown name as the longest language prefix it knows
    ("no-such" speaks Norwegian) and exits 0, so a typo would go unnoticed.
    """
    base = voice.split("+", 1)[0].lower()  # "+f3" picks a variant of the voice
    voices = available_voices()
    if base not in voices:
        chinese = sorted(v for v in voices if v.startswith(("cmn", "zh")))
        raise SpeechError(
            f"espeak-ng 没有语音 {voice!r}；可用的中文语音：{', '.join(chinese) or '无'}"
        )


def synthesize(
    text: str,
    *,
    voice: str,
    words_per_minute: int = 150,
    timeout: float = ESPEAK_TIMEOUT_SECONDS,
) -> AudioSegment:
    """Speak `text` with espeak-ng and return the audio at espeak's own rate."""
    if not text.strip():
        raise SpeechError("提示音文本为空")
    espeak = find_espeak()
    with tempfile.TemporaryDirectory(prefix="hotline12330-tts-") as tmp:
        out = Path(tmp) / "speech.wav"
        # Text goes through stdin so a text starting with "-" is never taken for an option.
        command = [espeak, "-v", voice, "-s", str(words_per_minute), "-w", str(out), "--stdin"]
        try:
            result = subprocess.run(
                command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise SpeechError(f"espeak-ng 超时（{timeout:.0f} 秒）") from exc
        except OSError as exc:
            raise SpeechError(f"无法运行 espeak-ng：{exc.strerror}") from exc
        stderr = result.stderr.decode("utf-8", "replace").strip()
        if result.returncode != 0:
            raise SpeechError(
                f"espeak-ng 失败（退出码 {result.returncode}，语音 {voice}）：{stderr}"
            )
        if not out.exists() or out.stat().st_size == 0:
            raise SpeechError(f"espeak-ng 没有生成音频（语音 {voice}）：{stderr}")
        try:
            return load_audio(out)
        except AudioError as exc:
            raise SpeechError(f"espeak-ng 生成的音频无法读取：{exc}") from exc
