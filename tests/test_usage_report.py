"""The half-year usage report (〔2009〕115号 四、情况汇总), on SQLite and PostgreSQL: the
period and its China-time edges, what is counted and what is left out, scope, the
console page and Excel export with audit, and the `report usage` command."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from console_support import add_user, app_client, console_settings, login, make_call, seed
from openpyxl import load_workbook
from sqlalchemy import select, true

from backoffice.usage_report import COUNTED, _usage_columns, build_report
from backoffice.usage_workbook import workbook_bytes
from cli.main import main
from config.loader import load_config
from models import AuditEntry, Call, CallOutcome, Voicemail
from models.call_log_edit import save_call_log
from models.repository import create_call, mark_voicemail_handled, set_call_routing
from models.users import Role
from routing.half_year import HalfYear

CN = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=CN)
A, V = CallOutcome.ANSWERED, CallOutcome.VOICEMAIL
FULL_SH = ("right_holder", "enterprise", True, "consultation", ["patent", "trademark"], "咨询")
REPORT_SH = ("public", "individual", False, "report", ["copyright"], "举报")
COMPLAINT_BJ = ("whistleblower", "enterprise", False, "complaint", ["trademark"], "投诉")
HALF_DONE = ("public", "individual", False, "consultation", [], "")  # no summary, no IP type


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=CN)


# centre, China time,       outcome,                        open,  kind,        log, called back
CALLS = [
    ("sh", at(2026, 1, 1, 0, 0), A, True, "", FULL_SH, False),  # first minute of the half
    ("sh", at(2026, 6, 30, 23, 59), V, False, "", REPORT_SH, True),  # its last minute
    ("sh", at(2026, 3, 2, 10), CallOutcome.ABANDONED_RINGING, True, "", None, False),
    ("sh", at(2026, 3, 3, 10), A, True, "", HALF_DONE, False),
    ("bj", at(2026, 4, 1, 10), A, True, "", COMPLAINT_BJ, False),
    ("bj", at(2026, 4, 2, 10), CallOutcome.FAILED, True, "", None, False),
    ("sh", at(2026, 5, 6, 10), A, True, "test", FULL_SH, False),
    ("sh", at(2026, 5, 7, 10), A, True, "undercover", FULL_SH, False),
    ("sh", at(2026, 7, 1, 0, 0), A, True, "", FULL_SH, False),  # the second half
    ("sh", at(2025, 12, 31, 23, 59), A, True, "", FULL_SH, False),  # last year
]

# centre -> counted field -> expected, for the calls above in 2026H1
EXPECTED = {
    "sh": dict(calls=4, in_hours=3, out_of_hours=1, answered=2, voicemail=1, abandoned=1,
               failed=0, logs_needed=3, logs_complete=2, voicemails_called_back=1,
               sme_callers=1, wait_seconds_total=16.0, talk_seconds_total=300.0),
    "bj": dict(calls=2, in_hours=2, out_of_hours=0, answered=1, voicemail=0, abandoned=0,
               failed=1, logs_needed=1, logs_complete=1, voicemails_called_back=0,
               sme_callers=0, wait_seconds_total=8.0, talk_seconds_total=150.0),
    "tj": dict.fromkeys(COUNTED, 0),
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "year", "half"),
    [("2026H1", 2026, 1), ("2026h2", 2026, 2), (" 2025-H2 ", 2025, 2)],
)
def test_period_parses(text, year, half):
    assert HalfYear.parse(text) == HalfYear(year, half)


@pytest.mark.parametrize("text", ["", "2026", "2026H3", "26H1", "2026Q1", "1999H1", "H1"])
def test_period_refuses_anything_else_clearly(text):
    with pytest.raises(ValueError, match="expected YEAR H1 or YEAR H2"):
        HalfYear.parse(text)


@pytest.mark.parametrize(
    ("today", "period", "due"),
    [
        (dt.date(2026, 11, 30), HalfYear(2026, 1), dt.date(2026, 7, 15)),
        (dt.date(2026, 7, 1), HalfYear(2026, 1), dt.date(2026, 7, 15)),
        (dt.date(2026, 6, 30), HalfYear(2025, 2), dt.date(2026, 1, 15)),
        (dt.date(2027, 1, 2), HalfYear(2026, 2), dt.date(2027, 1, 15)),
    ],
)
def test_last_completed_half_year_and_its_due_date(today, period, due):
    assert HalfYear.last_completed(today) == period
    assert period.due == due


def test_period_bounds_are_china_midnights():
    start, end = HalfYear(2026, 2).bounds()
    assert start == at(2026, 7, 1) and end == at(2027, 1, 1)
    assert start.astimezone(dt.UTC) == dt.datetime(2026, 6, 30, 16, 0, tzinfo=dt.UTC)


def test_every_counted_field_has_its_sql_aggregate():
    assert tuple(_usage_columns()) == COUNTED


@pytest.fixture
def env(tmp_path, migrated_url, sessions):
    settings = console_settings(tmp_path, migrated_url)
    seed(sessions, settings)
    for centre, when, outcome, is_open, kind, log, called_back in CALLS:
        made = make_call(
            sessions, settings, centre, at=when, outcome=outcome, voicemail=outcome is V,
            is_test=kind == "test",
        )  # fmt: skip
        with sessions.begin() as session:
            call = set_call_routing(
                session, made.id, area_code="021", centre_id=centre, is_open=is_open,
                open_reason="test",
            )  # fmt: skip
            call.is_undercover = kind == "undercover"
            if log:
                role, entity, sme, service, ip_types, summary = log
                save_call_log(
                    session, made.id, operator="op1", summary=summary, caller_role=role,
                    caller_entity=entity, is_sme=sme, service_type=service, ip_types=ip_types,
                )  # fmt: skip
            if called_back:
                vm = session.scalars(select(Voicemail).where(Voicemail.call_id == made.id)).one()
                mark_voicemail_handled(session, vm.id, handled_by="op1", called_back_at=NOW)
    return settings, sessions


def _report(env, centres=None, scope=None):
    settings, sessions = env
    directory = load_config(settings, check_prompts=False).directory
    chosen = [c for c in directory.centres if centres is None or c.id in centres]
    with sessions() as session:
        return build_report(session, HalfYear(2026, 1), chosen, true() if scope is None else scope)


def test_report_counts_public_calls_of_the_half_year_only(env):
    report = _report(env)
    rows = {r.centre_id: r for r in report.centres}
    for centre, expected in EXPECTED.items():
        assert {name: getattr(rows[centre], name) for name in COUNTED} == expected, centre
    assert (report.test_calls, report.undercover_calls) == (1, 1)
    assert rows["sh"].answer_rate == pytest.approx(2 / 3)
    assert rows["sh"].average_wait == 8.0 and rows["sh"].talk_minutes == 5.0
    assert rows["tj"].answer_rate is None and rows["tj"].log_rate is None
    total = report.total
    assert total.calls == 6 and total.answered == 3 and total.logs_complete == 3


def test_report_breaks_categories_down_per_centre(env):
    categories = _report(env).categories
    service = {row.code: row.by_centre for row in categories["service_type"]}
    assert service["consultation"] == {"sh": 2}  # a half-filled log still names its type
    assert service["report"] == {"sh": 1} and service["complaint"] == {"bj": 1}
    assert service["suggestion"] == {}  # every listed entry is shown, zeros too
    ip = {row.code: row for row in categories["ip_type"]}
    assert ip["trademark"].by_centre == {"sh": 1, "bj": 1} and ip["trademark"].total == 2
    assert ip["patent"].label == "专利"
    roles = {row.code: row.total for row in categories["caller_role"]}
    assert roles["right_holder"] == 1 and roles["whistleblower"] == 1 and roles["public"] == 2


def test_calls_that_reached_no_centre_are_reported_not_lost(env):
    _, sessions = env
    with sessions.begin() as session:
        create_call(
            session, uniqueid="lost.1", linkedid="lost.1", started_at=at(2026, 2, 3, 9),
            dialled_number="12330", caller_number="13900000000",
        )  # fmt: skip
    report = _report(env)
    rows = {r.centre_id: r for r in report.centres}
    assert rows["-"].calls == 1 and "未接入中心" in rows["-"].name
    # The centres file's order, the calls of no centre last.
    directory = load_config(env[0], check_prompts=False).directory
    assert list(rows) == [c.id for c in directory.centres] + ["-"]
    # A report limited to centres leaves such calls out.
    scoped = _report(env, centres={"sh"}, scope=Call.centre_id.in_(["sh"])).centres
    assert [r.centre_id for r in scoped] == ["sh"]


def test_workbook_carries_the_same_figures(env):
    book = load_workbook(io.BytesIO(workbook_bytes(_report(env), NOW.astimezone(dt.UTC))))
    assert book.sheetnames == ["使用情况汇总", "服务类型", "知识产权类别", "来电人身份", "来电主体"]
    summary = list(book["使用情况汇总"].values)
    assert "2026年上半年" in summary[0][0] and "2026-07-15" in summary[1][0]
    assert "生成时间：2026-11-25 10:00" in summary[1][0]  # China time, whatever zone was given
    assert "测试呼叫 1 次、暗访呼叫 1 次" in summary[2][0]
    header = summary[4]
    by_name = {row[1]: dict(zip(header, row, strict=True)) for row in summary[5:]}
    assert by_name["合计"]["来电总数"] == 6 and by_name["合计"]["人工接听"] == 3
    sh = next(v for k, v in by_name.items() if v["省份"] == "上海" and v["来电总数"] == 4)
    assert sh["工作时间接听率"] == "66.7%" and sh["通话时长（分钟）"] == 5.0
    ip = {row[0]: row for row in list(book["知识产权类别"].values)[3:]}
    assert ip["商标"][-1] == 2


# --- console ----------------------------------------------------------------------------


def signed_in(env, name, role, centres=(), all_centres=False):
    settings, sessions = env
    add_user(sessions, name, role, centres, all_centres)
    client = app_client(settings, sessions, clock=lambda: NOW)
    assert login(client, name).status_code == 303
    return client


def test_operators_get_no_report(env):
    client = signed_in(env, "op-sh", Role.OPERATOR, ["sh"])
    assert client.get("/reports/usage").status_code == 404
    assert client.get("/reports/usage.xlsx?period=2026H1").status_code == 404


def test_supervisor_page_defaults_to_the_last_half_year_in_scope(env):
    client = signed_in(env, "sup-sh", Role.SUPERVISOR, ["sh"])
    page = client.get("/reports/usage")
    assert page.status_code == 200
    assert "2026年上半年" in page.text and 'data-testid="due">2026-07-15' in page.text
    table = page.text.split('data-testid="usage-summary"')[1].split("</table>")[0]
    assert table.count("<tr") == 3  # heading, sh, total: bj stays out of scope
    assert "<td>4</td>" in table and "<td>2</td>" not in table.split("<tr")[2][:40]


def test_bad_period_is_a_clear_400(env):
    client = signed_in(env, "sup-all", Role.SUPERVISOR, all_centres=True)
    page = client.get("/reports/usage?period=<script>")
    assert page.status_code == 400 and "报告期格式" in page.text
    assert "<script>" not in page.text
    assert client.get("/reports/usage.xlsx?period=2026H9").status_code == 400


def test_workbook_download_is_audited(env):
    client = signed_in(env, "sup-all", Role.SUPERVISOR, all_centres=True)
    response = client.get("/reports/usage.xlsx?period=2026h1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "2026H1.xlsx" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert list(book["使用情况汇总"].values)[-1][2] == 6  # 合计 来电总数
    with env[1]() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "report")).all()
    assert [(r.action, r.object_id, r.username) for r in rows] == [
        ("download", "2026H1", "sup-all")
    ]


# --- command ----------------------------------------------------------------------------


def test_report_command_prints_and_writes_the_workbook(env, monkeypatch, capsys, tmp_path):
    settings, _ = env
    monkeypatch.setenv("HOTLINE12330_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HOTLINE12330_DATABASE_URL", settings.database_url)
    out = tmp_path / "usage.xlsx"
    args = ["report", "usage", "--period", "2026H1", "--centre", "sh", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("12330 usage 2026H1") and "due 2026-07-15" in printed[0]
    assert printed[2].split("\t")[2] == "4" and printed[3].split("\t")[1] == "合计"
    assert "excluded: 1 test call(s), 1 undercover" in printed[-2]
    assert list(load_workbook(out)["使用情况汇总"].values)[-1][2] == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026H3"], "expected YEAR H1 or YEAR H2"),
        (["--centre", "nowhere"], "unknown centre(s): nowhere"),
        (["--out", "/nonexistent-dir/x.xlsx"], "cannot write"),
    ],
)
def test_report_command_refuses_bad_input_clearly(env, monkeypatch, capsys, args, message):
    settings, _ = env
    monkeypatch.setenv("HOTLINE12330_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HOTLINE12330_DATABASE_URL", settings.database_url)
    assert main(["report", "usage", *args]) in (1, 2)
    assert message in capsys.readouterr().err


def test_report_command_reports_unusable_settings(tmp_path, capsys):
    bad = Path(tmp_path / "bad.toml")
    bad.write_text("database_url = [\n")
    assert main(["report", "usage", "--config", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("error:")
