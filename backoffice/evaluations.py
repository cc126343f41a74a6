"""Scoring a call against the configured evaluation form, and the per-centre and
per-operator summaries (undercover and test calls excluded)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from backoffice.scope import centre_condition
from config.evaluation_file import EvaluationForm
from models.base import utc_now
from models.call_log import log_entry_of
from models.calls import Call
from models.quality import Evaluation
from models.users import User

COMMENT_LENGTH = 2000


class InvalidEvaluation(ValueError):
    pass


def score(
    form: EvaluationForm, points: Mapping[str, str], failed: list[str]
) -> tuple[dict[str, int], list[str]]:
    """Checked points per item (every item required) and the ticked red lines."""
    problems: list[str] = []
    scores: dict[str, int] = {}
    for item in form.items:
        raw = (points.get(item.code) or "").strip()
        if not raw.isdigit() or not 0 <= int(raw) <= item.max_points:
            problems.append(f"「{item.label_zh}」须为 0 到 {item.max_points} 的整数")
            continue
        scores[item.code] = int(raw)
    known = {item.code for item in form.auto_fail}
    unknown = sorted(set(failed) - known)
    if unknown:
        problems.append(f"未知的否决项：{', '.join(unknown)}")
    if problems:
        raise InvalidEvaluation("；".join(problems))
    return scores, sorted(set(failed))


def save_evaluation(
    session: Session,
    call: Call,
    form: EvaluationForm,
    evaluator: User,
    points: Mapping[str, str],
    failed: list[str],
    comment: str,
    now: dt.datetime | None = None,
) -> Evaluation:
    scores, red_lines = score(form, points, failed)
    comment = comment.strip()
    if len(comment) > COMMENT_LENGTH:
        raise InvalidEvaluation(f"评语不能超过 {COMMENT_LENGTH} 字")
    entry = log_entry_of(session, call.id)
    total = sum(scores.values())
    evaluation = Evaluation(
        call_id=call.id,
        centre_id=call.centre_id,
        operator_name=entry.operator_name if entry else call.answered_line,
        evaluator=evaluator.username,
        at=now or utc_now(),
        scores=scores,
        auto_fail=red_lines,
        total=total,
        max_total=form.max_total,
        passed=not red_lines and total >= form.pass_score,
        comment=comment,
    )
    session.add(evaluation)
    session.flush()
    return evaluation


@dataclass(frozen=True)
class EvaluationSummary:
    key: str  # centre id, or operator name
    count: int
    average: float
    passed: int


def summaries(session: Session, user: User, by: str) -> list[EvaluationSummary]:
    column = Evaluation.centre_id if by == "centre" else Evaluation.operator_name
    query = (
        select(
            column,
            func.count(),
            func.avg(Evaluation.total),
            func.sum(cast(Evaluation.passed, Integer)),
        )
        .join(Call, Call.id == Evaluation.call_id)
        .where(centre_condition(user, Call.centre_id))
        .where(Call.is_test.is_(False), Call.is_undercover.is_(False))
        .group_by(column)
        .order_by(column)
    )
    return [
        EvaluationSummary(key or "—", count, round(float(avg or 0), 1), int(passed or 0))
        for key, count, avg, passed in session.execute(query)
    ]
