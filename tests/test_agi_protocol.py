"""The AGI wire format without a socket: reply lines, argument quoting, header blocks."""

from __future__ import annotations

import asyncio

import pytest

from agi import protocol
from agi.errors import AgiHangup, AgiProtocolError, AgiTimeout
from agi.protocol import format_command, parse_reply, quote
from agi.session import read_headers

# --- reply lines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "code", "result", "data", "endpos"),
    [
        ("200 result=1", 200, "1", None, None),
        ("200 result=1 (some value (nested))", 200, "1", "some value (nested)", None),
        ("200 result=0 endpos=1234", 200, "0", None, 1234),
        ("200 result=-1", 200, "-1", None, None),
        ("200 result= (timeout)", 200, "", "timeout", None),
        ("200 result=12 (timeout)", 200, "12", "timeout", None),
        ("200 result=49 endpos=8000", 200, "49", None, 8000),
        ("200 result=1 (timeout) endpos=16000", 200, "1", "timeout", 16000),
        ("200 result=1 (中文 值)", 200, "1", "中文 值", None),
        ("510 Invalid or unknown command", 510, "", "Invalid or unknown command", None),
        (
            "511 Command Not Permitted on a dead channel or intercept routine",
            511,
            "",
            "Command Not Permitted on a dead channel or intercept routine",
            None,
        ),
    ],
)
def test_parse_reply(line, code, result, data, endpos):
    reply = parse_reply(line)
    assert (reply.code, reply.result, reply.data, reply.endpos) == (code, result, data, endpos)
    assert reply.raw == line


@pytest.mark.parametrize(
    ("line", "value", "digit"),
    [
        ("200 result=0 endpos=100", 0, None),
        ("200 result=49 endpos=100", 49, "1"),
        ("200 result=35 endpos=100", 35, "#"),
        ("200 result=-1", -1, None),
        ("200 result=123# (timeout)", 0, None),  # GET DATA digits are not a number
    ],
)
def test_reply_value_and_digit(line, value, digit):
    reply = parse_reply(line)
    assert reply.value == value
    assert reply.digit == digit


@pytest.mark.parametrize(
    "line",
    ["", "HANGUP", "hello world", "20 result=1", "result=1", "OK 200", " 200 result=1"],
)
def test_parse_reply_rejects_garbage(line):
    with pytest.raises(AgiProtocolError):
        parse_reply(line)


# --- quoting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", '"plain"'),
        ("", '""'),
        (42, '"42"'),
        ('say "hi"', r'"say \"hi\""'),
        ("C:\\path\\", r'"C:\\path\\"'),
        ('\\"', r'"\\\""'),
        ("a\rb\nc\x00d", '"abcd"'),
        ('x"\nHANGUP', r'"x\"HANGUP"'),
        ("欢迎致电12330", '"欢迎致电12330"'),
        ("a" * 200, '"' + "a" * 200 + '"'),
        ("中" * 200, '"' + "中" * 200 + '"'),
    ],
)
def test_quote(value, expected):
    assert quote(value) == expected


@pytest.mark.parametrize(
    ("verb", "args", "expected"),
    [
        ("ANSWER", (), b"ANSWER\n"),
        ("STREAM FILE", ("hotline/greeting", ""), b'STREAM FILE "hotline/greeting" ""\n'),
        ("SET VARIABLE", ("X", 'a"b'), b'SET VARIABLE "X" "a\\"b"\n'),
        ("VERBOSE", ("evil\nHANGUP", 1), b'VERBOSE "evilHANGUP" "1"\n'),
        ("GET DATA", ("menu", 5000, 1), b'GET DATA "menu" "5000" "1"\n'),
        ("SET VARIABLE", ("N", "中文"), 'SET VARIABLE "N" "中文"\n'.encode()),
    ],
)
def test_format_command(verb, args, expected):
    line = format_command(verb, *args)
    assert line == expected
    assert line.count(b"\n") == 1


@pytest.mark.parametrize(
    "verb",
    [
        "stream file",
        "Stream File",
        "ANSWER\nHANGUP",
        "NOOP\n",
        "SET VARIABLE X 1",
        'EXEC "Dial"',
        "",
        "A",
        " ANSWER",
        "ANSWER ",
        "HANGUP;",
    ],
)
def test_format_command_rejects_bad_verbs(verb):
    with pytest.raises(ValueError):
        format_command(verb)


