"""AMI Originate through panoramisk against a fake AMI server that drops the line.

panoramisk reconnects and re-sends unanswered actions; a re-sent Originate would be a
second call, so the test counts the Originates the server receives.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from fake_ami import FakeAmi

from config.settings import load_settings
from devstack.ami import AmiError, originate_and_wait


async def test_originate_is_not_resent_after_a_reconnect(tmp_path):
    fake = FakeAmi(drop_on=frozenset({"originate"}))  # as a crashing Asterisk would
    port = await fake.start()
    settings = dataclasses.replace(
        load_settings(path=None, environ={}), ami_port=port, ami_timeout=2.0, data_dir=tmp_path
    )
    try:
        with pytest.raises((AmiError, TimeoutError)):
            await originate_and_wait(settings, dialed="12330", limit_seconds=4.0)
        # panoramisk reconnects after 2 s; give it the time to (not) re-send.
        await asyncio.sleep(3.0)
    finally:
        await fake.stop()
    assert fake.actions.count("originate") == 1, fake.actions
