"""An investor's own conversation outside a turn: opening or resuming it, reading its
transcript, and rating replies or the whole conversation."""

from __future__ import annotations

from assistant.conversations import frames
from assistant.conversations.core import ConversationCore
from assistant.conversations.errors import InvalidFeedbackError, SeqOutOfRangeError
from assistant.persistence.records import Conversation, EventKind, Feedback
from assistant.pii import mask_pii
from channels.bus import Message


class Investors:
    """Opening, reading and rating conversations, always the investor's own."""

    def __init__(self, core: ConversationCore) -> None:
        self.core = core

    async def open_conversation(
        self,
        investor_id: str,
        conversation_id: str | None = None,
        *,
        last_seq: int = 0,
        language: str | None = None,
    ) -> Conversation:
        """Resume ``conversation_id`` (the investor's own, ``last_seq`` not beyond it) or
        the investor's newest open conversation, or start one."""
        if conversation_id is not None:
            conversation = await self.core.owned(investor_id, conversation_id)
            if last_seq > conversation.last_seq:
                raise SeqOutOfRangeError(
                    f"last_seq {last_seq} is beyond this conversation's {conversation.last_seq}"
                )
            return conversation
        async with self.core.storage():
            current = await self.core.store.conversations.latest_open(investor_id)
            if current is not None:
                return current
            return await self.core.store.conversations.create(investor_id, language or "zh")

    async def transcript(
        self, investor_id: str, conversation_id: str, after_seq: int = 0
    ) -> list[Message]:
        """The investor-visible frames after ``after_seq``, oldest first."""
        await self.core.owned(investor_id, conversation_id)
        return await self.frames_after(conversation_id, after_seq)

    async def frames_after(self, conversation_id: str, after_seq: int) -> list[Message]:
        async with self.core.storage():
            events = await self.core.store.conversations.events_after(conversation_id, after_seq)
        return [frames.frame_of(event) for event in events if event.kind is not EventKind.NOTE]

    async def feedback(
        self,
        investor_id: str,
        conversation_id: str,
        *,
        seq: int | None = None,
        thumbs: str | None = None,
        score: int | None = None,
        comment: str | None = None,
    ) -> None:
        """Store thumbs on a reply and/or the 1-5 score for the conversation."""
        conversation = await self.core.owned(investor_id, conversation_id)
        if thumbs is None and score is None and not comment:
            raise InvalidFeedbackError("feedback needs thumbs, a score or a comment")
        if seq is not None and seq > conversation.last_seq:
            raise SeqOutOfRangeError(f"no seq {seq} in this conversation")
        record = Feedback(
            conversation_id=conversation_id,
            seq=seq,
            thumbs=thumbs,
            score=score,
            comment=mask_pii(comment) if comment else None,
            created_at=self.core.clock(),
        )
        async with self.core.storage():
            await self.core.store.conversations.add_feedback(record)
