"""verify_recording, is_silent and rms_dbfs on real files built in tmp_path."""

from __future__ import annotations

import array
import hashlib
import math
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

from recordings.audio import is_silent, rms_dbfs
from recordings.verify import RecordingCheck, verify_recording, verify_recording_async


def write_tone(
    path: Path,
    seconds: float,
    *,
    rate: int = 8000,
    amplitude: float = 0.5,
    frequency: float = 440.0,
) -> Path:
    """A mono 16-bit sine wave; amplitude 0 gives digital silence."""
    count = round(seconds * rate)
    samples = array.array(
        "h",
        (
            round(amplitude * 32767 * math.sin(2 * math.pi * frequency * i / rate))
            for i in range(count)
        ),
    )
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return path


def _good(tmp: Path) -> Path:
    return write_tone(tmp / "1700000000.1.wav", 1.5)


def _missing(tmp: Path) -> Path:
    return tmp / "nope.wav"


def _empty(tmp: Path) -> Path:
    path = tmp / "empty.wav"
    path.write_bytes(b"")
    return path


def _garbage(tmp: Path) -> Path:
    path = tmp / "garbage.wav"
    path.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" + bytes(range(256)) * 3)
    return path


def _truncated(tmp: Path) -> Path:
    path = write_tone(tmp / "truncated.wav", 2.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _no_frames(tmp: Path) -> Path:
    return write_tone(tmp / "noframes.wav", 0.0)


def _directory(tmp: Path) -> Path:
    path = tmp / "dir.wav"
    path.mkdir()
    return path


def _mp3(tmp: Path) -> Path:
    # Not a WAV: exercises the ffmpeg (pydub) fallback.
    path = tmp / "call.mp3"
    source = "sine=frequency=440:duration=3"
    command = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-ac", "1", str(path)]
    subprocess.run(command, check=True, timeout=60)
    return path


@pytest.mark.parametrize(
    ("build", "status", "duration", "reason_contains"),
    [
        (_good, "ok", 1.5, ""),
        (_missing, "missing", None, "不存在"),
        (_empty, "failed", None, "为空"),
        (_garbage, "failed", None, ""),
        (_truncated, "failed", None, "不完整"),
        (_no_frames, "failed", None, "没有音频"),
        (_directory, "failed", None, "不是普通文件"),
        (_mp3, "ok", 3.0, ""),
    ],
)
def test_verify_recording(
    tmp_path: Path,
    build: Callable[[Path], Path],
    status: str,
    duration: float | None,
    reason_contains: str,
) -> None:
    path = build(tmp_path)
    check = verify_recording(path)

    assert check.status == status
    assert reason_contains in check.reason
    if status == "ok":
        data = path.read_bytes()
        assert check.ok and check.reason == ""
        assert check.bytes == len(data)
        assert check.sha256 == hashlib.sha256(data).hexdigest()
        assert check.duration_seconds == pytest.approx(duration, abs=0.06)
    else:
        assert not check.ok and check.reason
        assert check.duration_seconds == 0.0


def test_failed_file_still_reports_size_and_hash(tmp_path: Path) -> None:
    path = _garbage(tmp_path)
    check = verify_recording(path)
    assert check.status == "failed"
    assert check.bytes == path.stat().st_size
    assert check.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_sha256_of_file_larger_than_one_chunk(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "long.wav", 90.0)  # ~1.4 MB: several hash chunks
    check = verify_recording(path)
    assert check.status == "ok"
    assert check.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert check.duration_seconds == pytest.approx(90.0)


async def test_async_wrapper_matches_sync(tmp_path: Path) -> None:
    good = _good(tmp_path)
    assert await verify_recording_async(good) == verify_recording(good)
    missing = await verify_recording_async(tmp_path / "absent.wav")
    assert missing == RecordingCheck(status="missing", reason="录音文件不存在")


@pytest.mark.parametrize(
    ("amplitude", "expected_dbfs", "silent_at_minus_50"),
    [
        (1.0, -3.01, False),  # a full-scale sine's RMS is 1/sqrt(2)
        (0.5, -9.03, False),
        (0.01, -43.0, False),
        (0.001, -63.0, True),
    ],
)
def test_rms_and_silence(
    tmp_path: Path, amplitude: float, expected_dbfs: float, silent_at_minus_50: bool
) -> None:
    path = write_tone(tmp_path / "tone.wav", 1.0, amplitude=amplitude)
    assert rms_dbfs(path) == pytest.approx(expected_dbfs, abs=0.2)
    assert is_silent(path) is silent_at_minus_50
    assert is_silent(path, threshold_dbfs=expected_dbfs + 1) is True
    assert is_silent(path, threshold_dbfs=expected_dbfs - 1) is False


def test_digital_silence(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "silence.wav", 1.0, amplitude=0.0)
    assert rms_dbfs(path) == -math.inf
    assert is_silent(path)
