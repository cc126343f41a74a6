"""Per-call state shared by the steps of one call AGI session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agi.flow.calllog import CallRecorder
from agi.flow.identity import CallIdentity
from agi.flow.prompts import PromptPaths
from agi.session import AgiSession


@dataclass
class CallContext:
    session: AgiSession
    identity: CallIdentity
    calllog: CallRecorder
    prompts: PromptPaths
    step: str = "routing"  # where the caller is; logged if they hang up

    def event(self, step: str, /, **detail: Any) -> None:
        self.calllog.event(step, **detail)
