"""Generate hotline12330-fallback.conf: what the dialplan needs to route a call alone.

When no FastAGI server routes a call, the hand-written [hotline12330-fallback] context
(asterisk-conf/hotline12330-extensions.conf) still sends the caller to their own centre.
This file gives it the data, computed with routing's own functions so the dialplan and
the server cannot disagree:

  [hotline12330-fallback-area]         area code -> centre id, or "menu"; `unknown` ->
                                       where the server sends a call with no known area
  [hotline12330-fallback-menu-<area>]  a shared code's menu: prompt, tries, timeout,
                                       default (s), one extension per digit, `open`
  [hotline12330-fallback-centre-<id>]  s: queue, ring timeout, mailbox, prompts;
                                       hours: open | closed, or stale past the window

The hours are written date by date (GotoIfTime on day of month and month, in
Asia/Shanghai) for `days` days from `today`: holidays, 调休 make-up days, local closures
and special hours, lunch breaks. Past the window `hours` answers "stale" and the
dialplan rings the queue (voicemail when nobody answers): a stale file never tells a
caller "closed" when the centre may be open. The service rewrites the file every day.

Pure: no clock reads, no I/O.
"""

from __future__ import annotations

import datetime as dt

from config.asterisk_gen import GeneratorError, _label, _name
from config.model import CalendarOverrides, Centre, Directory, Menu, TimeRange
from recordings.names import menu_prompt_name
from routing.centres import ChoiceKind, choose_centres
from routing.hours import opening_ranges
from routing.local_time import CHINA_TZ

FALLBACK_FILE = "hotline12330-fallback.conf"
FALLBACK_DAYS = 31
AREA_CONTEXT = "hotline12330-fallback-area"
UNKNOWN_AREA = "unknown"  # the area extension for no, or no known, area code
MENU_RESULT = "menu"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def menu_context(area_code: str) -> str:
    return f"hotline12330-fallback-menu-{area_code}"


def centre_context(centre_id: str) -> str:
    return f"hotline12330-fallback-centre-{_name(centre_id, 'centre id')}"


def asterisk_time_range(timerange: TimeRange) -> str:
    """GotoIfTime's form of a half-open range: Asterisk includes the end minute, so
    09:00-12:00 (closed from 12:00) is written 09:00-11:59."""
    start = dt.datetime.combine(dt.date.min, timerange.start)
    last = dt.datetime.combine(dt.date.min, timerange.end) - dt.timedelta(minutes=1)
    if last < start:
        raise GeneratorError(f"time range {timerange.label()} is shorter than a minute")
    return f"{start:%H:%M}-{last:%H:%M}"


def area_routes(directory: Directory) -> dict[str, str]:
    """Every area code the centres file knows -> its centre id, or "menu" when shared;
    UNKNOWN_AREA -> where routing sends a call without a known area code."""
    codes = {code for centre in directory.centres for code in centre.area_codes}
    codes |= set(directory.area_provinces)
    routes: dict[str, str] = {}
    for code in sorted(codes):
        choice = choose_centres(directory, code)
        routes[code] = MENU_RESULT if choice.kind is ChoiceKind.MENU else choice.centre_ids[0]
    routes[UNKNOWN_AREA] = choose_centres(directory, None).centre_ids[0]
    return routes


def shared_menus(directory: Directory) -> dict[str, Menu]:
    """The menu the server plays for each shared area code (explicit or derived)."""
    menus: dict[str, Menu] = {}
    for code, route in area_routes(directory).items():
        if route == MENU_RESULT:
            menu = choose_centres(directory, code).menu
            assert menu is not None  # a MENU choice always carries its menu
            menus[code] = menu
    return menus


def open_days(
    centre: Centre, calendar: CalendarOverrides, today: dt.date, days: int
) -> list[tuple[dt.date, tuple[TimeRange, ...]]]:
    """(date, opening ranges) for each date of the window; () on closed days."""
    dates = (today + dt.timedelta(days=n) for n in range(days))
    return [(day, opening_ranges(centre, calendar, day)) for day in dates]


def _area_context(routes: dict[str, str]) -> list[str]:
    out = [
        f"\n[{AREA_CONTEXT}]\n",
        "; Gosub(...,<area code>,1): GOSUB_RETVAL = centre id, or menu (shared code).\n",
    ]
    for code, route in routes.items():
        target = route if route == MENU_RESULT else _name(route, "centre id")
        out.append(f"exten => {code},1,Return({target})\n")
    return out


