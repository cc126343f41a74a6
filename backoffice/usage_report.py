"""The half-year 12330 usage report (〔2009〕115号 四、情况汇总): by 15 January the second
half of last year, by 15 July the first half of this year.

Counts public calls only. Test calls and undercover (暗访) calls are left out of every
figure and reported on their own line, so checks never inflate the usage figures.
Everything is counted in SQL (GROUP BY), so a half-year of calls is never loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from config.model import Centre
from models.call_log import OUTCOMES_NEEDING_LOG, CallLogEntry, CallLogIpType
from models.calls import Call, CallOutcome
from models.categories import CategoryEntry
from models.voicemail import Voicemail
from routing.half_year import HalfYear

ABANDONED = (
    CallOutcome.ABANDONED_GREETING,
    CallOutcome.ABANDONED_MENU,
    CallOutcome.ABANDONED_RINGING,
)
# The category lists broken down per centre, in the order of the 12330 record form.
CATEGORY_LISTS = ("service_type", "ip_type", "caller_role", "caller_entity")
UNROUTED = "-"  # calls that never reached a centre (config or system failure)


@dataclass
class CentreUsage:
    centre_id: str
    name: str
    province: str
    calls: int = 0
    in_hours: int = 0
    out_of_hours: int = 0
    answered: int = 0
    voicemail: int = 0
    abandoned: int = 0
    failed: int = 0
    logs_needed: int = 0
    logs_complete: int = 0
    voicemails_called_back: int = 0
    sme_callers: int = 0
    wait_seconds_total: float = 0.0
    talk_seconds_total: float = 0.0

    def add(self, other: CentreUsage) -> None:
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def answer_rate(self) -> float | None:
        """Answered share of the calls that came in working hours (the staffed time)."""
        return self.answered / self.in_hours if self.in_hours else None

    @property
    def log_rate(self) -> float | None:
        return self.logs_complete / self.logs_needed if self.logs_needed else None

    @property
    def average_wait(self) -> float | None:
        return self.wait_seconds_total / self.answered if self.answered else None

    @property
    def talk_minutes(self) -> float:
        return self.talk_seconds_total / 60


# The summed fields: everything after the centre's identity.
COUNTED = tuple(f.name for f in fields(CentreUsage))[3:]


@dataclass(frozen=True)
class CategoryRow:
    code: str
    label: str
    by_centre: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_centre.values())


@dataclass
class UsageReport:
    period: HalfYear
    centres: list[CentreUsage]
    categories: dict[str, list[CategoryRow]] = field(default_factory=dict)
    test_calls: int = 0
    undercover_calls: int = 0

    @property
    def total(self) -> CentreUsage:
        total = CentreUsage(centre_id="", name="合计", province="")
        for row in self.centres:
            total.add(row)
        return total


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def build_report(
    session: Session,
    period: HalfYear,
    centres: list[Centre],
    scope: ColumnElement[bool],
) -> UsageReport:
    """`centres` are the configured centres in the reader's scope; `scope` is the SQL
    condition on Call that limits rows to that scope."""
    start, end = period.bounds()
    in_period = and_(Call.started_at >= start, Call.started_at < end, scope)
    public = and_(in_period, Call.is_test.is_(False), Call.is_undercover.is_(False))
    rows = {c.id: CentreUsage(c.id, c.name, c.province) for c in centres}
    columns = _usage_columns()
    query = select(Call.centre_id, *columns.values())
    # One log entry and at most one voicemail per call: the outer joins add no rows.
    query = (
        query.outerjoin(CallLogEntry, CallLogEntry.call_id == Call.id)
        .outerjoin(Voicemail, Voicemail.call_id == Call.id)
        .where(public)
        .group_by(Call.centre_id)
    )
    for centre_id, *values in session.execute(query):
        key = centre_id or UNROUTED
        row = rows.setdefault(key, CentreUsage(key, _unknown_name(centre_id), ""))
        for name, value in zip(columns, values, strict=True):
            setattr(row, name, type(getattr(row, name))(value or 0))
    excluded = session.execute(
        select(_flag(Call.is_test.is_(True)), _flag(Call.is_undercover.is_(True))).where(in_period)
    ).one()
    return UsageReport(
        period,
        list(rows.values()),  # the centres file's order, then calls of no known centre
        {name: _category_rows(session, public, name) for name in CATEGORY_LISTS},
        test_calls=int(excluded[0]),
        undercover_calls=int(excluded[1]),
    )


def _usage_columns() -> dict[str, ColumnElement]:
    """One SQL aggregate per counted field of CentreUsage, by name."""
    answered = Call.outcome == CallOutcome.ANSWERED
    needs_log = Call.outcome.in_(OUTCOMES_NEEDING_LOG)
    columns: dict[str, ColumnElement] = {
        "calls": func.count(Call.id),
        "in_hours": _flag(Call.is_open.is_(True)),
        "out_of_hours": _flag(Call.is_open.is_(False)),
        "answered": _flag(answered),
        "voicemail": _flag(Call.outcome == CallOutcome.VOICEMAIL),
        "abandoned": _flag(Call.outcome.in_(ABANDONED)),
        "failed": _flag(Call.outcome == CallOutcome.FAILED),
        "logs_needed": _flag(needs_log),
        "logs_complete": _flag(
            and_(needs_log, CallLogEntry.id.is_not(None), CallLogEntry.is_complete)
        ),
        "voicemails_called_back": _flag(Voicemail.called_back_at.is_not(None)),
        "sme_callers": _flag(CallLogEntry.is_sme.is_(True)),
        "wait_seconds_total": _seconds(answered, Call.wait_seconds),
        "talk_seconds_total": _seconds(answered, Call.talk_seconds),
    }
    return columns


def _seconds(condition: ColumnElement[bool], column) -> ColumnElement[float]:
    return func.coalesce(func.sum(case((condition, column), else_=0.0)), 0.0)


def _category_rows(session: Session, public: ColumnElement[bool], list_name: str):
    if list_name == "ip_type":
        code = CallLogIpType.ip_type_code
        query = (
            select(Call.centre_id, code, func.count())
            .join(CallLogEntry, CallLogEntry.call_id == Call.id)
            .join(CallLogIpType, CallLogIpType.entry_id == CallLogEntry.id)
        )
    else:
        code = getattr(CallLogEntry, f"{list_name}_code")
        query = select(Call.centre_id, code, func.count()).join(
            CallLogEntry, CallLogEntry.call_id == Call.id
        )
    counts: dict[str, dict[str, int]] = {}
    for centre_id, value, count in session.execute(
        query.where(public, code.is_not(None), code != "").group_by(Call.centre_id, code)
    ):
        counts.setdefault(value, {})[centre_id or UNROUTED] = int(count)
    labels = session.execute(
        select(CategoryEntry.code, CategoryEntry.label_zh, CategoryEntry.is_active)
        .where(CategoryEntry.list_name == list_name)
        .order_by(CategoryEntry.sort_order, CategoryEntry.code)
    ).all()
    # Every active entry (zeros too, so the table reads like the list), then any old
    # code that a log still uses.
    rows = [
        CategoryRow(c, label, counts.pop(c, {}))
        for c, label, active in labels
        if active or c in counts
    ]
    rows += [CategoryRow(c, c, by_centre) for c, by_centre in sorted(counts.items())]
    return rows


def _unknown_name(centre_id: str | None) -> str:
    return "未接入中心（系统故障）" if centre_id is None else f"{centre_id}（已不在配置中）"
