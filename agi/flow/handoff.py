"""Step: hand the call to the dialplan, to ring the lines or take a message.

The dialplan (asterisk-conf/hotline12330-extensions.conf) acts on these variables.
They are set in one round trip as soon as the centre is known, before the greeting:
from then on the call is routed, and an AGI failure (or a dead server) can no longer
change that. The action comes last.
"""

from __future__ import annotations

from agi import contract
from agi.flow.context import CallContext
from agi.session import AgiSession
from config.model import Centre


async def hand_off(ctx: CallContext, centre: Centre, *, ring: bool) -> None:
    values: dict[str, object] = {
        contract.CENTRE: centre.id,
        contract.MAILBOX: centre.mailbox,
        contract.VM_PROMPT: ctx.prompts.voicemail(centre),
    }
    if ring:
        values[contract.QUEUE] = centre.queue_name
        values[contract.RING_TIMEOUT] = centre.ring_timeout
        # The dialplan plays it unless the AGI did (before a shared code's menu).
        values[contract.GREETING] = ctx.prompts.greeting(centre)
    action = contract.ROUTE_RING if ring else contract.ROUTE_VOICEMAIL
    values[contract.ROUTE_ACTION] = action
    await ctx.session.set_variables(values)
    if ring:
        ctx.event("handoff", action=action, queue=centre.queue_name)
    else:
        ctx.event("handoff", action=action, mailbox=centre.mailbox)


async def flag_agi_failed(session: AgiSession) -> None:
    """The hotline's failure signal for agi.server: the dialplan's fallback routes the
    call. Closing the socket alone makes Asterisk report AGISTATUS=SUCCESS, so the
    dialplan checks this variable before trusting the AGI's decision."""
    await session.set_variable(contract.AGI_FAILED, "1")
