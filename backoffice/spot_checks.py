"""Drawing and saving spot-check samples of recorded calls."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from backoffice.sampling import draw, new_seed
from backoffice.scope import centre_condition
from models.call_log import CallLogEntry
from models.calls import Call, CallOutcome
from models.quality import SampleStratum, SpotCheck, SpotCheckItem
from models.recordings import Recording, RecordingStatus
from models.users import User
from routing.local_time import local_day_bounds

MAX_PER_GROUP = 100
NO_OPERATOR = "（未记录接线员）"


class InvalidSample(ValueError):
    pass


def candidates(
    session: Session,
    user: User,
    period_from: dt.date,
    period_to: dt.date,
    centre_ids: list[str],
    stratum: SampleStratum,
    include_test_calls: bool = False,
) -> dict[str, list[int]]:
    """Answered, recorded calls in the period and scope; never undercover calls, never
    calls sampled before, and test calls only when asked for."""
    query = (
        select(Call.id, Call.centre_id, CallLogEntry.operator_name, Call.answered_line)
        .outerjoin(CallLogEntry, CallLogEntry.call_id == Call.id)
        .where(centre_condition(user, Call.centre_id))
        .where(Call.started_at >= local_day_bounds(period_from)[0])
        .where(Call.started_at < local_day_bounds(period_to)[1])
        .where(Call.outcome == CallOutcome.ANSWERED)
        .where(Call.is_undercover.is_(False))
        .where(exists().where(Recording.call_id == Call.id, Recording.status == RecordingStatus.OK))
        .where(~exists().where(SpotCheckItem.call_id == Call.id))
    )
    if not include_test_calls:
        query = query.where(Call.is_test.is_(False))
    if centre_ids:
        query = query.where(Call.centre_id.in_(centre_ids))
    groups: dict[str, list[int]] = defaultdict(list)
    for call_id, centre_id, operator, line in session.execute(query):
        if stratum is SampleStratum.CENTRE:
            group = centre_id or ""
        else:
            group = f"{centre_id or ''}/{operator or line or NO_OPERATOR}"
        groups[group].append(call_id)
    return {group: sorted(ids) for group, ids in groups.items()}


def create_sample(
    session: Session,
    user: User,
    *,
    period_from: dt.date,
    period_to: dt.date,
    centre_ids: list[str],
    stratum: SampleStratum,
    per_group: int,
    seed: str | None = None,
    include_test_calls: bool = False,
    now: dt.datetime | None = None,
) -> SpotCheck:
    if period_to < period_from:
        raise InvalidSample("结束日期早于开始日期")
    if not 1 <= per_group <= MAX_PER_GROUP:
        raise InvalidSample(f"每组抽取数须在 1 到 {MAX_PER_GROUP} 之间")
    pool = candidates(
        session, user, period_from, period_to, centre_ids, stratum, include_test_calls
    )
    if not pool:
        raise InvalidSample(
            "该期间和范围内没有可抽查的通话（已接听、有录音、非暗访、未被抽过；默认不含测试呼叫）"
        )
    seed = seed or new_seed()
    chosen = draw(pool, per_group, seed)
    sample = SpotCheck(
        created_by=user.username,
        period_from=period_from,
        period_to=period_to,
        stratum=stratum,
        per_group=per_group,
        seed=seed,
        centre_ids=sorted(centre_ids),
        include_test_calls=include_test_calls,
        candidates=pool,
    )
    if now is not None:
        sample.created_at = now
    sample.items = [
        SpotCheckItem(call_id=call_id, group=group)
        for group, ids in chosen.items()
        for call_id in ids
    ]
    session.add(sample)
    session.flush()
    return sample


def redraw(sample: SpotCheck) -> dict[str, list[int]]:
    """The draw repeated from the stored candidates and seed (for verification)."""
    candidates_by_group = {group: list(ids) for group, ids in sample.candidates.items()}
    return draw(candidates_by_group, sample.per_group, sample.seed)
