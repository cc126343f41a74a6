"""The generated Asterisk files for given settings (shared by `asterisk up`,
`asterisk-config` and the test fixture)."""

from __future__ import annotations

from config.asterisk_gen import generate, options_from_settings
from config.centres_file import load_centres
from config.model import Directory
from config.problems import ConfigInvalid, Report
from config.settings import Settings


def load_directory(settings: Settings) -> Directory:
    """The centre directory; raises ConfigInvalid listing every problem.

    Prompt files are not checked: the dialplan falls back when one is missing.
    """
    report = Report(settings.centres_file)
    result = load_centres(settings.centres_file, report, prompts_dir=None)
    if result.directory is None or report.problems:
        raise ConfigInvalid(report.problems)
    return result.directory


def generated_files(
    settings: Settings, *, dev_operators: bool, ring_timeout_override: int | None = None
) -> dict[str, str]:
    options = options_from_settings(
        settings, dev_operators=dev_operators, ring_timeout_override=ring_timeout_override
    )
    return generate(load_directory(settings), options)
