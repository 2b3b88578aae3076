"""What the investor socket (:mod:`channels.investor_socket`) asks of the service behind it,
and how that service refuses a frame."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from channels.bus import Message
from channels.errors import ChannelError
from channels.protocol import (
    CLOSE_CODES,
    Ack,
    ClientTyping,
    ErrorCode,
    Feedback,
    Hello,
    Mute,
    Opened,
    UserMessage,
)

DEFAULT_FATAL_CLOSE = 4400
"""Close code of a fatal refusal whose error code has none of its own."""


class RefusedError(ChannelError):
    """The handler refuses a frame; the socket answers with an ``error`` frame.

    ``fatal`` refusals close the connection with the code from ``CLOSE_CODES``.
    """

    def __init__(
        self,
        error_code: ErrorCode,
        message: str,
        *,
        fatal: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.code = error_code.value
        self.fatal = fatal
        self.retry_after_s = retry_after_s
        self.close_code = CLOSE_CODES.get(error_code, DEFAULT_FATAL_CLOSE)


@dataclass(frozen=True)
class OpenedConversation:
    """The conversation a ``hello`` opened, as the socket needs to know it."""

    conversation_id: str
    investor_id: str
    last_seq: int
    agent_name: str | None = None


class InvestorHandler(Protocol):
    """What the socket asks of the service behind it.

    Sequenced frames are the JSON objects of :data:`channels.protocol.SequencedFrame`
    (each with ``seq``), oldest first. Any method may raise :class:`RefusedError`.
    """

    async def open(self, investor_id: str, hello: Hello) -> OpenedConversation:
        """Resume ``hello.conversation_id`` or open the investor's current conversation."""
        ...

    async def backlog(self, conversation: OpenedConversation, after_seq: int) -> list[Message]:
        """The sequenced frames after ``after_seq``."""
        ...

    async def message(self, conversation: OpenedConversation, frame: UserMessage) -> Ack:
        """Store the message (masked) and return its ack; nothing is answered yet."""
        ...

    def answer(self, conversation: OpenedConversation, frame: UserMessage, ack: Ack) -> None:
        """Answer a stored message in the background; replies arrive over the bus.

        Called once the ack was sent, or failed to send: the turn never depends
        on this connection staying open.
        """
        ...

    async def feedback(self, conversation: OpenedConversation, frame: Feedback) -> None: ...

    async def mute(self, conversation: OpenedConversation, frame: Mute) -> None:
        """No more suggestions of ``frame.kind`` for this investor."""
        ...

    async def opened(self, conversation: OpenedConversation, frame: Opened) -> None:
        """The investor saw the suggestion at ``frame.seq``; recorded once."""
        ...

    async def typing(self, conversation: OpenedConversation, frame: ClientTyping) -> None: ...

    async def connected(self, conversation: OpenedConversation) -> None:
        """The socket is live (welcome and backlog sent)."""
        ...

    async def disconnected(self, conversation: OpenedConversation) -> None: ...


VerifyToken = Callable[[str], str]
"""Returns the investor id of a valid token; raises :class:`channels.errors.TokenError`."""
