"""What a call-flow step may use: config, call log, clock. Built once by `serve`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from agi.flow.calllog import CallLog
from config.holder import ConfigHolder
from config.settings import Settings


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class CallServices:
    settings: Settings
    config: ConfigHolder
    calllog: CallLog
    clock: Callable[[], dt.datetime] = utc_now
    # Only test stacks honour HOTLINE_TEST_AT (a forced call time): never production.
    allow_test_clock: bool = False
    background: set = field(default_factory=set)  # tasks kept alive until they finish
