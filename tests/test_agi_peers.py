"""FastAGI has no authentication: a non-loopback agi_host needs an allowlist of Asterisk
addresses (agi_allowed_peers), and the server closes any other peer before reading."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time

import pytest
import structlog
from structlog.testing import capture_logs

from agi.server import AgiServer
from agi.session import AgiSession
from config.logging import configure_logging
from config.peers import networks, peer_allowed
from config.settings import SettingsError, load_settings

# (row id, settings file text, environment, allowed peers expected, or the error's words)
CONFIG_ROWS = [
    ("loopback-default", "", {}, ()),
    ("localhost", 'agi_host = "localhost"\n', {}, ()),
    ("ipv6-loopback", 'agi_host = "::1"\n', {}, ()),
    ("all-interfaces-refused", 'agi_host = "0.0.0.0"\n', {}, "agi_allowed_peers"),
    ("lan-address-refused", 'agi_host = "192.0.2.5"\n', {}, "no authentication"),
    ("host-name-refused", 'agi_host = "pbx.example"\n', {}, "agi_allowed_peers"),
    (
        "lan-with-list",
        'agi_host = "0.0.0.0"\nagi_allowed_peers = ["192.0.2.10", "198.51.100.0/28"]\n',
        {},
        ("192.0.2.10/32", "198.51.100.0/28"),
    ),
    (
        "section-form",
        '[agi]\nhost = "0.0.0.0"\nallowed_peers = ["2001:db8::7"]\n',
        {},
        ("2001:db8::7/128",),
    ),
    (
        "env-comma-list",
        "",
        {
            "HOTLINE12330_AGI_HOST": "0.0.0.0",
            "HOTLINE12330_AGI_ALLOWED_PEERS": "10.0.0.1, 10.1.0.0/16",
        },
        ("10.0.0.1/32", "10.1.0.0/16"),
    ),
    ("host-bits-refused", 'agi_allowed_peers = ["10.0.0.7/24"]\n', {}, "has host bits set"),
    ("empty-entry", "", {"HOTLINE12330_AGI_ALLOWED_PEERS": "10.0.0.1,,"}, "is not an IP"),
    ("bad-entry", 'agi_allowed_peers = ["10.0.0.300"]\n', {}, "'10.0.0.300' is not an IP"),
    ("host-name-entry", 'agi_allowed_peers = ["pbx.example"]\n', {}, "is not an IP"),
    ("not-a-list", "agi_allowed_peers = 7\n", {}, "expected a list"),
    ("list-of-numbers", "agi_allowed_peers = [1]\n", {}, "expected a list"),
]


@pytest.mark.parametrize(
    ("text", "env", "expected"), [pytest.param(*r[1:], id=r[0]) for r in CONFIG_ROWS]
)
def test_agi_host_and_allowed_peers(tmp_path, text, env, expected):
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    if isinstance(expected, str):
        with pytest.raises(SettingsError) as caught:
            load_settings(path, environ=env)
        assert expected in str(caught.value)
    else:
        assert load_settings(path, environ=env).agi_allowed_peers == expected


# (row id, peer address, allowed?) against ["127.0.0.2", "10.1.0.0/16", "2001:db8::/32"]
MATCH_ROWS = [
    ("listed", "127.0.0.2", True),
    ("other-loopback", "127.0.0.1", False),
    ("in-network", "10.1.200.3", True),
    ("outside-network", "10.2.0.1", False),
    ("ipv4-mapped", "::ffff:10.1.0.9", True),
    ("ipv6", "2001:db8::1", True),
    ("ipv6-zone", "fe80::1%eth0", False),
    ("garbage", "", False),
]


@pytest.mark.parametrize(
    ("address", "allowed"), [pytest.param(*r[1:], id=r[0]) for r in MATCH_ROWS]
)
def test_peer_matching(address, allowed):
    assert peer_allowed(address, networks(["127.0.0.2", "10.1.0.0/16", "2001:db8::/32"])) is allowed


def header() -> bytes:
    return b"agi_network: yes\nagi_network_script: call\nagi_uniqueid: 1.1\n\n"


async def test_a_peer_outside_the_allowlist_is_closed_before_a_byte_is_read():
    served: list[str] = []

    async def handler(session: AgiSession) -> None:
        served.append(session.uniqueid)

    server = AgiServer(
        lambda _script: handler,
        host="127.0.0.1",
        port=0,
        header_timeout=5.0,  # a served peer that sends nothing would wait this long
        allowed_peers=networks(["127.0.0.2"]),
    )
    await server.start()
    try:
        with capture_logs() as logs:
            # From 127.0.0.1, not listed: closed at once, without waiting for a header.
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            started = time.monotonic()
            try:
                rest = await asyncio.wait_for(reader.read(), 2.0)
            except ConnectionResetError:
                rest = b""
            assert rest == b"" and time.monotonic() - started < 2.0
            writer.close()
            # From 127.0.0.2, listed: served.
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", server.port, local_addr=("127.0.0.2", 0)
            )
            writer.write(header())
            await writer.drain()
            assert await asyncio.wait_for(reader.read(), 2.0) == b""  # handler done, closed
            writer.close()
        assert served == ["1.1"]
        refused = [entry for entry in logs if entry["event"] == "agi.peer_refused"]
        assert [(entry["log_level"], entry["peer"]) for entry in refused] == [
            ("warning", "127.0.0.1")
        ]
        assert server.sessions_total == 1
    finally:
        await server.shutdown(1)


async def test_without_an_allowlist_a_loopback_server_serves_every_local_peer():
    served: list[str] = []

    async def handler(session: AgiSession) -> None:
        served.append(session.uniqueid)

    server = AgiServer(lambda _script: handler, host="127.0.0.1", port=0)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(header())
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 2.0) == b""
        writer.close()
        assert served == ["1.1"]
    finally:
        await server.shutdown(1)


async def test_the_refusal_is_logged_as_one_json_line():
    stream = io.StringIO()
    configure_logging("info", stream=stream)
    server = AgiServer(
        lambda _script: None, host="127.0.0.1", port=0, allowed_peers=networks(["10.9.9.9"])
    )
    try:
        await server.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        with contextlib.suppress(ConnectionResetError):
            await asyncio.wait_for(reader.read(), 2.0)
        writer.close()
        await server.shutdown(1)
    finally:
        structlog.reset_defaults()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    refused = [line for line in lines if line["event"] == "agi.peer_refused"]
    assert [(line["level"], line["peer"]) for line in refused] == [("warning", "127.0.0.1")]
