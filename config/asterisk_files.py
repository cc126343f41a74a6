"""The Asterisk files the service ships: the generated ones for given settings and the
static includable ones (shared by `asterisk-config`, the dev stack and the tests)."""

from __future__ import annotations

import datetime as dt
from importlib import resources

from config.asterisk_fallback import FALLBACK_FILE, fallback_conf
from config.asterisk_gen import generate, options_from_settings
from config.calendar_file import load_calendar
from config.centres_file import load_centres
from config.model import CalendarOverrides, Directory
from config.problems import ConfigInvalid, Report
from config.settings import Settings
from routing.local_time import CHINA_TZ

# Package data (symlinks to asterisk-conf/ in the repository), so an installed wheel has
# them too; the dev stack's top-level files stay in asterisk-conf/ and are not shipped.
INCLUDABLE_PACKAGE = "config.asterisk_static"
INCLUDABLE_FILES = ("hotline12330-extensions.conf", "hotline12330-pjsip.conf")


def load_directory(settings: Settings) -> Directory:
    """The centre directory; raises ConfigInvalid listing every problem.

    Prompt files are not checked: the dialplan falls back when one is missing.
    """
    report = Report(settings.centres_file)
    result = load_centres(settings.centres_file, report, prompts_dir=None)
    if result.directory is None or report.problems:
        raise ConfigInvalid(report.problems)
    return result.directory


def load_calendar_overrides(settings: Settings, directory: Directory) -> CalendarOverrides:
    """The calendar overrides file; raises ConfigInvalid listing every problem."""
    report = Report(settings.calendar_file)
    ids = frozenset(c.id for c in directory.centres)
    calendar = load_calendar(settings.calendar_file, report, ids)
    if calendar is None or report.problems:
        raise ConfigInvalid(report.problems)
    return calendar


def china_today() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


def fallback_file(settings: Settings, today: dt.date | None = None) -> dict[str, str]:
    """hotline12330-fallback.conf for the window starting `today` (China date)."""
    directory = load_directory(settings)
    calendar = load_calendar_overrides(settings, directory)
    source = f"{settings.centres_file} and {settings.calendar_file}"
    text = fallback_conf(directory, calendar, today or china_today(), source=source)
    return {FALLBACK_FILE: text}


def generated_files(
    settings: Settings,
    *,
    dev_operators: bool,
    ring_timeout_override: int | None = None,
    today: dt.date | None = None,
    dev_stack: bool = False,
) -> dict[str, str]:
    """`dev_stack`: the loopback dev stack's files (see GenOptions.dev_stack)."""
    options = options_from_settings(
        settings,
        dev_operators=dev_operators,
        ring_timeout_override=ring_timeout_override,
        dev_stack=dev_stack,
    )
    files = generate(load_directory(settings), options)
    return {**files, **fallback_file(settings, today)}


def includable_files() -> dict[str, str]:
    """The static files an existing Asterisk/FreePBX #includes beside the generated ones."""
    package = resources.files(INCLUDABLE_PACKAGE)
    return {name: (package / name).read_text(encoding="utf-8") for name in INCLUDABLE_FILES}
