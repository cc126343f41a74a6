"""After hangup: check the call's recording and collect its voicemail, then index both.

MixMonitor closes the file only after the channel is destroyed, so the check waits
until the file stops growing (bounded). A file that never appears is indexed as
missing rather than forgotten.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from pathlib import Path

import structlog

from agi.flow.calllog import CallRecorder
from agi.flow.services import CallServices
from recordings.layout import UnsafePathError, recording_relpath, resolve_under_root
from recordings.spool import SpoolMessage, message_for_call, read_inbox, valid_mailbox
from recordings.verify import RecordingCheck, verify_recording_async

log = structlog.get_logger("archive")

SETTLE_SECONDS = 15.0
POLL_SECONDS = 0.4
VOICEMAIL_CONTEXT = "hotline12330"


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
    """Verify `path` once it is complete: the same non-zero size twice in a row and, for
    a WAV, a header that accounts for every byte (Asterisk writes it on close; under
    load a still-open recording can pause for longer than one poll).

    Only the size and header are polled; the full check (checksum, frames) runs once at
    the end. It costs CPU in this process, which the calls share.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_seconds
    previous = -1
    while loop.time() < deadline:
        size, closed = await asyncio.to_thread(_size_and_closed, path)
        if size > 0 and size == previous and closed:
            break
        previous = size
        await asyncio.sleep(POLL_SECONDS)
    return await verify_recording_async(path)


def _size_and_closed(path: Path) -> tuple[int, bool]:
    """The file's size, and whether its writer has finished it (a WAV whose RIFF size
    matches the file; any other format counts as finished once its size holds)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
            size = os.fstat(handle.fileno()).st_size
    except OSError:
        return 0, False
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return size, True
    return size, int.from_bytes(head[4:8], "little") + 8 == size


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


def _known_mailboxes(services: CallServices) -> frozenset[str]:
    return services.config.current.directory.mailboxes


def find_message(
    inbox: Path,
    uniqueid: str,
    channel: str,
    call_window: tuple[dt.datetime, dt.datetime] | None,
) -> tuple[Path | None, SpoolMessage | None, str]:
    """The call's message in `inbox` (blocking: run it in a thread): its sound file,
    its envelope, and how it was matched ("category", "channel", "ambiguous" or "")."""
    window = None
    if call_window is not None:
        window = (call_window[0].timestamp(), call_window[1].timestamp())
    match = message_for_call(
        read_inbox(inbox), uniqueid=uniqueid, channel=channel, call_window=window
    )
    if match.message is None:
        return None, None, match.by
    wav = inbox / f"{match.message.name}.wav"
    return (wav if wav.exists() else None), match.message, match.by


async def collect_voicemail(
    services: CallServices,
    recorder: CallRecorder,
    channel: str,
    mailbox: str,
    started_hint: dt.datetime,
    *,
    wait_seconds: float = 5.0,
    call_window: tuple[dt.datetime, dt.datetime] | None = None,
) -> None:
    """Copy and index the call's message; `wait_seconds` 0 looks once (an old call).

    `call_window` (the call's start and end, from the CDR) also allows the channel-name
    match for messages left before the dialplan named the call (recordings.spool)."""
    if not valid_mailbox(mailbox, _known_mailboxes(services)):
        log.warning("archive.unknown_mailbox", mailbox=mailbox[:80])
        return
    # Also refuses a uniqueid that could not name a file, before any path is built.
    uniqueid = recorder.uniqueid
    relpath = f"voicemail/{recording_relpath(uniqueid, started_hint)}"
    inbox = services.settings.voicemail_spool / VOICEMAIL_CONTEXT / mailbox / "INBOX"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    found = await asyncio.to_thread(find_message, inbox, uniqueid, channel, call_window)
    while found[0] is None and loop.time() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        found = await asyncio.to_thread(find_message, inbox, uniqueid, channel, call_window)
    message, envelope, matched_by = found
    if message is None or envelope is None:
        log.info("archive.no_voicemail", mailbox=mailbox, match=matched_by or "none")
        return
    # Archive a copy beside the recordings: Asterisk renumbers or deletes spool messages.
    # A copy already there belongs to this call's row: never overwrite it. The claim
    # (calllog.apply) refuses a message another call holds; the copy is this call's own.
    target = services.settings.recordings_root / relpath
    created = await asyncio.to_thread(_copy_new, message, target)
    check = await settled_check(target, limit_seconds=2.0 if created else 0.0)
    recorder.voicemail(
        mailbox=mailbox,
        file=relpath,
        duration_seconds=check.duration_seconds if check.ok else None,
        spool_msg_id=envelope.msg_id,
    )
    log.info(
        "archive.voicemail", mailbox=mailbox, path=relpath, status=check.status, match=matched_by
    )


def _copy_new(source: Path, target: Path) -> bool:
    """Copy `source` to `target` unless `target` exists; whether it copied."""
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, partial)
    partial.replace(target)
    return True
