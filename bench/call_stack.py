"""The load bench's stack: Asterisk 22 dev stack with enough simulated operators, the
pure-dialplan twin of the call flow, and `serve` as a process of its own.

Everything lives in a temporary directory (database, journal, recordings, prompts,
centres file); the chroot's config and CDR are given back as they were afterwards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import tomli_w

from agi.flow.prompts import PromptLengths, PromptPaths, wav_seconds
from config.asterisk_gen import generate, options_from_settings
from config.loader import LoadedConfig, load_config
from config.settings import Settings, load_settings
from devstack import asterisk as stack_mod
from devstack.mounts import MountError, unmount
from recordings.prompt_texts import load_prompt_texts
from recordings.prompts import generate_default_prompts
from routing import Action, decide

ROOT = Path(__file__).resolve().parent.parent
TEST_AT = "2026-11-25T10:00"  # a Wednesday, 10:00: every centre is open
TWIN_FILE = "hotline12330-bench-twin.conf"
# The bench's own AMI user (the dev manager.conf tryincludes it): the caller's rights,
# and static event filters so Asterisk sends only the events the bench times calls by.
# (The Filter action would need the `system` class, which no generated user has.)
BENCH_MANAGER_FILE = "hotline12330-bench-manager.conf"
BENCH_AMI_USER = "hotline12330-bench"
BENCH_AMI_SECRET = "hotline12330-dev-bench"
# Only these events reach the bench: POSIX regular expressions over the whole event
# ("." crosses lines; [[:space:]] ends a value, as "\r" means "r" to regcomp).
EVENT_FILTERS = (
    r"^Event: Newexten[[:space:]].*Context: hotline12330-(call|bench-twin)[[:space:]]",
    r"^Event: AgentConnect[[:space:]]",
    r"^Event: VarSet[[:space:]].*Variable: HOTLINE_OUTCOME[[:space:]]",
    r"^Event: Hangup[[:space:]].*Channel: Local/[^@]*@hotline12330-(bench-twin-)?inbound-",
    r"^Event: OriginateResponse[[:space:]]",
)

TWIN_INBOUND = "hotline12330-bench-twin-inbound"
TWIN_CALL = "hotline12330-bench-twin"
TWIN_HANGUP = "hotline12330-bench-twin-hangup"
BENCH_TRUNK = "trunk-bench"
MAX_LINES = 100  # what allowed_line_count accepts
# The call AGI's work in plain dialplan: reading its arguments, setting the route (values
# the bench passes in as BENCH_*; the AGI does it in one EXEC MSet) and the AGISTATUS the
# AGI application sets. Both flows then play the greeting at the dialplan's ring label.
TWIN_BLOCK = (
    "Set(BENCH_LINKEDID=${CHANNEL(linkedid)})",
    "Set(BENCH_TEST_CALL=${HOTLINE_TEST_CALL})",
    "Set(BENCH_TEST_AT=${HOTLINE_TEST_AT})",
    "Set(HOTLINE_CENTRE=${BENCH_CENTRE})",
    "Set(HOTLINE_QUEUE=${BENCH_QUEUE})",
    "Set(HOTLINE_RING_TIMEOUT=${BENCH_RING_TIMEOUT})",
    "Set(HOTLINE_MAILBOX=${BENCH_MAILBOX})",
    "Set(HOTLINE_VM_PROMPT=${BENCH_VM_PROMPT})",
    "Set(HOTLINE_GREETING=${BENCH_GREETING})",
    "Set(HOTLINE_ROUTE_ACTION=ring)",
    "Set(AGISTATUS=SUCCESS)",  # what the AGI application leaves behind
)


class BenchError(RuntimeError):
    """The bench could not set up its stack."""


# ---- the twin -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Twin:
    conf: str  # the dialplan file
    agi_priority: int  # priority of the call AGI in [hotline12330-call] (and the twin block)
    block_length: int  # priorities the twin's block takes where the AGI took 1
    ringing_priority: int  # priority of Set(HOTLINE_OUTCOME=ringing) in [hotline12330-call]


def _context(text: str, name: str) -> str:
    match = re.search(rf"^\[{re.escape(name)}\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if match is None:
        raise BenchError(f"context [{name}] not found in the dialplan")
    return match.group(0)


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise BenchError(f"expected {old!r} once in the dialplan, found {text.count(old)}")
    return text.replace(old, new)


def _priority_of(context: str, marker: str) -> int:
    priority = 0
    for line in context.splitlines():
        stripped = line.strip()
        if stripped.startswith("exten =>"):
            priority = 1
        elif stripped.startswith("same => n"):
            priority += 1
        else:
            continue
        if marker in stripped:
            return priority
    raise BenchError(f"{marker!r} not found")


def make_twin(extensions_text: str) -> Twin:
    """The production flow with the call AGI replaced by TWIN_BLOCK and no hangup AGI.

    Derived from the shipped dialplan each run, so the twin cannot drift from it.
    """
    inbound = _context(extensions_text, "hotline12330-inbound")
    call = _context(extensions_text, "hotline12330-call")
    hangup = _context(extensions_text, "hotline12330-hangup")
    agi_call = "same => n,AGI(${HOTLINE12330_AGI}/call,"
    agi_priority = _priority_of(call, agi_call)
    ringing_priority = _priority_of(call, "Set(HOTLINE_OUTCOME=ringing)")

    inbound = inbound.replace("[hotline12330-inbound]", f"[{TWIN_INBOUND}]")
    inbound = inbound.replace("Goto(hotline12330-call,", f"Goto({TWIN_CALL},")
    call = call.replace("[hotline12330-call]", f"[{TWIN_CALL}]")
    call = _replace_once(call, "=hotline12330-hangup,s,1)", f"={TWIN_HANGUP},s,1)")
    agi_line = next(line for line in call.splitlines() if agi_call in line)
    block = "\n".join(f" same => n,{app}" for app in TWIN_BLOCK)
    call = _replace_once(call, agi_line, block)
    hangup = hangup.replace("[hotline12330-hangup]", f"[{TWIN_HANGUP}]")
    # No hangup AGI, and a CDR userfield reconcile does not take for a 12330 call.
    for hangup_agi in [line for line in hangup.splitlines() if "AGI(" in line]:
        hangup = _replace_once(hangup, hangup_agi, " same => n,NoOp(bench twin: no hangup AGI)")
    # The second server is tried only after a failed first AGI, which the twin has not.
    for second in [line for line in call.splitlines() if "AGI(${HOTLINE12330_AGI2}" in line]:
        call = _replace_once(call, second, " same => n,NoOp(bench twin: no second server)")
    userfield = next(line for line in hangup.splitlines() if "CDR(userfield)" in line)
    hangup = _replace_once(hangup, userfield, " same => n,Set(CDR(userfield)=bench-twin)")
    header = (
        "; hotline12330-bench-twin.conf -- DEV STACK ONLY, written by bench/calls.py from\n"
        "; hotline12330-extensions.conf: the same flow with the call AGI replaced by plain\n"
        "; Set() of the route, and no hangup AGI.\n\n"
    )
    conf = header + "\n".join(part.rstrip() + "\n" for part in (inbound, call, hangup))
    return Twin(conf, agi_priority, len(TWIN_BLOCK), ringing_priority)


# ---- settings, centres, prompts ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_centres(source: Path, target: Path, lines: int, strategy: str) -> Path:
    """The sample centres with `lines` simulated landlines each (allowed_line_count says
    so) and a strategy that rings one free line per caller, not all of them."""
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    data.setdefault("defaults", {})["ring_strategy"] = strategy
    for index, centre in enumerate(data.get("centre", []), start=1):
        centre["lines"] = [f"landline:8{index:02d}{n:03d}@{BENCH_TRUNK}" for n in range(lines)]
        centre["allowed_line_count"] = lines
        centre["ring_strategy"] = strategy
    target.write_text(tomli_w.dumps(data), encoding="utf-8")
    return target


def bench_settings(
    tmp: Path, *, lines: int, strategy: str, agi_max_sessions: int | None
) -> Settings:
    base = load_settings(path=None, environ={})
    empty_cdr = tmp / "cdr-none.csv"  # serve's start-up reconcile has nothing to rebuild
    empty_cdr.touch()
    return dataclasses.replace(
        base,
        centres_file=bench_centres(base.centres_file, tmp / "centres.toml", lines, strategy),
        asterisk_root=load_settings().asterisk_root,
        data_dir=tmp,
        database_url=f"sqlite:///{tmp / 'hotline12330.sqlite3'}",
        recordings_root=tmp / "recordings",
        prompts_dir=tmp / "prompts",
        cdr_csv=empty_cdr,
        agi_port=free_port(),
        health_port=free_port(),
        agi_max_sessions=agi_max_sessions or base.agi_max_sessions,
    )


def make_prompts(settings: Settings, menus, greeting_text: str | None) -> float:
    """Generate the prompts (the shipped texts, or another greeting); the greeting's length."""
    texts = load_prompt_texts()
    if greeting_text:
        texts = dataclasses.replace(texts, texts={**texts.texts, "greeting": greeting_text})
    generate_default_prompts(settings.prompts_dir, menus, overwrite=True, texts=texts)
    length = wav_seconds(settings.prompts_dir / "greeting.wav")
    if not length:
        raise BenchError("the greeting prompt has no readable length")
    return length


