"""The benchmarks still run, and their built-in oracle agrees (not timed: ratios are
read by people, on a quiet machine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
