"""Asterisk's voicemail spool: read message envelopes, and pick the one a call left.

app_voicemail writes each message as msgNNNN.wav beside an envelope msgNNNN.txt
(`key=value` lines under `[message]`). The dialplan sets VM_CATEGORY=${UNIQUEID} before
VoiceMail(), so a message names its call in `category=`.

Channel names repeat after every Asterisk restart (Local and PJSIP channels count from
0 again), and the spool keeps old messages, so "this channel within the hour" can take
another call's message. The channel is only a fallback for envelopes written before
the dialplan set a category, and only inside the call's own [start, end] from the CDR:
at any one moment a channel name belongs to one live channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# app_voicemail's msg_id: "<epoch>-<counter as 8 hex digits>".
_MSG_ID = re.compile(r"[0-9]{1,20}-[0-9A-Fa-f]{1,16}", re.ASCII)
_MAILBOX = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", re.ASCII)  # as asterisk_gen allows


# The CDR and the envelope both take whole seconds from Asterisk's one clock.
WINDOW_SLACK_SECONDS = 1


@dataclass(frozen=True)
class SpoolMessage:
    name: str  # msgNNNN: the envelope is <name>.txt, the sound <name>.wav
    category: str  # the uniqueid of the call that left it ("" before VM_CATEGORY was set)
    callerchan: str
    origtime: int | None  # epoch seconds
    msg_id: str | None  # None when missing or malformed


def parse_envelope(name: str, text: str) -> SpoolMessage:
    """The fields of one envelope; unknown or malformed values become empty."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith((";", "[")):
            fields.setdefault(key.strip(), value.strip())
    origtime = fields.get("origtime", "")
    msg_id = fields.get("msg_id", "")
    return SpoolMessage(
        name=name,
        category=fields.get("category", ""),
        callerchan=fields.get("callerchan", ""),
        origtime=int(origtime) if origtime.isdigit() and len(origtime) <= 12 else None,
        msg_id=msg_id if _MSG_ID.fullmatch(msg_id) else None,
    )


@dataclass(frozen=True)
class CallMatch:
    message: SpoolMessage | None
    by: str  # "category" | "channel" | "" (none) | "ambiguous"


def message_for_call(
    messages: Iterable[SpoolMessage],
    *,
    uniqueid: str,
    channel: str,
    call_window: tuple[float, float] | None = None,
) -> CallMatch:
    """The message this call left: the one whose category is its uniqueid; failing that,
    and only when the call's exact [start, end] (epoch seconds) is known, the only
    category-less message from its channel left within it.

    A message with a category never goes to another call, and two category-less
    candidates are ambiguous: neither is taken.
    """
    messages = list(messages)
    ours = [m for m in messages if m.category and m.category == uniqueid]
    if ours:
        return CallMatch(max(ours, key=lambda m: (m.origtime or 0, m.name)), "category")
    if call_window is None or not channel:
        return CallMatch(None, "")
    start, end = call_window
    candidates = [
        m
        for m in messages
        if not m.category
        and m.callerchan == channel
        and m.origtime is not None
        and start - WINDOW_SLACK_SECONDS <= m.origtime <= end + WINDOW_SLACK_SECONDS
    ]
    if len(candidates) == 1:
        return CallMatch(candidates[0], "channel")
    return CallMatch(None, "ambiguous" if candidates else "")


def valid_mailbox(mailbox: str, known: Iterable[str]) -> bool:
    """A mailbox of the configured ones, and a safe directory name."""
    return bool(_MAILBOX.fullmatch(mailbox)) and ".." not in mailbox and mailbox in set(known)


def read_inbox(inbox: Path) -> list[SpoolMessage]:
    """Every readable envelope in an INBOX folder (blocking: run it in a thread)."""
    if not inbox.is_dir():
        return []
    messages = []
    for envelope in sorted(inbox.glob("msg*.txt")):
        try:
            text = envelope.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        messages.append(parse_envelope(envelope.stem, text[:8192]))
    return messages
