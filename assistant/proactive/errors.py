"""What can go wrong with proactive pushes, each error with a stable code and HTTP status."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.errors import AssistantError


class ProactiveError(AssistantError):
    """Root of the proactive-push errors."""

    code = "proactive_error"
    http_status = 500
    internal = True


class ProactiveDataError(ProactiveError):
    """A calendar, notice or alert file cannot be read; the message names the file and row."""

    code = "proactive_data_invalid"
    http_status = 500


class PortfolioFeedError(ProactiveError):
    """The portfolio feed did not answer as its contract says; the rules skip that investor's
    holdings this run."""

    code = "portfolio_feed_unavailable"
    http_status = 503


class ProactiveConfigError(ProactiveError):
    """The push settings do not make sense (an unknown time zone, say)."""

    code = "proactive_config_invalid"
    http_status = 500


class PushRefusedError(ProactiveError):
    """The compliance guard would not let this push out as written; nothing was queued."""

    code = "push_refused"
    http_status = 422
    internal = False

    def __init__(self, event_id: str, reasons: Sequence[str]) -> None:
        super().__init__(f"push {event_id!r} refused by the compliance guard: {'; '.join(reasons)}")
        self.event_id = event_id
        self.reasons = list(reasons)
