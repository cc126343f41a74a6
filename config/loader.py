"""Load and check the centres, calendar, categories and evaluation files as one set.

Every problem in every file is collected; either the whole set validates and a
LoadedConfig comes back, or ConfigInvalid lists all problems. Nothing half-loads.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.calendar_file import load_calendar
from config.categories_file import load_categories
from config.centres_file import load_centres
from config.evaluation_file import EvaluationForm, read_evaluation_form
from config.model import CalendarOverrides, Categories, Directory
from config.problems import ConfigInvalid, Problem, Report
from config.settings import Settings

__all__ = ["ConfigInvalid", "LoadedConfig", "Problem", "load_config"]


@dataclass(frozen=True)
class LoadedConfig:
    directory: Directory
    calendar: CalendarOverrides
    categories: Categories
    evaluation: EvaluationForm


def load_config(settings: Settings, *, check_prompts: bool = True) -> LoadedConfig:
    """The validated config named by settings; raises ConfigInvalid listing every problem."""
    centres_report = Report(settings.centres_file)
    calendar_report = Report(settings.calendar_file)
    categories_report = Report(settings.categories_file)
    prompts_dir = settings.prompts_dir if check_prompts else None
    centres = load_centres(settings.centres_file, centres_report, prompts_dir)
    calendar = load_calendar(settings.calendar_file, calendar_report, centres.centre_ids)
    categories = load_categories(settings.categories_file, categories_report)
    evaluation_report = Report(settings.evaluation_file)
    evaluation = read_evaluation_form(settings.evaluation_file, evaluation_report)
    problems = (
        centres_report.problems
        + calendar_report.problems
        + categories_report.problems
        + evaluation_report.problems
    )
    if (
        problems
        or centres.directory is None
        or calendar is None
        or categories is None
        or evaluation is None
    ):
        raise ConfigInvalid(problems)
    return LoadedConfig(centres.directory, calendar, categories, evaluation)
