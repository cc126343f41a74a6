"""Recordings and voicemail audio, by uuid only, with HTTP Range, every access audited.

The file is found from the database row (a path relative to the configured root),
never from anything in the request; a uuid outside the viewer's centres is a 404,
exactly like an unknown one.
"""

from __future__ import annotations

import re
import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.audit import record
from console.files import file_under
from console.scope import NotInScope, may_see
from console.voicemail_inbox import voicemail_in_scope
from console.web import ConsoleContext, Viewer, context, db, viewer
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


def _send(path, media_type: str, download_name: str | None) -> FileResponse:
    headers = {"Cache-Control": "private, no-store"}
    if download_name is None:
        return FileResponse(path, media_type=media_type, headers=headers)
    return FileResponse(
        path,
        media_type=media_type,
        headers=headers,
        filename=download_name,
        content_disposition_type="attachment",
    )


def routes() -> APIRouter:
    router = APIRouter()

    def serve_recording(request, recording_id, who, session, ctx, download: bool):
        row = _recording(session, who, recording_id)
        path = file_under(ctx.settings.recordings_root, row.path)
        if path is None:
            raise NotInScope(recording_id)
        action = "download" if download else "play"
        if download or _starts_playback(request):
            record(
                session,
                who.requester,
                action,
                "recording",
                str(row.uuid),
                call_id=row.call_id,
                centre_id=row.call.centre_id,
                detail={"range": request.headers.get("range")},
                collapse_repeats=not download,
            )
        name = f"12330-call{row.call_id}-{row.uuid}.wav" if download else None
        return _send(path, "audio/wav", name)

    @router.get("/recordings/{recording_id}/audio")
    def play_recording(
        request: Request,
        recording_id: str,
        who: Viewer = Depends(viewer),
        session: Session = Depends(db),
        ctx: ConsoleContext = Depends(context),
    ):
        return serve_recording(request, recording_id, who, session, ctx, download=False)

    @router.get("/recordings/{recording_id}/download")
    def download_recording(
        request: Request,
        recording_id: str,
        who: Viewer = Depends(viewer),
        session: Session = Depends(db),
        ctx: ConsoleContext = Depends(context),
    ):
        return serve_recording(request, recording_id, who, session, ctx, download=True)

    def serve_voicemail(request, voicemail_id, who, session, ctx, download: bool):
        vm = voicemail_in_scope(session, who.user, voicemail_id)
        # The call flow archives each message beside the recordings (archive.py).
        path = file_under(ctx.settings.recordings_root, vm.file)
        if path is None:
            raise NotInScope(voicemail_id)
        if download or _starts_playback(request):
            record(
                session,
                who.requester,
                "download" if download else "play",
                "voicemail",
                str(vm.uuid),
                call_id=vm.call_id,
                centre_id=vm.call.centre_id,
                detail={"range": request.headers.get("range")},
                collapse_repeats=not download,
            )
        name = f"12330-voicemail{vm.call_id}-{vm.uuid}.wav" if download else None
        return _send(path, "audio/wav", name)

    @router.get("/voicemails/{voicemail_id}/audio")
    def play_voicemail(
        request: Request,
        voicemail_id: str,
        who: Viewer = Depends(viewer),
        session: Session = Depends(db),
        ctx: ConsoleContext = Depends(context),
    ):
        return serve_voicemail(request, voicemail_id, who, session, ctx, download=False)

    @router.get("/voicemails/{voicemail_id}/download")
    def download_voicemail(
        request: Request,
        voicemail_id: str,
        who: Viewer = Depends(viewer),
        session: Session = Depends(db),
        ctx: ConsoleContext = Depends(context),
    ):
        return serve_voicemail(request, voicemail_id, who, session, ctx, download=True)

    return router
