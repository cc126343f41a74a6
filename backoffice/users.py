"""Creating and changing console users (the `hotline12330 user` command)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backoffice.passwords import hash_password
from models.users import ConsoleSession, Role, User, UserCentre

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")


class InvalidUser(ValueError):
    pass


def save_user(
    session: Session,
    username: str,
    *,
    role: Role,
    password: str | None,
    centres: Iterable[str],
    known_centres: Iterable[str],
    all_centres: bool = False,
    display_name: str = "",
    update: bool = False,
    keep_session: int | None = None,
) -> tuple[User, bool]:
    """Create the user (or, with update, change an existing one); returns (user, created).

    A new password or another role ends the user's sessions, but for `keep_session`
    (the admin's own, changing their own password).
    """
    if not _USERNAME.match(username):
        raise InvalidUser(f"用户名 {username!r} 无效：2–64 个字母、数字、点、下划线或连字符")
    centre_ids = sorted(set(centres))
    unknown = sorted(set(centre_ids) - set(known_centres))
    if unknown:
        raise InvalidUser(f"没有这些中心：{', '.join(unknown)}")
    if role is Role.OPERATOR and (not centre_ids or all_centres):
        raise InvalidUser("接线员必须指定所属中心（--centre），且不能查看全部中心")
    if role is Role.SUPERVISOR and not centre_ids and not all_centres:
        raise InvalidUser("督导须指定中心（--centre）或 --all-centres")
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is not None and not update:
        raise InvalidUser(
            f"用户 {username} 已存在（要修改：命令加 --update，网页勾选“修改已有用户”）"
        )
    created = user is None
    if user is None:
        if password is None:
            raise InvalidUser("新用户需要密码")
        user = User(username=username, password_hash=hash_password(password), role=role)
        session.add(user)
    ends_sessions = not created and (password is not None or user.role is not role)
    if not created and password is not None:
        user.password_hash = hash_password(password)
    if ends_sessions:
        ended = delete(ConsoleSession).where(ConsoleSession.user_id == user.id)
        if keep_session is not None:
            ended = ended.where(ConsoleSession.id != keep_session)
        session.execute(ended)
    user.role = role
    user.all_centres = all_centres
    user.display_name = display_name or user.display_name or ""
    user.is_active = True
    # Diff rather than replace: re-adding a kept centre would clash on the composite key.
    for link in [link for link in user.centres if link.centre_id not in centre_ids]:
        user.centres.remove(link)
    kept = set(user.centre_ids)
    user.centres.extend(UserCentre(centre_id=c) for c in centre_ids if c not in kept)
    session.flush()
    return user, created
