"""Fault suite on the real stack: kill, lock or starve a component while real calls run
through Asterisk 22, then check what each caller got and what the log holds.

| #  | fault                                              | expected                              |
|----|----------------------------------------------------|---------------------------------------|
| F1 | database down (SQLite locked by another writer;    | every call greeted and answered by    |
|    | PostgreSQL's connections cut) while 20 calls       | its centre; AGI step as without the   |
|    | arrive in working hours                            | fault; rows complete after recovery   |
| F2 | `serve` killed with SIGKILL in a call's greeting   | the call still reaches its centre's   |
|    |                                                    | queue; its row is complete after the  |
|    |                                                    | restart, without a manual command     |
| F3 | one of two `serve` instances down (one database,   | no caller notices: every call routed  |
|    | a journal each)                                    | by the other server; one row each     |
| F5 | 20 slow recording downloads held open on the       | the call AGI step as without them     |
|    | console that runs in the same process and loop     |                                       |

The AGI step is compared by its median over the calls of one run, allowing 20 ms plus
the spread (interquartile range) the same calls show without the fault: on a loaded
2-core machine two fault-free runs differ by more than 20 ms, and a test must not
measure that noise. `bench/calls.py` reports p50 and p99 side by side.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from call_support import (
    WORKDAY_10AM,
    call_variables,
    install_conf,
    prepare_short_prompts,
    talk,
)
from console_support import PASSWORD, add_user, make_call, seed, stalled_download
from fault_support import DatabaseOutage
from ports import free_port

from agi import contract
from agi.app import Service
from agi.flow.prompts import wav_seconds
from backoffice.auth import ThrottlePolicy, sign_in
from config.asterisk_gen import globals_conf, options_from_settings
from console.app import create_app
from console.server import ConsoleServer, console_engine
from devstack.ami import CallResult
from devstack.call_report import call_report, wait_for_call_report
from models.db import session_factory
from models.users import Role

pytestmark = pytest.mark.asterisk

ROOT = Path(__file__).resolve().parent.parent
# One call per single-centre area code in turn: 6 centres x 5 lines answer at once.
AREA_CODES = ("010", "022", "020", "0755", "0571", "023")
CALLS = 20
STEP_TOLERANCE = 0.020  # the AGI step with the fault may cost at most this much more
T_DOWNLOAD = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
BIG_FILE = 12 * 1024 * 1024  # far more than loopback buffers: each body stays in flight


@pytest.fixture(scope="module")
def stack(asterisk_stack):
    prepare_short_prompts(asterisk_stack.settings)
    return asterisk_stack


def greeting_seconds(settings) -> float:
    length = wav_seconds(settings.prompts_dir / "greeting.wav")
    assert length
    return length


async def place_calls(stack, count: int, spacing: float = 0.25) -> list[CallResult]:
    async def one(n: int) -> CallResult:
        await asyncio.sleep(n * spacing)
        return await stack.originate_and_wait(
            f"{AREA_CODES[n % len(AREA_CODES)]}12330",
            # The caller stays on until the operator hangs up, even on a loaded machine.
            caller=talk(operator="answer", hold_seconds=8),
            variables=call_variables(WORKDAY_10AM),
            timeout=120,
        )

    return await asyncio.gather(*(one(n) for n in range(count)))


def agi_overheads(results: list[CallResult], greeting: float) -> list[float]:
    """Seconds each call spent in the call AGI beyond its greeting, from Asterisk's side."""
    # The route step: the call AGI, then the dialplan's greeting, up to the queue.
    steps = [r.seconds_between("AGI", "Queue") for r in results]
    assert all(s is not None for s in steps)
    return [s - greeting for s in steps]  # type: ignore[operator]


def assert_step_unchanged(baseline: list[float], during: list[float]) -> None:
    quartiles = statistics.quantiles(baseline, n=4)
    allowed = STEP_TOLERANCE + (quartiles[2] - quartiles[0])
    shift = statistics.median(during) - statistics.median(baseline)
    assert shift < allowed, (statistics.median(baseline), statistics.median(during), allowed)


