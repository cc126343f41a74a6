"""Step: read who called and what they dialled (environment and arguments)."""

from __future__ import annotations

from agi.flow.identity import CallIdentity, parse_test_instant, safe_digits, sanitize_caller
from agi.session import AgiSession


def identify(session: AgiSession) -> CallIdentity:
    """No round trip: the dialplan passes dialled, dialled area, trunk area, recording
    relpath, linked id, test flag and test instant as the AGI's arguments."""
    args = [*session.arguments, *[""] * 7]
    is_test = args[5] == "1"
    test_at = parse_test_instant(args[6]) if is_test else None
    return CallIdentity(
        uniqueid=session.uniqueid,
        linkedid=args[4][:64] or session.uniqueid,
        channel=session.channel,
        caller=sanitize_caller(session.callerid),
        dialled=safe_digits(args[0]) or safe_digits(session.extension),
        dialled_area=safe_digits(args[1]),
        trunk_area=safe_digits(args[2]),
        recording_relpath=args[3],
        test_at=test_at,
        is_test=is_test,
    )
