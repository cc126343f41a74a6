"""Place a test call through the dev stack over AMI and watch it to the end.

The call is an AMI Originate of Local/<dialled>@hotline12330-inbound. Asterisk
creates two legs: the "caller" leg (Local;1) runs the simulated caller in
[hotline12330-test-caller], the "call" leg (Local;2) runs the 12330 dialplan exactly
as a trunk call would. Both uniqueids are chosen here, so the recording's name is
known in advance; every variable the call leg sets (VarSet events) is collected.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from panoramisk import Manager

from config.asterisk_gen import DEV_CALLER_SECRET, DEV_CALLER_USER
from config.settings import Settings

INBOUND_CONTEXT = "hotline12330-inbound"
TEST_CALLER_CONTEXT = "hotline12330-test-caller"


class AmiError(RuntimeError):
    """AMI login or an action failed, or the call did not end in time."""


@dataclass(frozen=True)
class SimulatedCaller:
    """What the simulated caller does once the 12330 side answers (all optional)."""

    digits: str = ""  # DTMF sent after digits_delay seconds, e.g. the menu choice "1"
    digits_delay: float = 1.0
    speak_after: float = 0.0  # seconds of silence before speaking (to reach a beep)
    says: str = ""  # a sound (core name or absolute path without extension) played after
    say_seconds: float = 0.0  # seconds of beeps (700 Hz) after that: "the caller talks"
    hold_seconds: float = 5.0  # then stays on the line this long, then hangs up
    operator: str = ""  # answer | busy | noanswer for the simulated operators
    operator_says: str = ""  # what an answering simulated operator plays

    def variables(self) -> dict[str, str]:
        values = {
            "HOTLINE_TEST_CALLER_DIGITS": self.digits,
            "HOTLINE_TEST_CALLER_DIGITS_DELAY": f"{self.digits_delay:g}",
            "HOTLINE_TEST_CALLER_SPEAK_AFTER": f"{self.speak_after:g}",
            "HOTLINE_TEST_CALLER_SAYS": self.says,
            "HOTLINE_TEST_CALLER_SAY_SECONDS": f"{self.say_seconds:g}",
            "HOTLINE_TEST_CALLER_HOLD": f"{self.hold_seconds:g}",
        }
        if self.operator:
            values["__HOTLINE_TEST_OPERATOR"] = self.operator
        if self.operator_says:
            values["__HOTLINE_TEST_OPERATOR_SAYS"] = self.operator_says
        return values


@dataclass
class CallResult:
    call_uniqueid: str  # the leg that ran the 12330 dialplan; names the recording
    caller_uniqueid: str
    started_at: dt.datetime
    # Last value of each variable set on the call leg ("__" inheritance prefix dropped).
    variables: dict[str, str] = field(default_factory=dict)
    history: list[tuple[str, str]] = field(default_factory=list)  # every VarSet, in order
    applications: list[str] = field(default_factory=list)  # Newexten apps of the call leg
    # (event loop time, application) of each Newexten on the call leg, as AMI told us.
    app_times: list[tuple[float, str]] = field(default_factory=list)
    hangup_cause: str = ""
    ended: bool = False

    @property
    def recording_relpath(self) -> str:
        return self.variables.get("HOTLINE_REC_RELPATH", "")

    @property
    def outcome(self) -> str:
        return self.variables.get("HOTLINE_OUTCOME", "")

    def seconds_in(self, application: str) -> float | None:
        """How long the call leg spent in the first `application` (e.g. "AGI"), from
        Asterisk's side: its Newexten to the next one."""
        for (at, app), (after, _next) in zip(self.app_times, self.app_times[1:], strict=False):
            if app == application:
                return after - at
        return None

    def seconds_between(self, first: str, then: str) -> float | None:
        """From the first `first` application's Newexten to the next `then` one's."""
        start = next((at for at, app in self.app_times if app == first), None)
        if start is None:
            return None
        return next((at - start for at, app in self.app_times if app == then and at >= start), None)

    def greeted_before_ringing(self) -> bool:
        """Whether a Playback ran (the dialplan's greeting: the AGI's STREAM FILE sets no
        PLAYBACKSTATUS) before the call started ringing."""
        names = [(name, value) for name, value in self.history]
        played = ("PLAYBACKSTATUS", "SUCCESS")
        ringing = ("HOTLINE_OUTCOME", "ringing")
        return played in names and ringing in names and names.index(played) < names.index(ringing)


def new_uniqueid(system_name: str = "") -> str:
    """A uniqueid shaped like Asterisk's own (<epoch>.<n>), safe as a recording name;
    with `system_name`, as an asterisk.conf systemname makes them (<name>-<epoch>.<n>)."""
    prefix = f"{system_name}-" if system_name else ""
    return f"{prefix}{int(dt.datetime.now(dt.UTC).timestamp())}.{secrets.randbelow(10**9)}"


