"""Supervisors' pages: search, spot-check samples, evaluation, undercover calls."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.audit import record
from backoffice.calls import FLAGS, CallFilters, call_in_scope, search
from backoffice.evaluations import InvalidEvaluation, save_evaluation, summaries
from backoffice.scope import SUPERVISING, NotInScope, may_see, require_role, visible_centres
from backoffice.spot_checks import InvalidSample, create_sample
from backoffice.undercover import InvalidUndercover, mark_undercover, undercover_calls
from console.forms import categories, form_date, parse_call_id
from console.web import (
    DB,
    ConsoleContext,
    Viewer,
    centres_in_scope,
    context,
    field,
    form_with_csrf,
    render,
    viewer,
)
from models.calls import Call, CallOutcome
from models.categories import CategoryEntry
from models.quality import Evaluation, SampleStratum, SpotCheck
from routing.local_time import in_china

_DIGITS = re.compile(r"^[0-9]{1,20}$")


def _tristate(raw: str) -> bool | None:
    return {"yes": True, "no": False}.get(raw)


def parse_filters(params, session: Session, centre_ids: set[str]) -> tuple[CallFilters, list[str]]:
    errors: list[str] = []
    get = lambda name: (params.get(name) or "").strip()  # noqa: E731
    outcome = None
    if get("outcome"):
        try:
            outcome = CallOutcome(get("outcome"))
        except ValueError:
            errors.append("结果无效")
    centre = get("centre") or None
    if centre and centre not in centre_ids:
        errors.append("中心无效")
        centre = None
    number = get("number") or None
    if number and not _DIGITS.match(number):
        errors.append("号码只能填数字（最多 20 位）")
        number = None
    flag = get("flag") or None
    if flag and flag not in FLAGS:
        errors.append("标记无效")
        flag = None
    ip_types: tuple[str, ...] = ()
    if get("ip_type"):
        code = get("ip_type")
        children = session.scalars(
            select(CategoryEntry.code).where(
                CategoryEntry.list_name == "ip_type", CategoryEntry.parent_code == code
            )
        ).all()
        ip_types = (code, *children)
    filters = CallFilters(
        date_from=form_date(get("from"), "开始", errors),
        date_to=form_date(get("to"), "结束", errors),
        centre=centre,
        outcome=outcome,
        service_type=get("service_type") or None,
        ip_types=ip_types,
        number=number,
        has_recording=_tristate(get("recording")),
        log_filled=_tristate(get("log")),
        flag=flag,
    )
    return filters, errors


def routes() -> APIRouter:
    router = APIRouter()

    @router.get("/search")
    def search_page(
        request: Request,
        who: Viewer = Depends(viewer),
        session: Session = DB,
        ctx: ConsoleContext = Depends(context),
    ):
        require_role(who.user, *SUPERVISING)
        centres = centres_in_scope(who, ctx)
        filters, errors = parse_filters(request.query_params, session, {c.id for c in centres})
        rows, stats, total = search(session, who.user, filters) if not errors else ([], {}, 0)
        return render(
            request,
            "search.html",
            who,
            session,
            status_code=400 if errors else 200,
            rows=rows,
            stats=stats,
            total=total,
            errors=errors,
            params=request.query_params,
            centres=centres,
            lists=categories(session),
        )

    @router.get("/spot-checks")
    def spot_checks(
        request: Request,
        who: Viewer = Depends(viewer),
        session: Session = DB,
        ctx: ConsoleContext = Depends(context),
    ):
        require_role(who.user, *SUPERVISING)
        return _spot_check_list(request, who, session, ctx, centres_in_scope(who, ctx))

    @router.post("/spot-checks")
    def draw_sample(
        request: Request,
        form: dict = Depends(form_with_csrf),
        who: Viewer = Depends(viewer),
        session: Session = DB,
        ctx: ConsoleContext = Depends(context),
    ):
        require_role(who.user, *SUPERVISING)
        centres = centres_in_scope(who, ctx)
        errors: list[str] = []
        period_from = form_date(field(form, "from"), "开始", errors)
        period_to = form_date(field(form, "to"), "结束", errors)
        if period_from is None or period_to is None:
            errors.append("请填写抽查期间")
        chosen = [c for c in form.get("centres", []) if isinstance(c, str) and c]
        allowed = {c.id for c in centres}
        if set(chosen) - allowed:
            errors.append("中心无效")
        stratum_raw = field(form, "stratum") or "centre"
        per_group_raw = field(form, "per_group")
        seed = field(form, "seed").strip() or None
        if seed and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", seed):
            errors.append("随机种子只能含字母、数字、_ 和 -（最多 64 位）")
        if stratum_raw not in ("centre", "operator"):
            errors.append("分层方式无效")
        if not per_group_raw.isdigit():
            errors.append("每组抽取数须为正整数")
        if not errors:
            try:
                sample = create_sample(
                    session,
                    who.user,
                    period_from=period_from,
                    period_to=period_to,
                    centre_ids=chosen or ([] if who.user.sees_all_centres else sorted(allowed)),
                    stratum=SampleStratum(stratum_raw),
                    per_group=int(per_group_raw),
                    seed=seed,
                    include_test_calls=field(form, "include_test_calls") == "1",
                    now=ctx.clock(),
                )
            except InvalidSample as exc:
                errors.append(str(exc))
            else:
                record(
                    session,
                    who.requester,
                    "sample_drawn",
                    "spot_check",
                    str(sample.uuid),
                    detail={"seed": sample.seed, "calls": [i.call_id for i in sample.items]},
                )
                return RedirectResponse(f"/spot-checks/{sample.uuid}", status_code=303)
        keys = ("from", "to", "stratum", "per_group", "seed", "include_test_calls")
        values = {k: field(form, k) for k in keys}
        values["centres"] = chosen
        return _spot_check_list(request, who, session, ctx, centres, errors, values, 400)

    @router.get("/spot-checks/{sample_id}")
    def spot_check(
        request: Request,
        sample_id: str,
        who: Viewer = Depends(viewer),
        session: Session = DB,
    ):
        require_role(who.user, *SUPERVISING)
        sample = _sample(session, sample_id)
        items = [i for i in sample.items if may_see(who.user, i.call.centre_id)]
        if not items:
            raise NotInScope(sample_id)
        evaluated = set(
            session.scalars(
                select(Evaluation.call_id).where(Evaluation.call_id.in_([i.call_id for i in items]))
            )
        )
        return render(
            request,
            "spot_check.html",
            who,
            session,
            sample=sample,
            items=items,
            evaluated=evaluated,
        )

    @router.post("/calls/{call_id}/evaluate")
    def evaluate(
        request: Request,
        call_id: str,
        form: dict = Depends(form_with_csrf),
        who: Viewer = Depends(viewer),
        session: Session = DB,
        ctx: ConsoleContext = Depends(context),
    ):
        evaluation_form = ctx.config.current.evaluation

        def save(call: Call) -> dict:
            points = {i.code: field(form, f"score_{i.code}") for i in evaluation_form.items}
            failed = [v for v in form.get("auto_fail", []) if isinstance(v, str)]
            comment = field(form, "comment")
            evaluation = save_evaluation(
                session, call, evaluation_form, who.user, points, failed, comment, ctx.clock()
            )
            return {"total": evaluation.total, "passed": evaluation.passed}

        return _call_action(request, who, session, call_id, "evaluated", "evaluation", save)

    @router.post("/calls/{call_id}/undercover")
    def undercover(
        request: Request,
        call_id: str,
        form: dict = Depends(form_with_csrf),
        who: Viewer = Depends(viewer),
        session: Session = DB,
        ctx: ConsoleContext = Depends(context),
    ):
        def save(call: Call) -> dict:
            verdict, note = field(form, "verdict"), field(form, "note")
            result = mark_undercover(session, call, who.user, verdict, note, now=ctx.clock())
            return {"verdict": result.verdict.value}

        return _call_action(request, who, session, call_id, "undercover_marked", "undercover", save)

    @router.get("/undercover")
    def undercover_list(request: Request, who: Viewer = Depends(viewer), session: Session = DB):
        require_role(who.user, *SUPERVISING)
        return render(
            request, "undercover.html", who, session, rows=undercover_calls(session, who.user)
        )

    @router.get("/evaluations")
    def evaluations(request: Request, who: Viewer = Depends(viewer), session: Session = DB):
        require_role(who.user, *SUPERVISING)
        centres = visible_centres(who.user)
        query = select(Evaluation).order_by(Evaluation.id.desc()).limit(200)
        if centres is not None:
            query = query.where(Evaluation.centre_id.in_(sorted(centres)))
        return render(
            request,
            "evaluations.html",
            who,
            session,
            by_centre=summaries(session, who.user, "centre"),
            by_operator=summaries(session, who.user, "operator"),
            recent=session.scalars(query).all(),
        )

    return router


def _sample(session: Session, raw: str) -> SpotCheck:
    try:
        key = uuid.UUID(raw)
    except ValueError:
        raise NotInScope(raw) from None
    sample = session.scalars(select(SpotCheck).where(SpotCheck.uuid == key)).one_or_none()
    if sample is None:
        raise NotInScope(raw)
    return sample


def _spot_check_list(request, who, session, ctx, centres, errors=(), values=None, status=200):
    samples = session.scalars(select(SpotCheck).order_by(SpotCheck.id.desc()).limit(100)).all()
    visible = [s for s in samples if any(may_see(who.user, i.call.centre_id) for i in s.items)]
    today = in_china(ctx.clock()).date()
    defaults = {
        "from": (today - dt.timedelta(days=30)).isoformat(),
        "to": today.isoformat(),
        "stratum": "centre",
        "per_group": "5",
        "seed": "",
        "centres": [],
    }
    return render(
        request,
        "spot_checks.html",
        who,
        session,
        status_code=status,
        samples=visible,
        centres=centres,
        errors=list(errors),
        values=values or defaults,
    )


# What a refused supervisor action says, by audit action.
REFUSED_TITLES = {"evaluated": "评分未保存", "undercover_marked": "暗访结果未保存"}


def _call_action(request, who: Viewer, session: Session, raw_id: str, action, anchor, save):
    """A supervisor's change to one call in scope: saved and audited, or refused with
    the reason (and nothing saved)."""
    require_role(who.user, *SUPERVISING)
    call = call_in_scope(session, who.user, parse_call_id(raw_id))
    try:
        detail = save(call)
    except (InvalidEvaluation, InvalidUndercover) as exc:
        return render(
            request,
            "message.html",
            who,
            session,
            status_code=400,
            title=REFUSED_TITLES[action],
            message=str(exc),
            back=f"/calls/{call.id}",
        )
    record(
        session,
        who.requester,
        action,
        "call",
        str(call.id),
        call_id=call.id,
        centre_id=call.centre_id,
        detail=detail,
    )
    return RedirectResponse(f"/calls/{call.id}#{anchor}", status_code=303)
