"""The conversation service: what happens to a message between the socket and the store.

One :class:`ConversationService` per process, built in the app's lifespan. For
an investor message it:

1. masks personal data and stores the message (``append`` with the client's
   message id, so a re-send is recognised) with a pending-turn record, in one
   transaction — only then is it acknowledged;
2. publishes the stored message (the echo) on the conversation's topic;
3. if the bot holds the conversation, runs one dialogue turn under a
   per-conversation lock: state loaded from the store, ``policy.respond`` (the
   LLM answer streamed as ``reply_chunk`` frames when one is configured), then the
   reply, the state and the turn record stored and the pending turn settled in one
   transaction, then the reply published;
4. on escalation queues the conversation, opens a ticket with an SLA and tells
   the console (``queue_changed`` on the ``staff`` topic). While a person is
   waited for or holds the conversation, messages go to the console only.

Agents claim (atomically, in the database), reply, write internal notes,
resolve or hand back; each step is an event in the transcript and an entry in
the ticket's history. Proactive pushes arrive through :meth:`deliver_push`.

Nothing acknowledged is left unanswered: when a turn fails after the ack (the
database went away), the investor is told the answer is delayed (``reply_delayed``)
and :meth:`answer_pending`, run every few seconds by the app, takes the pending
turn up again, here or in another process (a lease keeps two from taking it).

Everything the investor sees is a sequenced event in the store first and a bus
message second, so a socket that missed a bus message reads it from the store.

The service is a facade (:mod:`.facade`) over one part per concern: :mod:`.turns`
(the investor's turn, retries and the sweep), :mod:`.desk` (what agents do),
:mod:`.tickets` (tickets, SLAs, the complaint flow's sink), :mod:`.presence` (sockets,
pushes, typing), :mod:`.investors` (opening, transcripts, feedback), :mod:`.frames`
(what is published), :mod:`.errors` (the refusals), sharing :mod:`.core` (store, bus,
clock, locks and background tasks).
"""

from assistant.conversations.errors import (
    AlreadyClaimedError,
    ComplianceBlockedError,
    ConversationClosedError,
    ConversationError,
    ConversationNotFoundError,
    InvalidFeedbackError,
    NotAPushError,
    NotHolderError,
    NotQueuedError,
    NotYourConversationError,
    ReplyDelayedError,
    SeqOutOfRangeError,
    StorageBusyError,
)
from assistant.conversations.facade import ConversationService
from assistant.conversations.frames import frame_of, staff_event
from assistant.conversations.presence import PushDeliverer

__all__ = [
    "AlreadyClaimedError",
    "ComplianceBlockedError",
    "ConversationClosedError",
    "ConversationError",
    "ConversationNotFoundError",
    "ConversationService",
    "InvalidFeedbackError",
    "NotAPushError",
    "NotHolderError",
    "NotQueuedError",
    "NotYourConversationError",
    "PushDeliverer",
    "ReplyDelayedError",
    "SeqOutOfRangeError",
    "StorageBusyError",
    "frame_of",
    "staff_event",
]
