"""The frames the service publishes, each built from its model in :mod:`channels.protocol`:
for investors (the protocol's server frames) and for the console (the staff topic's
notices). The bus carries them as JSON objects."""

from __future__ import annotations

from typing import Any, Literal

from assistant.dialogue_models import BotReply
from assistant.persistence.records import Event
from channels.bus import Message
from channels.protocol import (
    SEQUENCED_FRAME,
    EventNotice,
    InvestorTyping,
    QueueChanged,
    ReplyChunk,
    ServerTyping,
    StaffEvent,
)


def frame_of(event: Event) -> Message:
    """The protocol frame an investor sees for a stored event."""
    frame = SEQUENCED_FRAME.validate_python(
        {
            **event.payload,
            "type": event.kind.value,
            "seq": event.seq,
            "at": event.created_at.isoformat(),
        }
    )
    return frame.model_dump(mode="json")


def staff_event(event: Event) -> StaffEvent:
    """An event as the console receives it."""
    return StaffEvent.model_validate(
        {
            "seq": event.seq,
            "kind": event.kind.value,
            "payload": event.payload,
            "created_at": event.created_at.isoformat(),
        }
    )


def staff_notice(conversation_id: str, event: Event) -> Message:
    """An event of one conversation, on the staff topic."""
    notice = EventNotice(conversation_id=conversation_id, event=staff_event(event))
    return notice.model_dump(mode="json")


def queue_changed() -> Message:
    """The console re-reads its queue."""
    return QueueChanged().model_dump(mode="json")


def investor_typing(conversation_id: str) -> Message:
    """The investor is typing, for the agent who holds the conversation."""
    return InvestorTyping(conversation_id=conversation_id).model_dump(mode="json")


def typing(who: Literal["bot", "agent"], *, active: bool) -> Message:
    """The bot or the agent is (or stopped) typing, for the investor."""
    return ServerTyping(who=who, active=active).model_dump(mode="json")


def reply_chunk(stream_id: str, index: int, delta: str, *, reset: bool) -> Message:
    """One piece of a streamed answer (or, with ``reset``, the order to drop the pieces)."""
    chunk = ReplyChunk(stream_id=stream_id, index=index, delta=delta, reset=reset)
    return chunk.model_dump(mode="json")


def reply_payload(reply: BotReply, reply_to: str | None, stream_id: str | None) -> dict[str, Any]:
    """What a bot reply stores: a ``reply`` frame but for type, seq and time, which
    :func:`frame_of` adds."""
    return {
        "reply_to": reply_to,
        "stream_id": stream_id,
        "text": reply.text,
        "lang": reply.language,
        "action": reply.action.value,
        "intent": reply.intent.name if reply.intent else None,
        "sources": [
            {"id": s.id, "title": s.title, "source": s.source, "score": round(s.score, 4)}
            for s in reply.sources
        ],
        "quick_replies": reply.quick_replies,
        "flags": reply.flags,
    }
