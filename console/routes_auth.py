"""Login (throttled, CSRF by double-submit cookie), logout and the landing redirect."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backoffice.auth import LoginBusy, LoginFailed, LoginThrottled, csrf_matches, log_out, sign_in
from console.web import (
    DB,
    LOGIN_CSRF_COOKIE,
    MAX_FORM_FIELDS,
    SESSION_COOKIE,
    ConsoleContext,
    Viewer,
    client_ip,
    context,
    form_with_csrf,
    render,
    viewer,
)
from models.users import Role

log = structlog.get_logger("console")


def _safe_next(target: str | None) -> str:
    # Only a local path: never an open redirect to another site.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _cookie(response: Response, ctx: ConsoleContext, name: str, value: str, **extra: Any):
    response.set_cookie(
        name,
        value,
        httponly=True,
        secure=ctx.settings.console_cookie_secure,
        samesite="strict",
        path="/",
        **extra,
    )


def routes() -> APIRouter:
    router = APIRouter()

    @router.get("/login")
    def login_page(request: Request, next: str = "/", ctx: ConsoleContext = Depends(context)):
        return _login_form(request, ctx, 200, target=_safe_next(next))

    @router.post("/login")
    async def login_submit(request: Request, ctx: ConsoleContext = Depends(context)):
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)  # no form takes a file
        username = str(form.get("username") or "")
        password = str(form.get("password") or "")
        target = _safe_next(str(form.get("next") or "/"))
        cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE)
        if not cookie_token or not csrf_matches(cookie_token, str(form.get("csrf_token") or "")):
            return _login_error(request, ctx, "页面已过期，请重新登录", 403, username, target)
        return await _attempt(request, ctx, username, password, target)

    @router.post("/logout")
    def logout(
        request: Request,
        _form: dict = Depends(form_with_csrf),
        session: Session = DB,
    ):
        log_out(session, request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/")
    def home(who: Viewer = Depends(viewer)):
        target = "/calls/today" if who.user.role is Role.OPERATOR else "/search"
        return RedirectResponse(target, status_code=303)

    return router


async def _attempt(request: Request, ctx: ConsoleContext, username: str, password: str, target):
    ip = client_ip(request)

    def check() -> str | int | None:
        # argon2 takes tens of milliseconds and 64 MiB: off the event loop, few at a time.
        try:
            user, token = sign_in(
                ctx.sessions,
                username,
                password,
                ip=ip,
                policy=ctx.throttle,
                lifetime=_lifetime(ctx),
                user_agent=request.headers.get("user-agent", ""),
                checks=ctx.password_checks,
                now=ctx.clock(),
            )
        except LoginThrottled as exc:
            log.warning("console.login_throttled", user=username[:64], ip=ip)
            return max(1, int(exc.retry_after.total_seconds() // 60) + 1)
        except LoginBusy:
            log.warning("console.login_busy", user=username[:64], ip=ip)
            return None
        except LoginFailed:
            log.warning("console.login_failed", user=username[:64], ip=ip)
            return ""
        log.info("console.login", user=user.username, role=user.role.value, ip=ip)
        return token

    outcome = await run_in_threadpool(check)
    if outcome is None:
        return _login_error(request, ctx, "系统繁忙，请稍后重试", 503, username, target)
    if isinstance(outcome, int):
        message = f"登录失败次数过多，请 {outcome} 分钟后再试"
        return _login_error(request, ctx, message, 429, username, target)
    if not outcome:
        return _login_error(request, ctx, "用户名或密码错误", 401, username, target)
    response = RedirectResponse(target, status_code=303)
    _cookie(response, ctx, SESSION_COOKIE, outcome)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


def _lifetime(ctx: ConsoleContext) -> dt.timedelta:
    return dt.timedelta(hours=ctx.settings.console_session_hours)


def _login_error(request, ctx: ConsoleContext, message: str, status: int, username: str, target):
    return _login_form(request, ctx, status, target, error=message, username=username)


def _login_form(request, ctx: ConsoleContext, status: int, target: str, **shown: str):
    """The login page with a fresh double-submit CSRF token in the form and a cookie."""
    token = secrets.token_urlsafe(32)
    response = render(
        request, "login.html", None, status_code=status, login_csrf=token, next=target, **shown
    )
    _cookie(response, ctx, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response