NOT_RESENT_ACTIONS = ("ping", "login", "originate", "hangup")


async def connect(
    settings: Settings, user: str = DEV_CALLER_USER, secret: str = DEV_CALLER_SECRET
) -> Manager:
    """A login as the dev stack's caller (by default), the AMI user allowed to originate."""
    manager = Manager(
        host=settings.ami_host,
        port=settings.ami_port,
        username=user,
        secret=secret,
        ping_delay=3600,
        loop=asyncio.get_running_loop(),
        # panoramisk re-sends unanswered actions after a reconnect; a second Originate
        # would place a second call. Only harmless actions may be re-sent.
        forgetable_actions=NOT_RESENT_ACTIONS,
    )
    await asyncio.wait_for(manager.connect(), settings.ami_timeout)
    if manager.authenticated_future is not None:
        await asyncio.wait_for(manager.authenticated_future, settings.ami_timeout)
    if not manager.authenticated:
        close(manager)
        raise AmiError(f"AMI login as {user!r} failed")
    return manager


def close(manager: Manager) -> None:
    # panoramisk reconnects whenever the connection drops; we are done with it.
    manager.connection_lost = lambda exc: None  # type: ignore[method-assign]
    manager.close()


async def originate_and_wait(
    settings: Settings,
    *,
    dialed: str = "12330",
    caller_id: str = "13800138000",
    caller: SimulatedCaller | None = None,
    variables: dict[str, str] | None = None,
    limit_seconds: float = 90.0,
    system_name: str = "",
) -> CallResult:
    """Call `dialed` into hotline12330-inbound as `caller_id` and wait for the hangup.

    `variables` are set on the call (prefix "__" to reach the operator legs too), e.g.
    {"HOTLINE_TRUNK_AREA": "021"} for a call arriving on a Shanghai trunk.
    `system_name` gives both legs uniqueids as an asterisk.conf systemname would.
    """
    caller = caller or SimulatedCaller()
    result = CallResult(
        call_uniqueid=new_uniqueid(system_name),
        caller_uniqueid=new_uniqueid(system_name),
        started_at=dt.datetime.now(ZoneInfo(settings.timezone)),
    )
    finished = asyncio.Event()
    loop = asyncio.get_running_loop()
    ours = {result.call_uniqueid, result.caller_uniqueid}
    hung_up: set[str] = set()

    def on_varset(_manager: Manager, event) -> None:
        if event.get("Uniqueid") == result.call_uniqueid:
            name, value = event.get("Variable", ""), event.get("Value", "")
            result.history.append((name, value))
            # "__X" (inherited) and "X" are the same variable to the dialplan.
            result.variables[name.lstrip("_")] = value

    def on_newexten(_manager: Manager, event) -> None:
        if event.get("Uniqueid") == result.call_uniqueid:
            result.applications.append(event.get("Application", ""))
            result.app_times.append((loop.time(), event.get("Application", "")))

    def on_hangup(_manager: Manager, event) -> None:
        uniqueid = event.get("Uniqueid")
        if uniqueid in ours:
            hung_up.add(uniqueid)
            if uniqueid == result.call_uniqueid:
                result.hangup_cause = event.get("Cause-txt", "")
            if hung_up == ours:
                finished.set()

    manager = await connect(settings)
    try:
        manager.register_event("VarSet", on_varset)
        manager.register_event("Newexten", on_newexten)
        manager.register_event("Hangup", on_hangup)
        all_variables = {**caller.variables(), **(variables or {})}
        action = {
            "Action": "Originate",
            "Channel": f"Local/{dialed}@{INBOUND_CONTEXT}",
            "Context": TEST_CALLER_CONTEXT,
            "Exten": "s",
            "Priority": "1",
            "CallerID": f'"{caller_id}" <{caller_id}>',
            "Timeout": str(int(limit_seconds * 1000)),
            "Async": "true",
            "ChannelId": result.caller_uniqueid,
            "OtherChannelId": result.call_uniqueid,
            "Variable": [f"{k}={v}" for k, v in all_variables.items()],
        }
        # Async Originate answers twice: "queued", then OriginateResponse once the
        # 12330 side answers (or the call fails).
        responses = await asyncio.wait_for(manager.send_action(action), limit_seconds)
        if not isinstance(responses, list):
            responses = [responses]
        for response in responses:
            if response.get("Response") != "Success":
                raise AmiError(
                    f"Originate failed: {response.get('Message') or response.get('Reason')}"
                )
        try:
            await asyncio.wait_for(finished.wait(), limit_seconds)
        except TimeoutError as exc:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    manager.send_action(
                        {"Action": "Hangup", "Channel": f"/^Local/{dialed}@{INBOUND_CONTEXT}-.*/"}
                    ),
                    settings.ami_timeout,
                )
            raise AmiError(f"call to {dialed} did not end within {limit_seconds:.0f}s") from exc
        result.ended = True
        return result
    finally:
        close(manager)
