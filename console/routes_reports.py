"""The half-year usage report for supervisors and admins: a page and its Excel export,
over the centres the viewer may see."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from console.audit import record
from console.routes_quality import SUPERVISING
from console.scope import centre_condition, require_role, visible_centres
from console.usage_report import HalfYear, UsageReport, build_report
from console.usage_workbook import SUMMARY_COLUMNS, summary_rows, workbook_bytes
from console.web import ConsoleContext, Viewer, context, db, render, viewer
from models.calls import Call
from routing.local_time import CHINA_TZ

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def routes() -> APIRouter:
    router = APIRouter()

    @router.get("/reports/usage")
    def usage(
        request: Request,
        period: str = "",
        who: Viewer = Depends(viewer),
        session: Session = Depends(db),
        ctx: ConsoleContext = Depends(context),
    ):
        require_role(who.user, *SUPERVISING)
        try:
            chosen = _period(period, ctx)
        except ValueError as error:
            return render(
                request,
                "message.html",
                who,
                session,
                400,
                title="报告期无效",
                message=str(error),
                back="/reports/usage",
            )
        report = _report(session, who, ctx, chosen)
        return render(
            request,
            "usage_report.html",
            who,
            session,
            report=report,
            headings=[h for h, _ in SUMMARY_COLUMNS],
            rows=summary_rows(report),
            recent=_recent_periods(_today(ctx)),
        )

    @router.get("/reports/usage.xlsx")
    def usage_workbook(
        request: Request,
        period: str = "",
        who: Viewer = Depends(viewer),
        session: Session = Depends(db),
        ctx: ConsoleContext = Depends(context),
    ):
        require_role(who.user, *SUPERVISING)
        try:
            chosen = _period(period, ctx)
        except ValueError as error:
            return Response(str(error), status_code=400, media_type="text/plain; charset=utf-8")
        report = _report(session, who, ctx, chosen)
        now = ctx.clock()
        record(session, who.requester, "download", "report", chosen.code, now=now)
        name = f"12330号码使用情况-{chosen.code}.xlsx"
        return Response(
            workbook_bytes(report, now.astimezone(CHINA_TZ)),
            media_type=XLSX,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                "Cache-Control": "private, no-store",
            },
        )

    return router


def _period(raw: str, ctx: ConsoleContext) -> HalfYear:
    """The asked-for half-year, or the last completed one; ValueError in Chinese."""
    if not raw:
        return HalfYear.last_completed(_today(ctx))
    try:
        return HalfYear.parse(raw)
    except ValueError:
        raise ValueError(f"报告期格式应为“年份H1”或“年份H2”，例如 2026H1：{raw[:20]}") from None


def _today(ctx: ConsoleContext) -> dt.date:
    return ctx.clock().astimezone(CHINA_TZ).date()


def _report(session: Session, who: Viewer, ctx: ConsoleContext, period: HalfYear) -> UsageReport:
    scope = visible_centres(who.user)
    centres = [c for c in ctx.config.current.directory.centres if scope is None or c.id in scope]
    return build_report(session, period, centres, centre_condition(who.user, Call.centre_id))


def _recent_periods(today: dt.date) -> list[HalfYear]:
    """The last four completed half-years, for quick links."""
    periods = [HalfYear.last_completed(today)]
    while len(periods) < 4:
        last = periods[-1]
        periods.append(HalfYear(last.year, 1) if last.half == 2 else HalfYear(last.year - 1, 2))
    return periods
