"""Console users, the centres they may see, their sessions and login attempts."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import CODE_LENGTH, Base, str_enum, utc_now

USERNAME_LENGTH = 64


class Role(enum.StrEnum):
    OPERATOR = "operator"  # 接线员: their own centre's calls, logs and voicemail
    SUPERVISOR = "supervisor"  # 督导: assigned centres (or all), recordings, spot checks
    ADMIN = "admin"  # 管理员: users and config, everything a supervisor sees


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    # A supervisor with all_centres sees every centre; admins always do.
    all_centres: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    centres: Mapped[list[UserCentre]] = relationship(
        cascade="all, delete-orphan", order_by="UserCentre.centre_id"
    )

    @property
    def centre_ids(self) -> list[str]:
        return [link.centre_id for link in self.centres]

    @property
    def sees_all_centres(self) -> bool:
        return self.role is Role.ADMIN or (self.role is Role.SUPERVISOR and self.all_centres)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class UserCentre(Base):
    __tablename__ = "user_centres"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    centre_id: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)


class ConsoleSession(Base):
    """A signed-in browser. The cookie holds a random token; only its sha256 is stored."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime]
    ip: Mapped[str] = mapped_column(String(64), default="", server_default="")

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Every login try, kept for throttling (per name and per address) and for the audit."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index(None, "username", "at"), Index(None, "ip", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    succeeded: Mapped[bool] = mapped_column(Boolean)
