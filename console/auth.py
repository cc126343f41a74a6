"""Sign-in, sessions and login throttling, all kept in the database.

The cookie carries a random token; the table keeps its sha256, so a leaked database
does not hand out live sessions. Throttling counts failures per user name and per
address in a sliding window, and refuses even a correct password while it holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from console.passwords import verify_password
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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_throttle(
    session: Session, username: str, ip: str, policy: ThrottlePolicy, now: dt.datetime
) -> None:
    since = now - policy.window
    for column, value in ((LoginAttempt.username, username), (LoginAttempt.ip, ip)):
        failures = session.scalars(
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
            .order_by(LoginAttempt.at.desc())
            .limit(policy.max_failures)
        ).all()
        if len(failures) >= policy.max_failures:
            # Free again when the oldest of the last max_failures leaves the window.
            raise LoginThrottled(failures[-1] + policy.window - now)


def log_in(
    session: Session,
    username: str,
    password: str,
    *,
    ip: str,
    policy: ThrottlePolicy,
    lifetime: dt.timedelta,
    now: dt.datetime | None = None,
) -> tuple[User, str]:
    """Check the password and open a session; returns the user and the cookie token.

    Raises LoginThrottled (nothing checked, nothing recorded) or LoginFailed.
    """
    now = now or utc_now()
    username = username.strip()[:64]
    check_throttle(session, username, ip, policy, now)
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.is_active
    session.add(LoginAttempt(username=username, ip=ip[:64], at=now, succeeded=ok))
    if not ok or user is None:
        raise LoginFailed(username)
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
    return user, token


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
