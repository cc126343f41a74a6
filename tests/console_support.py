"""Building a console on a test database, and the rows it shows (calls, recordings,
voicemails), for the HTTP and browser tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backoffice.users import save_user
from config.holder import ConfigHolder
from config.loader import load_config
from config.settings import Settings, load_settings
from console.app import create_app
from console.web import SESSION_COOKIE
from models.calls import CallOutcome
from models.recordings import RecordingStatus
from models.repository import (
    add_recording,
    add_voicemail,
    create_call,
    set_call_routing,
    update_call_outcome,
)
from models.seed import seed_categories
from models.users import Role

PASSWORD = "correct horse battery"
KNOWN_CENTRES = ("bj", "sh", "sh-pd", "sh-cp", "tj", "gd", "sz", "js", "zj", "cq")


def console_settings(tmp: Path, database_url: str, **extra: str) -> Settings:
    environ = {
        "HOTLINE12330_DATA_DIR": str(tmp / "data"),
        "HOTLINE12330_DATABASE_URL": database_url,
        **{f"HOTLINE12330_{k.upper()}": v for k, v in extra.items()},
    }
    settings = load_settings(None, environ)
    settings.recordings_root.mkdir(parents=True, exist_ok=True)
    return settings


def config_holder(settings: Settings) -> ConfigHolder:
    return ConfigHolder(settings, lambda s: load_config(s, check_prompts=False))


def seed(sessions: sessionmaker[Session], settings: Settings) -> None:
    with sessions.begin() as session:
        seed_categories(session, config_holder(settings).current.categories)


def add_user(sessions, name: str, role: Role, centres=(), all_centres=False) -> None:
    with sessions.begin() as session:
        save_user(
            session,
            name,
            role=role,
            password=PASSWORD,
            centres=centres,
            known_centres=KNOWN_CENTRES,
            all_centres=all_centres,
        )


@dataclass
class MadeCall:
    id: int
    recording: uuid.UUID | None
    voicemail: uuid.UUID | None


def make_call(
    sessions: sessionmaker[Session],
    settings: Settings,
    centre: str,
    *,
    at: dt.datetime,
    outcome: CallOutcome = CallOutcome.ANSWERED,
    caller: str = "13800138000",
    audio: bytes = b"RIFF....WAVE-test-audio" * 50,
    voicemail: bool = False,
    is_test: bool = False,
) -> MadeCall:
    """A finished call of `centre` with a recording file (and a voicemail file)."""
    with sessions.begin() as session:
        call = create_call(
            session,
            uniqueid=f"{at.timestamp():.0f}.{uuid.uuid4().hex[:8]}",
            linkedid="x",
            started_at=at,
            dialled_number="12330",
            caller_number=caller,
            is_test=is_test,
        )
        set_call_routing(
            session, call.id, area_code="021", centre_id=centre, is_open=True, open_reason="open"
        )
        answered = outcome is CallOutcome.ANSWERED
        update_call_outcome(
            session,
            call.id,
            outcome,
            ended_at=at + dt.timedelta(minutes=3),
            answered_at=at + dt.timedelta(seconds=20) if answered else None,
            answered_line=f"PJSIP/{centre}-op1" if answered else None,
            wait_seconds=8.0 if answered else None,
            talk_seconds=150.0 if answered else None,
        )
        relative = f"{at:%Y/%m/%d}/{centre}-{call.id}.wav"
        path = settings.recordings_root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(audio)
        recording = add_recording(
            session, call.id, relative, status=RecordingStatus.OK, size_bytes=len(audio)
        )
        message = None
        if voicemail:
            vm_relative = f"voicemail/{at:%Y/%m/%d}/{centre}-{call.id}.wav"
            vm_path = settings.recordings_root / vm_relative
            vm_path.parent.mkdir(parents=True, exist_ok=True)
            vm_path.write_bytes(audio)
            message = add_voicemail(session, call.id, mailbox=centre, file=vm_relative)
            message.created_at = at
        return MadeCall(call.id, recording.uuid, message.uuid if message else None)


def app_client(settings: Settings, sessions, clock=None, app=None, address="testclient"):
    """A client of a new console app (or of `app`), connecting from `address`."""
    app = app or create_app(
        settings,
        config=config_holder(settings),
        sessions=sessions,
        **({"clock": clock} if clock else {}),
    )
    # https: the session cookie is Secure and would not be sent over plain http.
    return TestClient(
        app, base_url="https://testserver", follow_redirects=False, client=(address, 50000)
    )


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf_of(page.text)},
    )


@dataclass
class Download:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    length: int


async def stalled_download(port: int, path: str, cookie: str) -> Download:
    """Send the request, read the head, then stop reading: the body stays in flight."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Cookie: {SESSION_COOKIE}={cookie}\r\n\r\n".encode()
    )
    await writer.drain()
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    assert head.startswith("HTTP/1.1 200"), head
    length = next(
        int(line.split(":", 1)[1])
        for line in head.split("\r\n")
        if line.lower().startswith("content-length:")
    )
    return Download(reader, writer, length)
