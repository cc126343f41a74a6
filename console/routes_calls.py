"""Operators' pages: today's calls, one call with its recording, the 12330 log form."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.audit import record
from backoffice.calls import call_in_scope, pending_calls, recordings_of, today_calls
from console.forms import categories, parse_call_id
from console.web import DB, ConsoleContext, Viewer, context, field, form_with_csrf, render, viewer
from models.call_log import CallLogEntry, log_entry_of
from models.call_log_edit import InvalidLogEntry, save_call_log
from models.quality import Evaluation, UndercoverResult
from models.voicemail import Voicemail

SUMMARY_LENGTH = 4000
REQUIRED = {
    "summary": "通话内容要点",
    "caller_role": "来电人身份",
    "caller_entity": "来电主体类型",
    "service_type": "服务类型",
    "ip_types": "知识产权类别",
}


def form_values(entry: CallLogEntry | None) -> dict[str, object]:
    if entry is None:
        return {"summary": "", "ip_types": [], "is_sme": False}
    return {
        "summary": entry.summary,
        "caller_role": entry.caller_role_code,
        "caller_entity": entry.caller_entity_code,
        "service_type": entry.service_type_code,
        "ip_types": entry.ip_type_codes,
        "is_sme": entry.is_sme,
    }


def missing_fields(form: dict[str, list]) -> list[str]:
    missing = [
        label
        for name, label in REQUIRED.items()
        if name != "ip_types" and not field(form, name).strip()
    ]
    if not [v for v in form.get("ip_types", []) if isinstance(v, str) and v]:
        missing.append(REQUIRED["ip_types"])
    return missing


def routes() -> APIRouter:
    router = APIRouter()

    @router.get("/calls/today")
    def today(
        request: Request,
        who: Viewer = Depends(viewer),
        session: Session = DB,
        ctx: ConsoleContext = Depends(context),
    ):
        rows = today_calls(session, who.user, ctx.clock())
        return render(request, "today.html", who, session, rows=rows, now=ctx.clock())

    @router.get("/calls/pending")
    def pending(request: Request, who: Viewer = Depends(viewer), session: Session = DB):
        rows = pending_calls(session, who.user)
        return render(request, "pending.html", who, session, rows=rows)

    @router.get("/calls/{call_id}")
    def detail(
        request: Request,
        call_id: str,
        saved: int = 0,
        who: Viewer = Depends(viewer),
        session: Session = DB,
    ):
        call, entry = _call_with_entry(session, who, call_id)
        return _detail_page(request, who, session, call, entry, form_values(entry), saved=saved)

    @router.post("/calls/{call_id}/log")
    def save_log(
        request: Request,
        call_id: str,
        form: dict = Depends(form_with_csrf),
        who: Viewer = Depends(viewer),
        session: Session = DB,
    ):
        call, entry = _call_with_entry(session, who, call_id)
        values = {
            "summary": field(form, "summary").strip(),
            "caller_role": field(form, "caller_role") or None,
            "caller_entity": field(form, "caller_entity") or None,
            "service_type": field(form, "service_type") or None,
            "ip_types": [v for v in form.get("ip_types", []) if isinstance(v, str) and v],
            "is_sme": field(form, "is_sme") == "1",
        }
        errors = [f"请填写：{'、'.join(missing)}"] if (missing := missing_fields(form)) else []
        if len(values["summary"]) > SUMMARY_LENGTH:
            errors.append(f"通话内容要点不能超过 {SUMMARY_LENGTH} 字")
        if not errors:
            try:
                # save_call_log checks every code before it changes anything.
                save_call_log(session, call.id, operator=who.user.username, **values)
            except InvalidLogEntry as exc:
                errors.append(f"无法保存：{exc}")
        if errors:
            # Everything typed comes back on the page: a refused form loses nothing.
            return _detail_page(request, who, session, call, entry, values, errors, 400)
        record(
            session,
            who.requester,
            "log_saved",
            "call",
            str(call.id),
            call_id=call.id,
            centre_id=call.centre_id,
        )
        return RedirectResponse(f"/calls/{call.id}?saved=1", status_code=303)

    return router


def _call_with_entry(session: Session, who: Viewer, raw_id: str):
    """The call in the viewer's scope (404 otherwise) and its 12330 record, if filed."""
    call = call_in_scope(session, who.user, parse_call_id(raw_id))
    entry = log_entry_of(session, call.id)
    return call, entry


def _detail_page(request, who, session, call, entry, values, errors=(), status=200, saved=0):
    ctx: ConsoleContext = request.app.state.console
    voicemail = session.scalars(select(Voicemail).where(Voicemail.call_id == call.id)).first()
    evaluations = session.scalars(
        select(Evaluation).where(Evaluation.call_id == call.id).order_by(Evaluation.id)
    ).all()
    undercover = session.scalars(
        select(UndercoverResult).where(UndercoverResult.call_id == call.id)
    ).one_or_none()
    return render(
        request,
        "call.html",
        who,
        session,
        status_code=status,
        call=call,
        entry=entry,
        history=entry.history if entry else [],
        recordings=recordings_of(session, call),
        voicemail=voicemail,
        evaluations=evaluations,
        undercover=undercover,
        form=values,
        errors=list(errors),
        saved=saved,
        lists=categories(session),
        evaluation_form=ctx.config.current.evaluation,
    )
