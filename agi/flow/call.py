"""The `call` AGI: route, greet, run the menu, and hand the call back to the dialplan.

Route first, from memory: the decision needs only the config and the clock, and the
route variables are set before the greeting, so from then on the dialplan rings the
centre (or takes its message) whatever happens to this server. The log is journalled
behind the call (agi.flow.calllog), never waited for.

A hangup is logged with the step it happened in; an error before the route is set
re-raises, so the server signals it (handoff.flag_agi_failed: HOTLINE_AGI_FAILED) and
the dialplan's own fallback routes the caller to their centre by itself
(hotline12330-fallback.conf).
"""

from __future__ import annotations

import contextlib
import datetime as dt

import structlog

from agi import contract
from agi.errors import AgiError, AgiHangup
from agi.flow.calllog import CallRecorder
from agi.flow.context import CallContext
from agi.flow.greeting import play_greeting
from agi.flow.handoff import hand_off
from agi.flow.identify import identify
from agi.flow.menu import run_menu
from agi.flow.prompts import PromptPaths
from agi.flow.services import CallServices
from agi.session import AgiSession
from config.loader import LoadedConfig
from routing import Action, decide, decide_after_menu, open_state

log = structlog.get_logger("call")

# The flow's step a caller left in -> the HOTLINE_OUTCOME step the hangup handler reports.
ABANDONED_AT_STEP = {
    "menu": contract.Step.ABANDONED_MENU,
    "greeting": contract.Step.ABANDONED_GREETING,
    "routing": contract.Step.ABANDONED_GREETING,
}


async def handle_call(session: AgiSession, services: CallServices) -> None:
    identity = identify(session)
    started_at = services.clock()
    at = identity.test_at if identity.test_at and services.allow_test_clock else started_at
    recorder = CallRecorder.for_call(
        services.journal,
        uniqueid=identity.uniqueid,
        linkedid=identity.linkedid,
        started_at=started_at,
        dialled_number=identity.dialled,
        caller_number=identity.caller,
        trunk_area_code=identity.trunk_area,
        is_test=identity.is_test,
    )
    ctx = CallContext(
        session=session,
        identity=identity,
        calllog=recorder,
        prompts=PromptPaths(services.settings.prompts_dir, services.prompt_lengths),
    )
    recorder.start()
    ctx.event("call_start", caller=identity.caller, dialled=identity.dialled)
    try:
        await route_call(ctx, services.config.current, at)
    except AgiHangup:
        step = ABANDONED_AT_STEP.get(ctx.step, contract.Step.ABANDONED_GREETING)
        log.info("call.caller_hung_up", step=ctx.step)
        ctx.event("caller_hung_up", step=ctx.step)
        # Dead-mode SET VARIABLE: the hangup handler reports this step as the outcome.
        with contextlib.suppress(AgiError):
            await session.set_variable(contract.OUTCOME, step.value)
    except Exception as exc:
        ctx.event("agi_failed", step=ctx.step, error=repr(exc)[:500])
        raise


async def route_call(ctx: CallContext, config: LoadedConfig, at: dt.datetime) -> None:
    directory, calendar = config.directory, config.calendar
    identity = ctx.identity
    dialled = identity.dialled or contract.SERVICE_NUMBER
    decision = decide(directory, calendar, dialled, identity.trunk_area, at)
    ctx.event("routed", decision=decision.to_dict())
    # Every line names the centre once known (a shared code's menu chooses it later).
    structlog.contextvars.bind_contextvars(centre=decision.centre_id)
    log.info("call.routed", action=decision.action.value, reason=decision.reason.to_dict())
    greeted = False
    if decision.action is Action.MENU:
        assert decision.menu is not None
        menu_centres = [directory.centre(o.centre_id) for o in decision.menu.options]
        if any(open_state(c, calendar, at).is_open for c in menu_centres):
            await play_greeting(ctx, None)
            greeted = True
        outcome = await run_menu(ctx, decision.menu)
        assert outcome.centre_id is not None
        decision = decide_after_menu(
            directory, calendar, decision, outcome.centre_id, at, how=outcome.reason
        )
        ctx.event("routed_after_menu", decision=decision.to_dict())

    assert decision.centre_id is not None and decision.open_state is not None
    centre = directory.centre(decision.centre_id)
    structlog.contextvars.bind_contextvars(centre=centre.id)
    state = decision.open_state
    for warning in state.warnings:
        log.warning("call.calendar_warning", warning=warning)
    # The route before the greeting (the hangup step then knows the centre even when the
    # caller leaves during it, and the dialplan bills the CDR to it); then the log.
    ctx.step = "handoff"
    ring = decision.action is Action.GREET_AND_RING
    await hand_off(ctx, centre, ring=ring)
    ctx.calllog.routed(
        area_code=decision.area_code,
        centre_id=centre.id,
        is_open=state.is_open,
        reason=state.reason,
    )
    if ring and not greeted:
        # The dialplan plays it (Playback at its ring label), as it does for a dead
        # server: each AGI round trip waits for the channel's thread to be scheduled
        # again, which on a loaded machine costs far more than the command itself.
        ctx.event("greeting_by_dialplan", prompt=ctx.prompts.greeting(centre))
