"""Sign-in, sessions and login throttling, all kept in the database.

The cookie carries a random token; the table keeps its sha256, so a leaked database
does not hand out live sessions. Throttling counts failures per user name and per
address in a sliding window (see reserve_attempt for who is refused).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from dataclasses import dataclass

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from backoffice.audit import Requester, record
from backoffice.passwords import verify_password
from models.base import utc_now
from models.users import ConsoleSession, LoginAttempt, User


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: dt.timedelta


class LoginThrottled(Exception):
    def __init__(self, retry_after: dt.timedelta) -> None:
        self.retry_after = retry_after
        super().__init__(f"throttled for {retry_after}")


class LoginFailed(Exception):
    pass


class LoginBusy(Exception):
    """Every password check slot stayed taken: try again shortly."""


# A login waits at most this long for one of the password check slots.
CHECK_WAIT_SECONDS = 20.0


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _failures(session: Session, column, value: str, since: dt.datetime) -> list[dt.datetime]:
    return list(
        session.scalars(
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
            .order_by(LoginAttempt.at.desc())
        ).all()
    )


def _lock_keys(session: Session, username: str, ip: str) -> None:
    """Serialise attempts on this name and this address (PostgreSQL; SQLite serialises
    every writer on the database file, and the attempt row is written first)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted(
        int.from_bytes(hashlib.sha256(f"h12330-login:{kind}:{value}".encode()).digest()[:8],
                       "big", signed=True)
        for kind, value in (("name", username), ("ip", ip))
    )  # fmt: skip
    for key in keys:  # always in the same order: no deadlock between two attempts
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def reserve_attempt(
    session: Session, username: str, ip: str, policy: ThrottlePolicy, now: dt.datetime
) -> int:
    """Check the throttle and record this attempt as a failure, atomically; the id of the
    attempt row, which a correct password later marks as succeeded.

    Per address: strict, max_failures in the window, whatever the name. Per name: after
    max_failures in the window only an address with no failure in the window may try,
    so the real user on a clean address is never locked out while an attacker gets one
    guess per fresh address. Raises LoginThrottled; the caller's rollback then records
    nothing.
    """
    _lock_keys(session, username, ip)
    attempt = LoginAttempt(username=username, ip=ip, at=now, succeeded=False)
    session.add(attempt)
    session.flush()  # on SQLite this write takes the database's write lock first
    since = now - policy.window
    by_ip = _failures(session, LoginAttempt.ip, ip, since)
    by_name = _failures(session, LoginAttempt.username, username, since)
    earlier_ip, earlier_name = len(by_ip) - 1, len(by_name) - 1  # without this attempt
    if earlier_ip >= policy.max_failures:
        raise LoginThrottled(by_ip[policy.max_failures] + policy.window - now)
    if earlier_name >= policy.max_failures and earlier_ip > 0:
        raise LoginThrottled(by_name[policy.max_failures] + policy.window - now)
    return attempt.id


def sign_in(
    sessions: sessionmaker[Session],
    username: str,
    password: str,
    *,
    ip: str,
    policy: ThrottlePolicy,
    lifetime: dt.timedelta,
    user_agent: str = "",
    checks: threading.BoundedSemaphore | None = None,
    now: dt.datetime | None = None,
) -> tuple[User, str]:
    """Check the password, open a session and audit the login; the user and the cookie
    token.

    Raises LoginThrottled (nothing checked, nothing recorded), LoginFailed, or
    LoginBusy when no password check slot frees up in time. The throttle's check and
    record commit before the password is checked, so concurrent attempts cannot all
    pass it; argon2 (64 MiB each) runs at most `checks` at a time.
    """
    now = now or utc_now()
    username, ip = username.strip()[:64], ip[:64]
    with sessions.begin() as session:
        attempt_id = reserve_attempt(session, username, ip, policy, now)
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        stored = user.password_hash if user is not None and user.is_active else None
    if checks is not None and not checks.acquire(timeout=CHECK_WAIT_SECONDS):
        raise LoginBusy(username)
    try:
        ok = verify_password(stored, password)
    finally:
        if checks is not None:
            checks.release()
    if not ok:
        raise LoginFailed(username)
    with sessions.begin() as session:
        session.execute(
            update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True)
        )
        user = session.scalars(select(User).where(User.username == username)).one()
        if not user.is_active:  # disabled while its password was being checked
            raise LoginFailed(username)
        token = open_session(session, user, ip, lifetime, now)
        record(session, Requester(user, ip, user_agent), "login", "user", user.username, now=now)
        session.flush()
        session.expunge(user)
    return user, token


def open_session(
    session: Session, user: User, ip: str, lifetime: dt.timedelta, now: dt.datetime
) -> str:
    """A new session of `user`; the cookie token (the table keeps only its sha256)."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_sha256=_token_hash(token),
            csrf_token=secrets.token_urlsafe(32),
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
            ip=ip[:64],
        )
    )
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    return token


def session_for(
    session: Session, token: str | None, now: dt.datetime | None = None
) -> ConsoleSession | None:
    if not token or len(token) > 128:
        return None
    row = session.scalars(
        select(ConsoleSession).where(ConsoleSession.token_sha256 == _token_hash(token))
    ).one_or_none()
    if row is None or row.expires_at <= (now or utc_now()) or not row.user.is_active:
        return None
    return row


def log_out(session: Session, token: str | None) -> None:
    if token:
        session.execute(
            delete(ConsoleSession).where(ConsoleSession.token_sha256 == _token_hash(token))
        )


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected.encode(), (given or "").encode())
