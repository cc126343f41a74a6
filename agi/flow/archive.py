"""After hangup: check the call's recording and collect its voicemail, then index both.

MixMonitor closes the file only after the channel is destroyed, so the check waits
until the file stops growing (bounded). A file that never appears is indexed as
missing rather than forgotten.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
from pathlib import Path

import structlog

from agi.flow.calllog import CallRecorder
from agi.flow.services import CallServices
from recordings.layout import UnsafePathError, recording_relpath, resolve_under_root
from recordings.verify import RecordingCheck, verify_recording_async

log = structlog.get_logger("archive")

SETTLE_SECONDS = 15.0
POLL_SECONDS = 0.4
VOICEMAIL_CONTEXT = "hotline12330"
MAX_CALL_SECONDS = 3600  # TIMEOUT(absolute) in hotline12330-extensions.conf


async def archive_call_files(
    services: CallServices,
    recorder: CallRecorder,
    *,
    channel: str,
    recording_relpath: str,
    mailbox: str | None,
    started_hint: dt.datetime,
) -> None:
    structlog.contextvars.bind_contextvars(call_id=recorder.uniqueid)
    try:
        await index_recording(services, recorder, recording_relpath, started_hint)
    except Exception:
        log.exception("archive.recording_failed")
    if mailbox:
        try:
            await collect_voicemail(services, recorder, channel, mailbox, started_hint)
        except Exception:
            log.exception("archive.voicemail_failed")


async def settled_check(path: Path, limit_seconds: float = SETTLE_SECONDS) -> RecordingCheck:
    """Verify `path` once it is complete: ok twice in a row with the same size."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_seconds
    previous: RecordingCheck | None = None
    while True:
        check = await verify_recording_async(path)
        if check.ok and previous is not None and previous.bytes == check.bytes:
            return check
        if loop.time() >= deadline:
            return check
        previous = check if check.ok else None
        await asyncio.sleep(POLL_SECONDS)


async def index_recording(
    services: CallServices,
    recorder: CallRecorder,
    relpath: str,
    started_hint: dt.datetime,
    *,
    settle_seconds: float = SETTLE_SECONDS,
) -> None:
    """Index the call's recording; `settle_seconds` 0 checks once (a long-closed file)."""
    root = services.settings.recordings_root
    try:
        path = resolve_under_root(root, relpath) if relpath else None
    except UnsafePathError:
        log.warning("archive.unsafe_recording_path", relpath=relpath[:200])
        path = None
    if path is None:
        relpath = str(recording_relpath(recorder.uniqueid, started_hint))
        path = root / relpath
    check = await settled_check(path, settle_seconds)
    recorder.recording(
        relpath,
        status=check.status,
        size_bytes=check.bytes or None,
        duration_seconds=check.duration_seconds if check.ok else None,
        sha256=check.sha256 or None,
    )
    log.info("archive.recording", status=check.status, path=relpath, reason=check.reason)


def _find_message(inbox: Path, channel: str, not_before: float) -> Path | None:
    """The message whose envelope names this call's channel (callerchan=...).

    Local and PJSIP channel names repeat after an Asterisk restart, so the message
    must also have been left after the call started (origtime, epoch seconds).
    """
    if not inbox.is_dir():
        return None
    for envelope in sorted(inbox.glob("msg*.txt"), reverse=True):
        try:
            text = envelope.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        origtime = re.search(r"^origtime=(\d+)$", text, re.MULTILINE)
        if not origtime or int(origtime.group(1)) < not_before:
            continue
        if f"callerchan={channel}\n" in text:
            wav = envelope.with_suffix(".wav")
            return wav if wav.exists() else None
    return None


async def collect_voicemail(
    services: CallServices,
    recorder: CallRecorder,
    channel: str,
    mailbox: str,
    started_hint: dt.datetime,
    *,
    wait_seconds: float = 5.0,
) -> None:
    """Copy and index the call's message; `wait_seconds` 0 looks once (an old call)."""
    inbox = services.settings.voicemail_spool / VOICEMAIL_CONTEXT / mailbox / "INBOX"
    # started_hint may be the hangup time; no call lasts longer than the dialplan's
    # TIMEOUT(absolute), and the clocks may differ by a little.
    not_before = started_hint.timestamp() - MAX_CALL_SECONDS - 5
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    message = await asyncio.to_thread(_find_message, inbox, channel, not_before)
    while message is None and loop.time() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        message = await asyncio.to_thread(_find_message, inbox, channel, not_before)
    if message is None:
        log.info("archive.no_voicemail", mailbox=mailbox)
        return
    # Archive a copy beside the recordings: Asterisk renumbers or deletes spool messages.
    relpath = f"voicemail/{recording_relpath(recorder.uniqueid, started_hint)}"
    target = services.settings.recordings_root / relpath
    await asyncio.to_thread(_copy, message, target)
    check = await settled_check(target, limit_seconds=2.0)
    recorder.voicemail(
        mailbox=mailbox,
        file=relpath,
        duration_seconds=check.duration_seconds if check.ok else None,
    )
    log.info("archive.voicemail", mailbox=mailbox, path=relpath, status=check.status)


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
