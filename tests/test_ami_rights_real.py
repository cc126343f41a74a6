"""The generated AMI users on the real Asterisk 22: the service's user can Ping and reload
the dialplan but can neither Originate nor run a CLI Command; the dev caller originates."""

from __future__ import annotations

import asyncio

import pytest
from panoramisk import Manager

from config.asterisk_gen import DEV_CALLER_SECRET, DEV_CALLER_USER
from devstack.ami import close as close_manager
from devstack.ami import connect

pytestmark = pytest.mark.asterisk

# (row id, action, the service user's expected Response)
SERVICE_ACTIONS = [
    ("ping", {"Action": "Ping"}, "Success"),
    ("reload-dialplan", {"Action": "Reload", "Module": "pbx_config"}, "Success"),
    ("command", {"Action": "Command", "Command": "core show version"}, "Error"),
    (
        "originate",
        {
            "Action": "Originate",
            "Channel": "Local/12330@hotline12330-inbound",
            "Application": "Wait",
            "Data": "1",
            "Async": "true",
        },
        "Error",
    ),
    (
        "originate-system",
        {
            "Action": "Originate",
            "Channel": "Local/12330@hotline12330-inbound",
            "Application": "System",
            "Data": "true",
        },
        "Error",
    ),
    # The price of Reload: the config class also reads (and writes) config files.
    ("read-config", {"Action": "GetConfig", "Filename": "manager.conf"}, "Success"),
]


async def login(settings, username: str, secret: str) -> Manager:
    return await connect(settings, username, secret)  # raises AmiError when refused


@pytest.mark.parametrize(
    ("action", "expected"), [pytest.param(*r[1:], id=r[0]) for r in SERVICE_ACTIONS]
)
async def test_the_service_user_has_only_its_rights(asterisk_stack, action, expected):
    settings = asterisk_stack.settings
    manager = await login(settings, settings.ami_user, settings.ami_secret)
    try:
        reply = await asyncio.wait_for(manager.send_action(dict(action)), 10)
    finally:
        close_manager(manager)
    replies = reply if isinstance(reply, list) else [reply]
    assert replies[0].get("Response") == expected, replies
    if expected == "Error":
        assert "Permission denied" in replies[0].get("Message", ""), replies


async def test_the_dev_caller_cannot_run_commands_either(asterisk_stack):
    """It originates every real-stack test call (the other asterisk tests), nothing more."""
    manager = await login(asterisk_stack.settings, DEV_CALLER_USER, DEV_CALLER_SECRET)
    try:
        reply = await asyncio.wait_for(
            manager.send_action({"Action": "Command", "Command": "core show version"}), 10
        )
    finally:
        close_manager(manager)
    assert reply.get("Response") == "Error", reply
    assert "Permission denied" in reply.get("Message", ""), reply
