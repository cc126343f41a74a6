"""Request bodies bounded by the bytes actually received, chunked ones included.

A declared Content-Length over the limit is refused unread; otherwise every received
chunk is counted and, past the limit, the reading route gets a 413 instead of the
rest of the body (the server then closes the connection unread).
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = "请求过大"


class _TooLarge(Exception):
    """Raised into the reading route; caught here, where the 413 is sent."""


def _from_the_limit(exc: BaseException) -> bool:
    # A middleware reading the body in a task group wraps the error in a group.
    if isinstance(exc, BaseExceptionGroup):
        return exc.split(_TooLarge)[1] is None
    return isinstance(exc, _TooLarge)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await PlainTextResponse(TOO_LARGE, status_code=413)(scope, receive, send)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except Exception as exc:
            if started or not _from_the_limit(exc):
                raise
            await PlainTextResponse(TOO_LARGE, status_code=413)(scope, receive, send)
