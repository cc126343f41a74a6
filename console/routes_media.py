"""Recordings and voicemail audio, by uuid only, with HTTP Range, every access audited.

The file is found from the database row (a path relative to the configured root),
never from anything in the request; a uuid outside the viewer's centres is a 404,
exactly like an unknown one.

The route finds the row and writes the audit entry; the request's transaction (web.DB)
commits and closes when the route returns, so the audit entry is saved and no
connection is held while a slow client downloads the file.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.audit import record
from console.files import file_under
from console.scope import NotInScope, may_see
from console.voicemail_inbox import voicemail_in_scope
from console.web import DB, ConsoleContext, Viewer, context, viewer
from models.recordings import Recording

_RANGE_START = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-")


def _starts_playback(request: Request) -> bool:
    """A request without Range, or one from byte 0: a new play (seeks are not audited)."""
    header = request.headers.get("range")
    if header is None:
        return True
    match = _RANGE_START.match(header)
    return match is None or match.group(1) in ("", "0")


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
    if download or _starts_playback(request):
        record(
            session,
            who.requester,
            "download" if download else "play",
            media.object_type,
            media.uuid,
            call_id=media.call_id,
            centre_id=media.centre_id,
            detail={"range": request.headers.get("range")},
            collapse_repeats=not download,
        )
    headers = {"Cache-Control": "private, no-store"}
    if not download:
        return FileResponse(path, media_type="audio/wav", headers=headers)
    name = f"12330-{media.object_type}-call{media.call_id}-{media.uuid}.wav"
    return FileResponse(
        path,
        media_type="audio/wav",
        headers=headers,
        filename=name,
        content_disposition_type="attachment",
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
