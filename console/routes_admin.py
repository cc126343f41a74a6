"""The audit log view (supervisors: their centres; admins: everything), users and config
(admins only)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.audit import audit_query
from console.calls import local_day_bounds
from console.routes_quality import SUPERVISING, _date
from console.scope import require_role, visible_centres
from console.web import ConsoleContext, Viewer, context, db, render, viewer
from models.users import Role, User

AUDIT_PAGE = 300


def routes() -> APIRouter:
    router = APIRouter()

    @router.get("/audit")
    def audit(
        request: Request,
        who: Viewer = Depends(viewer),
        session: Session = Depends(db),
    ):
        require_role(who.user, *SUPERVISING)
        params = request.query_params
        errors: list[str] = []
        since = _date((params.get("from") or "").strip(), "开始", errors)
        until = _date((params.get("to") or "").strip(), "结束", errors)
        call_raw = (params.get("call") or "").strip()
        call_id = int(call_raw) if call_raw.isdigit() and len(call_raw) <= 12 else None
        if call_raw and call_id is None:
            errors.append("通话编号须为数字")
        query = audit_query(
            username=(params.get("user") or "").strip() or None,
            action=(params.get("action") or "").strip() or None,
            call_id=call_id,
            since=local_day_bounds(since)[0] if since else None,
            until=local_day_bounds(until)[1] if until else None,
            centres=visible_centres(who.user),
        )
        rows = [] if errors else session.scalars(query.limit(AUDIT_PAGE)).all()
        return render(
            request,
            "audit.html",
            who,
            session,
            rows=rows,
            params=params,
            errors=errors,
            status_code=400 if errors else 200,
        )

    @router.get("/admin/users")
    def users(request: Request, who: Viewer = Depends(viewer), session: Session = Depends(db)):
        require_role(who.user, Role.ADMIN)
        rows = session.scalars(select(User).order_by(User.username)).all()
        return render(request, "users.html", who, session, rows=rows)

    @router.get("/admin/config")
    def config(
        request: Request,
        who: Viewer = Depends(viewer),
        session: Session = Depends(db),
        ctx: ConsoleContext = Depends(context),
    ):
        require_role(who.user, Role.ADMIN)
        loaded = ctx.config.current
        return render(
            request,
            "config.html",
            who,
            session,
            directory=loaded.directory,
            evaluation=loaded.evaluation,
            settings=ctx.settings,
            today=dt.date.today(),
        )

    return router
