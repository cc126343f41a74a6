"""SQLAlchemy 2.0 models of calls, recordings, voicemails and the operators' call log.

Import the model classes from here (this also registers every table on Base.metadata,
which alembic's env.py relies on). Functions live in their own modules:
  models.db             make_engine(url), session_factory(engine)
  models.repository     the call flow's writes (create_call, append_event, ...)
  models.call_log_edit  save_call_log (operators' log, with history)
  models.seed           seed_categories (category lists from config)
"""

from models.audit import AuditEntry
from models.base import Base, UtcDateTime
from models.call_log import (
    OUTCOMES_NEEDING_LOG,
    CallLogEntry,
    CallLogHistory,
    CallLogIpType,
    calls_with_incomplete_log,
    log_complete,
)
from models.calls import Call, CallEvent, CallOutcome, CallSource
from models.categories import CategoryEntry
from models.quality import (
    Evaluation,
    SampleStratum,
    SpotCheck,
    SpotCheckItem,
    UndercoverResult,
    UndercoverVerdict,
)
from models.recordings import Recording, RecordingStatus
from models.users import ConsoleSession, LoginAttempt, Role, User, UserCentre
from models.voicemail import Voicemail, VoicemailStatus

__all__ = [
    "OUTCOMES_NEEDING_LOG",
    "AuditEntry",
    "Base",
    "Call",
    "CallEvent",
    "CallLogEntry",
    "CallLogHistory",
    "CallLogIpType",
    "CallOutcome",
    "CallSource",
    "CategoryEntry",
    "ConsoleSession",
    "Evaluation",
    "LoginAttempt",
    "Recording",
    "RecordingStatus",
    "Role",
    "SampleStratum",
    "SpotCheck",
    "SpotCheckItem",
    "UndercoverResult",
    "UndercoverVerdict",
    "User",
    "UserCentre",
    "UtcDateTime",
    "Voicemail",
    "VoicemailStatus",
    "calls_with_incomplete_log",
    "log_complete",
]
