"""The console's security promises (issue 9, console items), on SQLite and PostgreSQL:
every byte of a recording sent is audited, login throttling holds under concurrency,
the client address is the socket's unless a trusted proxy says otherwise, bodies are
bounded as received, sessions end with a password reset or role change, undercover
calls are hidden from operators, and dates are bounded."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from console_support import (
    PASSWORD,
    add_user,
    app_client,
    console_settings,
    csrf_of,
    login,
    make_call,
    seed,
)
from sqlalchemy import select

import backoffice.auth
from backoffice.passwords import verify_password
from config.settings import SettingsError, load_settings
from console.server import ConsoleServer
from models import AuditEntry, Call
from models.users import LoginAttempt, Role

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = NOW - dt.timedelta(hours=1)


@pytest.fixture
def env(tmp_path, migrated_url, sessions):
    settings = console_settings(tmp_path, migrated_url)
    seed(sessions, settings)
    add_user(sessions, "op-sh", Role.OPERATOR, ["sh"])
    add_user(sessions, "sup-sh", Role.SUPERVISOR, ["sh"])
    add_user(sessions, "admin", Role.ADMIN)
    sh = make_call(sessions, settings, "sh", at=TODAY, voicemail=True)
    return settings, sessions, sh


def signed_in(env, name, **client):
    settings, sessions, _ = env
    browser = app_client(settings, sessions, clock=lambda: NOW, **client)
    assert login(browser, name).status_code == 303
    return browser


def audit_rows(sessions, action=None):
    with sessions() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return session.scalars(query).all()


# --- 1. every response that carries the recording is audited ---------------------------

MANY_RANGES = "bytes=" + ",".join(f"{2 * i + 1}-{2 * i + 1}" for i in range(101)) + ",0-"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Range": "bytes=00-"}, 206),
        ({"Range": "bytes=1-,0-"}, 416),
        ({"Range": "bytes=1-", "If-Range": '"not-this-file"'}, 200),
        ({"Range": MANY_RANGES}, 416),
        ({"Range": "bytes=0-0,0-0"}, 416),
        ({"Range": "bytes=-100000"}, 206),
        ({"Range": "bytes=1-"}, 206),  # a "seek" with no play before it
        ({"Range": "items=0-"}, 416),
    ],
    ids=["leading-zero", "list", "if-range", "101-ranges", "overlap", "suffix", "seek", "unit"],
)
def test_every_response_carrying_the_file_is_audited(env, headers, status):
    check_probe(env, "recordings", headers, status)


@pytest.mark.parametrize(
    ("headers", "status"),
    [({"Range": "bytes=1-,0-"}, 416), ({"Range": "bytes=1-", "If-Range": "x"}, 200)],
)
def test_voicemail_plays_are_audited_the_same_way(env, headers, status):
    check_probe(env, "voicemails", headers, status)


def check_probe(env, kind, headers, status):
    _, sessions, sh = env
    client = signed_in(env, "op-sh")
    media = sh.recording if kind == "recordings" else sh.voicemail
    whole = (env[0].recordings_root.rglob("sh-*.wav")).__next__().read_bytes()
    response = client.get(f"/{kind}/{media}/audio", headers=headers)
    assert response.status_code == status
    plays = audit_rows(sessions, "play")
    if status == 416:
        assert plays == [] and response.content != whole[: len(response.content)]
        assert response.headers["content-range"] == f"bytes */{len(whole)}"
    else:
        assert len(plays) == 1 and plays[0].object_id == str(media)
        assert response.content in whole


def test_a_seek_after_a_play_is_not_a_new_play(env):
    _, sessions, sh = env
    client = signed_in(env, "op-sh")
    url = f"/recordings/{sh.recording}/audio"
    assert client.get(url, headers={"Range": "bytes=0-"}).status_code == 206
    tag = client.get(url, headers={"Range": "bytes=5-9"}).headers["etag"]
    resumed = client.get(url, headers={"Range": "bytes=20-", "If-Range": tag})
    assert resumed.status_code == 206
    assert len(audit_rows(sessions, "play")) == 1


# --- 3. login throttle: atomic per name and per address, bounded argon2 ----------------


def test_concurrent_wrong_passwords_get_no_more_checks_than_the_limit(env, monkeypatch):
    settings, sessions, _ = env
    limit = settings.console_login_max_failures
    app = app_client(settings, sessions, clock=lambda: NOW).app
    checks, running, most = [], [0], [0]
    guard = threading.Lock()

    def counted(stored, password):
        with guard:
            checks.append(password)
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return verify_password(stored, password)
        finally:
            with guard:
                running[0] -= 1

    monkeypatch.setattr(backoffice.auth, "verify_password", counted)
    clients = [app_client(settings, sessions, app=app, address="10.0.0.9") for _ in range(24)]
    tokens = [csrf_of(client.get("/login").text) for client in clients]
    start = threading.Barrier(len(clients))

    def attempt(pair):
        client, token = pair
        start.wait(timeout=30)
        form = {"username": "sup-sh", "password": "wrong password!", "csrf_token": token}
        return client.post("/login", data=form).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(attempt, zip(clients, tokens, strict=True)))
    assert len(checks) <= limit, f"{len(checks)} password checks"
    assert sorted(set(statuses)) == [401, 429] and statuses.count(401) == len(checks)
    assert most[0] <= settings.console_password_checks
    same_address = app_client(settings, sessions, app=app, address="10.0.0.9")
    assert login(same_address, "sup-sh").status_code == 429  # the right password, refused
    # The name has its failures, but the real user on a clean address still gets in.
    clean = app_client(settings, sessions, app=app, address="10.0.0.10")
    assert login(clean, "sup-sh").status_code == 303
    # A clean address gets one guess at a locked name, then is refused like the rest.
    other = app_client(settings, sessions, app=app, address="10.0.0.11")
    assert login(other, "sup-sh", "wrong again!").status_code == 401
    assert login(other, "sup-sh").status_code == 429


# --- 4. the client address is the socket's, unless a configured proxy forwards it ------


@pytest.mark.parametrize(
    ("trusted", "seen"),
    [(None, "127.0.0.1"), ("127.0.0.1", "203.0.113.7"), ("10.1.2.3", "127.0.0.1")],
    ids=["no-proxy", "trusted-proxy", "other-proxy"],
)
async def test_forwarded_for_is_believed_only_from_a_configured_proxy(
    tmp_path, migrated_url, sessions, trusted, seen
):
    extra = {"console_cookie_secure": "false"}  # plain http to the real server below
    if trusted:
        extra["console_trusted_proxies"] = trusted
    settings = console_settings(tmp_path, migrated_url, **extra)
    add_user(sessions, "op-sh", Role.OPERATOR, ["sh"])
    server = ConsoleServer(app_client(settings, sessions).app, "127.0.0.1", 0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:

            async def attempt(password: str, forged: str) -> int:
                token = csrf_of((await client.get("/login")).text)
                form = {"username": "op-sh", "password": password, "csrf_token": token}
                headers = {"X-Forwarded-For": forged}
                return (await client.post("/login", data=form, headers=headers)).status_code

            for i in range(settings.console_login_max_failures):
                assert await attempt("wrong password!", f"198.51.100.{i}") == 401
            last = await attempt(PASSWORD, "203.0.113.7")
    finally:
        await server.stop()
    with sessions() as session:
        addresses = set(session.scalars(select(LoginAttempt.ip)))
    if seen == "127.0.0.1":  # forged headers change nothing: one address, throttled
        assert addresses == {"127.0.0.1"} and last == 429
    else:  # each forwarded address counted as its own; the fresh one gets in, audited
        assert len(addresses) == 6 and last == 303
        [entry] = audit_rows(sessions, "login")
        assert entry.ip == seen


@pytest.mark.parametrize("value", ["proxy.example", "*", "10.0.0.1/8", "10.0.0.1,,"])
def test_a_bad_trusted_proxy_is_a_config_error(value):
    with pytest.raises(SettingsError, match="console_trusted_proxies"):
        load_settings(None, {"HOTLINE12330_CONSOLE_TRUSTED_PROXIES": value})


# --- 5. bodies bounded by what is received; no file parts -------------------------------


async def test_a_chunked_oversized_body_is_refused_before_it_is_read(
    tmp_path, migrated_url, sessions
):
    settings = console_settings(tmp_path, migrated_url)
    server = ConsoleServer(app_client(settings, sessions).app, "127.0.0.1", 0)
    await server.start()
    chunk, total, sent = b"a" * 65536, 24 * 1024 * 1024, 0
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n\r\n"
        )

        async def send_body() -> None:
            nonlocal sent
            part = b'--x\r\nContent-Disposition: form-data; name="username"\r\n\r\n'
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            with contextlib.suppress(ConnectionError):
                while sent < total:
                    writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    await writer.drain()
                    sent += len(chunk)
                writer.write(b"0\r\n\r\n")
                await writer.drain()

        sender = asyncio.create_task(send_body())
        async with asyncio.timeout(30):
            head = await reader.readuntil(b"\r\n\r\n")
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
    finally:
        writer.close()
        await server.stop()
    assert head.startswith(b"HTTP/1.1 413"), head
    assert sent < total // 4, f"{sent} bytes of {total} sent before the answer"


def test_a_file_part_is_refused_where_no_form_takes_a_file(env):
    client = signed_in(env, "op-sh")
    csrf = csrf_of(client.get("/calls/today").text)
    files = {"upload": ("x.bin", b"\x00" * 1000, "application/octet-stream")}
    assert client.post("/logout", data={"csrf_token": csrf}, files=files).status_code == 400
    assert client.get("/calls/today").status_code == 200  # not logged out
    page = client.get("/login")
    form = {"username": "op-sh", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    assert client.post("/login", data=form, files=files).status_code == 400


# --- 6. a password reset or a role change ends the user's other sessions ---------------

NEW_PASSWORD = "another long passphrase"


def save_user_form(admin, **values):
    form = {"csrf_token": csrf_of(admin.get("/admin/users").text), "update": "1", **values}
    response = admin.post("/admin/users", data=form)
    assert response.status_code == 303, response.text
    return response


def test_a_password_reset_ends_the_users_sessions_but_not_the_admins_own(env):
    operator, admin = signed_in(env, "op-sh"), signed_in(env, "admin")
    other_admin = signed_in(env, "admin")  # the same admin in another browser
    unchanged = {"username": "op-sh", "role": "operator", "centres": ["sh"]}
    save_user_form(admin, **unchanged, display_name="张三")  # no reset: still signed in
    assert operator.get("/calls/today").status_code == 200
    save_user_form(admin, **unchanged, password=NEW_PASSWORD)
    assert operator.get("/calls/today").status_code == 303  # back to the login page
    assert admin.get("/admin/users").status_code == 200
    save_user_form(admin, username="admin", role="admin", password=NEW_PASSWORD)
    assert admin.get("/admin/users").status_code == 200  # the acting session is kept
    assert other_admin.get("/admin/users").status_code == 303


def test_a_role_change_ends_the_users_sessions(env):
    supervisor, admin = signed_in(env, "sup-sh"), signed_in(env, "admin")
    assert supervisor.get("/search").status_code == 200
    save_user_form(admin, username="sup-sh", role="operator", centres=["sh"])
    assert supervisor.get("/calls/today").status_code == 303
    assert admin.get("/admin/users").status_code == 200


# --- 7. the undercover tag is for supervisors and admins only ---------------------------


@pytest.mark.parametrize(("viewer", "shown"), [("op-sh", False), ("sup-sh", True), ("admin", True)])
def test_the_undercover_tag_is_hidden_from_operators(env, viewer, shown):
    _, sessions, sh = env
    with sessions.begin() as session:
        session.get(Call, sh.id).is_undercover = True
    client = signed_in(env, viewer)
    pages = [client.get(f"/calls/{sh.id}").text]
    if viewer == "op-sh":
        pages.append(client.get("/calls/today").text)
    else:
        pages.append(client.get("/search").text)
    for page in pages:
        assert f"/calls/{sh.id}" in page or f"#{sh.id}" in page
        assert ('<span class="tag">暗访</span>' in page) is shown


# --- 8. dates are bounded: the usual 400 page, never a 500 ------------------------------

EXTREME_DATES = ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"]


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("get", "/search", "from"),
        ("get", "/search", "to"),
        ("get", "/audit", "from"),
        ("get", "/audit", "to"),
        ("post", "/spot-checks", "from"),
        ("post", "/spot-checks", "to"),
    ],
)
def test_dates_out_of_range_are_a_400_page(env, method, path, field):
    client = signed_in(env, "sup-sh")
    csrf = csrf_of(client.get("/spot-checks").text)
    for day in EXTREME_DATES:
        values = {"from": "2026-11-01", "to": "2026-11-30", field: day}
        if method == "get":
            response = client.get(path, params=values)
        else:
            form = {**values, "csrf_token": csrf, "centres": ["sh"], "per_group": "1"}
            response = client.post(path, data=form)
        assert response.status_code == 400, (day, response.status_code)
        assert "日期须在 2000-01-01 至 2099-12-31 之间" in response.text
    assert client.get(path if method == "get" else "/spot-checks").status_code == 200
