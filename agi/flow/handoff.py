"""Step: hand the call to the dialplan, to ring the lines or take a message.

The dialplan (asterisk-conf/hotline12330-extensions.conf) acts on these variables.
They are set as soon as the centre is known, before the greeting: from then on the
call is routed, and an AGI failure (or a dead server) can no longer change that.
"""

from __future__ import annotations

from agi import channel_vars as cv
from agi.flow.context import CallContext
from config.model import Centre


async def ring_operators(ctx: CallContext, centre: Centre) -> None:
    session = ctx.session
    await session.set_variable(cv.QUEUE, centre.queue_name)
    await session.set_variable(cv.RING_TIMEOUT, str(centre.ring_timeout))
    await _set_message_box(ctx, centre)
    # The dialplan plays it when the AGI ended before the greeting did.
    await session.set_variable(cv.GREETING, ctx.prompts.greeting(centre))
    await session.set_variable(cv.ROUTE_ACTION, cv.ROUTE_RING)
    ctx.event("handoff", action=cv.ROUTE_RING, queue=centre.queue_name)


async def take_message(ctx: CallContext, centre: Centre) -> None:
    await _set_message_box(ctx, centre)
    await ctx.session.set_variable(cv.ROUTE_ACTION, cv.ROUTE_VOICEMAIL)
    ctx.event("handoff", action=cv.ROUTE_VOICEMAIL, mailbox=centre.mailbox)


async def _set_message_box(ctx: CallContext, centre: Centre) -> None:
    await ctx.session.set_variable(cv.MAILBOX, centre.mailbox)
    await ctx.session.set_variable(cv.VM_PROMPT, ctx.prompts.voicemail(centre))
