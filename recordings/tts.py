"""Speech synthesis of default prompts with espeak-ng (admin commands only: blocking)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from pydub import AudioSegment

from recordings.audio import AudioError, load_audio

ESPEAK_TIMEOUT_SECONDS = 60.0


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
