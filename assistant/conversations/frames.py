"""The frames the service publishes: for investors (the protocol's server frames) and for
the console (stored events and notices on the staff topic)."""

from __future__ import annotations

from typing import Any

from assistant.conversation import BotReply
from assistant.persistence.records import Event
from channels.bus import Message


def frame_of(event: Event) -> Message:
    """The protocol frame an investor sees for a stored event."""
    return {
        **event.payload,
        "type": event.kind.value,
        "seq": event.seq,
        "at": event.created_at.isoformat(),
    }


def staff_event(event: Event) -> Message:
    """An event as the console receives it."""
    return {
        "seq": event.seq,
        "kind": event.kind.value,
        "payload": event.payload,
        "created_at": event.created_at.isoformat(),
    }


def staff_notice(conversation_id: str, event: Event) -> Message:
    """An event of one conversation, on the staff topic."""
    return {"type": "event", "conversation_id": conversation_id, "event": staff_event(event)}


def queue_changed() -> Message:
    """The console re-reads its queue."""
    return {"type": "queue_changed"}


def investor_typing(conversation_id: str) -> Message:
    """The investor is typing, for the agent who holds the conversation."""
    return {"type": "investor_typing", "conversation_id": conversation_id}


def typing(who: str, *, active: bool) -> Message:
    """The bot or the agent is (or stopped) typing, for the investor."""
    return {"type": "typing", "who": who, "active": active}


def reply_chunk(stream_id: str, index: int, delta: str, *, reset: bool) -> Message:
    """One piece of a streamed answer (or, with ``reset``, the order to drop the pieces)."""
    return {
        "type": "reply_chunk",
        "stream_id": stream_id,
        "index": index,
        "delta": delta,
        "reset": reset,
    }


def reply_payload(reply: BotReply, reply_to: str | None, stream_id: str | None) -> dict[str, Any]:
    """What a bot reply stores; :func:`frame_of` adds type, seq and time."""
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