def _menu_context(menu: Menu, directory: Directory) -> list[str]:
    prompt = menu_prompt_name(menu.area_code)
    out = [
        f"\n[{menu_context(menu.area_code)}]\n",
        "; s: the menu's settings, GOSUB_RETVAL = default centre; <digit>: its centre;\n",
        "; open: GOSUB_RETVAL = open when any centre of the menu is open (or stale).\n",
        f"exten => s,1,Set(HOTLINE_FALLBACK_MENU_PROMPT=${{HOTLINE12330_PROMPTS}}/{prompt})\n",
        f" same => n,Set(HOTLINE_FALLBACK_MENU_TRIES={max(1, int(menu.max_tries))})\n",
        f" same => n,Set(HOTLINE_FALLBACK_MENU_TIMEOUT={int(menu.timeout_seconds)})\n",
        f" same => n,Return({_name(menu.default_centre_id, 'centre id')})\n",
    ]
    for option in menu.options:
        if not (len(option.digit) == 1 and option.digit.isdigit()):
            raise GeneratorError(f"menu {menu.area_code}: digit {option.digit!r} is not 0-9")
        out.append(f"exten => {option.digit},1,Return({_name(option.centre_id, 'centre id')})\n")
    centre_ids = list(dict.fromkeys(o.centre_id for o in menu.options))
    first = True
    for centre_id in centre_ids:
        directory.centre(centre_id)  # KeyError for a menu naming an unknown centre
        head = "exten => open,1," if first else " same => n,"
        out.append(f"{head}Gosub({centre_context(centre_id)},hours,1)\n")
        out.append(' same => n,GotoIf($["${GOSUB_RETVAL}" != "closed"]?open)\n')
        first = False
    out.append(" same => n,Return(closed)\n")
    out.append(" same => n(open),Return(open)\n")
    return out


def _centre_context(
    centre: Centre, calendar: CalendarOverrides, today: dt.date, days: int
) -> list[str]:
    zone = CHINA_TZ.key
    last = today + dt.timedelta(days=days - 1)
    out = [
        f"\n[{centre_context(centre.id)}]\n",
        f"; {_label(centre.name)}\n",
        f"exten => s,1,Set(HOTLINE_CENTRE={centre.id})\n",
        f" same => n,Set(HOTLINE_QUEUE={_name(centre.queue_name, 'queue')})\n",
        f" same => n,Set(HOTLINE_RING_TIMEOUT={int(centre.ring_timeout)})\n",
        f" same => n,Set(HOTLINE_MAILBOX={_name(centre.mailbox, 'mailbox')})\n",
        " same => n,Set(HOTLINE_VM_PROMPT=${HOTLINE12330_PROMPTS}/"
        f"{_name(centre.prompts.voicemail, 'prompt')})\n",
        " same => n,Set(HOTLINE_FALLBACK_GREETING=${HOTLINE12330_PROMPTS}/"
        f"{_name(centre.prompts.greeting, 'prompt')})\n",
        " same => n,Return()\n",
        f"; hours: {today.isoformat()} .. {last.isoformat()} ({zone})\n",
        f"exten => hours,1,Set(LOCAL(day)=${{STRFTIME(${{EPOCH}},{zone},%Y%m%d)}})\n",
        f" same => n,GotoIf($[${{day}} < {today:%Y%m%d} | ${{day}} > {last:%Y%m%d}]?stale)\n",
    ]
    for day, ranges in open_days(centre, calendar, today, days):
        month = _MONTHS[day.month - 1]
        for timerange in ranges:
            times = asterisk_time_range(timerange)
            out.append(f" same => n,GotoIfTime({times},*,{day.day},{month},{zone}?open)\n")
    out.append(" same => n,Return(closed)\n")
    out.append(" same => n(open),Return(open)\n")
    out.append(" same => n(stale),Return(stale)\n")
    return out


def fallback_conf(
    directory: Directory,
    calendar: CalendarOverrides,
    today: dt.date,
    *,
    days: int = FALLBACK_DAYS,
    source: str = "the centres and calendar files",
) -> str:
    """The whole file for the window today .. today + days - 1 (China dates)."""
    if not 1 <= days <= 300:
        # GotoIfTime matches day and month, not the year: a window must stay under a year.
        raise GeneratorError(f"fallback window of {days} days: must be 1..300")
    last = today + dt.timedelta(days=days - 1)
    out = [
        f"; Generated by hotline12330 from {source}. Do not edit: the service rewrites it\n",
        f"; daily. Opening hours {today.isoformat()} .. {last.isoformat()} ({CHINA_TZ.key}).\n",
        "; #include (or #tryinclude) it in extensions.conf after hotline12330-extensions.conf.\n",
    ]
    out += _area_context(area_routes(directory))
    for menu in shared_menus(directory).values():
        out += _menu_context(menu, directory)
    for centre in directory.centres:
        out += _centre_context(centre, calendar, today, days)
    return "".join(out)
