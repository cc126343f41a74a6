"""Step: read who called and what they dialled (environment, arguments, variables)."""

from __future__ import annotations

from agi import channel_vars as cv
from agi.flow.identity import CallIdentity, parse_test_instant, safe_digits, sanitize_caller
from agi.session import AgiSession


async def identify(session: AgiSession) -> CallIdentity:
    # Arguments from the dialplan: dialled, dialled area, trunk area, recording relpath.
    args = [*session.arguments, "", "", "", ""]
    linkedid = await session.get_variable(cv.LINKEDID)
    is_test = await session.get_variable(cv.TEST_CALL) == "1"
    test_at = parse_test_instant(await session.get_variable(cv.TEST_AT)) if is_test else None
    return CallIdentity(
        uniqueid=session.uniqueid,
        linkedid=linkedid or session.uniqueid,
        channel=session.channel,
        caller=sanitize_caller(session.callerid),
        dialled=safe_digits(args[0]) or safe_digits(session.extension),
        dialled_area=safe_digits(args[1]),
        trunk_area=safe_digits(args[2]),
        recording_relpath=args[3],
        test_at=test_at,
        is_test=is_test,
    )
