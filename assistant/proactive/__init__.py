"""Proactive suggestions: reminders and information the assistant pushes to investors.

Pieces, in the order a push travels:

- :class:`EventSource` (``sources``): given ``now``, the live :class:`ProactiveEvent`
  s. Shipped: :class:`IpoCalendarSource` (subscription-day reminders to eligible
  investors), :class:`HoldingsNoticeSource` (dividends, rights issues, suspensions,
  ST warnings for holders), :class:`FraudAlertSource` (scam warnings),
  :meth:`ProactiveDispatcher.campaign` for an administrator's announcement, and
  :class:`RuleSource` (``rules``): the declared :class:`Rule` s run over each investor's
  :class:`InvestorSignals` (``signals``: the account system, the portfolio feed, the
  questions they asked), e.g. a holding turned ST or an allotment to pay today.
- :class:`PushPolicy` (``policy``): the compliance check before anything is queued
  (a push the guard would block or rewrite is refused with :class:`PushRefusedError`),
  quiet hours, and the daily limit per investor. Fraud alerts skip both.
- :class:`Outbox` over ``OutboxRepository``: one item per investor and ``event_id``,
  ever.
- :class:`ProactiveDispatcher`: ``run_once(now)`` polls, queues and delivers;
  ``deliver_pending(investor_id, now)`` is what the service calls when an investor
  connects; :class:`PushPoller` runs ``run_once`` every ``push_poll_s`` seconds;
  :meth:`ProactiveDispatcher.mute` records a kind the investor wants no more of.
- ``preview``: who would receive what at a moment, without sending; ``outcomes``: what
  became of the pushes (delivered, followed, quick replies, mutes).

The seam the conversation service implements::

    class Deliverer(Protocol):
        async def deliver(self, item: OutboxItem) -> str | None:
            # append SUGGESTION to the investor's open conversation with payload
            # PushPayload.model_validate(item.payload).content(conv.language).model_dump()
            # (kind, title, text, quick_replies), publish it, return the conversation id;
            # None when the investor is not connected (the item stays pending).
        async def online_investors(self) -> Sequence[str]: ...

The dispatcher marks items delivered; the deliverer only appends and publishes.
"""

from assistant.proactive.dispatcher import (
    CampaignReport,
    Deliverer,
    Outbox,
    ProactiveDispatcher,
    PushPoller,
    RunReport,
)
from assistant.proactive.errors import (
    PortfolioFeedError,
    ProactiveConfigError,
    ProactiveDataError,
    ProactiveError,
    PushRefusedError,
)
from assistant.proactive.events import (
    Audience,
    IpoEligible,
    ProactiveEvent,
    PushPayload,
    PushText,
    Segment,
    SuggestionContent,
    SuggestionKind,
    estimated_market_value,
    ipo_eligible,
    listing_of,
)
from assistant.proactive.notices import Notice
from assistant.proactive.policy import PushPolicy, QuietHours
from assistant.proactive.portfolio_feeds import HttpPortfolioFeed, build_portfolio_feed
from assistant.proactive.rules import RULES, Rule, RuleSource
from assistant.proactive.signals import (
    InvestorSignals,
    JsonPortfolioFeed,
    PortfolioFeed,
    PortfolioSnapshot,
    QuestionLog,
    SignalCollector,
)
from assistant.proactive.sources import (
    Campaign,
    EventSource,
    FraudAlertSource,
    HoldingsNoticeSource,
    IpoCalendarSource,
)

__all__ = [
    "RULES",
    "Audience",
    "Campaign",
    "CampaignReport",
    "Deliverer",
    "EventSource",
    "FraudAlertSource",
    "HoldingsNoticeSource",
    "HttpPortfolioFeed",
    "InvestorSignals",
    "IpoCalendarSource",
    "IpoEligible",
    "JsonPortfolioFeed",
    "Notice",
    "Outbox",
    "PortfolioFeed",
    "PortfolioFeedError",
    "PortfolioSnapshot",
    "ProactiveConfigError",
    "ProactiveDataError",
    "ProactiveDispatcher",
    "ProactiveError",
    "ProactiveEvent",
    "PushPayload",
    "PushPolicy",
    "PushPoller",
    "PushRefusedError",
    "PushText",
    "QuestionLog",
    "QuietHours",
    "Rule",
    "RuleSource",
    "RunReport",
    "Segment",
    "SignalCollector",
    "SuggestionContent",
    "SuggestionKind",
    "build_portfolio_feed",
    "estimated_market_value",
    "ipo_eligible",
    "listing_of",
]
