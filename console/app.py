"""The console application: routers included explicitly, errors mapped to pages."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException

from backoffice.scope import NotInScope
from config.holder import ConfigHolder
from config.settings import Settings
from console import (
    routes_admin,
    routes_auth,
    routes_calls,
    routes_media,
    routes_quality,
    routes_reports,
    routes_voicemail,
)
from console.body_limit import BodyLimit
from console.web import (
    ConsoleContext,
    CsrfRefused,
    LoginRequired,
    make_templates,
    render,
    signed_in_viewer,
)
from models.base import utc_now

log = structlog.get_logger("console")

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 256 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; media-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(
    settings: Settings,
    *,
    config: ConfigHolder,
    sessions: sessionmaker[Session],
    clock: Callable[[], dt.datetime] = utc_now,
) -> FastAPI:
    app = FastAPI(title="12330 console", docs_url=None, redoc_url=None, openapi_url=None)
    checks = threading.BoundedSemaphore(settings.console_password_checks)
    app.state.console = ConsoleContext(settings, config, sessions, make_templates(), clock, checks)
    for module in (
        routes_auth,
        routes_calls,
        routes_voicemail,
        routes_media,
        routes_quality,
        routes_reports,
        routes_admin,
    ):
        app.include_router(module.routes())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/health")
    def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    # Sync handlers: Starlette runs them in its thread pool, and _page reads the session.
    # Forms here are a few kilobytes: a bigger body, declared or received, is refused.
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)

    @app.exception_handler(LoginRequired)
    def to_login(request: Request, _exc: LoginRequired):
        if request.method != "GET":
            return _page(request, 401, "请先登录", "会话已过期或未登录，请重新登录。", "/login")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)

    @app.exception_handler(CsrfRefused)
    def csrf_refused(request: Request, _exc: CsrfRefused):
        return _page(
            request, 403, "请求被拒绝", "表单已失效（缺少安全令牌），请返回页面刷新后重试。"
        )

    @app.exception_handler(NotInScope)
    def not_found(request: Request, _exc: NotInScope):
        return _not_found(request)

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 404:
            return _not_found(request)
        if exc.status_code == 405:
            return _page(request, 405, "不支持的请求", "该地址不支持此请求方式。")
        return _page(request, exc.status_code, "请求无效", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, _exc: RequestValidationError):
        return _page(request, 400, "请求无效", "请求的参数不正确。")

    @app.exception_handler(sa_exc.SQLAlchemyError)
    def database_error(request: Request, exc: sa_exc.SQLAlchemyError):
        # The route's transaction was rolled back (a failed commit included): say so.
        # No session here: the pool may be what is exhausted.
        log.error("console.database_error", path=request.url.path, error=repr(exc)[:500])
        busy = isinstance(exc, sa_exc.TimeoutError | sa_exc.OperationalError)
        return render(
            request,
            "message.html",
            None,
            status_code=503 if busy else 500,
            title="系统繁忙" if busy else "系统错误",
            message="数据库暂时无法处理请求，请稍后重试。刚才提交的内容没有保存。",
            back="/",
        )

    return app


def _quote(target: str) -> str:
    return quote(target, safe="")


def _not_found(request: Request):
    # The same page for a missing record and another centre's: nothing to tell them apart.
    return _page(request, 404, "未找到", "没有找到该记录，或您无权查看。")


def _page(request: Request, status: int, title: str, message: str, back: str = "/"):
    ctx = request.app.state.console
    with ctx.sessions() as session:
        # Signed in, the page keeps its menu (and the same page for every 404 alike).
        who = signed_in_viewer(request, session, ctx)
        return render(
            request,
            "message.html",
            who,
            session if who else None,
            status_code=status,
            title=title,
            message=message,
            back=back,
        )
