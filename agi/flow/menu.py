"""Step: the shared-area-code menu. GET DATA per try; routing.menu_choice decides."""

from __future__ import annotations

from agi.flow.context import CallContext
from config.model import Menu
from routing import AttemptProblem, MenuOutcome, menu_choice


async def run_menu(ctx: CallContext, menu: Menu) -> MenuOutcome:
    ctx.step = "menu"
    attempts: list[str | None] = []
    prompt = ctx.prompts.menu(menu.area_code)
    prompt_seconds = ctx.prompts.seconds(prompt)
    while True:
        reply = await ctx.session.get_data(
            prompt, menu.timeout_seconds * 1000, 1, play_seconds=prompt_seconds
        )
        attempts.append(reply.digits or None)
        outcome = menu_choice(menu, attempts)
        problem = None if outcome.digit or not outcome.last_problem else outcome.last_problem
        ctx.event(
            "menu_attempt", attempt=len(attempts), digit=reply.digits or None, problem=problem
        )
        if outcome.decided:
            ctx.event(
                "menu_choice",
                centre=outcome.centre_id,
                digit=outcome.digit,
                by_default=outcome.by_default,
                reason=outcome.reason.to_dict(),
            )
            ctx.calllog.menu(
                digits="".join(a or "-" for a in attempts)[:32],
                invalid=outcome.invalid_count,
                timeouts=outcome.timeout_count,
            )
            return outcome
        if outcome.last_problem is AttemptProblem.INVALID:
            notice = ctx.prompts.invalid
        else:
            notice = ctx.prompts.timeout
        await ctx.session.stream_file(notice, play_seconds=ctx.prompts.seconds(notice))
