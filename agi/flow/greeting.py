"""Step: the welcome greeting with the recording notice (working hours only)."""

from __future__ import annotations

from agi import contract
from agi.flow.context import CallContext
from config.model import Centre


async def play_greeting(ctx: CallContext, centre: Centre | None) -> None:
    ctx.step = "greeting"
    prompt = ctx.prompts.greeting(centre)
    await ctx.session.stream_file(prompt, play_seconds=ctx.prompts.seconds(prompt))
    await ctx.session.set_variable(contract.GREETING_DONE, "1")
    ctx.event("greeting_played", prompt=prompt)
