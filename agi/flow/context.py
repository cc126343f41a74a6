"""Per-call state shared by the steps of one call AGI session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agi.flow.calllog import CallLog
from agi.flow.identity import CallIdentity
from agi.flow.prompts import PromptPaths
from agi.session import AgiSession


@dataclass
class CallContext:
    session: AgiSession
    identity: CallIdentity
    calllog: CallLog
    prompts: PromptPaths
    call_id: int
    step: str = "routing"  # where the caller is; logged if they hang up

    async def event(self, step: str, /, **detail: Any) -> None:
        await self.calllog.event(self.call_id, step, detail or None)
