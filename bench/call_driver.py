"""Places the bench's calls over one AMI connection and times them from Asterisk's side.

Each call is an AMI Originate of Local/<dialled>@<inbound context> whose other leg only
Waits (the caller stays on until the operator hangs up). Times come from AMI
events, filtered in Asterisk down to what the bench reads:

- Newexten of the call leg in the call context: the call's start (its first step) and
  the route step (the AGI, or the twin's Set() block, to the step after it);
- AgentConnect: an operator answered;
- VarSet of HOTLINE_OUTCOME: how the dialplan saw the call end (the hangup handler
  sets "answered");
- Hangup of both legs: the call is over.

Each time is the event's Timestamp (Asterisk's clock, manager.conf timestampevents),
so a busy bench process does not shift it; without one, the time it was received.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from panoramisk import Manager

from bench.call_stack import TEST_AT, Route
from devstack.ami import new_uniqueid

ORIGINATE_SECONDS = 30.0  # until the 12330 side answers


@dataclass(frozen=True)
class Flow:
    name: str  # real | twin
    inbound: str
    call_context: str
    step_priority: int  # the route step: the AGI, or the first line of the twin's block
    step_end: int  # the priority that ends it: ringing starts (after the greeting)


@dataclass
class CallTrace:
    flow: Flow
    route: Route
    call_uniqueid: str
    caller_uniqueid: str
    started_at: float | None = None
    steps: list[tuple[float, int]] = field(default_factory=list)  # (time, priority)
    answered_at: float | None = None
    interface: str = ""  # the queue member that answered
    outcome: str = ""
    channel: str = ""  # the call leg's name, to hang up a call that overstays
    legs_ended: set[str] = field(default_factory=set)
    ended_at: float | None = None
    error: str = ""
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def ok(self) -> bool:
        return not self.error and self.outcome == "answered" and self.answered_at is not None

    @property
    def answer_seconds(self) -> float | None:
        if self.answered_at is None or self.started_at is None:
            return None
        return self.answered_at - self.started_at

    @property
    def step_seconds(self) -> float | None:
        """The route step and the greeting as Asterisk ran them: from the AGI's (or the
        twin block's) Newexten to the one that starts ringing."""
        start = next((t for t, p in self.steps if p == self.flow.step_priority), None)
        end = next((t for t, p in self.steps if p >= self.flow.step_end), None)
        return None if start is None or end is None else end - start

    def failure(self) -> str:
        if self.error:
            return self.error
        if self.answered_at is None:
            return f"no operator answered (outcome {self.outcome or 'unknown'})"
        return f"outcome {self.outcome or 'unknown'}"


@dataclass
class PhaseResult:
    flow: Flow
    traces: list[CallTrace]
    seconds: float  # first Originate to the last hangup
    peak_up: int  # most calls with an operator at once
    peak_in_flight: int  # most calls placed and not yet over at once
    late_starts: int  # calls sent later than their slot (the in-flight bound held them)

    @property
    def completed(self) -> list[CallTrace]:
        return [t for t in self.traces if t.ok]

    @property
    def failed(self) -> list[CallTrace]:
        return [t for t in self.traces if not t.ok]

    def failure_reasons(self) -> Counter[str]:
        return Counter(t.failure() for t in self.failed)


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


