"""The audit log view (supervisors: their centres; admins: everything), users and config
(admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backoffice.audit import audit_query, record
from backoffice.passwords import WeakPassword
from backoffice.scope import SUPERVISING, NotInScope, require_role, visible_centres
from backoffice.users import InvalidUser, save_user
from console.forms import form_date
from console.web import (
    DB,
    ConsoleContext,
    Viewer,
    context,
    field,
    form_with_csrf,
    render,
    viewer,
)
from models.users import ConsoleSession, Role, User
from routing.local_time import local_day_bounds

AUDIT_PAGE = 300


def routes() -> APIRouter:
    router = APIRouter()

    @router.get("/audit")
    def audit(
        request: Request,
        who: Viewer = Depends(viewer),
        session: Session = DB,
    ):
        require_role(who.user, *SUPERVISING)
        params = request.query_params
        errors: list[str] = []
        since = form_date((params.get("from") or "").strip(), "开始", errors)
        until = form_date((params.get("to") or "").strip(), "结束", errors)
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
    def users(
        request: Request,
        who: Viewer = Depends(viewer),
        session: Session = DB,
        ctx: ConsoleContext = Depends(context),
    ):
        require_role(who.user, Role.ADMIN)
        return _users_page(request, who, session, ctx)

    @router.post("/admin/users")
    def save(
        request: Request,
        form: dict = Depends(form_with_csrf),
        who: Viewer = Depends(viewer),
        session: Session = DB,
        ctx: ConsoleContext = Depends(context),
    ):
        require_role(who.user, Role.ADMIN)
        known = [c.id for c in ctx.config.current.directory.centres]
        username = field(form, "username").strip()
        password = field(form, "password") or None
        update = field(form, "update") == "1"
        role_raw = field(form, "role")
        errors: list[str] = []
        if role_raw not in {r.value for r in Role}:
            errors.append("请选择角色")
        elif username == who.user.username and role_raw != Role.ADMIN.value:
            errors.append("不能降低自己的管理员权限")
        if not errors:
            try:
                user, created = save_user(
                    session,
                    username,
                    role=Role(role_raw),
                    password=password,
                    centres=[c for c in form.get("centres", []) if isinstance(c, str) and c],
                    known_centres=known,
                    all_centres=field(form, "all_centres") == "1",
                    display_name=field(form, "display_name").strip()[:64],
                    update=update,
                    keep_session=who.login.id,
                )
            except (InvalidUser, WeakPassword) as exc:
                errors.append(str(exc))
        if errors:
            kept = {k: field(form, k) for k in ("username", "display_name", "role", "update")}
            kept["centres"] = form.get("centres", [])
            kept["all_centres"] = field(form, "all_centres")
            return _users_page(request, who, session, ctx, errors, kept, 400)
        detail = {"role": user.role.value, "centres": user.centre_ids, "created": created}
        detail["password_changed"] = password is not None
        record(session, who.requester, "user_saved", "user", user.username, detail=detail)
        return RedirectResponse("/admin/users", status_code=303)

    @router.post("/admin/users/{username}/active")
    def set_active(
        username: str,
        form: dict = Depends(form_with_csrf),
        who: Viewer = Depends(viewer),
        session: Session = DB,
    ):
        require_role(who.user, Role.ADMIN)
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None or user.id == who.user.id:  # no locking oneself out
            raise NotInScope(username)
        user.is_active = field(form, "active") == "1"
        if not user.is_active:
            session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user.id))
        action = "user_enabled" if user.is_active else "user_disabled"
        record(session, who.requester, action, "user", user.username)
        return RedirectResponse("/admin/users", status_code=303)

    @router.get("/admin/config")
    def config(
        request: Request,
        who: Viewer = Depends(viewer),
        session: Session = DB,
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
        )

    return router


def _users_page(request, who, session, ctx, errors=(), values=None, status=200):
    rows = session.scalars(select(User).order_by(User.username)).all()
    return render(
        request,
        "users.html",
        who,
        session,
        status_code=status,
        rows=rows,
        errors=list(errors),
        values=values or {},
        centres=ctx.config.current.directory.centres,
    )
