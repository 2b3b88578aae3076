"""When a push may go out, how many, and whether it may be said at all.

Pushes are reminders and information, never advice. :meth:`PushPolicy.vet`
runs every push's wording through the compliance guard before anything is
queued, and refuses (rather than rewrites) a push the guard would block or
change: a campaign that promises returns must go back to its author, not out
as the guard's polite refusal template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.dialogue_models import Language
from assistant.proactive.errors import ProactiveConfigError, PushRefusedError
from assistant.proactive.events import ProactiveEvent, PushPayload, PushText, SuggestionKind
from assistant.proactive.rules import QUIET_EXEMPT_KINDS

if TYPE_CHECKING:
    from assistant.compliance import ComplianceGuard
    from assistant.settings import Settings

RATE_WINDOW = timedelta(hours=24)

# A fraud alert is a safety warning: an investor about to pay a fake "荐股群" tonight
# needs it tonight, and holding it behind three marketing pushes would defeat it.
# So it ignores quiet hours and the daily limit (it still counts toward the limit).
EXEMPT_KINDS: frozenset[SuggestionKind] = frozenset({"fraud_alert"})

# Facts about a security's corporate actions or a new share are investment information
# and carry the disclaimer; a scam warning does not talk about investing.
_INVESTMENT_KINDS: frozenset[SuggestionKind] = frozenset(
    {"ipo_reminder", "holding_notice", "st_risk", "margin_ratio", "risk_mismatch", "concentration"}
)

# The guard knows trade advice; a push must also not nudge towards subscribing, which the
# guard's trade verbs (买入, 卖出 ...) do not cover.
_NUDGE = re.compile(
    r"建议(?:您|你|大家)?(?:积极|尽快|踊跃)?(?:申购|认购|参与|打新|配售|缴款)"
    r"|推荐(?:您|你)?(?:申购|认购|参与|打新)"
    r"|值得(?:一)?(?:买|申购|认购|参与|打新|入手|拥有|关注)"
    r"|(?:不要|别|千万别|切勿)错过|机会难得|抓紧(?:申购|认购|参与)"
    r"|\b(?:you should|we recommend(?: that you)?|we suggest(?: that you)?|don't miss)\s+"
    r"(?:\w+\s+)?(?:subscrib\w*|apply\w*|buy\w*|participat\w*|this)\b"
    r"|\bworth (?:buying|subscribing|a (?:punt|look))\b",
    re.IGNORECASE,
)


def aware(now: datetime) -> datetime:
    """``now`` itself, refusing a naive datetime (it would be read in the server's zone)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("pushes need a timezone-aware 'now'")
    return now


@dataclass(frozen=True)
class QuietHours:
    """A daily stretch of local time in which non-urgent pushes wait. ``start == end``
    means none; ``start > end`` wraps midnight (22:00-08:00)."""

    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, start: str, end: str, timezone: str) -> QuietHours:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ProactiveConfigError(f"unknown push time zone {timezone!r}") from error
        try:
            return cls(time.fromisoformat(start), time.fromisoformat(end), zone)
        except ValueError as error:
            raise ProactiveConfigError(f"quiet hours must be HH:MM: {error}") from error

    def contains(self, now: datetime) -> bool:
        local = aware(now).astimezone(self.zone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_end(self, now: datetime) -> datetime:
        """The first end of quiet hours after ``now``, in UTC."""
        local = aware(now).astimezone(self.zone)
        end = datetime.combine(local.date(), self.end, tzinfo=self.zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=self.zone)
        return end.astimezone(UTC)


class PushPolicy:
    """Quiet hours, the daily limit and the compliance check, in one place."""

    def __init__(
        self,
        guard: ComplianceGuard,
        quiet: QuietHours,
        max_per_day: int,
        *,
        quiet_exempt: frozenset[str] = frozenset(),
    ) -> None:
        if max_per_day < 0:
            raise ProactiveConfigError("push_max_per_day cannot be negative")
        self._guard = guard
        self.quiet = quiet
        self.max_per_day = max_per_day
        self._quiet_exempt = EXEMPT_KINDS | quiet_exempt

    @classmethod
    def from_settings(cls, settings: Settings, guard: ComplianceGuard) -> PushPolicy:
        quiet = QuietHours.parse(
            settings.push_quiet_start, settings.push_quiet_end, settings.push_timezone
        )
        # A rule that declares quiet hours do not apply to it (a margin call) goes out at
        # night, but still within the daily limit.
        return cls(guard, quiet, settings.push_max_per_day, quiet_exempt=QUIET_EXEMPT_KINDS)

    @staticmethod
    def exempt(kind: str) -> bool:
        """Whether pushes of ``kind`` skip quiet hours and the daily limit."""
        return kind in EXEMPT_KINDS

    def not_before(self, kind: str, now: datetime) -> datetime | None:
        """When a push created at ``now`` may first go out: the end of quiet hours if
        ``now`` falls in them, else straight away (None)."""
        if kind in self._quiet_exempt or not self.quiet.contains(now):
            return None
        return self.quiet.next_end(now)

    def may_deliver(self, kind: str, now: datetime) -> bool:
        """Quiet hours hold back delivery too, not only creation: a push queued in the
        evening for an investor who opens the app at midnight waits for the morning."""
        return kind in self._quiet_exempt or not self.quiet.contains(now)

    def rate_window_start(self, now: datetime) -> datetime:
        return aware(now) - RATE_WINDOW

    def vet(self, event: ProactiveEvent) -> PushPayload:
        """The event as it may be pushed (disclaimer added to investment information), or
        :class:`PushRefusedError` listing every phrase the guard objects to."""
        reasons: list[str] = []
        wordings: dict[Language, PushText] = {}
        languages: tuple[tuple[Language, PushText], ...] = (("zh", event.zh), ("en", event.en))
        for language, wording in languages:
            for field, value in (
                ("title", wording.title),
                ("text", wording.text),
                *(("quick reply", reply) for reply in wording.quick_replies),
                *((("why", wording.why),) if wording.why else ()),
            ):
                reasons += [f"{language} {field}: {problem}" for problem in self._problems(value)]
            related = event.kind in _INVESTMENT_KINDS or (
                event.kind == "campaign"
                and self._guard.is_investment_related(f"{wording.title}\n{wording.text}")
            )
            text = self._guard.check_outgoing(
                wording.text, language, investment_related=related
            ).text
            wordings[language] = wording.model_copy(update={"text": text})
        if reasons:
            raise PushRefusedError(event.event_id, reasons)
        return PushPayload(
            event_id=event.event_id,
            topic=event.topic,
            kind=event.kind,
            zh=wordings["zh"],
            en=wordings["en"],
            expires_at=event.expires_at,
            priority=event.priority,
        )

    def _problems(self, text: str) -> list[str]:
        # The guard's verdict does not depend on the language argument; only its
        # replacement text does, and a refused push never uses that.
        plain = self._guard.check_outgoing(text, "zh", investment_related=False)
        problems = [
            f"{violation.kind} ({violation.evidence})"
            for violation in plain.violations
            if plain.blocked
        ]
        if not plain.blocked and plain.text != text:
            problems.append("personal data that would be masked")
        problems += [
            f"reads as a nudge to invest ({match.group()})" for match in _NUDGE.finditer(text)
        ]
        return problems
