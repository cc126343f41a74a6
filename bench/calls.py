"""Calls under load beside the physical limit: the real flow (Asterisk 22 dialplan +
the FastAGI `serve` process) against its pure-dialplan twin in the same Asterisk.

The twin (written from the shipped dialplan each run, see bench/call_stack.py) answers,
starts MixMonitor, plays the greeting, queues the call and lets the simulated operators
answer exactly like the real flow, with the call AGI replaced by plain Set() of the same
route and no hangup AGI. N calls at R a second go through the twin, then the same N at
R through the real flow; figures side by side:

- completed and failed calls; most calls up (with an operator) at once;
- answer time p50/p99: the call leg's first step to AgentConnect (AMI event timestamps);
- the route step beyond the greeting p50/p99: the AGI (twin: its Set+Playback block),
  from its Newexten to the next step's, minus the greeting's length;
- CPU seconds of Asterisk and of the server (from /proc), per phase;
- the oracle: every real call has exactly one row, outcome answered with its line, its
  own centre, both steps logged once, recording ok (devstack/call_report.py).

    sudo .venv/bin/python bench/calls.py [--calls 300] [--rate 10] [--talk 5]
        [--max-in-flight 1000] [--lines 100] [--lock-db] [--greeting TEXT]

Needs root (the dev stack's chroot) and the stack to itself: run it under
`flock /tmp/hotline12330-stack.lock`. Traffic stays on loopback; the run stops by
itself (every call has a time limit, leftovers are hung up). Exit status 1 when a
real call's row is missing or wrong, 2 when the bench could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agi.flow.hangup import OUTCOME_BY_STEP
from bench.call_driver import Flow, LoadDriver, PhaseResult, median, percentile
from bench.call_stack import (
    BENCH_AMI_SECRET,
    BENCH_AMI_USER,
    TWIN_CALL,
    TWIN_INBOUND,
    BenchError,
    Route,
    Twin,
    asterisk_pid,
    asterisk_stack,
    bench_settings,
    cpu_seconds,
    make_prompts,
    make_twin,
    open_files_limit,
    ring_routes,
    serve_process,
    threads_and_files,
)
from config.asterisk_files import load_directory
from config.loader import load_config
from config.settings import Settings
from devstack.ami import close, connect
from devstack.asterisk import STATIC_CONF_DIR
from devstack.call_report import call_report
from migrations import upgrade
from models.calls import CallOutcome

DRAIN_SECONDS = 180.0  # after the run, for the journal to reach the database
ROWS_SECONDS = 90.0  # then for every row to be closed and its recording checked
STEP_MARGIN = 0.020  # target: route step p99 within the twin's + 20 ms
ANSWER_MARGIN = 0.5  # target: answer p50 within the twin's + 0.5 s
LIMIT_RATIO = 0.10  # target at the limit: answer p50 within 10 % of the twin's


class Phase:
    """One flow's calls with the CPU Asterisk and the server spent on them."""

    def __init__(self, result: PhaseResult, greeting: float) -> None:
        self.result = result
        self.greeting = greeting
        self.asterisk_threads = 0  # most at once
        self.asterisk_files = 0
        self.asterisk_cpu = 0.0
        self.server_cpu = 0.0
        self.server_cpu_after = 0.0  # the server's drain and recording checks after the run
        self.rows_missing: list[str] = []
        self.rows_wrong: list[str] = []

    def answers(self) -> list[float]:
        return [t.answer_seconds for t in self.result.completed if t.answer_seconds is not None]

    def step_overheads(self) -> list[float]:
        steps = [t.step_seconds for t in self.result.traces]
        return [s - self.greeting for s in steps if s is not None]


# ---- the oracle -------------------------------------------------------------------------------


def row_problem(report: dict, trace) -> str | None:
    """Why this real call's log is not what Asterisk did with the call; None when it is.

    A call Asterisk never brought into the 12330 dialplan needs no row. Any other call
    is judged by its last dialplan step (HOTLINE_OUTCOME) and, when an operator
    answered, the member Queue bridged: under overload too, nothing may be guessed."""
    call = report.get("call")
    if trace.started_at is None:
        return None if not call else "a row for a call that never reached the dialplan"
    if not call:
        return "missing"
    problems = []
    step = "answered" if trace.answered_at is not None else trace.outcome
    expected = OUTCOME_BY_STEP.get(step)
    if expected is None or call["outcome"] != expected.value:
        problems.append(f"outcome {call['outcome']} (Asterisk: step {step!r})")
    if expected is CallOutcome.ANSWERED and (
        not call["answered_line"] or (trace.interface and call["answered_line"] != trace.interface)
    ):
        problems.append(f"answered_line {call['answered_line']!r} (Asterisk: {trace.interface!r})")
    if call["centre_id"] != trace.route.centre:
        problems.append(f"centre {call['centre_id']} (expected {trace.route.centre})")
    if call["source"] != "agi":
        problems.append(f"source {call['source']}")
    steps = [e["step"] for e in report["events"]]
    if steps.count("call_start") != 1 or steps.count("hangup") != 1:
        problems.append(f"steps {steps}")
    recording = report.get("recording")
    if not recording or recording["status"] != "ok":
        problems.append(f"recording {recording and recording['status']}")
    return "; ".join(problems) or None


