"""The half-year usage report as an Excel workbook, the form provinces send on."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from backoffice.usage_report import CentreUsage, UsageReport
from routing.local_time import in_china

CATEGORY_SHEETS = {
    "service_type": "服务类型",
    "ip_type": "知识产权类别",
    "caller_role": "来电人身份",
    "caller_entity": "来电主体",
}

# (heading, value of a CentreUsage row)
SUMMARY_COLUMNS = (
    ("省份", lambda r: r.province),
    ("中心", lambda r: r.name),
    ("来电总数", lambda r: r.calls),
    ("工作时间来电", lambda r: r.in_hours),
    ("非工作时间来电", lambda r: r.out_of_hours),
    ("人工接听", lambda r: r.answered),
    ("语音留言", lambda r: r.voicemail),
    ("来电人挂机", lambda r: r.abandoned),
    ("系统故障", lambda r: r.failed),
    ("工作时间接听率", lambda r: _percent(r.answer_rate)),
    ("平均等待（秒）", lambda r: _round(r.average_wait)),
    ("通话时长（分钟）", lambda r: round(r.talk_minutes, 1)),
    ("应填服务记录", lambda r: r.logs_needed),
    ("已填完整", lambda r: r.logs_complete),
    ("记录完整率", lambda r: _percent(r.log_rate)),
    ("留言已回电", lambda r: r.voicemails_called_back),
    ("中小微企业来电", lambda r: r.sme_callers),
)
BOLD = Font(bold=True)


def summary_rows(report: UsageReport) -> list[list[object]]:
    """The summary table, one row per centre and a total: shared by page and workbook."""
    rows: list[CentreUsage] = [*report.centres, report.total]
    return [[value(row) for _, value in SUMMARY_COLUMNS] for row in rows]


def workbook_bytes(report: UsageReport, generated_at: dt.datetime) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "使用情况汇总"
    period = report.period
    sheet.append(
        [f"“12330”号码使用情况（{period.label_zh}：{period.first_day}至{period.last_day}）"]
    )
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"报送截止：{period.due}　生成时间：{in_china(generated_at):%Y-%m-%d %H:%M}"])
    sheet.append(
        [
            f"不含测试呼叫 {report.test_calls} 次、暗访呼叫 {report.undercover_calls} 次"
            "（暗访结果另行列出）"
        ]
    )
    sheet.append([])
    _table(sheet, [h for h, _ in SUMMARY_COLUMNS], summary_rows(report))
    centres = report.centres
    for list_name, title in CATEGORY_SHEETS.items():
        table = book.create_sheet(title)
        table.append([f"{title}（{period.label_zh}，按已填写的服务记录统计）"])
        table["A1"].font = BOLD
        table.append([])
        rows = [
            [row.label, *(row.by_centre.get(c.centre_id, 0) for c in centres), row.total]
            for row in report.categories.get(list_name, [])
        ]
        _table(table, [title, *(c.name for c in centres), "合计"], rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table(sheet, headings: list[str], rows: list[list[object]]) -> None:
    sheet.append(headings)
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    for row in rows:
        sheet.append(row)
    for index, heading in enumerate(headings, start=1):
        width = max(len(str(heading)), *(len(str(r[index - 1])) for r in rows)) if rows else 8
        sheet.column_dimensions[get_column_letter(index)].width = min(2 * width + 2, 40)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _round(value: float | None) -> float | str:
    return "—" if value is None else round(value, 1)
