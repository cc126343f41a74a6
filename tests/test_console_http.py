"""The console over HTTP (FastAPI TestClient), on SQLite and PostgreSQL: sign-in and
throttling, centre scoping with identical 404s, CSRF, the log form, recordings with
Range and audit, voicemail handling, search, sampling, scoring and undercover calls."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from console_support import (
    PASSWORD,
    add_user,
    app_client,
    config_holder,
    console_settings,
    csrf_of,
    login,
    make_call,
    seed,
)
from sqlalchemy import func, select, text

from backoffice.spot_checks import redraw
from backoffice.voicemail_inbox import handle, inbox
from config.model import CalendarOverrides
from models import (
    AuditEntry,
    Call,
    CallLogEntry,
    CallLogHistory,
    CallOutcome,
    SpotCheck,
    Voicemail,
    VoicemailStatus,
)
from models.users import Role, User

# A Wednesday in China; 2026-10-01..07 is the National Day holiday, 10-10 a make-up Saturday.
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = NOW - dt.timedelta(hours=1)


@pytest.fixture
def env(tmp_path, migrated_url, sessions):
    settings = console_settings(tmp_path, migrated_url)
    seed(sessions, settings)
    add_user(sessions, "op-sh", Role.OPERATOR, ["sh"])
    add_user(sessions, "op-bj", Role.OPERATOR, ["bj"])
    add_user(sessions, "sup-sh", Role.SUPERVISOR, ["sh", "sh-pd"])
    add_user(sessions, "admin", Role.ADMIN)
    sh = make_call(sessions, settings, "sh", at=TODAY, voicemail=True)
    bj = make_call(sessions, settings, "bj", at=TODAY, voicemail=True, caller="01065550000")
    client = app_client(settings, sessions, clock=lambda: NOW)
    return settings, sessions, client, sh, bj


def signed_in(env, name):
    settings, sessions, _, _, _ = env
    client = app_client(settings, sessions, clock=lambda: NOW)
    response = login(client, name)
    assert response.status_code == 303, response.text
    return client


def audit_rows(sessions, action=None):
    with sessions() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return session.scalars(query).all()


# --- sign-in ---------------------------------------------------------------------------


def test_login_sets_a_hardened_session_cookie_and_lands_by_role(env):
    client = env[2]
    response = login(client, "op-sh")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "h12330_session=" in cookie
    for flag in ("httponly", "secure", "samesite=strict"):
        assert flag in cookie
    assert client.get("/").headers["location"] == "/calls/today"
    [entry] = audit_rows(env[1], "login")
    assert (entry.username, entry.object_type, entry.ip) == ("op-sh", "user", "testclient")
    supervisor = signed_in(env, "sup-sh")
    assert supervisor.get("/").headers["location"] == "/search"


def test_pages_need_a_session(env):
    client = env[2]
    response = client.get("/calls/today?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcalls%2Ftoday%3Fx%3D1"


def test_login_next_never_leaves_the_site(env):
    client = env[2]
    page = client.get("/login?next=//evil.example/x")
    assert 'value="/"' in page.text
    response = client.post(
        "/login",
        data={
            "username": "op-sh",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/x",
        },
    )
    assert response.headers["location"] == "/"


def test_login_form_without_its_token_is_refused(env):
    client = env[2]
    client.get("/login")
    response = client.post("/login", data={"username": "op-sh", "password": PASSWORD})
    assert response.status_code == 403
    assert "h12330_session" not in response.headers.get("set-cookie", "")


def test_repeated_wrong_passwords_are_throttled_even_for_the_right_one(env):
    settings, _sessions, client, _, _ = env
    limit = settings.console_login_max_failures
    for _ in range(limit):
        assert login(client, "op-sh", "wrong password!").status_code == 401
    throttled = login(client, "op-sh")  # now the right password
    assert throttled.status_code == 429
    assert "登录失败次数过多" in throttled.text
    assert "h12330_session" not in throttled.headers.get("set-cookie", "")
    # Another user from the same address is throttled too (per-address count).
    assert login(client, "op-bj").status_code == 429


def test_throttle_lifts_after_the_window(env):
    settings, sessions, _, _, _ = env
    now = [NOW]
    client = app_client(settings, sessions, clock=lambda: now[0])
    for _ in range(settings.console_login_max_failures):
        login(client, "op-sh", "wrong password!")
    assert login(client, "op-sh").status_code == 429
    now[0] = NOW + dt.timedelta(minutes=settings.console_login_window_minutes, seconds=1)
    assert login(client, "op-sh").status_code == 303


def test_logout_ends_the_session(env):
    client = signed_in(env, "op-sh")
    page = client.get("/calls/today")
    response = client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303
    assert client.get("/calls/today").status_code == 303


# --- scope: another centre's records are 404, exactly like missing ones ---------------------


def test_operator_of_another_centre_gets_the_same_404_as_for_a_missing_record(env):
    _, _, _, sh, bj = env
    client = signed_in(env, "op-sh")
    assert client.get(f"/calls/{sh.id}").status_code == 200
    assert client.get(f"/recordings/{sh.recording}/audio").status_code == 200
    assert client.get(f"/voicemails/{sh.voicemail}/audio").status_code == 200
    pairs = [
        (f"/calls/{bj.id}", "/calls/999999"),
        (f"/recordings/{bj.recording}/audio", f"/recordings/{uuid.uuid4()}/audio"),
        (f"/recordings/{bj.recording}/download", f"/recordings/{uuid.uuid4()}/download"),
        (f"/voicemails/{bj.voicemail}/audio", f"/voicemails/{uuid.uuid4()}/audio"),
    ]
    for other_centre, missing in pairs:
        theirs, absent = client.get(other_centre), client.get(missing)
        assert theirs.status_code == absent.status_code == 404, other_centre
        assert theirs.text == absent.text
        assert theirs.headers["content-length"] == absent.headers["content-length"]
    # Posting to their call or voicemail is refused the same way, and changes nothing.
    csrf = csrf_of(client.get("/calls/today").text)
    assert client.post(f"/calls/{bj.id}/log", data={"csrf_token": csrf}).status_code == 404
    handle = {"csrf_token": csrf, "note": "x", "called_back": "1"}
    assert client.post(f"/voicemails/{bj.voicemail}/handle", data=handle).status_code == 404
    with env[1]() as session:
        assert session.scalar(select(func.count()).select_from(CallLogEntry)) == 0
        vm = session.scalars(select(Voicemail).where(Voicemail.uuid == bj.voicemail)).one()
        assert vm.status is VoicemailStatus.NEW
    # None of those refused attempts reached the audit log as an access.
    assert [row.object_id for row in audit_rows(env[1], "play")] == [
        str(sh.recording),
        str(sh.voicemail),
    ]


def test_operator_lists_show_only_their_centre(env):
    _, _, _, sh, bj = env
    client = signed_in(env, "op-sh")
    today = client.get("/calls/today").text
    assert f"/calls/{sh.id}" in today and f"/calls/{bj.id}" not in today
    inbox = client.get("/voicemails").text
    assert str(sh.voicemail) in inbox and str(bj.voicemail) not in inbox


def test_operator_cannot_open_supervisor_pages(env):
    client = signed_in(env, "op-sh")
    for path in ("/search", "/spot-checks", "/evaluations", "/undercover", "/audit"):
        assert client.get(path).status_code == 404, path
    assert client.get("/admin/users").status_code == 404
    assert signed_in(env, "sup-sh").get("/admin/users").status_code == 404
    assert signed_in(env, "admin").get("/admin/users").status_code == 200


def test_admin_alone_reads_the_loaded_config(env):
    for name in ("op-sh", "sup-sh"):
        assert signed_in(env, name).get("/admin/config").status_code == 404, name
    page = signed_in(env, "admin").get("/admin/config")
    assert page.status_code == 200
    holder = config_holder(env[0]).current
    for centre in holder.directory.centres:
        assert f"<td>{centre.id}</td><td>{centre.name}</td>" in page.text
    for item in holder.evaluation.items:
        assert f"{item.label_zh}（{item.max_points} 分）" in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/recordings/../../../../etc/passwd/audio",
        "/recordings/%2e%2e%2f%2e%2e%2fetc%2fpasswd/audio",
        "/recordings/%2Fetc%2Fpasswd/audio",
        "/voicemails/..%2F..%2F..%2Fetc%2Fpasswd/audio",
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/config/settings.py",
        "/static//etc/passwd",
        "/recordings/audio?path=/etc/passwd",
        "/calls/..%2F1",
    ],
)
def test_paths_in_requests_reach_no_file(env, path):
    client = signed_in(env, "admin")
    response = client.get(path)
    assert response.status_code == 404
    assert "root:" not in response.text and "load_settings" not in response.text


def test_a_row_whose_path_escapes_the_root_serves_nothing(env):
    settings, sessions, _, sh, _ = env
    secret = settings.recordings_root.parent / "secret.wav"
    secret.write_bytes(b"not for you")
    with sessions.begin() as session:  # bypasses the repository's own path check
        session.execute(
            text("UPDATE recordings SET path = :p WHERE uuid = :u"),
            {"p": "../secret.wav", "u": sh.recording.hex if _is_sqlite(session) else sh.recording},
        )
    client = signed_in(env, "op-sh")
    assert client.get(f"/recordings/{sh.recording}/audio").status_code == 404


def _is_sqlite(session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


# --- CSRF ------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_its_csrf_token_is_refused_and_saves_nothing(env, token):
    _, sessions, _, sh, _ = env
    client = signed_in(env, "op-sh")
    data = {
        "summary": "咨询专利侵权",
        "caller_role": "right_holder",
        "caller_entity": "individual",
        "service_type": "consultation",
        "ip_types": ["patent"],
    }
    if token is not None:
        data["csrf_token"] = token
    response = client.post(f"/calls/{sh.id}/log", data=data)
    assert response.status_code == 403
    assert "安全令牌" in response.text
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CallLogEntry)) == 0


def test_a_token_from_another_session_is_refused(env):
    _, _, _, sh, _ = env
    other = signed_in(env, "op-sh")
    stolen = csrf_of(other.get("/calls/today").text)
    client = signed_in(env, "op-sh")
    response = client.post(f"/calls/{sh.id}/log", data={"csrf_token": stolen, "summary": "x"})
    assert response.status_code == 403


# --- the 12330 log form -----------------------------------------------------------------


def category_codes(sessions):
    from models.categories import CategoryEntry

    with sessions() as session:
        rows = session.scalars(select(CategoryEntry)).all()
    codes: dict[str, list[str]] = {}
    for row in rows:
        codes.setdefault(row.list_name, []).append(row.code)
    return codes


def test_log_form_requires_every_field_and_keeps_what_was_typed(env):
    _, sessions, _, sh, _ = env
    client = signed_in(env, "op-sh")
    page = client.get(f"/calls/{sh.id}")
    assert page.status_code == 200
    response = client.post(
        f"/calls/{sh.id}/log",
        data={"csrf_token": csrf_of(page.text), "summary": "来电咨询商标被抢注怎么办"},
    )
    assert response.status_code == 400
    for label in ("来电人身份", "来电主体类型", "服务类型", "知识产权类别"):
        assert label in response.text
    assert "来电咨询商标被抢注怎么办" in response.text
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CallLogEntry)) == 0


def test_log_form_saves_with_history_and_audit(env):
    _, sessions, _, sh, _ = env
    codes = category_codes(sessions)
    client = signed_in(env, "op-sh")
    today = client.get("/calls/today").text
    assert 'data-testid="pending"' in today and "<b>1</b>" in today
    form = {
        "csrf_token": csrf_of(client.get(f"/calls/{sh.id}").text),
        "summary": "来电人反映其外观设计专利被电商平台店铺侵权，已告知投诉途径",
        "caller_role": codes["caller_role"][0],
        "caller_entity": codes["caller_entity"][0],
        "service_type": codes["service_type"][0],
        "ip_types": [codes["ip_type"][0], codes["ip_type"][1]],
    }
    response = client.post(f"/calls/{sh.id}/log", data=form)
    assert response.status_code == 303, response.text
    assert "<b>0</b>" in client.get("/calls/today").text
    form["summary"] += "（已回访）"
    assert client.post(f"/calls/{sh.id}/log", data=form).status_code == 303
    with sessions() as session:
        entry = session.scalars(select(CallLogEntry)).one()
        assert entry.is_complete and entry.operator_name == "op-sh"
        history = session.scalars(select(CallLogHistory).order_by(CallLogHistory.id)).all()
        assert [h.old_values is None for h in history] == [True, False]
        assert history[1].new_values["summary"].endswith("（已回访）")
    assert len(audit_rows(sessions, "log_saved")) == 2
    page = client.get(f"/calls/{sh.id}").text
    assert "修改记录" in page and "op-sh" in page


def test_unknown_category_code_is_refused_with_the_form_kept(env):
    _, sessions, _, sh, _ = env
    codes = category_codes(sessions)
    client = signed_in(env, "op-sh")
    form = {
        "csrf_token": csrf_of(client.get(f"/calls/{sh.id}").text),
        "summary": "要点",
        "caller_role": "no_such_role",
        "caller_entity": codes["caller_entity"][0],
        "service_type": codes["service_type"][0],
        "ip_types": [codes["ip_type"][0]],
    }
    response = client.post(f"/calls/{sh.id}/log", data=form)
    assert response.status_code == 400
    assert "no_such_role" in response.text and "要点" in response.text


# --- recordings: Range, download, audit ------------------------------------------------------


def test_recording_supports_range_and_audits_plays_not_seeks(env):
    _settings, sessions, _, sh, _ = env
    client = signed_in(env, "op-sh")
    url = f"/recordings/{sh.recording}/audio"
    whole = client.get(url)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == whole.content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole.content)}"
    plays = audit_rows(sessions, "play")
    assert len(plays) == 1  # the seek did not count as a new play
    assert plays[0].username == "op-sh" and plays[0].ip == "testclient"
    assert plays[0].object_id == str(sh.recording) and plays[0].call_id == sh.id
    download = client.get(f"/recordings/{sh.recording}/download")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    assert len(audit_rows(sessions, "download")) == 1


def test_recording_file_gone_is_a_404(env):
    settings, _, _, sh, _ = env
    for wav in settings.recordings_root.rglob("sh-*.wav"):
        wav.unlink()
    assert signed_in(env, "op-sh").get(f"/recordings/{sh.recording}/audio").status_code == 404


# --- voicemail -------------------------------------------------------------------------


def test_voicemail_handling_needs_a_note_then_records_callback(env):
    _, sessions, _, sh, _ = env
    client = signed_in(env, "op-sh")
    inbox = client.get("/voicemails").text
    csrf = csrf_of(inbox)
    refused = client.post(
        f"/voicemails/{sh.voicemail}/handle",
        data={"csrf_token": csrf, "called_back": "1", "note": "  "},
    )
    assert refused.status_code == 400 and "请填写处理备注" in refused.text
    done = client.post(
        f"/voicemails/{sh.voicemail}/handle",
        data={"csrf_token": csrf, "called_back": "1", "note": "已回电，告知维权途径"},
    )
    assert done.status_code == 303
    with sessions() as session:
        vm = session.scalars(select(Voicemail).where(Voicemail.uuid == sh.voicemail)).one()
        assert vm.status is VoicemailStatus.HANDLED and vm.handled_by == "op-sh"
        assert vm.called_back_at == NOW and vm.note == "已回电，告知维权途径"
    assert len(audit_rows(sessions, "voicemail_handled")) == 1


def test_inbox_shows_every_new_message_and_pages_handled_ones(env):
    settings, sessions, _, sh, _ = env
    made = [
        make_call(sessions, settings, "sh", at=TODAY - dt.timedelta(days=d), voicemail=True)
        for d in (1, 2, 3)
    ]
    with sessions.begin() as session:
        user = session.scalars(select(User).where(User.username == "op-sh")).one()
        for minutes, call in zip((30, 10, 20), made, strict=True):
            vm = session.scalars(select(Voicemail).where(Voicemail.uuid == call.voicemail)).one()
            handle(
                session,
                vm,
                user,
                called_back=True,
                note="回电",
                now=NOW - dt.timedelta(minutes=minutes),
            )
    with sessions() as session:
        user = session.scalars(select(User).where(User.username == "op-sh")).one()
        pages = [inbox(session, user, CalendarOverrides(), 1, NOW, n, per_page=2) for n in (0, 1)]
        shown = [([r.voicemail.uuid for r in box.rows], box.more_handled) for box in pages]
    # Handled newest-handled first: made[1] (10 min ago), made[2] (20), made[0] (30).
    assert shown[0] == ([sh.voicemail, made[1].voicemail, made[2].voicemail], True)
    assert shown[1] == ([sh.voicemail, made[0].voicemail], False)
    client = signed_in(env, "op-sh")
    assert "older-handled" not in client.get("/voicemails").text  # 3 handled fit one page
    assert client.get("/voicemails?handled_page=-1").status_code == 400
    assert client.get("/voicemails?handled_page=x").status_code == 400


@pytest.mark.parametrize(
    ("left", "now", "overdue"),
    [
        # Left on a Wednesday, 1 working day: due Thursday, overdue from Friday.
        ("2026-11-25T18:00", "2026-11-26T23:00", False),
        ("2026-11-25T18:00", "2026-11-27T08:00", True),
        # Left on Friday: the weekend does not count, due Monday.
        ("2026-11-27T18:00", "2026-11-30T17:00", False),
        # Left before National Day: the holiday week does not count; the make-up
        # Saturday 2026-10-10 does... due 2026-10-08 (first working day after).
        ("2026-09-30T18:00", "2026-10-08T20:00", False),
        ("2026-09-30T18:00", "2026-10-09T09:00", True),
    ],
)
def test_overdue_voicemail_counts_statutory_working_days(env, left, now, overdue):
    settings, sessions, _, _, _ = env
    china = dt.timezone(dt.timedelta(hours=8))
    left_at = dt.datetime.fromisoformat(left).replace(tzinfo=china)
    at = dt.datetime.fromisoformat(now).replace(tzinfo=china)
    call = make_call(sessions, settings, "sh-pd", at=left_at, voicemail=True)
    client = app_client(settings, sessions, clock=lambda: at)
    assert login(client, "sup-sh").status_code == 303
    page = client.get("/voicemails").text
    block = page[page.index(str(call.voicemail)) - 200 :]
    block = block[: block.index("</section>")]
    assert ('data-testid="overdue"' in block) is overdue


# --- supervisors ---------------------------------------------------------------------------


def test_search_filters_and_statistics_leave_out_test_and_undercover_calls(env):
    settings, sessions, _, _sh, bj = env
    make_call(sessions, settings, "sh", at=TODAY, caller="13912345678", is_test=True)
    client = signed_in(env, "sup-sh")
    page = client.get("/search?number=1234567").text
    assert "13912345678" in page and "13800138000" not in page
    assert f"/calls/{bj.id}" not in client.get("/search").text  # bj is outside the scope
    stats = client.get("/search").text
    assert "已接听 1" in stats  # the sh call; the test call is listed but not counted
    assert client.get("/search?number=12ab").status_code == 400
    assert client.get("/search?from=2026-13-01").status_code == 400
    assert client.get("/search?centre=bj").status_code == 400  # not theirs to filter on
    assert "共 0 条" in client.get("/search?outcome=voicemail").text


def test_spot_check_draw_is_reproducible_and_never_repeats_a_call(env):
    settings, sessions, _, _, _ = env
    for day in range(5):
        at = TODAY - dt.timedelta(days=day)
        make_call(sessions, settings, "sh", at=at)
        make_call(sessions, settings, "sh-pd", at=at)
    test_call = make_call(sessions, settings, "sh", at=TODAY, is_test=True)
    client = signed_in(env, "sup-sh")
    csrf = csrf_of(client.get("/spot-checks").text)
    form = {
        "csrf_token": csrf,
        "from": "2026-11-01",
        "to": "2026-11-30",
        "stratum": "centre",
        "per_group": "2",
        "seed": "fixed-seed-1",
    }
    response = client.post("/spot-checks", data=form)
    assert response.status_code == 303, response.text
    with sessions() as session:
        sample = session.scalars(select(SpotCheck)).one()
        drawn = {item.call_id for item in sample.items}
        assert len(drawn) == 4 and {i.group for i in sample.items} == {"sh", "sh-pd"}
        assert test_call.id not in drawn
        assert redraw(sample) == {
            g: sorted(i.call_id for i in sample.items if i.group == g) for g in ("sh", "sh-pd")
        }
    page = client.get(response.headers["location"]).text
    assert "fixed-seed-1" in page
    # A second draw with the same seed cannot pick the same calls again.
    assert client.post("/spot-checks", data=form).status_code == 303
    with sessions() as session:
        items = [i.call_id for s in session.scalars(select(SpotCheck)) for i in s.items]
        assert len(items) == len(set(items)) == 8
    assert len(audit_rows(sessions, "sample_drawn")) == 2
    bad = client.post("/spot-checks", data={**form, "per_group": "0"})
    assert bad.status_code == 400


def test_evaluation_scores_pass_and_auto_fail(env):
    _, sessions, _, sh, _ = env
    client = signed_in(env, "sup-sh")
    csrf = csrf_of(client.get(f"/calls/{sh.id}").text)
    full = {"csrf_token": csrf, "comment": "规范"}
    items = {"greeting": 10, "attitude": 20, "understanding": 20, "accuracy": 25}
    items |= {"guidance": 15, "record": 10}
    full |= {f"score_{k}": str(v) for k, v in items.items()}
    assert client.post(f"/calls/{sh.id}/evaluate", data=full).status_code == 303
    red_line = {**full, "auto_fail": ["rude"]}
    assert client.post(f"/calls/{sh.id}/evaluate", data=red_line).status_code == 303
    too_many = {**full, "score_greeting": "11"}
    assert client.post(f"/calls/{sh.id}/evaluate", data=too_many).status_code == 400
    from models.quality import Evaluation

    with sessions() as session:
        rows = session.scalars(select(Evaluation).order_by(Evaluation.id)).all()
        assert [(r.total, r.passed, r.auto_fail) for r in rows] == [
            (100, True, []),
            (100, False, ["rude"]),
        ]
    summary = client.get("/evaluations").text
    assert "上海" in summary and "100.0" in summary


def test_undercover_calls_are_listed_apart_and_left_out_of_statistics(env):
    _settings, sessions, _, sh, _ = env
    client = signed_in(env, "sup-sh")
    csrf = csrf_of(client.get(f"/calls/{sh.id}").text)
    before = client.get("/search").text
    assert "已接听 1" in before
    response = client.post(
        f"/calls/{sh.id}/undercover",
        data={"csrf_token": csrf, "verdict": "failed", "note": "未告知录音"},
    )
    assert response.status_code == 303
    with sessions() as session:
        assert session.get(Call, sh.id).is_undercover
    listed = client.get("/undercover").text
    assert f"/calls/{sh.id}" in listed and "不合格" in listed and "未告知录音" in listed
    after = client.get("/search").text
    assert "已接听 1" not in after
    assert f"/calls/{sh.id}" in client.get("/search?flag=undercover").text
    refused = client.post(
        f"/calls/{sh.id}/undercover", data={"csrf_token": csrf, "verdict": "maybe"}
    )
    assert refused.status_code == 400


def test_audit_view_filters_and_stays_in_scope(env):
    _, _sessions, _, sh, bj = env
    signed_in(env, "op-sh").get(f"/recordings/{sh.recording}/audio")
    signed_in(env, "op-bj").get(f"/recordings/{bj.recording}/audio")
    supervisor = signed_in(env, "sup-sh")
    page = supervisor.get("/audit?action=play").text
    assert str(sh.recording) in page and str(bj.recording) not in page
    assert "op-sh" in page
    admin = signed_in(env, "admin").get("/audit?user=op-bj").text
    assert str(bj.recording) in admin and str(sh.recording) not in admin
    assert supervisor.get("/audit?call=abc").status_code == 400


def test_audit_log_is_append_only(env):
    _, sessions, _, sh, _ = env
    signed_in(env, "op-sh").get(f"/recordings/{sh.recording}/audio")
    with pytest.raises(Exception, match="append-only"), sessions.begin() as session:
        session.execute(text("UPDATE audit_log SET username = 'someone-else'"))
    with pytest.raises(Exception, match="append-only"), sessions.begin() as session:
        session.execute(text("DELETE FROM audit_log"))


def test_pages_carry_security_headers(env):
    client = signed_in(env, "op-sh")
    response = client.get("/calls/today")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert client.get("/health").json() == {"status": "ok"}


def test_outcome_of_a_call_is_shown_in_chinese(env):
    _, _sessions, _, sh, _ = env
    page = signed_in(env, "op-sh").get(f"/calls/{sh.id}").text
    assert "已接听" in page
    assert CallOutcome.ANSWERED.value not in page.split('data-testid="outcome"')[1][:40]


def test_spot_check_takes_test_calls_only_when_asked(env):
    settings, sessions, _, _, _ = env
    test_call = make_call(sessions, settings, "sh-pd", at=TODAY, is_test=True)
    client = signed_in(env, "sup-sh")
    form = {
        "csrf_token": csrf_of(client.get("/spot-checks").text),
        "from": "2026-11-25",
        "to": "2026-11-25",
        "centres": ["sh-pd"],
        "per_group": "3",
    }
    refused = client.post("/spot-checks", data=form)
    assert refused.status_code == 400 and "没有可抽查的通话" in refused.text
    drawn = client.post("/spot-checks", data={**form, "include_test_calls": "1"})
    assert drawn.status_code == 303, drawn.text
    with sessions() as session:
        sample = session.scalars(select(SpotCheck)).one()
        assert sample.include_test_calls
        assert [item.call_id for item in sample.items] == [test_call.id]


def test_pending_page_lists_unfilled_calls_of_every_day_in_scope(env):
    settings, sessions, _, sh, bj = env
    older = make_call(sessions, settings, "sh", at=TODAY - dt.timedelta(days=3))
    make_call(sessions, settings, "sh", at=TODAY, is_test=True)  # test calls are not due
    client = signed_in(env, "op-sh")
    today = client.get("/calls/today").text
    assert f"/calls/{older.id}" not in today and "<b>2</b>" in today
    pending = client.get("/calls/pending").text
    listed = [f"/calls/{c.id}" in pending for c in (older, sh, bj)]
    assert listed == [True, True, False]
    assert pending.index(f"/calls/{older.id}") < pending.index(f"/calls/{sh.id}")


def test_admin_creates_changes_and_disables_users(env):
    _, sessions, _, _, _ = env
    admin = signed_in(env, "admin")
    csrf = csrf_of(admin.get("/admin/users").text)
    new = {"csrf_token": csrf, "username": "op-new", "role": "operator", "centres": ["sh"]}
    weak = admin.post("/admin/users", data={**new, "password": "short"})
    assert weak.status_code == 400 and "至少 10 个字符" in weak.text and "op-new" in weak.text
    assert admin.post("/admin/users", data={**new, "password": PASSWORD}).status_code == 303
    clash = admin.post("/admin/users", data={**new, "password": PASSWORD})
    assert clash.status_code == 400 and "已存在" in clash.text
    moved = admin.post("/admin/users", data={**new, "centres": ["sh-pd"], "update": "1"})
    assert moved.status_code == 303
    newcomer = signed_in(env, "op-new")  # the change kept the password
    with sessions() as session:
        changed = session.scalars(select(User).where(User.username == "op-new")).one()
        assert changed.centre_ids == ["sh-pd"]
    off = admin.post("/admin/users/op-new/active", data={"csrf_token": csrf, "active": "0"})
    assert off.status_code == 303
    assert newcomer.get("/calls/today").status_code == 303  # signed out at once
    assert login(app_client(env[0], sessions), "op-new").status_code == 401
    itself = admin.post("/admin/users/admin/active", data={"csrf_token": csrf, "active": "0"})
    assert itself.status_code == 404
    demote = admin.post("/admin/users", data={**new, "username": "admin", "update": "1"})
    assert demote.status_code == 400
    actions = [row.action for row in audit_rows(sessions) if row.object_type == "user"]
    assert actions.count("user_saved") == 2 and "user_disabled" in actions
    supervisor = signed_in(env, "sup-sh")
    refused = supervisor.post(
        "/admin/users",
        data={**new, "csrf_token": csrf_of(supervisor.get("/search").text), "username": "x1"},
    )
    assert refused.status_code == 404


def test_an_oversized_form_is_refused_unread(env):
    _, sessions, _, sh, _ = env
    client = signed_in(env, "op-sh")
    csrf = csrf_of(client.get(f"/calls/{sh.id}").text)
    response = client.post(
        f"/calls/{sh.id}/log", data={"csrf_token": csrf, "summary": "要" * 200_000}
    )
    assert response.status_code == 413
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CallLogEntry)) == 0
