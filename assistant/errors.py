"""The root of every error ``assistant/`` raises on purpose.

Each error knows its stable ``code`` and the HTTP status a route answers with, as
Chroma's errors do, so :mod:`assistant.api.errors` maps any of them to an HTTP answer
or a websocket error frame in one place, without a list of classes. A new error is a
subclass with its code and status, and nothing else to edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar


class AssistantError(Exception):
    """A refusal or failure with a stable ``code`` and ``http_status``.

    ``message`` is for the client unless the class says otherwise: ``public_message``
    replaces it (the client learns nothing about internals), and an ``internal`` error
    reaches the client only as ``internal`` ("the request failed") and is logged.
    ``details`` are machine-readable objects for the client; ``retry_after_s`` says
    when to try again.
    """

    code: str = "assistant_error"
    http_status: int = 500
    internal: ClassVar[bool] = False
    public_message: ClassVar[str | None] = None

    def __init__(
        self,
        message: str = "",
        details: Sequence[Mapping[str, str]] = (),
        *,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = [dict(detail) for detail in details]
        self.retry_after_s = retry_after_s

    @property
    def client_message(self) -> str:
        """What the client is told."""
        return self.public_message or self.message
