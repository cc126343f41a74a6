"""The call log as one call's flow sees it: entries for the journal, never a wait.

Each method queues a journal entry (calllog.writer) and returns at once; the drainer
puts it in the database later. Nothing here can fail a call or hold up a caller.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from calllog.apply import Kind, identity_body
from calllog.writer import JournalWriter
from models.calls import CallOutcome
from models.recordings import RecordingStatus
from routing.reasons import Reason


class CallRecorder:
    def __init__(self, journal: JournalWriter, identity: dict[str, Any]) -> None:
        self._journal = journal
        self._identity = identity
        self.uniqueid: str = identity["uniqueid"]

    @classmethod
    def for_call(cls, journal: JournalWriter, **identity: Any) -> CallRecorder:
        """A recorder for one call; `identity` as calllog.apply.identity_body takes it."""
        return cls(journal, identity_body(**identity))

    def _record(self, kind: Kind, body: dict[str, Any]) -> None:
        self._journal.record(self.uniqueid, kind.value, body)

    def start(self) -> None:
        self._record(Kind.START, {"call": self._identity})

    def event(self, step: str, /, **detail: Any) -> None:
        at = dt.datetime.now(dt.UTC).isoformat()
        self._record(Kind.EVENT, {"step": step, "detail": detail or None, "at": at})

    def routed(
        self, *, area_code: str | None, centre_id: str, is_open: bool, reason: Reason
    ) -> None:
        body = {"area_code": area_code, "centre_id": centre_id, "is_open": is_open}
        self._record(Kind.ROUTED, {**body, "reason": reason.to_json()})

    def menu(self, *, digits: str, invalid: int, timeouts: int) -> None:
        self._record(Kind.MENU, {"digits": digits, "invalid": invalid, "timeouts": timeouts})

    def finish(self, outcome: CallOutcome, **fields: Any) -> None:
        body: dict[str, Any] = {"outcome": outcome.value, "call": self._identity}
        for name, value in fields.items():
            if isinstance(value, dt.datetime):
                value = value.isoformat()
            elif isinstance(value, Reason):
                value = value.to_json()
            body[name] = value
        self._record(Kind.FINISH, body)

    def recording(
        self,
        path: str,
        *,
        status: RecordingStatus,
        size_bytes: int | None,
        duration_seconds: float | None,
        sha256: str | None,
    ) -> None:
        body = {"path": path, "status": RecordingStatus(status).value, "bytes": size_bytes}
        self._record(
            Kind.RECORDING, {**body, "duration_seconds": duration_seconds, "sha256": sha256}
        )

    def voicemail(
        self, *, mailbox: str, file: str, duration_seconds: float | None, spool_msg_id: str | None
    ) -> None:
        """Claim a spool message for the call (calllog.apply refuses a taken one)."""
        body = {"mailbox": mailbox, "file": file, "duration_seconds": duration_seconds}
        self._record(Kind.VOICEMAIL, {**body, "spool_msg_id": spool_msg_id})


def utc_from_epoch(raw: str | None) -> dt.datetime | None:
    """Asterisk hands times over as epoch seconds (possibly fractional)."""
    try:
        return dt.datetime.fromtimestamp(float(raw or ""), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None