def assert_reached_their_centre(results: list[CallResult]) -> None:
    for result in results:
        assert result.variables.get(contract.ROUTE_ACTION) == contract.ROUTE_RING, result.history
        assert result.variables.get(contract.FALLBACK) is None  # routed by the server, from memory
        assert result.greeted_before_ringing(), result.history  # the dialplan's Playback
        assert result.outcome == "answered", result.history


async def assert_logged_complete(settings, results: list[CallResult], seconds: float) -> None:
    reports = await asyncio.gather(
        *(wait_for_call_report(settings, r.call_uniqueid, seconds) for r in results)
    )
    for result, report in zip(results, reports, strict=True):
        call = report.get("call")
        assert call, f"no row for {result.call_uniqueid}"
        assert call["outcome"] == "answered" and call["answered_line"], call
        assert call["centre_id"] and call["is_open"] is True
        steps = [e["step"] for e in report["events"]]
        assert steps.count("call_start") == 1 and steps.count("hangup") == 1, steps
        assert report["recording"] and report["recording"]["status"] == "ok"


@pytest.fixture
async def outage(migrated_url):
    async with DatabaseOutage(migrated_url) as outage:
        yield outage


async def test_f1_calls_go_on_while_the_database_is_down(stack, outage, tmp_path):
    settings = dataclasses.replace(
        stack.settings,
        data_dir=tmp_path,  # this test's own journal
        database_url=outage.url,
        health_port=0,
        agi_command_timeout=1.5,
    )
    service = Service(settings, allow_test_clock=True)
    await service.start(watch_ami=False, reconcile_on_start=False)
    try:
        greeting = greeting_seconds(settings)
        baseline = await place_calls(stack, CALLS)
        assert_reached_their_centre(baseline)
        # Its archiving done first, so only the fault differs between the two runs.
        await assert_logged_complete(settings, baseline, 60)
        async with outage.down():
            faulted = await place_calls(stack, CALLS)
            assert service.drainer.db_ok is False, "the fault did not reach the log writer"
        assert_reached_their_centre(faulted)
        assert_step_unchanged(agi_overheads(baseline, greeting), agi_overheads(faulted, greeting))
        # Recovered with no restart: every row, event and recording within 60 s.
        await assert_logged_complete(settings, faulted, 60)
    finally:
        await service.stop(5)


# --- F2: serve killed during a call's greeting -----------------------------------------


def serve_process(settings, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "HOTLINE12330_DATA_DIR": str(settings.data_dir),
        "HOTLINE12330_DATABASE_URL": settings.database_url,
        "HOTLINE12330_CENTRES_FILE": str(settings.centres_file),
        "HOTLINE12330_RECORDINGS_ROOT": str(settings.recordings_root),
        "HOTLINE12330_PROMPTS_DIR": str(settings.prompts_dir),
        "HOTLINE12330_ASTERISK_ROOT": str(settings.asterisk_root),
        "HOTLINE12330_CDR_CSV": str(settings.cdr_csv),
        "HOTLINE12330_AGI_PORT": str(settings.agi_port),
        "HOTLINE12330_HEALTH_PORT": str(settings.health_port),
    }
    log = log_path.open("a")
    command = [sys.executable, "-m", "cli", "serve", "--allow-test-clock"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)


async def wait_listening(port: int, seconds: float = 30) -> None:
    async with asyncio.timeout(seconds):
        while True:
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.2)
                continue
            writer.close()
            return


