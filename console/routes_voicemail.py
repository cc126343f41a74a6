"""The voicemail inbox: new first, callback deadline in working days, handling."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from backoffice.audit import record
from backoffice.voicemail_inbox import InvalidHandling, handle, inbox, voicemail_in_scope
from console.web import DB, ConsoleContext, Viewer, context, field, form_with_csrf, render, viewer


def routes() -> APIRouter:
    router = APIRouter()

    def page(request, who, session, ctx, errors=(), status=200, values=None, handled_page=0):
        box = inbox(
            session,
            who.user,
            ctx.config.current.calendar,
            ctx.settings.console_callback_working_days,
            ctx.clock(),
            handled_page,
        )
        return render(
            request,
            "voicemails.html",
            who,
            session,
            status_code=status,
            rows=box.rows,
            handled_page=box.handled_page,
            more_handled=box.more_handled,
            errors=list(errors),
            values=values or {},
            days=ctx.settings.console_callback_working_days,
        )

    @router.get("/voicemails")
    def voicemails(
        request: Request,
        handled_page: int = Query(0, ge=0, le=1_000_000),
        who: Viewer = Depends(viewer),
        session: Session = DB,
        ctx: ConsoleContext = Depends(context),
    ):
        return page(request, who, session, ctx, handled_page=handled_page)

    @router.post("/voicemails/{voicemail_id}/handle")
    def handle_voicemail(
        request: Request,
        voicemail_id: str,
        form: dict = Depends(form_with_csrf),
        who: Viewer = Depends(viewer),
        session: Session = DB,
        ctx: ConsoleContext = Depends(context),
    ):
        vm = voicemail_in_scope(session, who.user, voicemail_id)
        called_back = field(form, "called_back") == "1"
        note = field(form, "note")
        try:
            handle(session, vm, who.user, called_back=called_back, note=note, now=ctx.clock())
        except InvalidHandling as exc:
            values = {str(vm.uuid): {"note": note, "called_back": called_back}}
            return page(request, who, session, ctx, [str(exc)], 400, values)
        record(
            session,
            who.requester,
            "voicemail_handled",
            "voicemail",
            str(vm.uuid),
            call_id=vm.call_id,
            centre_id=vm.call.centre_id,
            detail={"called_back": called_back},
        )
        return RedirectResponse("/voicemails", status_code=303)

    return router
