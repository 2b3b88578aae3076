"""An LLM answer shown as it is written: ``reply_chunk`` frames, withdrawn when unsafe."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from assistant.compliance import BLOCKING_KINDS, ComplianceGuard
from assistant.conversations import frames
from channels.bus import Message
from channels.topics import conversation_topic


class ChunkRelay:
    """Publishes an LLM answer's pieces as ``reply_chunk`` frames.

    The pieces have not been through the compliance guard; the whole reply
    that follows has. So the relay checks the text so far for what the guard
    would block and, at the first hit, tells the widget to drop what it showed
    and sends nothing more: the guarded reply replaces it.
    """

    def __init__(
        self,
        publish: Callable[[str, Message], Awaitable[None]],
        conversation_id: str,
        guard: ComplianceGuard,
    ) -> None:
        self.publish = publish
        self.conversation_id = conversation_id
        self.guard = guard
        self.stream_id = secrets.token_hex(8)
        self.index = 0
        self.text = ""
        self.stopped = False

    async def chunk(self, delta: str) -> None:
        if self.stopped:
            return
        self.text += delta
        if any(v.kind in BLOCKING_KINDS for v in self.guard.violations(self.text)):
            await self.reset()
            self.stopped = True
            return
        await self._send(delta, reset=False)

    async def reset(self) -> None:
        await self._send("", reset=True)

    async def withdraw(self) -> None:
        """Chunks were shown but their reply was not stored: clients drop them (the answer
        comes later, from a retry or another process, under its own stream)."""
        if self.index and not self.stopped:
            await self.reset()

    @property
    def shown_stream_id(self) -> str | None:
        """The stream the stored reply names: None when no chunk was sent."""
        return self.stream_id if self.index else None

    async def _send(self, delta: str, *, reset: bool) -> None:
        frame = frames.reply_chunk(self.stream_id, self.index, delta, reset=reset)
        self.index += 1
        await self.publish(conversation_topic(self.conversation_id), frame)