async def test_f2_serve_killed_in_the_greeting_still_reaches_the_centre(
    stack, migrated_url, tmp_path
):
    settings = dataclasses.replace(
        stack.settings, data_dir=tmp_path, database_url=migrated_url, health_port=free_port()
    )
    log = tmp_path / "serve.log"
    first = serve_process(settings, log)
    second = None
    try:
        await wait_listening(settings.agi_port)
        call = asyncio.create_task(
            stack.originate_and_wait(
                "01012330",
                caller=talk(operator="answer"),
                variables=call_variables(WORKDAY_10AM),
                timeout=120,
            )
        )
        # Kill the server once it has routed the call, while the greeting plays.
        async with asyncio.timeout(30):
            while "call.routed" not in log.read_text(encoding="utf-8", errors="replace"):
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        result = await call
        assert result.variables.get(contract.ROUTE_ACTION) == contract.ROUTE_RING, result.history
        assert result.outcome == "answered", result.history  # the centre's queue took it
        assert call_report(settings, result.call_uniqueid).get("call", {}).get("outcome") in (
            None,
            "in_progress",
        )
        # Restarted (as systemd would): the journal and the CDR close the call.
        started = time.monotonic()
        second = serve_process(settings, log)
        report = await wait_for_call_report(settings, result.call_uniqueid, 300)
        assert time.monotonic() - started < 300
        row = report["call"]
        assert row and row["outcome"] == "answered" and row["answered_line"], report
        assert row["centre_id"] == "bj"
        assert report["recording"]["status"] == "ok"
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


# --- F5: the console under load ---------------------------------------------------------


async def test_f5_slow_console_downloads_do_not_slow_calls(stack, migrated_url, tmp_path):
    settings = dataclasses.replace(
        stack.settings,
        data_dir=tmp_path,
        database_url=migrated_url,
        health_port=0,
        agi_command_timeout=1.5,
    )
    service = Service(settings, allow_test_clock=True)
    await service.start(watch_ami=False, reconcile_on_start=False)
    # As `serve --console` runs it: same process and event loop, its own engine.
    engine = console_engine(settings)
    sessions = session_factory(engine)
    seed(sessions, settings)
    add_user(sessions, "sup", Role.SUPERVISOR, all_centres=True)
    big = make_call(sessions, settings, "bj", at=T_DOWNLOAD, audio=b"\x01" * BIG_FILE)
    _, cookie = sign_in(
        sessions,
        "sup",
        PASSWORD,
        ip="127.0.0.1",
        policy=ThrottlePolicy(5, dt.timedelta(minutes=15)),
        lifetime=dt.timedelta(hours=1),
    )
    console = ConsoleServer(
        create_app(settings, config=service.services.config, sessions=sessions), "127.0.0.1", 0
    )
    await console.start()
    downloads = []
    try:
        greeting = greeting_seconds(settings)
        baseline = await place_calls(stack, CALLS // 2)
        await assert_logged_complete(settings, baseline, 60)  # its archiving done first
        path = f"/recordings/{big.recording}/download"
        downloads = [await stalled_download(console.port, path, cookie) for _ in range(CALLS)]
        loaded = await place_calls(stack, CALLS // 2)
        assert_reached_their_centre(baseline + loaded)
        assert_step_unchanged(agi_overheads(baseline, greeting), agi_overheads(loaded, greeting))
        await assert_logged_complete(settings, loaded, 60)
    finally:
        for download in downloads:
            download.writer.close()
        await console.stop()
        engine.dispose()
        await service.stop(5)


# --- F3: one of two servers down ------------------------------------------------------


async def test_f3_one_of_two_servers_down_no_caller_notices(stack, migrated_url, tmp_path):
    first_down = dataclasses.replace(
        stack.settings, data_dir=tmp_path / "a", database_url=migrated_url, health_port=0
    )
    second = dataclasses.replace(
        first_down,
        data_dir=tmp_path / "b",
        instance="b",
        agi_port=free_port(),
        agi_command_timeout=1.5,
    )
    options = options_from_settings(
        dataclasses.replace(first_down, agi_second_url=f"agi://127.0.0.1:{second.agi_port}"),
        dev_operators=True,
    )
    original = (stack.paths.etc / "hotline12330-globals.conf").read_text(encoding="utf-8")
    install_conf(stack, "hotline12330-globals.conf", globals_conf(options))
    service = Service(second, allow_test_clock=True)
    await service.start(watch_ami=False, reconcile_on_start=False)
    try:
        results = await place_calls(stack, 6)
        assert_reached_their_centre(results)  # routed by the second server, not the fallback
        await assert_logged_complete(second, results, 60)
        reports = [call_report(second, r.call_uniqueid) for r in results]
        assert all(r["call"]["source"] == "agi" for r in reports)
    finally:
        await service.stop(5)
        install_conf(stack, "hotline12330-globals.conf", original)
