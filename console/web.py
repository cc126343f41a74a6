"""What every console route shares: the app context, the signed-in viewer, the request's
database session, CSRF checking and page rendering."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from backoffice.audit import Requester
from backoffice.auth import ThrottlePolicy, csrf_matches, session_for
from backoffice.calls import pending_count
from backoffice.scope import may_see
from config.holder import ConfigHolder
from config.model import Centre
from config.settings import Settings
from console import labels
from models.users import ConsoleSession, Role, User
from routing.local_time import CHINA_TZ

SESSION_COOKIE = "h12330_session"
LOGIN_CSRF_COOKIE = "h12330_login_csrf"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
MAX_FORM_FIELDS = 200  # the largest form (the call log's categories) has a few dozen


@dataclass(frozen=True)
class ConsoleContext:
    settings: Settings
    config: ConfigHolder
    sessions: sessionmaker[Session]
    templates: Jinja2Templates
    clock: Callable[[], dt.datetime]
    # Password checks at once (argon2id takes 64 MiB each): console_password_checks.
    password_checks: threading.BoundedSemaphore

    @property
    def throttle(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            self.settings.console_login_max_failures,
            dt.timedelta(minutes=self.settings.console_login_window_minutes),
        )


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""


class CsrfRefused(Exception):
    """A form came without the token of the session that rendered it."""


def context(request: Request) -> ConsoleContext:
    return request.app.state.console


def centres_in_scope(who: Viewer, ctx: ConsoleContext) -> list[Centre]:
    """The configured centres the viewer may see, in the centres file's order."""
    return [c for c in ctx.config.current.directory.centres if may_see(who.user, c.id)]


def transaction(ctx: ConsoleContext = Depends(context)) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back if it
    raises (a refused form or a 404 writes nothing)."""
    with ctx.sessions.begin() as session:
        yield session


# Every route takes its session as `session: Session = DB`. Scope "function": the commit
# and the session's close run when the route returns, BEFORE the response is sent, so a
# page saying "saved" means saved (a failed commit is an error page instead), and a
# streamed recording holds no connection. FastAPI's default would commit afterwards.
DB = Depends(transaction, scope="function")


@dataclass(frozen=True)
class Viewer:
    user: User
    login: ConsoleSession
    requester: Requester

    @property
    def csrf(self) -> str:
        return self.login.csrf_token


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def signed_in_viewer(request: Request, session: Session, ctx: ConsoleContext) -> Viewer | None:
    """Who sent the request, from its session cookie; None without a live session."""
    login = session_for(session, request.cookies.get(SESSION_COOKIE), ctx.clock())
    if login is None:
        return None
    requester = Requester(login.user, client_ip(request), request.headers.get("user-agent", ""))
    return Viewer(login.user, login, requester)


def viewer(
    request: Request, session: Session = DB, ctx: ConsoleContext = Depends(context)
) -> Viewer:
    who = signed_in_viewer(request, session, ctx)
    if who is None:
        raise LoginRequired
    return who


async def form_with_csrf(request: Request) -> dict[str, Any]:
    """The posted form, once its CSRF token matched the session's (else CsrfRefused)."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)  # no form takes a file
    ctx: ConsoleContext = request.app.state.console

    def expected_token() -> str | None:
        with ctx.sessions() as session:
            login = session_for(session, request.cookies.get(SESSION_COOKIE), ctx.clock())
            return login.csrf_token if login else None

    expected = await run_in_threadpool(expected_token)  # the event loop never waits on SQL
    given = form.get("csrf_token")
    if expected is None:
        raise LoginRequired
    if not isinstance(given, str) or not csrf_matches(expected, given):
        raise CsrfRefused
    return {key: form.getlist(key) for key in form}


def field(form: dict[str, Any], name: str) -> str:
    values = form.get(name) or [""]
    value = values[0]
    return value if isinstance(value, str) else ""


def render(
    request: Request,
    template: str,
    who: Viewer | None,
    session: Session | None = None,
    status_code: int = 200,
    **values: Any,
):
    ctx = context(request)
    pending = None
    if who is not None and session is not None and who.user.role is Role.OPERATOR:
        pending = pending_count(session, who.user)
    return ctx.templates.TemplateResponse(
        request,
        template,
        {
            "viewer": who,
            "user": who.user if who else None,
            "csrf": who.csrf if who else "",
            "pending": pending,
            "labels": labels,
            "Role": Role,
            "centre_names": {c.id: c.name for c in ctx.config.current.directory.centres},
            **values,
        },
        status_code=status_code,
    )


def local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return value.astimezone(CHINA_TZ).strftime(fmt) if value else "—"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.filters["local"] = local
    templates.env.filters["reason_zh"] = labels.open_reason_zh
    templates.env.filters["seconds"] = lambda s: "—" if s is None else f"{s:.0f} 秒"
    return templates
