"""Audio decoding, telephony conversion and loudness, on top of pydub and ffmpeg.

These are blocking helpers for admin commands and worker threads; the call path
reaches them only through asyncio.to_thread.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import struct
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError

# What Asterisk's "wav" format is: 8 kHz, mono, 16-bit signed linear PCM.
TELEPHONY_RATE = 8000
TELEPHONY_CHANNELS = 1
TELEPHONY_SAMPLE_WIDTH = 2

PROBE_TIMEOUT_SECONDS = 30.0

# What the stdlib wave module raises on a file that is not a clean PCM WAV
# (garbage chunk sizes surface as RuntimeError or struct.error).
WAV_PARSE_ERRORS = (wave.Error, EOFError, RuntimeError, struct.error)


class AudioError(ValueError):
    """Audio that cannot be used; the message says why, in words an operator understands."""


@dataclass(frozen=True)
class WavInfo:
    rate: int
    channels: int
    sample_width: int
    frames: int

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.rate if self.rate else 0.0

    @property
    def is_telephony(self) -> bool:
        return (self.rate, self.channels, self.sample_width) == (
            TELEPHONY_RATE,
            TELEPHONY_CHANNELS,
            TELEPHONY_SAMPLE_WIDTH,
        )


def read_wav_info(path: Path) -> WavInfo:
    """Header facts of a PCM WAV file (raises OSError or one of WAV_PARSE_ERRORS)."""
    with wave.open(str(path), "rb") as wav:
        return WavInfo(
            rate=wav.getframerate(),
            channels=wav.getnchannels(),
            sample_width=wav.getsampwidth(),
            frames=wav.getnframes(),
        )


def probe_duration(path: Path, timeout: float = PROBE_TIMEOUT_SECONDS) -> float | None:
    """Duration in seconds according to ffprobe, without decoding the whole file;
    None when ffprobe recognises the file but cannot tell (e.g. an empty stream).

    Lets an import refuse a two-hour file before pydub loads it into memory.
    """
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise AudioError("找不到 ffprobe，请安装 ffmpeg")
    try:
        result = subprocess.run(
            [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"读取音频文件超时（{timeout:.0f} 秒）：{path.name}") from exc
    if result.returncode != 0:
        raise AudioError(f"无法识别的音频文件：{path.name}")
    try:
        info = json.loads(result.stdout)["format"]
    except (ValueError, KeyError, TypeError):
        raise AudioError(f"无法识别的音频文件：{path.name}") from None
    try:
        duration = float(info["duration"])
    except (ValueError, KeyError, TypeError):
        return None
    return duration if math.isfinite(duration) and duration >= 0 else None


def load_audio(path: Path) -> AudioSegment:
    """Decode any format ffmpeg understands."""
    try:
        return AudioSegment.from_file(str(path))
    except (CouldntDecodeError, IndexError, *WAV_PARSE_ERRORS) as exc:
        raise AudioError(f"无法解码音频文件：{path.name}") from exc


def to_telephony(segment: AudioSegment) -> AudioSegment:
    return (
        segment.set_channels(TELEPHONY_CHANNELS)
        .set_frame_rate(TELEPHONY_RATE)
        .set_sample_width(TELEPHONY_SAMPLE_WIDTH)
    )


def write_wav_atomically(segment: AudioSegment, dest: Path) -> None:
    """Export `segment` as WAV next to `dest`, then rename over it: a reader (or a
    crash) never sees a half-written prompt."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        segment.export(str(tmp), format="wav")
        os.chmod(tmp, 0o644)  # Asterisk runs as another user and must read prompts
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def rms_dbfs(path: Path) -> float:
    """Loudness of the whole file in dBFS; -inf for digital silence."""
    return load_audio(path).dBFS


def segment_is_silent(segment: AudioSegment, threshold_dbfs: float = -50.0) -> bool:
    return len(segment) == 0 or segment.dBFS < threshold_dbfs


def is_silent(path: Path, threshold_dbfs: float = -50.0) -> bool:
    """True when the file's RMS level is below `threshold_dbfs` (or it has no audio)."""
    return segment_is_silent(load_audio(path), threshold_dbfs)
