"""Exception tree of the AGI layer.

AgiError
 ├── AgiHangup        the channel is gone: HANGUP notice, result=-1, 511, or EOF
 ├── AgiTimeout       Asterisk did not answer a command (or send headers) in time
 ├── AgiProtocolError the peer sent something that is not AGI (oversized, malformed)
 └── AgiCommandError  Asterisk refused a command (510 invalid, 520 usage)
"""

from __future__ import annotations


class AgiError(Exception):
    pass


class AgiHangup(AgiError):
    pass


class AgiTimeout(AgiError):
    pass


class AgiProtocolError(AgiError):
    pass


class AgiCommandError(AgiError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
