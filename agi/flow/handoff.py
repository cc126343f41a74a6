"""Step: hand the call back to the dialplan, to ring the lines or take a message.

The dialplan (asterisk-conf/hotline12330-extensions.conf) acts on these variables;
setting them is the last thing the call AGI does.
"""

from __future__ import annotations

from agi import channel_vars as cv
from agi.flow.context import CallContext
from config.model import Centre


async def ring_operators(ctx: CallContext, centre: Centre) -> None:
    session = ctx.session
    await session.set_variable(cv.QUEUE, centre.queue_name)
    await session.set_variable(cv.RING_TIMEOUT, str(centre.ring_timeout))
    await session.set_variable(cv.MAILBOX, centre.mailbox)
    await session.set_variable(cv.VM_PROMPT, ctx.prompts.voicemail(centre))
    await session.set_variable(cv.ROUTE_ACTION, cv.ROUTE_RING)
    await ctx.event("handoff", action=cv.ROUTE_RING, queue=centre.queue_name)


async def take_message(ctx: CallContext, centre: Centre) -> None:
    session = ctx.session
    await session.set_variable(cv.MAILBOX, centre.mailbox)
    await session.set_variable(cv.VM_PROMPT, ctx.prompts.voicemail(centre))
    await session.set_variable(cv.ROUTE_ACTION, cv.ROUTE_VOICEMAIL)
    await ctx.event("handoff", action=cv.ROUTE_VOICEMAIL, mailbox=centre.mailbox)
