"""Finding a call's voicemail in Asterisk's spool, and claiming it once.

The envelopes are pasted from the dev stack's spool (Asterisk 22, app_voicemail), left
by a call whose uniqueid carries a systemname prefix (asterisk.conf systemname = pbx1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from journal_support import journalled
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from agi.flow.archive import collect_voicemail
from config.settings import load_settings
from models import repository as repo
from models.voicemail import Voicemail
from recordings.spool import SpoolMessage, message_for_call, parse_envelope, valid_mailbox

REAL_ENVELOPE = """\
;
; Message Information file
;
[message]
origmailbox=bj
context=hotline12330-call
exten=01012330
rdnis=unknown
priority=31
callerchan=Local/01012330@hotline12330-inbound-00000006;2
callerid="13800138000" <13800138000>
origdate=Thu Dec  3 08:05:50 AM UTC 2026
origtime=1796285150
category=pbx1-1796285148.381835098
msg_id=1796285150-00000000
flag=
duration=8
"""
REAL_UNIQUEID = "pbx1-1796285148.381835098"
REAL_CHANNEL = "Local/01012330@hotline12330-inbound-00000006;2"
REAL_ORIGTIME = 1796285150


def envelope_of(uniqueid: str, channel: str, origtime: int, msg_id: str) -> str:
    """The real envelope as another call would have left it."""
    return (
        REAL_ENVELOPE.replace(f"category={REAL_UNIQUEID}", f"category={uniqueid}")
        .replace(REAL_CHANNEL, channel)
        .replace(f"origtime={REAL_ORIGTIME}", f"origtime={origtime}")
        .replace("msg_id=1796285150-00000000", f"msg_id={msg_id}")
    )


def test_the_real_envelope_names_its_call_and_message():
    message = parse_envelope("msg0000", REAL_ENVELOPE)
    assert message == SpoolMessage(
        name="msg0000",
        category=REAL_UNIQUEID,
        callerchan=REAL_CHANNEL,
        origtime=REAL_ORIGTIME,
        msg_id="1796285150-00000000",
    )


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ("category=", "category", ""),  # an envelope from before VM_CATEGORY was set
        ("msg_id=../../etc", "msg_id", None),
        ("msg_id=", "msg_id", None),
        ("origtime=soon", "origtime", None),
        ("origtime=-5", "origtime", None),
    ],
)
def test_envelope_fields_that_are_missing_or_malformed(line, field, expected):
    key = line.partition("=")[0]
    text = "\n".join(
        line if existing.startswith(f"{key}=") else existing
        for existing in REAL_ENVELOPE.splitlines()
    )
    assert getattr(parse_envelope("msg0001", text), field) == expected


def msg(name: str, category: str, channel: str, origtime: int | None) -> SpoolMessage:
    return SpoolMessage(name, category, channel, origtime, f"{origtime}-{name[-4:]}")


CHAN = "Local/01012330@hotline12330-inbound-00000006;2"
OTHER = "Local/01012330@hotline12330-inbound-00000007;2"
T = 1_796_285_150
CALL = (T - 20, T + 15)  # the call's start and end, from the CDR (reconcile)
HANGUP = None  # the hangup step does not know when the call started

# (case, spool messages, uniqueid, channel, call window, expected message, matched by)
MATCH_TABLE = [
    (
        "by category",
        [msg("msg0000", "pbx1-1.1", CHAN, T)],
        "pbx1-1.1",
        CHAN,
        HANGUP,
        "msg0000",
        "category",
    ),
    (
        "same channel name twice: the category decides",
        [msg("msg0000", "pbx1-1.1", CHAN, T), msg("msg0001", "pbx1-2.1", CHAN, T + 5)],
        "pbx1-2.1",
        CHAN,
        CALL,
        "msg0001",
        "category",
    ),
    (
        "same channel, other call's category: never ours",
        [msg("msg0000", "pbx1-2.1", CHAN, T)],
        "pbx1-1.1",
        CHAN,
        CALL,
        None,
        "",
    ),
    (
        "category wins over a category-less message of the channel",
        [msg("msg0000", "", CHAN, T - 10), msg("msg0001", "1.1", OTHER, T)],
        "1.1",
        CHAN,
        CALL,
        "msg0001",
        "category",
    ),
    (
        "old spool: channel inside the call",
        [msg("msg0000", "", CHAN, T)],
        "1.1",
        CHAN,
        CALL,
        "msg0000",
        "channel",
    ),
    (
        "old spool: 1 s clock slack",
        [msg("msg0000", "", CHAN, T + 16)],
        "1.1",
        CHAN,
        CALL,
        "msg0000",
        "channel",
    ),
    # A call that left no message (hung up before the beep) must not take an old one.
    (
        "old spool: hangup step, no window, no guess",
        [msg("msg0000", "", CHAN, T)],
        "1.1",
        CHAN,
        HANGUP,
        None,
        "",
    ),
    ("old spool: other channel", [msg("msg0000", "", OTHER, T)], "1.1", CHAN, CALL, None, ""),
    (
        "old spool: same channel name minutes earlier, before a restart",
        [msg("msg0000", "", CHAN, T - 300)],
        "1.1",
        CHAN,
        CALL,
        None,
        "",
    ),
    (
        "old spool: after the call ended",
        [msg("msg0000", "", CHAN, T + 17)],
        "1.1",
        CHAN,
        CALL,
        None,
        "",
    ),
    (
        "old spool: two candidates are ambiguous",
        [msg("msg0000", "", CHAN, T - 5), msg("msg0001", "", CHAN, T)],
        "1.1",
        CHAN,
        CALL,
        None,
        "ambiguous",
    ),
    ("old spool: no origtime", [msg("msg0000", "", CHAN, None)], "1.1", CHAN, CALL, None, ""),
    ("no channel known", [msg("msg0000", "", "", T)], "1.1", "", CALL, None, ""),
    ("empty inbox", [], "1.1", CHAN, CALL, None, ""),
]


@pytest.mark.parametrize(
    ("messages", "uniqueid", "channel", "window", "expected", "by"),
    [row[1:] for row in MATCH_TABLE],
    ids=[row[0] for row in MATCH_TABLE],
)
def test_message_for_call(messages, uniqueid, channel, window, expected, by):
    match = message_for_call(messages, uniqueid=uniqueid, channel=channel, call_window=window)
    assert (match.message.name if match.message else None, match.by) == (expected, by)


KNOWN = {"bj", "sh", "national"}


@pytest.mark.parametrize(
    ("mailbox", "safe"),
    [
        ("bj", True),
        ("national", True),
        ("gz", True),  # a safe name, but no centre's mailbox
        ("", False),
        ("../bj", False),
        ("bj/../sh", False),
        ("/etc", False),
        ("b j", False),
        ("bj\x00", False),
        ("..", False),
    ],
)
def test_only_configured_mailboxes_are_looked_up(mailbox, safe):
    assert valid_mailbox(mailbox, KNOWN) is (mailbox in KNOWN)
    # Even a configured name must be one safe directory name.
    assert valid_mailbox(mailbox, KNOWN | {mailbox}) is safe


# ---- with the call log: each message indexed once, to its own call ---------------


@pytest.fixture
async def log(tmp_path, sessions):
    settings = dataclasses.replace(
        load_settings(path=None, environ={}),
        recordings_root=tmp_path / "recordings",
        voicemail_spool=tmp_path / "spool",
    )
    async with journalled(settings, sessions, tmp_path) as log:
        yield log


def leave(log, mailbox: str, name: str, text: str, sound: bytes) -> None:
    inbox = log.services.settings.voicemail_spool / "hotline12330" / mailbox / "INBOX"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / f"{name}.txt").write_text(text, encoding="utf-8")
    (inbox / f"{name}.wav").write_bytes(sound)


START = dt.datetime.fromtimestamp(REAL_ORIGTIME - 10, dt.UTC)
REAL_MSG_ID = "1796285150-00000000"  # REAL_ENVELOPE's msg_id


async def collect(log, recorder, channel, mailbox="bj", *, window=False):
    await collect_voicemail(
        log.services,
        recorder,
        channel,
        mailbox,
        START,
        wait_seconds=0,
        call_window=(START, START + dt.timedelta(seconds=30)) if window else None,
    )
    await log.settle()


def voicemails(sessions) -> list[tuple[int, str, str | None]]:
    with sessions() as session:
        rows = session.execute(
            select(Voicemail.call_id, Voicemail.file, Voicemail.spool_msg_id).order_by(
                Voicemail.call_id
            )
        )
        return [tuple(row) for row in rows]


async def test_two_calls_with_one_channel_name_each_get_their_own_message(log, sessions):
    second = "pbx1-1796285160.381835111"
    leave(log, "bj", "msg0000", REAL_ENVELOPE, b"first")
    leave(
        log,
        "bj",
        "msg0001",
        envelope_of(second, REAL_CHANNEL, REAL_ORIGTIME + 20, "1796285170-00000001"),
        b"second",
    )
    first = await log.new_call(REAL_UNIQUEID, START)
    other = await log.new_call(second, START)
    # Both calls ran on the same channel name; each looks twice (hangup, then reconcile).
    for _ in range(2):
        await collect(log, other, REAL_CHANNEL)
        await collect(log, first, REAL_CHANNEL)
    rows = voicemails(sessions)
    assert rows == [
        (log.call_id(REAL_UNIQUEID), f"voicemail/2026/12/03/{REAL_UNIQUEID}.wav", REAL_MSG_ID),
        (log.call_id(second), f"voicemail/2026/12/03/{second}.wav", "1796285170-00000001"),
    ]  # fmt: skip
    root = log.services.settings.recordings_root
    assert (root / rows[0][1]).read_bytes() == b"first"
    assert (root / rows[1][1]).read_bytes() == b"second"


async def test_an_old_spool_message_is_claimed_by_one_call_only(log, sessions):
    """An envelope without a category, two calls on its channel name: only reconcile
    (which knows the call's start and end) matches by channel, and the first call to
    look takes it; the other gets no row (its own copy, under its own name, is kept)."""
    old = REAL_ENVELOPE.replace(f"category={REAL_UNIQUEID}", "category=")
    leave(log, "bj", "msg0000", old, b"old")
    first = await log.new_call("1796285148.1", START)
    second = await log.new_call("1796285149.2", START)
    await collect(log, first, REAL_CHANNEL)  # hangup: no window
    assert voicemails(sessions) == []
    await collect(log, first, REAL_CHANNEL, window=True)  # reconcile
    await collect(log, second, REAL_CHANNEL, window=True)
    assert voicemails(sessions) == [
        (log.call_id("1796285148.1"), "voicemail/2026/12/03/1796285148.1.wav", REAL_MSG_ID)
    ]  # fmt: skip


@pytest.mark.parametrize("mailbox", ["gz", "../bj", "bj/../bj"])
async def test_an_unknown_mailbox_is_not_looked_up(log, sessions, mailbox, capsys):
    leave(log, "bj", "msg0000", REAL_ENVELOPE, b"first")
    (log.services.settings.voicemail_spool / "hotline12330" / "gz").symlink_to("bj")
    recorder = await log.new_call(REAL_UNIQUEID, START)
    await collect(log, recorder, REAL_CHANNEL, mailbox=mailbox)
    assert voicemails(sessions) == []
    assert "archive.unknown_mailbox" in capsys.readouterr().out


async def test_the_database_refuses_a_second_claim(log, sessions):
    first, second, third = [await log.new_call(f"1.{n}", START) for n in (1, 2, 3)]
    claim = {"mailbox": "bj", "duration_seconds": 1.0, "spool_msg_id": "1796285150-00000000"}
    first.voicemail(file="voicemail/a.wav", **claim)
    second.voicemail(file="voicemail/b.wav", **claim)  # the same spool message
    second.voicemail(mailbox="sh", file="voicemail/a.wav", duration_seconds=1.0, spool_msg_id=None)
    await log.settle()
    assert [file for _, file, _ in voicemails(sessions)] == ["voicemail/a.wav"]
    # The constraints themselves, as a racing writer would meet them.
    for fields in (
        claim | {"file": "voicemail/c.wav"},
        {"mailbox": "sh", "file": "voicemail/a.wav"},
    ):
        with sessions() as session, pytest.raises(IntegrityError):
            repo.add_voicemail(session, log.call_id("1.2"), **fields)
    # Messages without a msg_id (very old spools) do not collide with each other.
    second.voicemail(mailbox="bj", file="voicemail/d.wav", duration_seconds=None, spool_msg_id=None)
    third.voicemail(mailbox="bj", file="voicemail/e.wav", duration_seconds=None, spool_msg_id=None)
    await log.settle()
    assert [file for _, file, _ in voicemails(sessions)] == [
        "voicemail/a.wav",
        "voicemail/d.wav",
        "voicemail/e.wav",
    ]


def test_envelope_reading_ignores_unreadable_files(tmp_path: Path):
    from recordings.spool import read_inbox

    inbox = tmp_path / "INBOX"
    inbox.mkdir()
    (inbox / "msg0000.txt").write_text(REAL_ENVELOPE, encoding="utf-8")
    (inbox / "msg0001.txt").mkdir()  # not a file: skipped, not fatal
    (inbox / "notes.txt").write_text("category=1.1\n", encoding="utf-8")  # not a message
    assert [m.name for m in read_inbox(inbox)] == ["msg0000"]
    assert read_inbox(tmp_path / "absent") == []
