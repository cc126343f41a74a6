"""F6 of the fault suite: Asterisk restarted with calls up, on the real stack.

| how             | what Asterisk leaves behind          | expected                          |
|-----------------|--------------------------------------|-----------------------------------|
| `core stop now` | hangup handlers and CDR, maybe partial | every call that reached Asterisk |
| SIGKILL         | nothing: no hangup step, no CDR      | has one row, none duplicated, none|
|                 |                                      | left in progress after reconcile  |

Calls are placed a little apart, so when Asterisk goes some are in the greeting and some
are talking to an operator. After the restart new calls are placed as well: uniqueids and
channel names start again, and each call must still have its own single row.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt

import pytest
from call_support import WORKDAY_10AM, call_variables, prepare_short_prompts, talk
from sqlalchemy import func, select

from agi import channel_vars as cv
from agi.app import Service
from agi.reconcile import CUT_OFF_AFTER, CUT_OFF_REASON, reconcile
from devstack.call_report import wait_for_call_report
from models.calls import Call
from models.db import make_engine, session_factory

pytestmark = pytest.mark.asterisk

AREA_CODES = ("010", "022", "020", "0755", "0571", "023")
CALLS_UP = 8
CALLS_AFTER = 2


@pytest.fixture(scope="module")
def stack(asterisk_stack):
    prepare_short_prompts(asterisk_stack.settings)
    return asterisk_stack


def long_call(stack, n: int):
    """A call whose caller and operator stay on for a minute: still up at the restart."""
    return stack.originate_and_wait(
        f"{AREA_CODES[n % len(AREA_CODES)]}12330",
        caller=talk(operator="answer", hold_seconds=60),
        variables={**call_variables(WORKDAY_10AM), "__HOTLINE_TEST_OPERATOR_TALK": "60"},
        timeout=90,
    )


def short_call(stack, n: int):
    return stack.originate_and_wait(
        f"{AREA_CODES[n % len(AREA_CODES)]}12330",
        caller=talk(operator="answer"),
        variables=call_variables(WORKDAY_10AM),
        timeout=120,
    )


def calls_in(sessions) -> list[Call]:
    with sessions() as session:
        return list(session.scalars(select(Call).order_by(Call.id)))


async def wait_for_rows(sessions, count: int, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while len(calls_in(sessions)) < count:
            await asyncio.sleep(0.1)


async def drained(service: Service, seconds: float = 30) -> None:
    """Until the service's own drain has emptied its journal into the database."""
    await service.journal.flush()
    async with asyncio.timeout(seconds):
        while (await service.journal.run(lambda j: j.stats())).depth:
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("crash", [False, True], ids=["core stop now", "SIGKILL"])
async def test_f6_asterisk_restarted_with_calls_up(stack, migrated_url, tmp_path, crash):
    settings = dataclasses.replace(
        stack.settings, data_dir=tmp_path, database_url=migrated_url, health_port=0
    )
    engine = make_engine(migrated_url)
    sessions = session_factory(engine)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    service = Service(settings, allow_test_clock=True)
    await service.start(watch_ami=False, reconcile_on_start=False)
    up = []
    try:
        for n in range(CALLS_UP):
            up.append(asyncio.create_task(long_call(stack, n)))
            await asyncio.sleep(0.4)
        # Every call has reached the server (its row is there): the last ones are in
        # the greeting, the first ones are talking to an operator.
        await wait_for_rows(sessions, CALLS_UP, 30)
        await asyncio.to_thread(stack.restart, crash=crash)
        for task in up:  # their AMI connection went with Asterisk
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

        after = await asyncio.gather(*(short_call(stack, n) for n in range(CALLS_AFTER)))
        for result in after:
            assert result.variables.get(cv.ROUTE_ACTION) == cv.ROUTE_RING, result.history
            assert result.outcome == "answered", result.history
            report = await wait_for_call_report(settings, result.call_uniqueid, 60)
            assert report["call"]["outcome"] == "answered", report

        # Once nothing can be live any more (the dialplan's call limit has passed),
        # reconcile closes what the CDR explains and cuts off the rest.
        await service.journal.flush()
        later = dt.datetime.now(dt.UTC) + CUT_OFF_AFTER + dt.timedelta(minutes=1)
        services = dataclasses.replace(service.services, clock=lambda: later)
        await reconcile(services, service.drainer, since)
        await drained(service)

        rows = calls_in(sessions)
        # Every call that reached Asterisk has exactly one row, and nothing else has one.
        assert len(rows) == CALLS_UP + CALLS_AFTER, [r.uniqueid for r in rows]
        assert len({r.uniqueid for r in rows}) == len(rows)
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(Call)) == len(rows)
        assert not [r.uniqueid for r in rows if r.outcome == "in_progress"]
        cut = [r for r in rows[:CALLS_UP] if r.failure_reason == CUT_OFF_REASON]
        if crash:  # nothing of the end survived: the log says so, and guesses nothing
            assert len(cut) == CALLS_UP
            assert all(r.outcome == "failed" and r.answered_line is None for r in cut)
        for row in rows:
            assert row.centre_id, row.uniqueid  # routed before Asterisk went
    finally:
        for task in up:
            task.cancel()
        await service.stop(5)
        engine.dispose()
