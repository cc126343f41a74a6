"""The service's one AMI link against a fake AMI server: one login while the server stays
up, Ping to keep it, a new login with back-off after a drop, and actions sent over it."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from fake_ami import FakeAmi

from agi.ami_link import AmiLink, AmiLinkError
from config.settings import load_settings


@pytest.fixture
async def fake():
    server = FakeAmi()
    await server.start()
    yield server
    await server.stop()


def link_for(port: int, tmp_path) -> AmiLink:
    settings = dataclasses.replace(
        load_settings(path=None, environ={}), ami_port=port, ami_timeout=1.0, data_dir=tmp_path
    )
    return AmiLink(settings, ping_seconds=0.1, max_backoff=0.2)


async def until(predicate, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_one_login_kept_with_pings(fake, tmp_path):
    link = link_for(fake.port, tmp_path)
    task = asyncio.create_task(link.run())
    try:
        await until(lambda: fake.actions.count("ping") >= 5)
        assert link.connected and link.logins == 1
        assert fake.actions.count("login") == 1  # not a login per check
        reply = await link.send({"Action": "Reload", "Module": "pbx_config"})
        assert reply["Response"] == "Success" and "reload" in fake.actions
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert not link.connected


async def test_a_drop_means_one_new_login_with_back_off(fake, tmp_path):
    link = link_for(fake.port, tmp_path)
    task = asyncio.create_task(link.run())
    try:
        await until(lambda: link.connected)
        await fake.stop()  # Asterisk restarts: every connection goes
        await until(lambda: not link.connected)
        with pytest.raises(AmiLinkError, match="no AMI connection"):
            await link.send({"Action": "Ping"})
        await asyncio.sleep(0.5)  # several back-off periods with nobody listening
        await fake.start()  # back on the same port
        await until(lambda: link.connected)
        assert link.logins == 2 and fake.actions.count("login") == 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_send_waits_a_bounded_time_for_the_link(tmp_path):
    link = link_for(1, tmp_path)  # nothing listens on port 1
    task = asyncio.create_task(link.run())
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(AmiLinkError, match="no AMI connection"):
            await link.send({"Action": "Reload"}, wait=0.3)
        assert 0.25 <= loop.time() - started < 2.0
        assert link.logins == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
