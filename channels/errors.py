"""Errors raised by the channels package.

Each error carries a stable ``code``, the ``http_status`` a REST route answers
with, and the websocket ``close_code`` a socket handler closes with when the
error ends a connection, so the endpoints map them in one place instead of
knowing every class. Codes shared with the investor protocol reuse
:class:`channels.protocol.ErrorCode` values.
"""

from __future__ import annotations

from channels.protocol import CLOSE_CODES, ErrorCode

# 1013 "try again later": the client reconnects and resumes from its last seq.
_TRY_AGAIN_LATER = 1013


class ChannelError(Exception):
    """Root of every error the channels package raises on purpose."""

    code: str = "channel_error"
    http_status: int = 500
    close_code: int = 1011

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BusError(ChannelError):
    """Root of the event-bus errors."""

    code = "bus_error"
    http_status = 503


class BusUnavailableError(BusError):
    """The bus cannot publish or deliver (Redis down, restarting, or the bus is closed).

    A subscription that raises this has lost messages: close the socket; the
    client reconnects and resumes from the store.
    """

    code = "bus_unavailable"
    close_code = _TRY_AGAIN_LATER


class BusOverflowError(BusError):
    """This subscriber fell too far behind and was dropped from its topic.

    Nothing is lost for the investor: every sequenced event is in the store, so
    the socket closes and the client resumes from its last ``seq``.
    """

    code = "bus_overflow"
    close_code = _TRY_AGAIN_LATER


class TokenError(ChannelError):
    """Root of the session-token errors. Messages never contain the token."""

    code = ErrorCode.UNAUTHORIZED.value
    http_status = 401
    close_code = CLOSE_CODES[ErrorCode.UNAUTHORIZED]


class TokenInvalidError(TokenError):
    """Malformed, forged, of an unknown version, or issued for another audience."""


class TokenExpiredError(TokenError):
    """Well-formed and correctly signed, but past its expiry (plus leeway)."""

    code = ErrorCode.TOKEN_EXPIRED.value
    close_code = CLOSE_CODES[ErrorCode.TOKEN_EXPIRED]
