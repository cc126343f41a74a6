"""F8 of the fault suite: more calls than the lines (and, briefly, the 2 cores) can carry.

48 calls arrive within 4 s at six centres of 5 simulated lines each, whose operators talk
for seconds: most callers queue. Every third caller gives up after 3 s of waiting. The
truth is what Asterisk did with each call (the dialplan's last step, and the queue member
it bridged, from AMI); the log must say exactly that, call by call:

| Asterisk saw                           | the log holds                                 |
|----------------------------------------|-----------------------------------------------|
| an operator answered (MEMBERINTERFACE) | `answered`, with that line                    |
| the caller hung up while it rang       | `abandoned_ringing`                           |
| the caller hung up in the greeting     | `abandoned_greeting`                          |
| no line free in time: voicemail        | `voicemail`                                   |

Nothing is `failed`, nothing stays `in_progress`, nothing is guessed. `bench/calls.py`
finds the machine's real limit with hundreds of calls up; this keeps the oracle in the
suite.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from call_support import WORKDAY_10AM, call_variables, prepare_short_prompts, talk

from agi import channel_vars as cv
from agi.app import Service
from agi.flow.hangup import OUTCOME_BY_STEP
from devstack.ami import CallResult
from devstack.call_report import wait_for_call_report

pytestmark = pytest.mark.asterisk

AREA_CODES = ("010", "022", "020", "0755", "0571", "023")
CALLS = 48
SPACING = 0.08  # seconds between calls: 12 a second
OPERATOR_TALK = "4"  # seconds each operator stays on after answering


@pytest.fixture(scope="module")
def stack(asterisk_stack):
    prepare_short_prompts(asterisk_stack.settings)
    return asterisk_stack


async def place(stack, n: int) -> CallResult:
    await asyncio.sleep(n * SPACING)
    impatient = n % 3 == 2
    return await stack.originate_and_wait(
        f"{AREA_CODES[n % len(AREA_CODES)]}12330",
        caller=talk(operator="answer", hold_seconds=3 if impatient else 25),
        variables={**call_variables(WORKDAY_10AM), "__HOTLINE_TEST_OPERATOR_TALK": OPERATOR_TALK},
        timeout=150,
    )


def logged_as_asterisk_saw(result: CallResult, call: dict) -> str | None:
    """Why the row differs from what Asterisk did with the call; None when it agrees."""
    step = result.outcome
    expected = OUTCOME_BY_STEP.get(step)
    if expected is None:
        return f"Asterisk ended the call in step {step!r}"
    if call["outcome"] != expected.value:
        return f"logged {call['outcome']}, Asterisk: {step}"
    line = result.variables.get(cv.MEMBERINTERFACE, "")
    if expected.value == "answered" and call["answered_line"] != line:
        return f"line {call['answered_line']!r}, Asterisk bridged {line!r}"
    if call["source"] != "agi":
        return f"source {call['source']}: the live log lost the call"
    return None


async def test_f8_overload_logs_each_call_as_asterisk_ended_it(stack, migrated_url, tmp_path):
    settings = dataclasses.replace(
        stack.settings, data_dir=tmp_path, database_url=migrated_url, health_port=0
    )
    service = Service(settings, allow_test_clock=True)
    await service.start(watch_ami=False, reconcile_on_start=False)
    try:
        results = await asyncio.gather(*(place(stack, n) for n in range(CALLS)))
        reports = await asyncio.gather(
            *(wait_for_call_report(settings, r.call_uniqueid, 120) for r in results)
        )
        problems = {}
        for result, report in zip(results, reports, strict=True):
            call = report.get("call")
            problem = logged_as_asterisk_saw(result, call) if call else "no row"
            if problem:
                problems[result.call_uniqueid] = problem
        assert not problems, problems
        outcomes = [r["call"]["outcome"] for r in reports]
        # Overloaded for real: some callers were answered, some were not.
        assert "answered" in outcomes and set(outcomes) - {"answered"}, outcomes
    finally:
        await service.stop(5)
