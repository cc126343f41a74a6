"""The operator's call log: completeness in Python and SQL, edit history, code checks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.model import Categories, Category
from models import (
    Call,
    CallLogEntry,
    CallLogHistory,
    CallOutcome,
    CategoryEntry,
    calls_with_incomplete_log,
    log_complete,
)
from models.call_log_edit import InvalidLogEntry, save_call_log
from models.repository import create_call, update_call_outcome
from models.seed import seed_categories

T0 = dt.datetime(2026, 10, 9, 2, 0, tzinfo=dt.UTC)
LISTS = Categories(
    lists={
        "ip_type": (
            Category("patent", "专利", "Patent"),
            Category("trademark", "商标", "Trademark"),
            Category("retired", "旧类", "Retired type"),
        ),
        "caller_role": (Category("rights_holder", "权利人", "Rights holder"),),
        "caller_entity": (
            Category("enterprise", "企业", "Enterprise", flags=("sme",)),
            Category("individual", "个人", "Individual"),
        ),
        "service_type": (Category("consultation", "咨询", "Consultation"),),
    }
)
FULL = {
    "summary": "咨询商标被抢注如何处理",
    "caller_role": "rights_holder",
    "caller_entity": "enterprise",
    "service_type": "consultation",
    "ip_types": ["trademark"],
}


@pytest.fixture
def seeded(session: Session) -> Session:
    seed_categories(session, LISTS)
    session.commit()
    return session


def add_call(
    session: Session, uniqueid: str, outcome: CallOutcome | None = CallOutcome.ANSWERED, **flags
) -> int:
    call = create_call(
        session, uniqueid=uniqueid, linkedid=uniqueid, started_at=T0, dialled_number="12330",
        **flags,
    )  # fmt: skip
    if outcome is CallOutcome.ANSWERED:
        update_call_outcome(session, call.id, outcome, answered_line="PJSIP/sh-1")
    elif outcome is not None:
        update_call_outcome(session, call.id, outcome)
    session.commit()
    return call.id


# fields changed from a full log -> complete?
COMPLETENESS_ROWS = [
    ({}, True),
    ({"summary": ""}, False),
    ({"summary": "   "}, False),
    ({"caller_role": None}, False),
    ({"caller_entity": None}, False),
    ({"service_type": None}, False),
    ({"ip_types": []}, False),
    ({"ip_types": ["patent", "trademark"]}, True),
]


@pytest.mark.parametrize(("changes", "complete"), COMPLETENESS_ROWS)
def test_log_completeness_in_python_and_sql(seeded: Session, changes: dict, complete: bool) -> None:
    call_id = add_call(seeded, "1.1")
    entry = save_call_log(seeded, call_id, operator="王芳", **(FULL | changes))
    seeded.commit()
    seeded.expire_all()
    assert seeded.get(CallLogEntry, entry.id).is_complete is complete
    in_sql = seeded.scalar(select(log_complete()).where(CallLogEntry.id == entry.id))
    assert bool(in_sql) is complete
    incomplete = seeded.scalars(calls_with_incomplete_log()).all()
    assert [c.id for c in incomplete] == ([] if complete else [call_id])


def test_calls_with_incomplete_log_selects_the_right_calls(seeded: Session) -> None:
    no_log = add_call(seeded, "1.1")
    partial = add_call(seeded, "1.2")
    save_call_log(seeded, partial, operator="王芳", summary="未填完")
    done = add_call(seeded, "1.3")
    save_call_log(seeded, done, operator="王芳", **FULL)
    voicemail = add_call(seeded, "1.4", CallOutcome.VOICEMAIL)
    add_call(seeded, "1.5", CallOutcome.ABANDONED_GREETING)  # nothing to log
    add_call(seeded, "1.6", None)  # still in progress
    test_call = add_call(seeded, "1.7", is_test=True)
    seeded.commit()

    found = [c.id for c in seeded.scalars(calls_with_incomplete_log())]
    assert found == [no_log, partial, voicemail]
    with_tests = [c.id for c in seeded.scalars(calls_with_incomplete_log(include_tests=True))]
    assert with_tests == [no_log, partial, voicemail, test_call]
    answered_only = calls_with_incomplete_log((CallOutcome.ANSWERED,))
    assert [c.id for c in seeded.scalars(answered_only)] == [no_log, partial]


def test_every_change_is_kept_in_the_history(seeded: Session) -> None:
    call_id = add_call(seeded, "1.1")
    first = T0 + dt.timedelta(hours=1)
    second = T0 + dt.timedelta(hours=2)
    save_call_log(seeded, call_id, operator="王芳", summary="初稿", at=first)
    save_call_log(seeded, call_id, operator="李强", **FULL, at=second)
    save_call_log(seeded, call_id, operator="李强", **FULL)  # unchanged: no history row
    seeded.commit()
    seeded.expire_all()

    entry = seeded.scalars(select(CallLogEntry).where(CallLogEntry.call_id == call_id)).one()
    assert (entry.operator_name, entry.filled_at, entry.ip_type_codes) == (
        "李强", second, ["trademark"],
    )  # fmt: skip
    history = entry.history
    assert [(h.changed_by, h.changed_at) for h in history] == [("王芳", first), ("李强", second)]
    assert history[0].old_values is None
    assert history[0].new_values["summary"] == "初稿"
    assert history[1].old_values == history[0].new_values
    assert history[1].new_values == {
        "summary": FULL["summary"], "caller_role": "rights_holder", "caller_entity": "enterprise",
        "is_sme": False, "service_type": "consultation", "ip_types": ["trademark"],
        "operator": "李强",
    }  # fmt: skip


def test_ip_types_can_be_changed_and_removed(seeded: Session) -> None:
    call_id = add_call(seeded, "1.1")
    save_call_log(
        seeded, call_id, operator="王芳", **(FULL | {"ip_types": ["patent", "trademark"]})
    )
    seeded.commit()
    entry = save_call_log(seeded, call_id, operator="王芳", **(FULL | {"ip_types": ["patent"]}))
    seeded.commit()
    seeded.expire_all()
    assert seeded.get(CallLogEntry, entry.id).ip_type_codes == ["patent"]


@pytest.mark.parametrize(
    "statement", ["UPDATE call_log_history SET changed_by = 'x'", "DELETE FROM call_log_history"]
)
def test_history_is_append_only(seeded: Session, statement: str) -> None:
    call_id = add_call(seeded, "1.1")
    save_call_log(seeded, call_id, operator="王芳", summary="初稿")
    seeded.commit()
    with pytest.raises(IntegrityError, match="append-only"):
        seeded.execute(text(statement))
    seeded.rollback()
    assert seeded.scalars(select(CallLogHistory.changed_by)).all() == ["王芳"]


# fields changed from a full log -> error
INVALID_ROWS = [
    ({"caller_role": "nobody"}, "caller_role: 'nobody' is not in the caller_role list"),
    ({"service_type": "patent"}, "service_type: 'patent' is not in the service_type list"),
    ({"ip_types": ["trademark", "bogus"]}, "ip_types: 'bogus' is not in the ip_type list"),
    ({"ip_types": ["retired"]}, "ip_types: 'retired' is no longer offered"),
    ({"caller_entity": "individual", "is_sme": True}, "is_sme: does not apply"),
]


@pytest.mark.parametrize(("changes", "error"), INVALID_ROWS)
def test_invalid_codes_are_refused(seeded: Session, changes: dict, error: str) -> None:
    retired = seeded.scalars(select(CategoryEntry).where(CategoryEntry.code == "retired")).one()
    retired.is_active = False
    call_id = add_call(seeded, "1.1")
    with pytest.raises(InvalidLogEntry, match=error):
        save_call_log(seeded, call_id, operator="王芳", **(FULL | changes))


def test_a_retired_code_already_on_the_log_may_stay(seeded: Session) -> None:
    call_id = add_call(seeded, "1.1")
    save_call_log(seeded, call_id, operator="王芳", **(FULL | {"ip_types": ["retired"]}))
    retired = seeded.scalars(select(CategoryEntry).where(CategoryEntry.code == "retired")).one()
    retired.is_active = False
    seeded.commit()
    entry = save_call_log(
        seeded, call_id, operator="王芳", **(FULL | {"ip_types": ["retired"], "summary": "补充"})
    )
    assert entry.ip_type_codes == ["retired"]


def test_sme_flag_for_an_sme_entity(seeded: Session) -> None:
    call_id = add_call(seeded, "1.1")
    entry = save_call_log(seeded, call_id, operator="王芳", **FULL, is_sme=True)
    seeded.commit()
    assert seeded.get(CallLogEntry, entry.id).is_sme is True


def test_log_for_an_unknown_call(seeded: Session) -> None:
    with pytest.raises(LookupError):
        save_call_log(seeded, 424242, operator="王芳", **FULL)
    assert seeded.scalars(select(Call)).all() == []
