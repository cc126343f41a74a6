"""The benchmarks still run, and their built-in oracle agrees (not timed: ratios are
read by people, on a quiet machine)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import unavailable

ROOT = Path(__file__).resolve().parent.parent


def test_usage_report_bench_runs_and_both_counts_agree():
    done = subprocess.run(
        [sys.executable, "bench/usage_report.py", "--calls", "300", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "results agree on every centre" in done.stdout
    assert "time ratio python/sql" in done.stdout and "memory ratio" in done.stdout


@pytest.mark.asterisk
def test_call_load_bench_runs_and_every_real_call_is_logged():
    """A few calls through the real flow and its twin on the dev stack; the bench's own
    oracle (one complete row per real call) must hold. Times are not checked."""
    if os.geteuid() != 0:
        unavailable("the call bench needs root for the Asterisk dev stack's chroot")
    sizes = ["--calls", "6", "--rate", "3", "--talk", "1", "--lines", "5"]
    done = subprocess.run(
        [sys.executable, "bench/calls.py", *sizes, "--greeting", "欢迎，通话录音"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "PASS oracle: every real call has exactly one complete row" in out, out
    table = {
        line[:48].strip(): line[48:].split()
        for line in out.splitlines()
        if line.startswith("  ") and len(line) > 48
    }
    assert table["completed calls"] == ["6", "6"], out
    assert table["failed calls"] == ["0", "0"], out
    assert table["call rows missing"] == ["-", "0"] and table["call rows wrong"] == ["-", "0"]
    for label in ("answer p50 (s)", "route step beyond greeting p99 (ms)", "Asterisk CPU (s)"):
        assert all(value != "-" for value in table[label]), out


def load_bench_module(name: str):
    """bench/ is scripts, not a package on the path (`pytest` alone does not add the
    repository root): load the file itself."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_call_bench_twin_is_the_shipped_flow_with_the_agi_replaced():
    call_stack = load_bench_module("call_stack")
    TWIN_BLOCK, make_twin = call_stack.TWIN_BLOCK, call_stack.make_twin

    shipped = (ROOT / "asterisk-conf/hotline12330-extensions.conf").read_text(encoding="utf-8")
    twin = make_twin(shipped)
    assert "AGI(" not in twin.conf  # neither the call AGI nor the hangup AGI
    assert "[hotline12330-call]" not in twin.conf and "[hotline12330-bench-twin]" in twin.conf
    # Every other step of the call context is there, in the same order.
    call = shipped.split("\n[hotline12330-call]\n")[1].split("\n[")[0]
    twin_call = twin.conf.split("\n[hotline12330-bench-twin]\n")[1].split("\n[")[0]
    kept = [line for line in call.splitlines() if line and "AGI(" not in line]
    block = {f" same => n,{app}" for app in TWIN_BLOCK}
    skipped = " same => n,NoOp(bench twin: no second server)"  # where AGI2 was
    assert [line for line in twin_call.splitlines() if line and line not in block | {skipped}] == [
        line.replace("=hotline12330-hangup,", "=hotline12330-bench-twin-hangup,") for line in kept
    ]
    # The route step starts where the AGI was.
    lines = [line.strip() for line in twin_call.splitlines()]
    priorities = [line for line in lines if line.startswith(("exten =>", "same => n"))]
    assert priorities[twin.agi_priority - 1] == f"same => n,{TWIN_BLOCK[0]}"
    assert twin.block_length == len(TWIN_BLOCK)
    # ... and ends where both flows start ringing, after the dialplan's greeting.
    ringing = twin.ringing_priority + twin.block_length - 1
    assert priorities[ringing - 1] == "same => n,Set(HOTLINE_OUTCOME=ringing)"
    assert "Playback(${HOTLINE_GREETING})" in priorities[ringing - 2]


def _trace(**kw):
    from types import SimpleNamespace

    base = {"started_at": 1.0, "answered_at": None, "outcome": "", "interface": ""}
    return SimpleNamespace(route=SimpleNamespace(centre="bj"), **{**base, **kw})


def _report(outcome: str | None, line: str | None = None) -> dict:
    if outcome is None:
        return {"call": None, "events": [], "recording": None}
    call = {"outcome": outcome, "answered_line": line, "centre_id": "bj", "source": "agi"}
    events = [{"step": "call_start"}, {"step": "hangup"}]
    return {"call": call, "events": events, "recording": {"status": "ok"}}


LINE = "Local/bj-op1@hotline12330-test-operators"
ANSWERED = {"answered_at": 2.0, "interface": LINE}
# (case, what Asterisk did, the row, the oracle's verdict: None = agrees)
ORACLE_TABLE = [
    (
        "answered, same line",
        _trace(**ANSWERED),
        _report("answered", LINE),
        None,
    ),
    (
        "answered, logged abandoned",
        _trace(**ANSWERED),
        _report("abandoned_ringing"),
        "outcome",
    ),
    (
        "answered, other line",
        _trace(**ANSWERED),
        _report("answered", "x"),
        "answered_line",
    ),
    ("gave up ringing", _trace(outcome="ringing"), _report("abandoned_ringing"), None),
    ("gave up ringing, logged failed", _trace(outcome="ringing"), _report("failed"), "outcome"),
    ("voicemail", _trace(outcome="voicemail"), _report("voicemail"), None),
    ("reached the dialplan, no row", _trace(outcome="ringing"), _report(None), "missing"),
    ("never reached the dialplan, no row", _trace(started_at=None), _report(None), None),
]


@pytest.mark.parametrize(
    ("trace", "report", "verdict"), [r[1:] for r in ORACLE_TABLE], ids=[r[0] for r in ORACLE_TABLE]
)
def test_call_bench_oracle_judges_rows_by_what_asterisk_did(trace, report, verdict):
    problem = load_bench_module("calls").row_problem(report, trace)
    assert (problem is None) if verdict is None else (verdict in (problem or "")), problem
