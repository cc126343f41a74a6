"""A real <audio> element in Chromium against the console under uvicorn, no Asterisk
needed: its range requests (the first load, then a seek) make exactly one audit row
for the one play. Fails (not skips) under CI=true when Chromium is missing."""

from __future__ import annotations

import datetime as dt
import io
import math
import struct
import wave

from console_support import add_user, app_client, console_settings, make_call, seed
from sqlalchemy import select
from test_console_browser import CHROMIUM, CHROMIUM_ARGS, SHORT, _need_chromium, sign_in

from console.server import ConsoleServer
from models import AuditEntry
from models.users import Role

SECONDS = 30


def tone_wav() -> bytes:
    """SECONDS of a 440 Hz tone, 8 kHz mono 16-bit: large enough to be fetched in ranges."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
        for i in range(8000 * SECONDS)
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(frames)
    return out.getvalue()


PLAY_AND_SEEK = """el => new Promise((resolve, reject) => {
    el.addEventListener('error', () => reject(new Error('audio error')), {once: true});
    el.muted = true;
    el.addEventListener('playing', () => {
        el.addEventListener('seeked', () => { el.pause(); resolve(el.currentTime); },
                            {once: true});
        el.currentTime = %d;
    }, {once: true});
    el.play().catch(reject);
})"""


async def test_a_real_player_makes_one_audit_row_per_play(tmp_path, migrated_url, sessions):
    _need_chromium()
    from playwright.async_api import async_playwright

    settings = console_settings(tmp_path, migrated_url)
    seed(sessions, settings)
    add_user(sessions, "op-sh", Role.OPERATOR, ["sh"])
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    call = make_call(sessions, settings, "sh", at=at, audio=tone_wav())
    server = ConsoleServer(app_client(settings, sessions).app, "127.0.0.1", 0)
    await server.start()
    ranges: list[str | None] = []
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                page = await browser.new_page()
                page.set_default_timeout(SHORT)
                page.on(
                    "request",
                    lambda r: ranges.append(r.headers.get("range")) if "/audio" in r.url else None,
                )
                base = f"http://127.0.0.1:{server.port}"
                await sign_in(page, base, "op-sh")
                await page.goto(f"{base}/calls/{call.id}")
                player = page.locator('audio[data-testid="recording"]').first
                position = await player.evaluate(PLAY_AND_SEEK % (SECONDS - 5))
                assert position >= SECONDS - 6
            finally:
                await browser.close()
    finally:
        await server.stop()
    assert len(ranges) >= 2, ranges  # the player did fetch by ranges
    with sessions() as session:
        plays = session.scalars(select(AuditEntry).where(AuditEntry.action == "play")).all()
    assert [p.object_id for p in plays] == [str(call.recording)], ranges
