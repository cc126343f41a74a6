"""Step: hand the call to the dialplan, to ring the lines or take a message.

The dialplan (asterisk-conf/hotline12330-extensions.conf) acts on these variables.
They are set in one round trip as soon as the centre is known, before the greeting:
from then on the call is routed, and an AGI failure (or a dead server) can no longer
change that. The action comes last.
"""

from __future__ import annotations

from agi import channel_vars as cv
from agi.flow.context import CallContext
from config.model import Centre


async def hand_off(ctx: CallContext, centre: Centre, *, ring: bool) -> None:
    values: dict[str, object] = {
        cv.CENTRE: centre.id,
        cv.MAILBOX: centre.mailbox,
        cv.VM_PROMPT: ctx.prompts.voicemail(centre),
    }
    if ring:
        values[cv.QUEUE] = centre.queue_name
        values[cv.RING_TIMEOUT] = centre.ring_timeout
        # The dialplan plays it when the AGI ended before the greeting did.
        values[cv.GREETING] = ctx.prompts.greeting(centre)
    action = cv.ROUTE_RING if ring else cv.ROUTE_VOICEMAIL
    values[cv.ROUTE_ACTION] = action
    await ctx.session.set_variables(values)
    if ring:
        ctx.event("handoff", action=action, queue=centre.queue_name)
    else:
        ctx.event("handoff", action=action, mailbox=centre.mailbox)