@dataclass(frozen=True)
class Route:
    """One dialled number the bench calls and where the real flow sends it."""

    dialled: str
    centre: str
    ring_timeout: int
    twin_variables: dict[str, str]  # BENCH_* for the twin's Set() block


def ring_routes(config: LoadedConfig, settings: Settings) -> list[Route]:
    """Every area code that reaches one centre without a menu and rings it at TEST_AT,
    decided by the real router."""
    at = dt.datetime.fromisoformat(TEST_AT).replace(tzinfo=ZoneInfo(settings.timezone))
    prompts = PromptPaths(settings.prompts_dir, PromptLengths())
    routes: list[Route] = []
    seen: set[str] = set()
    for centre in config.directory.centres:
        for area in centre.area_codes:
            dialled = f"{area}12330"
            decision = decide(config.directory, config.calendar, dialled, None, at)
            if decision.action is not Action.GREET_AND_RING or decision.centre_id != centre.id:
                continue
            if centre.id in seen:
                continue
            seen.add(centre.id)
            routes.append(
                Route(
                    dialled,
                    centre.id,
                    centre.ring_timeout,
                    {
                        "BENCH_CENTRE": centre.id,
                        "BENCH_QUEUE": centre.queue_name,
                        "BENCH_RING_TIMEOUT": str(centre.ring_timeout),
                        "BENCH_MAILBOX": centre.mailbox,
                        "BENCH_VM_PROMPT": prompts.voicemail(centre),
                        "BENCH_GREETING": prompts.greeting(centre),
                    },
                )
            )
    if not routes:
        raise BenchError("no area code rings a centre at the bench's test instant")
    return routes


