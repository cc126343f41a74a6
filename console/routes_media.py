"""Recordings and voicemail audio, by uuid only, with HTTP Range, every access audited.

The file is found from the database row (a path relative to the configured root),
never from anything in the request; a uuid outside the viewer's centres is a 404,
exactly like an unknown one.

The route finds the row and writes the audit entry; the request's transaction (web.DB)
commits and closes when the route returns, so the audit entry is saved and no
connection is held while a slow client downloads the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.audit import REPEAT_WINDOW, record
from backoffice.files import file_under
from backoffice.scope import NotInScope, may_see
from backoffice.voicemail_inbox import voicemail_in_scope
from console.byte_range import RangeRefused, plan
from console.web import DB, ConsoleContext, Viewer, context, viewer
from models.recordings import Recording

CHUNK_BYTES = 64 * 1024


def _validators(stat: os.stat_result) -> tuple[str, str]:
    """The file's ETag and Last-Modified, which an If-Range must name to get a range."""
    tag = hashlib.sha256(f"{stat.st_mtime_ns}-{stat.st_size}".encode()).hexdigest()[:32]
    return f'"{tag}"', formatdate(stat.st_mtime, usegmt=True)


async def _file_bytes(path: Path, start: int, end: int) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as file:
        await file.seek(start)
        left = end - start
        while left > 0:
            chunk = await file.read(min(CHUNK_BYTES, left))
            if not chunk:
                return  # truncated under us: the client sees a short body
            left -= len(chunk)
            yield chunk


def _recording(session: Session, who: Viewer, raw_id: str) -> Recording:
    try:
        key = uuid.UUID(raw_id)
    except ValueError:
        raise NotInScope(raw_id) from None
    row = session.scalars(select(Recording).where(Recording.uuid == key)).one_or_none()
    if row is None or not may_see(who.user, row.call.centre_id):
        raise NotInScope(raw_id)
    return row


@dataclass(frozen=True)
class _Media:
    """One playable file, as found from its database row."""

    object_type: str  # "recording" or "voicemail"
    uuid: str
    call_id: int
    centre_id: str | None
    relative_path: str


def _serve(request: Request, who: Viewer, session: Session, ctx, media: _Media, download: bool):
    path = file_under(ctx.settings.recordings_root, media.relative_path)
    if path is None:
        raise NotInScope(media.uuid)
    stat = path.stat()
    etag, modified = _validators(stat)
    range_header = request.headers.get("range")
    try:
        sent = plan(range_header, request.headers.get("if-range"), stat.st_size, (etag, modified))
    except RangeRefused:
        return Response(
            "请求的范围无效", status_code=416, headers={"Content-Range": f"bytes */{stat.st_size}"}
        )
    # Audited from what is sent: the start of the file is a play (a player's repeated
    # requests within seconds are the same play); a later part only is a seek, audited
    # as a play too unless this user played this file in the session's lifetime.
    if download or sent.includes_start:
        window = None if download else REPEAT_WINDOW
    else:
        window = dt.timedelta(hours=ctx.settings.console_session_hours)
    record(
        session,
        who.requester,
        "download" if download else "play",
        media.object_type,
        media.uuid,
        call_id=media.call_id,
        centre_id=media.centre_id,
        detail={"range": range_header[:100] if range_header else None},
        collapse_within=window,
    )
    headers = {
        "Cache-Control": "private, no-store",
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": modified,
        "Content-Length": str(sent.end - sent.start),
    }
    if sent.partial:
        headers["Content-Range"] = f"bytes {sent.start}-{sent.end - 1}/{sent.size}"
    if download:
        name = f"12330-{media.object_type}-call{media.call_id}-{media.uuid}.wav"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return StreamingResponse(
        _file_bytes(path, sent.start, sent.end),
        status_code=206 if sent.partial else 200,
        media_type="audio/wav",
        headers=headers,
    )


def _recording_media(session: Session, who: Viewer, raw_id: str) -> _Media:
    row = _recording(session, who, raw_id)
    return _Media("recording", str(row.uuid), row.call_id, row.call.centre_id, row.path)


def _voicemail_media(session: Session, who: Viewer, raw_id: str) -> _Media:
    # The call flow archives each message beside the recordings (agi/flow/archive.py).
    vm = voicemail_in_scope(session, who.user, raw_id)
    return _Media("voicemail", str(vm.uuid), vm.call_id, vm.call.centre_id, vm.file)


def routes() -> APIRouter:
    router = APIRouter()

    def media_route(prefix: str, find) -> None:
        @router.get(prefix + "/{media_id}/{what}", name=prefix.strip("/"))
        def media(
            request: Request,
            media_id: str,
            what: str,
            who: Viewer = Depends(viewer),
            session: Session = DB,
            ctx: ConsoleContext = Depends(context),
        ):
            if what not in ("audio", "download"):
                raise NotInScope(request.url.path)
            found = find(session, who, media_id)
            return _serve(request, who, session, ctx, found, download=what == "download")

    media_route("/recordings", _recording_media)
    media_route("/voicemails", _voicemail_media)
    return router
