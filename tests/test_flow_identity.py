"""Caller-influenced values from the AGI environment, table by table."""

from __future__ import annotations

import datetime as dt

import pytest

from agi.flow.identity import CALLER_MAX_LEN, parse_test_instant, safe_digits, sanitize_caller


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+8613800138000", "+8613800138000"),
        ('"Zhang San" <13800138000>', "13800138000"),
        ("unknown", ""),
        ("", ""),
        (None, ""),
        ("138\r\nagi_network_script: evil\n00", "13800"),
        ("1380'; DROP TABLE calls;--", "1380"),
        ("\ufffd\ufffd139\ufffd001", "139001"),  # invalid UTF-8, decoded with errors=replace
        ("9" * 200, "9" * CALLER_MAX_LEN),
        ("*#06#", "*#06#"),
    ],
)
def test_sanitize_caller(raw, expected):
    assert sanitize_caller(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("02112330", "02112330"),
        (" 021 ", "021"),
        ("+862112330", "+862112330"),
        ("021\n12330", ""),
        ("021;12330", ""),
        ("0" * 25, ""),
        ("", ""),
        (None, ""),
    ],
)
def test_safe_digits(raw, expected):
    assert safe_digits(raw) == expected


CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-25T10:00", dt.datetime(2026, 11, 25, 10, tzinfo=CHINA)),
        ("2026-11-25T02:00+00:00", dt.datetime(2026, 11, 25, 10, tzinfo=CHINA)),
        ("tomorrow", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_test_instant(raw, expected):
    assert parse_test_instant(raw) == expected
