"""Which centres a user may see, and the 404 for everything outside them.

A record of another centre answers exactly like a missing one (NotInScope -> 404),
so ids cannot be probed for existence.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import InstrumentedAttribute

from models.users import Role, User

# The roles that search, sample, score and report on the calls of their centres.
SUPERVISING = (Role.SUPERVISOR, Role.ADMIN)


class NotInScope(LookupError):
    """Missing, or not the user's to see: the console answers 404 either way."""


def visible_centres(user: User) -> frozenset[str] | None:
    """The centre ids the user may see; None means every centre (and calls with none)."""
    if user.sees_all_centres:
        return None
    return frozenset(user.centre_ids)


def centre_condition(user: User, column: InstrumentedAttribute[str | None]) -> ColumnElement[bool]:
    centres = visible_centres(user)
    if centres is None:
        return true()
    if not centres:
        return false()
    return column.in_(sorted(centres))


def may_see(user: User, centre_id: str | None) -> bool:
    centres = visible_centres(user)
    return centres is None or (centre_id is not None and centre_id in centres)


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        raise NotInScope("role")
