"""Pure routing decisions: area code -> centre(s), open or closed with the reason (a code).

No I/O and no clock reads: callers pass the config objects and an aware datetime.
"""

from routing.area import AreaChoice, AreaSource, choose_area
from routing.centres import CentreChoice, ChoiceKind, choose_centres
from routing.decision import Action, RouteDecision, decide, decide_after_menu, menu_to_dict
from routing.dialled import (
    DialledNumber,
    InvalidNumber,
    area_code_problem,
    parse_area_code,
    parse_dialled,
)
from routing.hours import OpenState, makeup_day_hours, open_state, opening_ranges
from routing.local_time import CHINA_TZ, in_china
from routing.menu import AttemptProblem, MenuOutcome, menu_choice
from routing.reasons import Code, Reason, render
from routing.statutory import (
    StatutoryDay,
    StatutoryKind,
    StatutorySource,
    covered_by_chinesecalendar,
    statutory_day,
)
from routing.year_view import YearView, next_year_warning, year_view

__all__ = [
    "CHINA_TZ",
    "Action",
    "AreaChoice",
    "AreaSource",
    "AttemptProblem",
    "CentreChoice",
    "ChoiceKind",
    "Code",
    "DialledNumber",
    "InvalidNumber",
    "MenuOutcome",
    "OpenState",
    "Reason",
    "RouteDecision",
    "StatutoryDay",
    "StatutoryKind",
    "StatutorySource",
    "YearView",
    "area_code_problem",
    "choose_area",
    "choose_centres",
    "covered_by_chinesecalendar",
    "decide",
    "decide_after_menu",
    "in_china",
    "makeup_day_hours",
    "menu_choice",
    "menu_to_dict",
    "next_year_warning",
    "open_state",
    "opening_ranges",
    "parse_area_code",
    "parse_dialled",
    "render",
    "statutory_day",
    "year_view",
]
