"""The conversation service's refusals: each knows its stable code and HTTP status."""

from __future__ import annotations

from assistant.errors import AssistantError


class ConversationError(AssistantError):
    """Root of the service's refusals; each knows its stable code and HTTP status, and may
    carry machine-readable ``details`` for the client."""

    code = "conversation_error"
    http_status = 400


class ConversationNotFoundError(ConversationError):
    code = "not_found"
    http_status = 404


class NotYourConversationError(ConversationError):
    """An investor named a conversation that belongs to someone else."""

    code = "forbidden"
    http_status = 403


class SeqOutOfRangeError(ConversationError):
    """A seq the server never sent (resume point or rated reply)."""

    code = "out_of_order"
    http_status = 409


class NotAPushError(ConversationError):
    """The entry named as an opened push is not a suggestion delivered to this investor."""

    code = "not_found"
    http_status = 404


class ConversationClosedError(ConversationError):
    """The conversation was resolved; the investor starts a new one."""

    code = "conversation_closed"
    http_status = 409


class NotHolderError(ConversationError):
    """An agent acted on a conversation someone else (or nobody) holds."""

    code = "not_holder"
    http_status = 403


class AlreadyClaimedError(ConversationError):
    code = "already_claimed"
    http_status = 409


class NotQueuedError(ConversationError):
    """Claimed a conversation that is not waiting for a person."""

    code = "not_queued"
    http_status = 409


class ComplianceBlockedError(ConversationError):
    """An agent's reply promises returns or recommends a trade, so it was not sent; the
    details name each problem (``kind``, ``evidence``) for the agent to rephrase."""

    code = "compliance_blocked"
    http_status = 422


class InvalidFeedbackError(ConversationError):
    code = "invalid_feedback"
    http_status = 422


class StorageBusyError(ConversationError):
    """The database did not answer; nothing was stored or acknowledged. Retry."""

    code = "storage_unavailable"
    http_status = 503


class ReplyDelayedError(ConversationError):
    """The message is stored and acknowledged, but the database went away before its
    answer was: the answer follows when it is back (re-sending the message fetches it)."""

    code = "reply_delayed"
    http_status = 503

    def __init__(
        self,
        message: str = (
            "your message is saved; its answer is delayed by a storage outage and will "
            "follow when the store is back"
        ),
    ) -> None:
        super().__init__(message)
