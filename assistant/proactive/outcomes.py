"""What became of the pushes in a window: delivered, opened, answered with a quick reply,
followed by a conversation, muted. Shown in the console's Quality view next to CSAT and
containment.

Definitions (per kind and overall):

- **delivered**: pushes the outbox marked delivered in the window;
- **opened**: of those, the ones the investor had in view in the widget's open chat panel
  (the widget's ``opened`` frame; recorded once per push, whenever it came);
- **followed**: delivered suggestions after which the investor wrote in that conversation
  within :data:`FOLLOW_WINDOW` (before any later suggestion);
- **quick reply**: of those, the ones where the investor's message was one of the
  suggestion's quick replies;
- **muted**: kinds investors muted in the window (from the widget).

A push delivered before opens were recorded (schema revision 0006) counts as not opened.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from assistant.persistence.records import Event, EventKind

if TYPE_CHECKING:
    from assistant.persistence.repositories import Store

FOLLOW_WINDOW = timedelta(minutes=30)


class KindOutcomes(BaseModel):
    kind: str
    delivered: int = 0
    opened: int = 0
    followed: int = 0
    quick_replies: int = 0
    muted: int = 0


class PushOutcomes(BaseModel):
    """Proactive pushes over the report's window."""

    delivered: int
    opened_share: float | None = Field(description="opened / delivered")
    followed_share: float | None = Field(description="followed / delivered")
    quick_reply_share: float | None = Field(description="quick replies / delivered")
    muted: int
    by_kind: list[KindOutcomes] = Field(description="most delivered first")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


async def push_outcomes(store: Store, since: datetime, until: datetime) -> PushOutcomes:
    """Read the window's deliveries, the conversations they went into, and the mutes."""
    delivered = await store.outbox.delivered_between(since, until)
    counts: dict[str, Counter[str]] = {}
    for item in delivered:
        tally = counts.setdefault(item.kind, Counter())
        tally["delivered"] += 1
        tally["opened"] += item.opened_at is not None
    conversation_ids = dict.fromkeys(i.conversation_id for i in delivered if i.conversation_id)
    for conversation_id in conversation_ids:
        events = await store.conversations.events_after(conversation_id, 0)
        for kind, followed, quick in _responses(events, since, until):
            tally = counts.setdefault(kind, Counter())
            tally["followed"] += followed
            tally["quick_replies"] += quick
    for mute in await store.outbox.mutes_between(since, until):
        counts.setdefault(mute.kind, Counter())["muted"] += 1
    by_kind = sorted(
        (KindOutcomes(kind=kind, **tally) for kind, tally in counts.items()),
        key=lambda k: (-k.delivered, k.kind),
    )
    total = sum(k.delivered for k in by_kind)
    return PushOutcomes(
        delivered=total,
        opened_share=_share(sum(k.opened for k in by_kind), total),
        followed_share=_share(sum(k.followed for k in by_kind), total),
        quick_reply_share=_share(sum(k.quick_replies for k in by_kind), total),
        muted=sum(k.muted for k in by_kind),
        by_kind=by_kind,
    )


def _responses(
    events: list[Event], since: datetime, until: datetime
) -> list[tuple[str, bool, bool]]:
    """For each suggestion in the window: its kind, whether the investor wrote within the
    follow window before the next suggestion, and whether that was a quick reply."""
    found: list[tuple[str, bool, bool]] = []
    for index, event in enumerate(events):
        if event.kind is not EventKind.SUGGESTION or not since <= event.created_at < until:
            continue
        replies = set(event.payload.get("quick_replies") or ())
        said: list[str] = []
        for later in events[index + 1 :]:
            if later.kind is EventKind.SUGGESTION:
                break
            if later.created_at - event.created_at > FOLLOW_WINDOW:
                break
            if later.kind is EventKind.INVESTOR_MESSAGE:
                said.append(str(later.payload.get("text", "")))
        found.append((str(event.payload.get("kind")), bool(said), bool(replies & set(said))))
    return found
