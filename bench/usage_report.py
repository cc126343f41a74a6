"""Half-year usage report: counting in SQL (what the console and `report usage` do)
against loading the half-year's rows and counting in Python, side by side in one run.

Target: the SQL report is faster and its peak Python memory does not grow with the
number of calls. The Python count also serves as an oracle: the run fails if the two
disagree on any centre.

    .venv/bin/python bench/usage_report.py [--calls 50000] [--rounds 3] [--database-url URL]

The database must be empty (default: a new SQLite file in a temporary directory).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, true
from sqlalchemy.orm import Session, selectinload

from backoffice.usage_report import build_report
from config.loader import load_config
from config.settings import load_settings
from migrations import upgrade
from models.call_log import CallLogEntry, CallLogIpType
from models.calls import Call, CallOutcome
from models.db import make_engine, session_factory
from models.seed import seed_categories
from routing.half_year import HalfYear

PERIOD = HalfYear(2026, 1)
CN = dt.timezone(dt.timedelta(hours=8))
OUTCOMES = (
    [CallOutcome.ANSWERED] * 6
    + [CallOutcome.VOICEMAIL] * 2
    + [
        CallOutcome.ABANDONED_RINGING,
        CallOutcome.FAILED,
    ]
)


def fill(sessions, centre_ids: list[str], calls: int, seed: int = 12330) -> None:
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 1, tzinfo=CN)
    span = int((dt.datetime(2026, 7, 1, tzinfo=CN) - start).total_seconds())
    call_rows, entry_rows, ip_rows = [], [], []
    for number in range(1, calls + 1):
        at = start + dt.timedelta(seconds=rng.randrange(span))
        outcome = rng.choice(OUTCOMES)
        answered = outcome is CallOutcome.ANSWERED
        call_rows.append(
            dict(
                id=number, uniqueid=f"bench.{number}", linkedid=f"bench.{number}",
                started_at=at, dialled_number="12330", caller_number="13800138000",
                centre_id=rng.choice(centre_ids), is_open=rng.random() < 0.8, outcome=outcome,
                wait_seconds=rng.uniform(1, 20) if answered else None,
                talk_seconds=rng.uniform(30, 600) if answered else None,
                is_test=rng.random() < 0.01, is_undercover=rng.random() < 0.005,
                menu_digits="", created_at=at, updated_at=at,
            )
        )  # fmt: skip
        if answered and rng.random() < 0.9:
            entry_rows.append(
                dict(
                    id=number, call_id=number, summary="咨询专利侵权处理途径",
                    caller_role_code="right_holder", caller_entity_code="enterprise",
                    service_type_code=rng.choice(["consultation", "report", "complaint"]),
                    operator_name="op", filled_at=at, updated_at=at,
                )
            )  # fmt: skip
            ip_rows.append(dict(entry_id=number, ip_type_code=rng.choice(["patent", "trademark"])))
    with sessions.begin() as session:
        for model, rows in (
            (Call, call_rows),
            (CallLogEntry, entry_rows),
            (CallLogIpType, ip_rows),
        ):
            for chunk in range(0, len(rows), 5000):
                session.execute(insert(model), rows[chunk : chunk + 5000])


def in_sql(session: Session, centres) -> dict[str, tuple[int, int, int]]:
    report = build_report(session, PERIOD, centres, true())
    return {r.centre_id: (r.calls, r.answered, r.logs_complete) for r in report.centres if r.calls}


def in_python(session: Session, centres) -> dict[str, tuple[int, int, int]]:
    """The straightforward alternative: load the half-year's calls and logs, count here."""
    start, end = PERIOD.bounds()
    calls = session.scalars(
        select(Call).where(Call.started_at >= start, Call.started_at < end)
    ).all()
    entries = {
        e.call_id: e
        for e in session.scalars(
            select(CallLogEntry)
            .join(Call, Call.id == CallLogEntry.call_id)
            .where(Call.started_at >= start, Call.started_at < end)
            .options(selectinload(CallLogEntry.ip_types))
        )
    }
    counted: Counter[tuple[str, str]] = Counter()
    for call in calls:
        if call.is_test or call.is_undercover:
            continue
        counted[call.centre_id, "calls"] += 1
        counted[call.centre_id, "answered"] += call.outcome is CallOutcome.ANSWERED
        entry = entries.get(call.id)
        counted[call.centre_id, "complete"] += bool(
            call.outcome in (CallOutcome.ANSWERED, CallOutcome.VOICEMAIL)
            and entry is not None
            and entry.is_complete
        )
    ids = {centre for centre, _ in counted}
    return {c: (counted[c, "calls"], counted[c, "answered"], counted[c, "complete"]) for c in ids}


def measure(sessions, method, centres) -> tuple[float, int, dict]:
    with sessions() as session:
        tracemalloc.start()
        began = time.perf_counter()
        result = method(session, centres)
        seconds = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return seconds, peak, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="an empty database (default: new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = session_factory(engine)
        config = load_config(
            load_settings(None, {"HOTLINE12330_DATA_DIR": tmp}), check_prompts=False
        )
        with sessions.begin() as session:
            seed_categories(session, config.categories)
        centres = list(config.directory.centres)
        fill(sessions, [c.id for c in centres], args.calls)
        times: dict[str, list[float]] = {"sql": [], "python": []}
        peaks: dict[str, list[int]] = {"sql": [], "python": []}
        for _ in range(args.rounds):  # alternate, so machine noise hits both alike
            for name, method in (("sql", in_sql), ("python", in_python)):
                seconds, peak, result = measure(sessions, method, centres)
                times[name].append(seconds)
                peaks[name].append(peak)
                if name == "sql":
                    expected = result
                elif result != expected:
                    print(f"MISMATCH: sql {expected} python {result}", file=sys.stderr)
                    return 1
        engine.dispose()
    sql_t, py_t = statistics.median(times["sql"]), statistics.median(times["python"])
    sql_m, py_m = max(peaks["sql"]), max(peaks["python"])
    print(f"usage report over {args.calls} calls, {args.rounds} rounds (median time, peak memory)")
    print(f"  sql GROUP BY : {sql_t * 1000:8.1f} ms  {sql_m / 1024:10.0f} KiB")
    print(f"  python count : {py_t * 1000:8.1f} ms  {py_m / 1024:10.0f} KiB")
    print(f"  time ratio python/sql: {py_t / sql_t:.1f}x   memory ratio: {py_m / sql_m:.1f}x")
    print("  results agree on every centre")
    return 0


if __name__ == "__main__":
    sys.exit(main())