class LoadDriver:
    """One AMI connection for all calls; events are dispatched by uniqueid."""

    def __init__(self, manager: Manager, *, talk_seconds: float, call_limit: float) -> None:
        self.manager = manager
        self.talk_seconds = talk_seconds
        self.call_limit = call_limit
        self._calls: dict[str, CallTrace] = {}  # both legs' uniqueids
        self._up: Counter[str] = Counter()
        self._in_flight: Counter[str] = Counter()
        self._peak_up: Counter[str] = Counter()
        self._peak_in_flight: Counter[str] = Counter()
        self._loop = asyncio.get_running_loop()

    async def start(self) -> None:
        self.manager.register_event("Newexten", self._on_newexten)
        self.manager.register_event("AgentConnect", self._on_agent_connect)
        self.manager.register_event("VarSet", self._on_varset)
        self.manager.register_event("Hangup", self._on_hangup)

    # ---- events ---------------------------------------------------------------------------

    def _time(self, event) -> float:
        try:
            return float(event.get("Timestamp", ""))
        except ValueError:
            return time.time()

    def _on_newexten(self, _manager: Manager, event) -> None:
        trace = self._calls.get(event.get("Uniqueid", ""))
        if trace is None or event.get("Context") != trace.flow.call_context:
            return
        now = self._time(event)
        if trace.started_at is None:
            trace.started_at = now
            trace.channel = event.get("Channel", "")
        with contextlib.suppress(ValueError):
            trace.steps.append((now, int(event.get("Priority", ""))))

    def _on_agent_connect(self, _manager: Manager, event) -> None:
        trace = self._calls.get(event.get("Uniqueid", ""))
        if trace is None or trace.answered_at is not None:
            return
        trace.answered_at = self._time(event)
        trace.interface = event.get("Interface", "")
        name = trace.flow.name
        self._up[name] += 1
        self._peak_up[name] = max(self._peak_up[name], self._up[name])

    def _on_varset(self, _manager: Manager, event) -> None:
        trace = self._calls.get(event.get("Uniqueid", ""))
        if trace is not None and trace.call_uniqueid == event.get("Uniqueid"):
            trace.outcome = event.get("Value", "")

    def _on_hangup(self, _manager: Manager, event) -> None:
        uniqueid = event.get("Uniqueid", "")
        trace = self._calls.get(uniqueid)
        if trace is None:
            return
        trace.legs_ended.add(uniqueid)
        if uniqueid == trace.call_uniqueid:
            trace.ended_at = self._time(event)
            if trace.answered_at is not None:
                self._up[trace.flow.name] -= 1
        if trace.legs_ended >= {trace.call_uniqueid, trace.caller_uniqueid}:
            trace.done.set()

    # ---- calls ----------------------------------------------------------------------------

    def _originate(self, trace: CallTrace, number: int) -> dict[str, object]:
        caller_id = f"138{number:08d}"
        variables = {
            "HOTLINE_TEST_CALL": "1",
            "HOTLINE_TEST_AT": TEST_AT,
            "__HOTLINE_TEST_OPERATOR": "answer",
            # A short sound (the default, demo-congrats, plays for half a minute), then
            # the operator stays on the line for the talk time.
            "__HOTLINE_TEST_OPERATOR_SAYS": "beep",
            "__HOTLINE_TEST_OPERATOR_TALK": f"{self.talk_seconds:g}",
        }
        if trace.flow.name == "twin":
            variables.update(trace.route.twin_variables)
        return {
            "Action": "Originate",
            "Channel": f"Local/{trace.route.dialled}@{trace.flow.inbound}",
            # The caller's leg just stays on the line; the operator ends the call.
            "Application": "Wait",
            "Data": str(int(self.call_limit) + 10),
            "CallerID": f'"{caller_id}" <{caller_id}>',
            "Timeout": str(int(ORIGINATE_SECONDS * 1000)),
            "Async": "true",
            "ChannelId": trace.caller_uniqueid,
            "OtherChannelId": trace.call_uniqueid,
            "Variable": [f"{k}={v}" for k, v in variables.items()],
        }

    async def _place(self, trace: CallTrace, number: int) -> None:
        name = trace.flow.name
        self._in_flight[name] += 1
        self._peak_in_flight[name] = max(self._peak_in_flight[name], self._in_flight[name])
        try:
            responses = await asyncio.wait_for(
                self.manager.send_action(self._originate(trace, number)), ORIGINATE_SECONDS + 5
            )
            for response in responses if isinstance(responses, list) else [responses]:
                if response.get("Response") != "Success":
                    reason = response.get("Message") or response.get("Reason")
                    trace.error = f"Originate failed: {reason}"
                    return
            await asyncio.wait_for(trace.done.wait(), self.call_limit)
        except TimeoutError:
            trace.error = f"did not end within {self.call_limit:.0f} s"
            await self.hang_up(trace)
        finally:
            self._in_flight[name] -= 1

    async def hang_up(self, trace: CallTrace) -> None:
        channel = trace.channel or f"/^Local\\/{trace.route.dialled}@{trace.flow.inbound}-/"
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self.manager.send_action({"Action": "Hangup", "Channel": channel}), 10
            )

    async def hang_up_all(self) -> None:
        """Every call of the bench still up (a run cut short), so recordings close."""
        for inbound in ("hotline12330-inbound", "hotline12330-bench-twin-inbound"):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.manager.send_action(
                        {"Action": "Hangup", "Channel": f"/^Local\\/[^@]*@{inbound}-/"}
                    ),
                    10,
                )

    async def run(
        self, flow: Flow, routes: list[Route], calls: int, rate: float, max_in_flight: int
    ) -> PhaseResult:
        """`calls` calls at `rate` a second, round the routes, at most `max_in_flight` at
        once; returns when every call has ended (or overstayed and been hung up)."""
        traces = [
            CallTrace(flow, routes[n % len(routes)], new_uniqueid(), new_uniqueid())
            for n in range(calls)
        ]
        for trace in traces:
            self._calls[trace.call_uniqueid] = trace
            self._calls[trace.caller_uniqueid] = trace
        slots = asyncio.Semaphore(max_in_flight)
        tasks: list[asyncio.Task[None]] = []
        late = 0
        began, began_wall = self._loop.time(), time.time()

        async def one(trace: CallTrace, number: int) -> None:
            try:
                await self._place(trace, number)
            finally:
                slots.release()

        for number, trace in enumerate(traces):
            await asyncio.sleep(max(0.0, began + number / rate - self._loop.time()))
            await slots.acquire()
            late += self._loop.time() - (began + number / rate) > 0.5
            tasks.append(asyncio.create_task(one(trace, number)))
        await asyncio.gather(*tasks)
        ended = [t.ended_at for t in traces if t.ended_at is not None]
        seconds = (max(ended) if ended else time.time()) - began_wall
        return PhaseResult(
            flow,
            traces,
            seconds,
            self._peak_up[flow.name],
            self._peak_in_flight[flow.name],
            late,
        )
