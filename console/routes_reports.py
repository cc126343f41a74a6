"""The half-year usage report for supervisors and admins: a page and its Excel export,
over the centres the viewer may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backoffice.audit import record
from backoffice.scope import SUPERVISING, centre_condition, require_role
from backoffice.usage_report import UsageReport, build_report
from backoffice.usage_workbook import SUMMARY_COLUMNS, summary_rows, workbook_bytes
from console.web import DB, ConsoleContext, Viewer, centres_in_scope, context, render, viewer
from models.calls import Call
from routing.half_year import HalfYear
from routing.local_time import CHINA_TZ

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ReportRequest:
    who: Viewer
    session: Session
    ctx: ConsoleContext
    report: UsageReport


def report_request(
    period: str = "",
    who: Viewer = Depends(viewer),
    session: Session = DB,
    ctx: ConsoleContext = Depends(context),
) -> ReportRequest:
    """The viewer's report for `period` (default: the last completed half-year). Operators
    get the 404 of anything outside their scope; a bad period gets a 400 page."""
    require_role(who.user, *SUPERVISING)
    if not period:
        chosen = HalfYear.last_completed(_today(ctx))
    else:
        try:
            chosen = HalfYear.parse(period)
        except ValueError:
            message = f"报告期格式应为“年份H1”或“年份H2”，例如 2026H1：{period[:20]}"
            raise HTTPException(400, message) from None
    condition = centre_condition(who.user, Call.centre_id)
    report = build_report(session, chosen, centres_in_scope(who, ctx), condition)
    return ReportRequest(who, session, ctx, report)


def routes() -> APIRouter:
    router = APIRouter()

    @router.get("/reports/usage")
    def usage(request: Request, asked: ReportRequest = Depends(report_request)):
        return render(
            request,
            "usage_report.html",
            asked.who,
            asked.session,
            report=asked.report,
            headings=[h for h, _ in SUMMARY_COLUMNS],
            rows=summary_rows(asked.report),
            recent=_recent_periods(_today(asked.ctx)),
        )

    @router.get("/reports/usage.xlsx")
    def usage_workbook(asked: ReportRequest = Depends(report_request)):
        now = asked.ctx.clock()
        code = asked.report.period.code
        record(asked.session, asked.who.requester, "download", "report", code, now=now)
        name = f"12330号码使用情况-{code}.xlsx"
        return Response(
            workbook_bytes(asked.report, now),
            media_type=XLSX,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                "Cache-Control": "private, no-store",
            },
        )

    return router


def _today(ctx: ConsoleContext) -> dt.date:
    return ctx.clock().astimezone(CHINA_TZ).date()


def _recent_periods(today: dt.date) -> list[HalfYear]:
    """The last four completed half-years, for quick links."""
    periods = [HalfYear.last_completed(today)]
    while len(periods) < 4:
        last = periods[-1]
        periods.append(HalfYear(last.year, 1) if last.half == 2 else HalfYear(last.year - 1, 2))
    return periods
