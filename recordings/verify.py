"""Check a finished call recording before the call log points at it.

The verdict says whether the file exists, is non-empty and decodes, with its size,
duration and sha256 so the call log can later prove the file was not altered.
"""

from __future__ import annotations

import asyncio
import hashlib
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from recordings.audio import WAV_PARSE_ERRORS, AudioError, is_silent, load_audio, rms_dbfs

__all__ = [
    "RecordingCheck",
    "is_silent",  # re-exported: the call log checks loudness next to the file check
    "rms_dbfs",
    "sha256_file",
    "verify_recording",
    "verify_recording_async",
]

CheckStatus = Literal["ok", "missing", "failed"]

_HASH_CHUNK_BYTES = 1 << 20
_WAV_CHUNK_FRAMES = 1 << 16


@dataclass(frozen=True)
class RecordingCheck:
    status: CheckStatus
    bytes: int = 0
    duration_seconds: float = 0.0
    sha256: str = ""
    reason: str = ""  # shown to operators, Simplified Chinese; empty when ok

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _wav_duration(path: Path) -> float:
    """Duration from the frames actually present, not only from the header.

    A recorder killed mid-call leaves a header that disagrees with the data; that
    file is reported as failed rather than trusted.
    """
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        declared = wav.getnframes()
        frame_bytes = wav.getsampwidth() * wav.getnchannels()
        if rate <= 0 or frame_bytes <= 0:
            raise AudioError("WAV 文件头无效")
        present = 0
        while chunk := wav.readframes(_WAV_CHUNK_FRAMES):
            present += len(chunk) // frame_bytes
    if present != declared:
        raise AudioError(f"WAV 文件不完整：文件头声明 {declared} 帧，实际 {present} 帧")
    return present / rate


def _duration(path: Path) -> float:
    try:
        return _wav_duration(path)
    except WAV_PARSE_ERRORS:
        pass  # not a PCM WAV (e.g. GSM or a compressed format): let ffmpeg decode it
    return len(load_audio(path)) / 1000.0


def verify_recording(path: Path) -> RecordingCheck:
    """Blocking check of one recording file; use verify_recording_async on the call path."""
    try:
        if not path.exists():
            return RecordingCheck(status="missing", reason="录音文件不存在")
        if not path.is_file():
            return RecordingCheck(status="failed", reason="录音路径不是普通文件")
        size = path.stat().st_size
        if size == 0:
            return RecordingCheck(status="failed", reason="录音文件为空")
        digest = sha256_file(path)
    except OSError as exc:
        return RecordingCheck(status="failed", reason=f"无法读取录音文件：{exc.strerror}")

    try:
        duration = _duration(path)
    except AudioError as exc:
        return RecordingCheck(status="failed", bytes=size, sha256=digest, reason=str(exc))
    except OSError as exc:
        return RecordingCheck(
            status="failed", bytes=size, sha256=digest, reason=f"无法读取录音文件：{exc.strerror}"
        )
    if duration <= 0:
        return RecordingCheck(status="failed", bytes=size, sha256=digest, reason="录音没有音频数据")
    return RecordingCheck(status="ok", bytes=size, duration_seconds=duration, sha256=digest)


async def verify_recording_async(path: Path) -> RecordingCheck:
    """verify_recording in a worker thread, so hashing a long recording never blocks calls."""
    return await asyncio.to_thread(verify_recording, path)