def health(settings: Settings) -> dict:
    url = f"http://127.0.0.1:{settings.health_port}/health"
    with urllib.request.urlopen(url, timeout=5) as reply:
        return json.loads(reply.read())


async def wait_for_drain(settings: Settings, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            journal = (await asyncio.to_thread(health, settings))["journal"]
            if journal["depth"] == 0 and journal["in_memory"] == 0:
                return
        await asyncio.sleep(1)


async def check_rows(settings: Settings, phase: Phase) -> None:
    """Every real call's row, waiting (bounded) for late closes and recording checks."""
    pending = {t.call_uniqueid: t for t in phase.result.traces}
    problems: dict[str, str] = {}
    deadline = time.monotonic() + ROWS_SECONDS
    while pending and time.monotonic() < deadline:
        for uniqueid, trace in list(pending.items()):
            report = await asyncio.to_thread(call_report, settings, uniqueid)
            problem = row_problem(report, trace)
            if problem is None:
                del pending[uniqueid]
            else:
                problems[uniqueid] = problem
        if pending:
            await asyncio.sleep(2)
    for uniqueid in pending:
        entry = f"{uniqueid}: {problems[uniqueid]}"
        (phase.rows_missing if problems[uniqueid] == "missing" else phase.rows_wrong).append(entry)


@contextlib.contextmanager
def database_locked(settings: Settings, locked: bool) -> Iterator[None]:
    """Another writer holds SQLite's exclusive lock (tests/fault_support.py's outage)."""
    if not locked:
        yield
        return
    path = settings.database_url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        locker.execute("ROLLBACK")
        locker.close()


# ---- the run ----------------------------------------------------------------------------------


async def sample_peaks(pid: int, peaks: list[int]) -> None:
    """Most threads and open files Asterisk had, sampled each second."""
    while True:
        with contextlib.suppress(OSError):
            threads, files = threads_and_files(pid)
            peaks[0], peaks[1] = max(peaks[0], threads), max(peaks[1], files)
        await asyncio.sleep(1)


def flows(twin: Twin) -> tuple[Flow, Flow]:
    shift = twin.block_length - 1  # the twin's block is longer than the one AGI line
    twin_flow = Flow(
        "twin", TWIN_INBOUND, TWIN_CALL, twin.agi_priority, twin.ringing_priority + shift
    )
    real_inbound, real_call = "hotline12330-inbound", "hotline12330-call"
    real = Flow("real", real_inbound, real_call, twin.agi_priority, twin.ringing_priority)
    return twin_flow, real


async def run_phases(
    args, settings: Settings, twin: Twin, routes: list[Route], greeting: float, paths, serve
) -> tuple[Phase, Phase]:
    manager = await connect(settings, BENCH_AMI_USER, BENCH_AMI_SECRET)
    driver: LoadDriver | None = None
    try:
        call_limit = greeting + 2 * max(r.ring_timeout for r in routes) + args.talk + 60
        driver = LoadDriver(manager, talk_seconds=args.talk, call_limit=call_limit)
        await driver.start()
        twin_flow, real_flow = flows(twin)
        for flow in (twin_flow, real_flow):  # warm both paths up; not counted
            await driver.run(flow, routes[:1], 1, 1.0, 1)
        await wait_for_drain(settings, DRAIN_SECONDS)
        phases = []
        for flow in (twin_flow, real_flow):  # the twin first: the server is idle in it
            with database_locked(settings, args.lock_db and flow is real_flow):
                asterisk0, serve0 = cpu_seconds(asterisk_pid(paths)), cpu_seconds(serve.pid)
                peaks = [0, 0]
                sampler = asyncio.create_task(sample_peaks(asterisk_pid(paths), peaks))
                try:
                    result = await driver.run(
                        flow, routes, args.calls, args.rate, args.max_in_flight
                    )
                finally:
                    sampler.cancel()
                phase = Phase(result, greeting)
                phase.asterisk_threads, phase.asterisk_files = peaks
                phase.asterisk_cpu = cpu_seconds(asterisk_pid(paths)) - asterisk0
                phase.server_cpu = cpu_seconds(serve.pid) - serve0
            if flow is real_flow:
                await wait_for_drain(settings, DRAIN_SECONDS)
                await check_rows(settings, phase)
                phase.server_cpu_after = cpu_seconds(serve.pid) - serve0 - phase.server_cpu
            phases.append(phase)
        return phases[0], phases[1]
    finally:
        if driver is not None:
            await driver.hang_up_all()
        close(manager)


# ---- the report -------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def report(args, twin: Phase, real: Phase, refused: int, greeting: float, asterisk: int) -> None:
    rows = [
        ("completed calls", len(twin.result.completed), len(real.result.completed)),
        ("failed calls", len(twin.result.failed), len(real.result.failed)),
        ("most calls up at once", twin.result.peak_up, real.result.peak_up),
        ("most calls in flight", twin.result.peak_in_flight, real.result.peak_in_flight),
        ("calls sent late (in-flight bound)", twin.result.late_starts, real.result.late_starts),
        ("answer p50 (s)", _s(median(twin.answers())), _s(median(real.answers()))),
        ("answer p99 (s)", _s(percentile(twin.answers(), 99)), _s(percentile(real.answers(), 99))),
    ]
    for label, q in (("p50", 50), ("p99", 99)):
        rows.append(
            (
                f"route step beyond greeting {label} (ms)",
                _ms(percentile(twin.step_overheads(), q)),
                _ms(percentile(real.step_overheads(), q)),
            )
        )
    n = args.calls
    rows += [
        ("Asterisk threads (most)", twin.asterisk_threads, real.asterisk_threads),
        ("Asterisk open files (most)", twin.asterisk_files, real.asterisk_files),
        ("phase length (s)", f"{twin.result.seconds:.1f}", f"{real.result.seconds:.1f}"),
        ("Asterisk CPU (s)", f"{twin.asterisk_cpu:.2f}", f"{real.asterisk_cpu:.2f}"),
        (
            "Asterisk CPU per call (ms)",
            f"{twin.asterisk_cpu / n * 1000:.1f}",
            f"{real.asterisk_cpu / n * 1000:.1f}",
        ),
        ("server CPU during the calls (s)", f"{twin.server_cpu:.2f}", f"{real.server_cpu:.2f}"),
        ("server CPU after (drain, checks) (s)", "-", f"{real.server_cpu_after:.2f}"),
        (
            "server CPU per call (ms)",
            "-",
            f"{(real.server_cpu + real.server_cpu_after) / n * 1000:.1f}",
        ),
        ("AGI sessions refused (over agi_max_sessions)", "-", refused),
        ("call rows missing", "-", len(real.rows_missing)),
        ("call rows wrong", "-", len(real.rows_wrong)),
    ]
    print(
        f"calls: N={n} at R={args.rate:g}/s per flow, operators talk {args.talk:g} s, "
        f"greeting {greeting:.2f} s, {args.lines} lines per centre ({args.strategy}), "
        f"at most {args.max_in_flight} in flight, "
        f"Asterisk's open-file limit {open_files_limit(asterisk)}"
        + (", database LOCKED during the real flow" if args.lock_db else "")
        + (f", server at nice {args.server_nice}" if args.server_nice else "")
    )
    print(f"  {'':46} {'twin':>10} {'real':>10}")
    for label, a, b in rows:
        print(f"  {label:46} {a!s:>10} {b!s:>10}")
    for phase in (twin, real):
        for reason, count in phase.result.failure_reasons().most_common(5):
            print(f"  {phase.result.flow.name} failed x{count}: {reason}")
    for entry in (real.rows_missing + real.rows_wrong)[:10]:
        print(f"  row: {entry}")
    targets(twin, real)


def targets(twin: Phase, real: Phase) -> None:
    def verdict(ok: bool | None) -> str:
        return "n/a " if ok is None else ("PASS" if ok else "FAIL")

    t_step, r_step = percentile(twin.step_overheads(), 99), percentile(real.step_overheads(), 99)
    step_ok = None if t_step is None or r_step is None else r_step - t_step <= STEP_MARGIN
    t_p50, r_p50 = median(twin.answers()), median(real.answers())
    failures = len(real.result.failed)
    answer_ok = None
    if t_p50 is not None and r_p50 is not None:
        answer_ok = failures == 0 and r_p50 - t_p50 <= ANSWER_MARGIN
    limit_ok = None  # only meaningful when the twin itself took every call
    if not twin.result.failed and t_p50 is not None and r_p50 is not None:
        limit_ok = (
            failures == 0
            and real.result.peak_up >= 0.98 * twin.result.peak_up
            and abs(r_p50 - t_p50) <= LIMIT_RATIO * t_p50
        )
    rows_ok = not real.rows_missing and not real.rows_wrong
    diff = "-" if t_step is None or r_step is None else f"{(r_step - t_step) * 1000:+.0f} ms"
    answer_diff = "-" if t_p50 is None or r_p50 is None else f"{r_p50 - t_p50:+.2f} s"
    ratio = "-" if not t_p50 or r_p50 is None else f"{r_p50 / t_p50:.3f}x"
    print("targets (set at the sizes in brackets; this run's figures):")
    print(
        f"  {verdict(step_ok)} route step p99 within twin + 20 ms [N=300,R=10; N=200,R=40]: {diff}"
    )
    print(
        f"  {verdict(answer_ok)} zero failures, answer p50 within twin + 0.5 s "
        f"[N=200,R=80]: {failures} failed, {answer_diff}"
    )
    print(
        f"  {verdict(limit_ok)} at the limit: as many up at once as the twin with zero "
        f"failures, answer p50 within 10 % [long talk]: up {real.result.peak_up} vs "
        f"{twin.result.peak_up}, {ratio}"
    )
    print(f"  {verdict(rows_ok)} oracle: every real call has exactly one complete row")


# ---- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per flow (N)")
    parser.add_argument("--rate", type=float, default=10.0, help="calls a second per flow (R)")
    parser.add_argument("--talk", type=float, default=5.0, help="seconds operators talk")
    parser.add_argument("--max-in-flight", type=int, default=1000, help="bound on open calls")
    parser.add_argument("--lines", type=int, default=100, help="simulated lines per centre")
    parser.add_argument(
        "--strategy", default="rrmemory", choices=("rrmemory", "leastrecent", "fewestcalls")
    )
    parser.add_argument("--lock-db", action="store_true", help="lock SQLite during the run")
    parser.add_argument("--greeting", help="greeting text (default: the shipped one)")
    parser.add_argument(
        "--agi-max-sessions", type=int, help="the server's session cap (default: its setting)"
    )
    parser.add_argument("--server-log", type=Path, help="keep the server's log in this file")
    parser.add_argument(
        "--server-nice", type=int, default=0, help="run the server at this nice value (-20..19)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.calls <= 5000 or not 0 < args.rate <= 200 or not 0 <= args.talk <= 600:
        parser.error("--calls 1..5000, --rate 0..200, --talk 0..600")
    if not 1 <= args.lines <= 100 or args.max_in_flight < 1:
        parser.error("--lines 1..100 (allowed_line_count), --max-in-flight >= 1")
    return args


def stop_on_signal(signum: int, _frame: object) -> None:
    """SIGTERM/SIGHUP end the run like Ctrl-C: the stack is still given back."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on_signal)
    twin = make_twin((STATIC_CONF_DIR / "hotline12330-extensions.conf").read_text("utf-8"))
    with tempfile.TemporaryDirectory(prefix="hotline12330-bench-") as tmp:
        try:
            settings = bench_settings(
                Path(tmp),
                lines=args.lines,
                strategy=args.strategy,
                agi_max_sessions=args.agi_max_sessions,
            )
            greeting = make_prompts(settings, load_directory(settings).menus, args.greeting)
            config = load_config(settings)  # what check-config checks, prompts included
            routes = ring_routes(config, settings)
            upgrade(settings.database_url)
            log_path = Path(tmp) / "serve.log"
            with (
                asterisk_stack(settings, twin) as paths,
                serve_process(settings, log_path, args.server_nice) as serve,
            ):
                twin_phase, real_phase = asyncio.run(
                    run_phases(args, settings, twin, routes, greeting, paths, serve)
                )
                refused = log_path.read_text("utf-8", "replace").count("agi.refused")
                # Printed before the stack is taken down, so nothing measured is lost.
                report(args, twin_phase, real_phase, refused, greeting, asterisk_pid(paths))
                sys.stdout.flush()
                if args.server_log:
                    shutil.copyfile(log_path, args.server_log)
        except BenchError as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 2
    return 1 if real_phase.rows_missing or real_phase.rows_wrong else 0


if __name__ == "__main__":
    sys.exit(main())
