"""Recordings and voicemails: relative paths, checksums, handling, on both backends."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Recording, RecordingStatus, Voicemail, VoicemailStatus
from models.repository import add_recording, add_voicemail, create_call, mark_voicemail_handled

T0 = dt.datetime(2026, 10, 9, 2, 0, tzinfo=dt.UTC)
SHA = hashlib.sha256(b"RIFF").hexdigest()


@pytest.fixture
def call_id(session: Session) -> int:
    call = create_call(
        session, uniqueid="1760000000.7", linkedid="1760000000.7", started_at=T0,
        dialled_number="12330",
    )  # fmt: skip
    session.commit()
    return call.id


# path -> error (None: accepted)
PATH_ROWS = [
    ("2026/10/09/sh/1760000000.7.wav", None),
    ("a.wav", None),
    ("/var/spool/asterisk/monitor/a.wav", "must be relative"),
    ("../outside.wav", "must stay below"),
    ("2026/../../etc/passwd", "must stay below"),
    ("", "required"),
    ("x" * 513, "at most 512"),
]


@pytest.mark.parametrize(("path", "error"), PATH_ROWS)
def test_recording_path_rules(session: Session, call_id: int, path: str, error: str | None) -> None:
    if error:
        with pytest.raises(ValueError, match=error):
            add_recording(session, call_id, path, status=RecordingStatus.OK)
        return
    recording = add_recording(
        session, call_id, path, status=RecordingStatus.OK, size_bytes=44, duration_seconds=1.5,
        sha256=SHA,
    )  # fmt: skip
    session.commit()
    session.expire_all()
    stored = session.get(Recording, recording.id)
    assert (stored.path, stored.status, stored.bytes, stored.duration_seconds, stored.sha256) == (
        path, RecordingStatus.OK, 44, 1.5, SHA,
    )  # fmt: skip
    assert isinstance(stored.uuid, uuid.UUID)
    assert stored.call.uniqueid == "1760000000.7"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"sha256": SHA.upper()}, "sha256"),
        ({"sha256": "abc"}, "sha256"),
        ({"size_bytes": -1}, "size_bytes"),
        ({"duration_seconds": -0.5}, "duration_seconds"),
    ],
)
def test_recording_field_checks(session: Session, call_id: int, kwargs: dict, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        add_recording(session, call_id, "a.wav", status=RecordingStatus.OK, **kwargs)


def test_database_refuses_an_absolute_recording_path(session: Session, call_id: int) -> None:
    recording = add_recording(session, call_id, "a.wav", status=RecordingStatus.MISSING)
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(
            text("UPDATE recordings SET path = '/etc/a.wav' WHERE id = :id"), {"id": recording.id}
        )


def test_recording_uuid_and_path_are_unique(session: Session, call_id: int) -> None:
    fixed = uuid.uuid4()
    add_recording(session, call_id, "a.wav", status=RecordingStatus.OK, recording_uuid=fixed)
    session.commit()
    with pytest.raises(IntegrityError):
        add_recording(session, call_id, "b.wav", status=RecordingStatus.OK, recording_uuid=fixed)
    session.rollback()
    with pytest.raises(IntegrityError):
        add_recording(session, call_id, "a.wav", status=RecordingStatus.FAILED)
    session.rollback()
    assert session.scalars(select(Recording.uuid)).all() == [fixed]


def test_voicemail_is_new_then_handled(session: Session, call_id: int) -> None:
    voicemail = add_voicemail(
        session, call_id, mailbox="sh", file="sh/INBOX/msg0000.wav", duration_seconds=12.0
    )
    session.commit()
    assert voicemail.status is VoicemailStatus.NEW
    called_back = T0 + dt.timedelta(hours=20)
    mark_voicemail_handled(
        session, voicemail.id, handled_by="王芳", at=called_back, called_back_at=called_back,
        note="已回电，咨询商标续展",
    )  # fmt: skip
    session.commit()
    session.expire_all()
    stored = session.get(Voicemail, voicemail.id)
    assert (stored.status, stored.handled_by, stored.handled_at, stored.called_back_at) == (
        VoicemailStatus.HANDLED, "王芳", called_back, called_back,
    )  # fmt: skip
    assert stored.note == "已回电，咨询商标续展"


def test_one_voicemail_per_call(session: Session, call_id: int) -> None:
    add_voicemail(session, call_id, mailbox="sh", file="sh/INBOX/msg0000.wav")
    session.commit()
    with pytest.raises(IntegrityError):
        add_voicemail(session, call_id, mailbox="sh", file="sh/INBOX/msg0001.wav")


def test_database_refuses_handled_without_who(session: Session, call_id: int) -> None:
    voicemail = add_voicemail(session, call_id, mailbox="sh", file="sh/INBOX/msg0000.wav")
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(
            text("UPDATE voicemails SET status = 'handled' WHERE id = :id"), {"id": voicemail.id}
        )


@pytest.mark.parametrize(
    ("file", "error"), [("/abs/msg.wav", "must be relative"), ("../msg.wav", "must stay below")]
)
def test_voicemail_file_must_be_relative(
    session: Session, call_id: int, file: str, error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        add_voicemail(session, call_id, mailbox="sh", file=file)