# ---- the stack ------------------------------------------------------------------------------


def _cdr_length(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def bench_manager_conf() -> str:
    lines = [
        "; hotline12330-bench-manager.conf -- DEV STACK ONLY, written by bench/calls.py\n",
        f"[{BENCH_AMI_USER}]\n",
        f"secret = {BENCH_AMI_SECRET}\n",
        "deny = 0.0.0.0/0.0.0.0\n",
        "permit = 127.0.0.1/255.255.255.255\n",
        "read = call,dialplan,agent\n",
        "write = originate,call\n",
        "writetimeout = 5000\n",
    ]
    lines += [f"eventfilter = {expression}\n" for expression in EVENT_FILTERS]
    return "".join(lines)


@contextlib.contextmanager
def asterisk_stack(settings: Settings, twin: Twin) -> Iterator[stack_mod.StackPaths]:
    """The dev stack with the bench's queues and the twin; afterwards the chroot's config
    is given back (or the stack stopped, if it was not running) and the bench's CDR lines
    cut off, so the dev stack's own service never reconciles them."""
    if os.geteuid() != 0:
        raise BenchError("the Asterisk dev stack needs root (chroot and mount)")
    paths = stack_mod.paths_for(settings)
    was_running = stack_mod.running_pid(paths) is not None and stack_mod.responds(paths)
    before = {
        p.name: p.read_text(encoding="utf-8")
        for p in (paths.etc.glob("hotline12330-*.conf") if was_running else [])
    }
    cdr_length = _cdr_length(paths.cdr_csv)
    options = options_from_settings(settings, dev_operators=True)
    files = {
        **generate(load_config(settings).directory, options),
        TWIN_FILE: twin.conf,
        BENCH_MANAGER_FILE: bench_manager_conf(),
    }
    try:
        stack_mod.up(settings, files, log=lambda _line: None)
        yield paths
    finally:
        for name in (TWIN_FILE, BENCH_MANAGER_FILE):
            (paths.etc / name).unlink(missing_ok=True)
        if _cdr_length(paths.cdr_csv) > cdr_length:
            with paths.cdr_csv.open("r+b") as cdr:
                cdr.truncate(cdr_length)
        if was_running:
            for name, text in before.items():
                (paths.etc / name).write_text(text, encoding="utf-8")
            stack_mod.cli(paths, "core reload")
            for directory in (settings.recordings_root, settings.prompts_dir):
                try:
                    unmount(paths.inside(directory))
                except MountError as exc:  # still busy: say so, give back the rest
                    print(f"bench: {exc}", file=sys.stderr)
        else:
            stack_mod.down(settings, log=lambda _line: None)


def asterisk_pid(paths: stack_mod.StackPaths) -> int:
    pid = stack_mod.running_pid(paths)
    if pid is None:
        raise BenchError("Asterisk is not running")
    return pid


@contextlib.contextmanager
def serve_process(settings: Settings, log_path: Path, nice: int = 0) -> Iterator[subprocess.Popen]:
    """`hotline12330 serve --allow-test-clock` on the bench's settings, as its own process
    (so its CPU is its own), at scheduling priority `nice`; stopped with SIGTERM after."""
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
        "HOTLINE12330_AGI_MAX_SESSIONS": str(settings.agi_max_sessions),
    }
    env.pop("HOTLINE12330_CONFIG", None)
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--allow-test-clock"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            preexec_fn=(lambda: os.nice(nice)) if nice else None,  # every thread inherits it
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise BenchError(f"serve exited with {process.returncode}; see {log_path}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", settings.agi_port), timeout=1),
            ):
                break
            if time.monotonic() > deadline:
                raise BenchError(f"serve did not listen within 30 s; see {log_path}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads_and_files(pid: int) -> tuple[int, int]:
    """A process's threads and open file descriptors now."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    threads = int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
    return threads, len(os.listdir(f"/proc/{pid}/fd"))


def open_files_limit(pid: int) -> str:
    """The soft limit on open files the process runs with (from /proc/<pid>/limits)."""
    for line in Path(f"/proc/{pid}/limits").read_text(encoding="ascii").splitlines():
        if line.startswith("Max open files"):
            return line.split()[3]
    return "?"
