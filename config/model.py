"""Typed, immutable view of the centres, calendar and category files.

Everything the routing core reads lives here, so routing never touches files.
Loaders (config/loader.py) build these objects only after the whole file set
validates: a bad file never half-loads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

# The voicemail context of every 12330 mailbox (agi/contract.py names both).
VOICEMAIL_CONTEXT = "hotline12330"
# The fallback box of that context (the dialplan's fallback leaves messages here).
NATIONAL_MAILBOX = "national"


class LineKind(StrEnum):
    PJSIP = "pjsip"  # an operator SIP phone registered to Asterisk
    LANDLINE = "landline"  # an ordinary fixed line reached through a trunk


class RingStrategy(StrEnum):
    RINGALL = "ringall"
    LINEAR = "linear"
    LEASTRECENT = "leastrecent"
    FEWESTCALLS = "fewestcalls"
    RRMEMORY = "rrmemory"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, order=True)
class TimeRange:
    """A half-open interval [start, end) within one day."""

    start: dt.time
    end: dt.time

    def contains(self, t: dt.time) -> bool:
        return self.start <= t < self.end

    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True)
class Line:
    kind: LineKind
    # PJSIP endpoint name, or the landline's digits for a forwarded line.
    target: str
    trunk: str | None = None  # only for landlines

    def dial_string(self) -> str:
        if self.kind is LineKind.PJSIP:
            return f"PJSIP/{self.target}"
        return f"PJSIP/{self.target}@{self.trunk}"


@dataclass(frozen=True)
class Prompts:
    greeting: str = "greeting"
    voicemail: str = "voicemail"
    menu_label: str = ""  # spoken text for this centre's menu option


@dataclass(frozen=True)
class Centre:
    id: str
    name: str
    province: str
    area_codes: tuple[str, ...]
    lines: tuple[Line, ...]
    # Per weekday (0 = Monday) the open intervals; gaps between them are breaks.
    hours: tuple[tuple[TimeRange, ...], ...]
    ring_strategy: RingStrategy = RingStrategy.RINGALL
    ring_timeout: int = 25
    voicemail_box: str = ""
    prompts: Prompts = field(default_factory=Prompts)

    @property
    def queue_name(self) -> str:
        return f"hotline12330-{self.id}"

    @property
    def mailbox(self) -> str:
        return self.voicemail_box or self.id


@dataclass(frozen=True)
class MenuOption:
    digit: str
    centre_id: str
    label: str


@dataclass(frozen=True)
class Menu:
    area_code: str
    options: tuple[MenuOption, ...]
    default_centre_id: str
    max_tries: int = 3
    timeout_seconds: int = 5

    def centre_for(self, digit: str) -> str | None:
        for option in self.options:
            if option.digit == digit:
                return option.centre_id
        return None


@dataclass(frozen=True)
class Directory:
    centres: tuple[Centre, ...]
    menus: tuple[Menu, ...]  # explicit and derived menus for every shared area code
    province_fallbacks: dict[str, str]  # province -> centre id
    area_provinces: dict[str, str]  # area code -> province, for fallback of unserved codes
    national_fallback: str  # centre id

    def centre(self, centre_id: str) -> Centre:
        for centre in self.centres:
            if centre.id == centre_id:
                return centre
        raise KeyError(centre_id)

    @property
    def mailboxes(self) -> frozenset[str]:
        """Every mailbox a call may leave a message in: the centres' and the national box."""
        return frozenset({NATIONAL_MAILBOX, *(centre.mailbox for centre in self.centres)})

    def centres_for_area(self, area_code: str) -> tuple[Centre, ...]:
        return tuple(c for c in self.centres if area_code in c.area_codes)

    def menu_for_area(self, area_code: str) -> Menu | None:
        for menu in self.menus:
            if menu.area_code == area_code:
                return menu
        return None


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # national day off
    WORKDAY = "workday"  # national make-up working day (调休)


class LocalKind(StrEnum):
    CLOSED = "closed"
    HOURS = "hours"


@dataclass(frozen=True)
class NationalEntry:
    date: dt.date
    kind: DayKind
    name: str


@dataclass(frozen=True)
class LocalEntry:
    centre_id: str
    date: dt.date
    kind: LocalKind
    reason: str
    hours: tuple[TimeRange, ...] = ()


@dataclass(frozen=True)
class YearInfo:
    year: int
    complete: bool
    source: str


@dataclass(frozen=True)
class CalendarOverrides:
    national: tuple[NationalEntry, ...] = ()
    local: tuple[LocalEntry, ...] = ()
    years: tuple[YearInfo, ...] = ()

    def national_on(self, day: dt.date) -> NationalEntry | None:
        return next((e for e in self.national if e.date == day), None)

    def local_on(self, centre_id: str, day: dt.date) -> LocalEntry | None:
        return next((e for e in self.local if e.centre_id == centre_id and e.date == day), None)

    def year_info(self, year: int) -> YearInfo | None:
        return next((y for y in self.years if y.year == year), None)


@dataclass(frozen=True)
class Category:
    code: str
    label_zh: str
    gloss_en: str
    parent: str | None = None
    flags: tuple[str, ...] = ()  # e.g. "sme" for 企业 (中小微 flag applies)


@dataclass(frozen=True)
class Categories:
    """The 12330 form's lists by name: ip_type, caller_role, caller_entity, service_type."""

    lists: dict[str, tuple[Category, ...]]
