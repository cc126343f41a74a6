"""What a call-flow step may use: config, the journal, the clock. Built once by `serve`.

No database: the call path writes only to the journal (calllog.writer), which never
makes a caller wait.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from agi.flow.prompts import PromptLengths
from calllog.writer import JournalWriter
from config.holder import ConfigHolder
from config.settings import Settings


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class CallServices:
    settings: Settings
    config: ConfigHolder
    journal: JournalWriter
    clock: Callable[[], dt.datetime] = utc_now
    # Only test stacks honour HOTLINE_TEST_AT (a forced call time): never production.
    allow_test_clock: bool = False
    background: set = field(default_factory=set)  # tasks kept alive until they finish
    prompt_lengths: PromptLengths = field(default_factory=PromptLengths)
