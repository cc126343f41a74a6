"""Reading Asterisk's CDR for reconcile, and finding a call's voicemail in the spool."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from agi.reconcile import COLUMNS, read_cdr_calls
from cli.main import main


def cdr_row(uniqueid: str, start: str, userfield: str, **fields: str) -> list[str]:
    values = {name: "" for name in COLUMNS}
    values.update(
        accountcode="bj",
        src="13800138000",
        dst="01012330",
        channel=f"Local/01012330@hotline12330-inbound-{uniqueid};2",
        start=start,
        end=start,
        uniqueid=uniqueid,
        userfield=userfield,
        linkedid=uniqueid,
    )
    values.update(fields)
    return [values[name] for name in COLUMNS]


def write_cdr(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)
    return path


CDR_TABLE = [
    # (uniqueid, start (UTC), userfield, kept?)
    ("1.1", "2026-11-20 02:00:00", "fallback|2026/11/20/1.1.wav|", True),
    ("1.2", "2026-11-25 02:00:00", "answered|2026/11/25/1.2.wav|1", True),
    ("1.5", "2026-11-25 02:00:00", "voicemail|2026/11/25/1.5.wav", True),  # before the flag
    ("1.3", "2026-11-25 03:00:00", "", False),  # not one of ours: no outcome|path
    ("1.4", "not a time", "voicemail|x.wav", False),
    ("", "2026-11-25 03:00:00", "voicemail|x.wav", False),
]


def test_read_cdr_keeps_our_calls_only(tmp_path):
    rows = [cdr_row(u, start, field) for u, start, field, _ in CDR_TABLE]
    rows.append(["too", "short"])
    calls = read_cdr_calls(write_cdr(tmp_path / "Master.csv", rows))
    assert [c.uniqueid for c in calls] == [u for u, _, _, kept in CDR_TABLE if kept]
    first = calls[0]
    assert first.step == "fallback" and first.recording_relpath == "2026/11/20/1.1.wav"
    assert first.start == dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC)
    assert first.centre == "bj" and first.dialled == "01012330"
    assert [c.is_test for c in calls] == [False, True, False]
    assert calls[1].recording_relpath == "2026/11/25/1.2.wav"


def test_read_cdr_since_skips_older_calls(tmp_path):
    rows = [cdr_row(u, start, field) for u, start, field, _ in CDR_TABLE]
    path = write_cdr(tmp_path / "Master.csv", rows)
    since = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    assert [c.uniqueid for c in read_cdr_calls(path, since)] == ["1.2", "1.5"]


def test_read_cdr_sanitises_hostile_fields(tmp_path):
    row = cdr_row("2.1", "2026-11-25 02:00:00", "voicemail|a.wav", src="\"1380'; --", dst="x;1")
    (call,) = read_cdr_calls(write_cdr(tmp_path / "Master.csv", [row]))
    assert call.caller == "1380" and call.dialled == "12330"


def test_missing_cdr_file_is_no_calls(tmp_path):
    assert read_cdr_calls(tmp_path / "absent.csv") == []


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "2026/11/01"])
def test_reconcile_command_refuses_a_bad_since(since, capsys):
    assert main(["reconcile", "--since", since]) == 2
    assert "--since" in capsys.readouterr().err
