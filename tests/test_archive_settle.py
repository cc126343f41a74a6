"""The recording check waits for Asterisk to finish the file, also when the recorder
pauses for longer than one poll (a loaded machine): a WAV is finished when its header
accounts for every byte, which Asterisk writes on close."""

from __future__ import annotations

import asyncio
import io
import time
import wave
from pathlib import Path

import pytest

from agi.flow.archive import POLL_SECONDS, settled_check


def wav_bytes(seconds: float = 1.0) -> bytes:
    """A complete 8 kHz mono WAV of a non-silent tone."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        frames = int(8000 * seconds)
        wav.writeframes(b"".join(((n % 40) * 500).to_bytes(2, "little") for n in range(frames)))
    return buffer.getvalue()


def still_open(complete: bytes) -> bytes:
    """The same file as a recorder leaves it before closing: sizes in the header zero."""
    data = bytearray(complete)
    data[4:8] = (0).to_bytes(4, "little")
    data[40:44] = (0).to_bytes(4, "little")
    return bytes(data)


# (case, seconds until the header is finished or None, limit, expected status)
SETTLE_TABLE = [
    ("paused past several polls, then closed", 4 * POLL_SECONDS, 5.0, "ok"),
    ("closed from the start", 0.0, 5.0, "ok"),
    ("never closed (recorder killed)", None, 1.5, "failed"),
]


@pytest.mark.parametrize(
    ("closes_after", "limit", "expected"),
    [r[1:] for r in SETTLE_TABLE],
    ids=[r[0] for r in SETTLE_TABLE],
)
async def test_check_waits_for_the_header_of_a_paused_recording(
    tmp_path: Path, closes_after, limit, expected
):
    complete = wav_bytes()
    path = tmp_path / "call.wav"
    path.write_bytes(complete if closes_after == 0.0 else still_open(complete))

    async def close_later() -> None:
        await asyncio.sleep(closes_after)
        path.write_bytes(complete)

    closer = asyncio.create_task(close_later()) if closes_after else None
    started = time.monotonic()
    check = await settled_check(path, limit)
    if closer is not None:
        await closer
        assert time.monotonic() - started >= closes_after  # it waited for the close
    assert check.status == expected, check.reason