# --- header blocks --------------------------------------------------------------------


def _reader(data: bytes, *, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=protocol.MAX_LINE_BYTES)
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


NORMAL_HEADER = (
    b"agi_network: yes\n"
    b"agi_network_script: hotline\n"
    b"agi_request: agi://127.0.0.1:4573/hotline\n"
    b"agi_channel: PJSIP/trunk-00000001\n"
    b"agi_uniqueid: 1700000000.1\n"
    b"agi_callerid: 13800138000\n"
    b"agi_extension: 02112330\n"
    b"agi_arg_1: first\n"
    b"agi_arg_2:\n"
    b"\n"
)


async def test_read_headers_normal_block():
    reader = _reader(NORMAL_HEADER + b"200 result=1\n")
    env = await read_headers(reader, 1.0)
    assert env == {
        "agi_network": "yes",
        "agi_network_script": "hotline",
        "agi_request": "agi://127.0.0.1:4573/hotline",
        "agi_channel": "PJSIP/trunk-00000001",
        "agi_uniqueid": "1700000000.1",
        "agi_callerid": "13800138000",
        "agi_extension": "02112330",
        "agi_arg_1": "first",
        "agi_arg_2": "",
    }
    # The header stops at its blank line: what follows is left for the session.
    assert await reader.readline() == b"200 result=1\n"


async def test_read_headers_accepts_crlf():
    env = await read_headers(_reader(b"agi_channel: SIP/x\r\nagi_uniqueid: 1.2\r\n\r\n"), 1.0)
    assert env == {"agi_channel": "SIP/x", "agi_uniqueid": "1.2"}


@pytest.mark.parametrize(
    "data",
    [b"", b"agi_channel: SIP/x\n", b"agi_channel: SIP/x\nagi_uniq", b"agi_channel: SIP/x\n\r"],
)
async def test_read_headers_eof_mid_header_is_hangup(data):
    with pytest.raises(AgiHangup):
        await read_headers(_reader(data), 1.0)


async def test_read_headers_timeout():
    reader = _reader(b"agi_channel: SIP/x\n", eof=False)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(AgiTimeout):
        await read_headers(reader, 0.2)
    assert 0.15 <= loop.time() - started < 1.0


@pytest.mark.parametrize(
    "data",
    [
        # too many lines (each small)
        b"".join(b"agi_x%d: v\n" % i for i in range(protocol.MAX_HEADER_LINES + 5)) + b"\n",
        # too many bytes in total, each line under the line limit
        b"".join(b"agi_big%d: " % i + b"v" * 7000 + b"\n" for i in range(12)) + b"\n",
        # one line over the line limit, with and without its newline
        b"agi_x: " + b"v" * (protocol.MAX_LINE_BYTES + 10) + b"\n\n",
        b"agi_x: " + b"v" * 100_000,
        # not header lines at all
        b"hello\n\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"agi_x v\n\n",
        # a blank line first: an empty header
        b"\n",
    ],
    ids=[
        "lines",
        "bytes",
        "long-line",
        "long-line-no-newline",
        "hello",
        "http",
        "no-colon",
        "empty",
    ],
)
async def test_read_headers_rejects_non_agi(data):
    with pytest.raises(AgiProtocolError):
        await read_headers(_reader(data), 1.0)


async def test_read_headers_invalid_utf8_is_replaced():
    data = b"agi_callerid: \xff\xfe13800\n" + b"agi_calleridname: \xe4\xb8\xad\xe6\x96\x87\n\n"
    env = await read_headers(_reader(data), 1.0)
    assert env["agi_callerid"] == "\ufffd\ufffd13800"
    assert env["agi_calleridname"] == "中文"


async def test_read_headers_duplicate_key_keeps_first():
    data = b"agi_network_script: hotline\nagi_callerid: 1\nagi_network_script: admin\n\n"
    env = await read_headers(_reader(data), 1.0)
    assert env == {"agi_network_script": "hotline", "agi_callerid": "1"}
