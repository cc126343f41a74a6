"""The console can never starve the call path, and "saved" means saved, on SQLite and
PostgreSQL: the console's own pool with a short checkout timeout, recordings streamed
with no connection held (audited and committed first), every write committed before
the response is sent."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import httpx
import pytest
from console_support import (
    PASSWORD,
    add_user,
    app_client,
    config_holder,
    console_settings,
    csrf_of,
    login,
    make_call,
    seed,
    stalled_download,
)
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from backoffice.auth import ThrottlePolicy, sign_in
from config.settings import SettingsError
from console.app import create_app
from console.server import ConsoleServer, console_engine
from console.web import SESSION_COOKIE, ConsoleContext, transaction
from models import AuditEntry, Voicemail, VoicemailStatus
from models.db import session_factory
from models.users import Role

AT = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
BIG = 12 * 1024 * 1024  # far more than a loopback socket buffers: the body stays in flight


def test_console_engine_is_its_own_with_a_short_checkout_timeout(tmp_path):
    settings = console_settings(tmp_path, f"sqlite:///{tmp_path / 'c.sqlite3'}")
    first, second = console_engine(settings), console_engine(settings)
    try:
        assert first is not second and first.pool is not second.pool
        assert first.pool.timeout() == settings.console_pool_timeout == 5.0
    finally:
        first.dispose()
        second.dispose()


def test_console_refuses_an_in_memory_database(tmp_path):
    # A second engine on :memory: would be a second, empty database.
    with pytest.raises(SettingsError, match="database_url"):
        console_engine(console_settings(tmp_path, "sqlite://"))


def test_every_route_commits_before_its_response_is_sent(tmp_path):
    """FastAPI closes a yield dependency of the default ("request") scope only after the
    response was sent: a route's writes must come from the "function"-scoped one."""
    settings = console_settings(tmp_path, f"sqlite:///{tmp_path / 'c.sqlite3'}")
    app = app_client(settings, sessions=None).app  # type: ignore[arg-type]

    def scopes(dependant):
        for sub in dependant.dependencies:
            if sub.call is transaction:
                yield sub.scope
            yield from scopes(sub)

    found = {route.path: set(scopes(route.dependant)) for route in api_routes(app.routes)}
    assert {path for path, used in found.items() if used} >= {
        "/calls/{call_id}",
        "/voicemails/{voicemail_id}/handle",
        "/recordings/{media_id}/{what}",
        "/logout",
    }
    assert {path: used for path, used in found.items() if used - {"function"}} == {}


def api_routes(routes):
    """Every APIRoute, through included routers (newer FastAPI nests them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", route)
        yield from api_routes(getattr(inner, "routes", []))


@pytest.fixture
def env(tmp_path, migrated_url, sessions):
    settings = console_settings(tmp_path, migrated_url, console_pool_timeout="1")
    seed(sessions, settings)
    add_user(sessions, "op-sh", Role.OPERATOR, ["sh"])
    return settings, sessions


def one_connection_console(settings):
    engine = console_engine(settings, pool_size=1, max_overflow=0)
    app = create_app(settings, config=config_holder(settings), sessions=session_factory(engine))
    return engine, app


def audited(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_starved_console_answers_busy_quickly_then_recovers(env):
    settings, _ = env
    engine, app = one_connection_console(settings)
    try:
        client = TestClient(app, base_url="https://testserver", follow_redirects=False)
        assert login(client, "op-sh").status_code == 303
        with engine.connect():  # the console's only connection, held
            started = time.monotonic()
            busy = client.get("/voicemails")
            waited = time.monotonic() - started
        assert busy.status_code == 503 and "系统繁忙" in busy.text
        assert waited < settings.console_pool_timeout + 2
        assert client.get("/voicemails").status_code == 200
    finally:
        engine.dispose()


def test_a_failed_commit_is_an_error_page_and_saves_nothing(env):
    settings, sessions = env
    made = make_call(sessions, settings, "sh", at=AT, voicemail=True)
    client = app_client(settings, sessions)
    assert login(client, "op-sh").status_code == 303
    token = csrf_of(client.get("/voicemails").text)
    ctx: ConsoleContext = client.app.state.console  # type: ignore[attr-defined]

    def fail(_session):
        raise OperationalError("COMMIT", None, Exception("disk full"))

    event.listen(ctx.sessions, "before_commit", fail)
    try:
        response = client.post(
            f"/voicemails/{made.voicemail}/handle",
            data={"csrf_token": token, "note": "已回电", "called_back": "1"},
        )
    finally:
        event.remove(ctx.sessions, "before_commit", fail)
    # Not the redirect that means "saved": the operator is told it was not.
    assert response.status_code == 503
    assert "没有保存" in response.text
    with sessions() as session:
        vm = session.scalars(select(Voicemail).where(Voicemail.uuid == made.voicemail)).one()
        assert vm.status is VoicemailStatus.NEW and vm.note is None
    assert audited(sessions) == ["login"]


# --- a real server: slow downloads ----------------------------------------------------------


async def test_slow_downloads_hold_no_connection_and_are_audited_before_the_body(env):
    settings, sessions = env
    made = [
        make_call(sessions, settings, "sh", at=AT + dt.timedelta(minutes=i), audio=b"\x01" * BIG,
                  voicemail=True)
        for i in range(2)
    ]  # fmt: skip
    _, cookie = sign_in(
        sessions, "op-sh", PASSWORD, ip="127.0.0.1",
        policy=ThrottlePolicy(5, dt.timedelta(minutes=15)), lifetime=dt.timedelta(hours=1),
    )  # fmt: skip
    engine, app = one_connection_console(settings)
    server = ConsoleServer(app, "127.0.0.1", 0)
    await server.start()
    downloads = []
    try:
        async with asyncio.timeout(30):
            first = f"/recordings/{made[0].recording}/download"
            downloads.append(await stalled_download(server.port, first, cookie))
            # Committed before the body was sent, as another connection sees.
            assert await asyncio.to_thread(audited, sessions) == ["login", "download"]
            # Two more files in flight on a console with ONE connection in its pool.
            for path in (
                f"/recordings/{made[1].recording}/download",
                f"/voicemails/{made[0].voicemail}/audio",
            ):
                downloads.append(await stalled_download(server.port, path, cookie))
            assert await asyncio.to_thread(audited, sessions) == [
                "login",
                "download",
                "download",
                "play",
            ]
            # A page that needs the database still gets the one connection (a pool held by
            # the downloads would answer 503 after console_pool_timeout).
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
                page = await client.get(
                    "/voicemails", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}
                )
            assert page.status_code == 200, page.text[:300]
            # And the stalled body is whole once it is read.
            body = await downloads[0].reader.readexactly(downloads[0].length)
            assert body == b"\x01" * BIG
    finally:
        for download in downloads:
            download.writer.close()
        async with asyncio.timeout(15):
            await server.stop()
        engine.dispose()
