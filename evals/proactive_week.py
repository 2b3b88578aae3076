"""A simulated week: a synthetic population of investors through the real service.

``python -m evals.proactive_week --investors 200 --seed 0`` generates investors with
portfolios, accounts and behaviour (fictional, seeded), then plays seven exchange days:
at six moments a day some investors are online, the proactive dispatcher runs over the
sample-format account system and portfolio feed written for them, pushes reach those
online (through the outbox, quiet hours and daily limit), some investors tap a quick reply
or mute a kind, and investors ask questions drawn from the scenario utterances
(``evals/data/scenario_utterances.jsonl``) through the dialogue policy, whose permission
questions the rules then read back from the store.

Reported: resolution (questions answered from knowledge, a flow or the account system),
hand-off share (questions handed to a person: the human workload left), pushes per investor
per week by kind, and the pushes that were wrong for the investor: delivered to someone a
check written from the generator's own state finds not eligible, delivered in quiet hours
or over the daily limit, of a kind the investor had muted, or whose text the compliance
guard reads as advice or a promise. The target for the last group is 0.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from pydantic import BaseModel

from assistant.accounts import EXCHANGE_TIME, JsonAccountSystem
from assistant.assembly import build_assistant
from assistant.compliance import ComplianceGuard
from assistant.dialogue_models import ConversationState
from assistant.persistence.records import EventKind, OutboxItem, TurnRecord
from assistant.persistence.sql import SqlStore, open_store
from assistant.proactive import ProactiveDispatcher, PushPayload, PushPolicy
from assistant.proactive.policy import QuietHours
from assistant.proactive.rules import QUIET_EXEMPT_KINDS, RuleSource
from assistant.proactive.signals import (
    PERMISSION_INTENTS,
    JsonPortfolioFeed,
    QuestionLog,
    SignalCollector,
)
from assistant.scenario_utterances import load_scenario_utterances
from assistant.settings import Settings
from evals.scenarios import taken_route
from evals.synthetic_investors import (
    FIRST_DAY,
    eligible,
    exchange_moment,
    generate,
    trading_days,
    write_accounts,
    write_feed,
)

ROOT = Path(__file__).resolve().parent.parent
UTTERANCES = ROOT / "evals" / "data" / "scenario_utterances.jsonl"
SLOTS = (time(8, 30), time(10, 0), time(13, 30), time(15, 30), time(20, 0), time(23, 0))


class WeekReport(BaseModel):
    investors: int
    days: int
    seed: int
    questions: int
    resolved_share: float
    handoff_share: float
    pushes: int
    pushes_per_investor_per_week: float
    pushes_by_kind: dict[str, int]
    quick_replies: int
    mutes: int
    wrong_pushes: dict[str, int]
    """not_eligible, quiet_hours, over_daily_limit, muted, advisory: each target 0."""


def _fixed(day: date) -> Callable[[], date]:
    return lambda: day


class SimDeliverer:
    """The service's part: append each push to the investor's conversation in the store."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.online: set[str] = set()
        self.delivered: list[tuple[OutboxItem, datetime]] = []
        self.now = datetime.now(UTC)

    async def online_investors(self) -> list[str]:
        return sorted(self.online)

    async def deliver(self, item: OutboxItem) -> str | None:
        if item.investor_id not in self.online:
            return None
        conversations = self.store.conversations
        conversation = await conversations.latest_open(item.investor_id)
        if conversation is None:
            conversation = await conversations.create(item.investor_id, "zh")
        content = PushPayload.model_validate(item.payload).content("zh")
        await conversations.append(conversation.id, EventKind.SUGGESTION, content.model_dump())
        self.delivered.append((item, self.now))
        return conversation.id


# One week's simulation, day by day, reads best as one story; its steps are the helpers above.
async def simulate(  # noqa: C901, PLR0912, PLR0915
    count: int, seed: int, kb: Path | None, workdir: Path, days: int = 7
) -> WeekReport:
    rng = random.Random(seed)
    investors = generate(count, rng)
    by_id = {investor.investor_id: investor for investor in investors}
    accounts_path, feed_path = workdir / "investors.json", workdir / "feed.json"
    write_accounts(accounts_path, investors)
    settings = Settings(
        accounts_file=accounts_path,
        push_ipo_calendar=None,
        push_holding_notices=None,
        push_fraud_alerts=None,
    )
    guard = ComplianceGuard.from_settings(settings)
    quiet = QuietHours.parse(
        settings.push_quiet_start, settings.push_quiet_end, settings.push_timezone
    )
    policy = PushPolicy(guard, quiet, settings.push_max_per_day, quiet_exempt=QUIET_EXEMPT_KINDS)
    store = await open_store(f"sqlite+aiosqlite:///{workdir / 'week.db'}")
    bot = build_assistant(settings, kb_dir=kb)
    utterances = [u for u in load_scenario_utterances(UTTERANCES).utterances if u.lang == "zh"]
    asks: dict[tuple[date, int], list[str]] = {}
    for investor in investors:
        for _ in range(investor.questions):
            key = (FIRST_DAY + timedelta(days=rng.randrange(days)), rng.randrange(len(SLOTS)))
            asks.setdefault(key, []).append(investor.investor_id)
    questions = handoffs = resolved = quick_replies = 0
    asked: dict[str, dict[str, datetime]] = {}
    muted: dict[str, dict[str, datetime]] = {}
    deliverer = SimDeliverer(store)
    try:
        for day in trading_days(days):
            write_feed(feed_path, investors, day)
            account_system = JsonAccountSystem(accounts_path, today=_fixed(day))
            collector = SignalCollector(
                account_system,
                JsonPortfolioFeed(feed_path, today=_fixed(day)),
                QuestionLog(store.conversations),
            )
            dispatcher = ProactiveDispatcher(
                sources=[RuleSource(account_system, collector, mutes=store.outbox)],
                accounts=account_system,
                outbox=store.outbox,
                policy=policy,
                deliverer=deliverer,
            )
            for slot_index, slot in enumerate(SLOTS):
                now = exchange_moment(day, slot)
                deliverer.now = now
                deliverer.online = {i.investor_id for i in investors if rng.random() < i.online}
                for investor_id in asks.get((day, slot_index), []):
                    deliverer.online.add(investor_id)
                before = len(deliverer.delivered)
                await dispatcher.run_once(now)
                texts: list[tuple[str, str]] = [
                    (investor_id, rng.choice(utterances).text)
                    for investor_id in asks.get((day, slot_index), [])
                ]
                for item, _ in deliverer.delivered[before:]:
                    payload = PushPayload.model_validate(item.payload)
                    draw = rng.random()
                    if draw < 0.25 and payload.zh.quick_replies:
                        quick_replies += 1
                        texts.append((item.investor_id, payload.zh.quick_replies[0]))
                    elif draw > 0.95:
                        await dispatcher.mute(item.investor_id, item.kind, now)
                        muted.setdefault(item.investor_id, {})[item.kind] = now
                for investor_id, text in texts:
                    reply = await bot.policy.respond(
                        ConversationState(
                            conversation_id=f"q-{investor_id}-{questions}",
                            investor_id=investor_id,
                        ),
                        text,
                    )
                    questions += 1
                    route = taken_route(reply)
                    handoffs += route == "handoff"
                    resolved += route in ("faq", "flow", "account")
                    intent = reply.intent.name if reply.intent else None
                    if intent is not None and intent in PERMISSION_INTENTS:
                        asked.setdefault(investor_id, {}).setdefault(
                            PERMISSION_INTENTS[intent], now
                        )
                    conversation = await store.conversations.create(investor_id, "zh")
                    await store.conversations.record_turn(
                        TurnRecord(
                            conversation_id=conversation.id,
                            seq=2,
                            question=text,
                            language="zh",
                            intent=intent,
                            confidence=reply.intent.confidence if reply.intent else None,
                            action=reply.action.value,
                            latency_ms=0,
                            created_at=now,
                        )
                    )
            await account_system.aclose()
    finally:
        bot.close()
        await store.close()
    wrong: Counter[str] = Counter(
        {"not_eligible": 0, "quiet_hours": 0, "over_daily_limit": 0, "muted": 0, "advisory": 0}
    )
    sent: dict[str, list[datetime]] = {}
    for item, at in deliverer.delivered:
        investor = by_id[item.investor_id]
        day = at.astimezone(EXCHANGE_TIME).date()
        if not eligible(investor, item.kind, day, asked.get(item.investor_id, {}), at):
            wrong["not_eligible"] += 1
        if item.kind not in QUIET_EXEMPT_KINDS and quiet.contains(at):
            wrong["quiet_hours"] += 1
        window = [t for t in sent.get(item.investor_id, []) if at - t < timedelta(hours=24)]
        if len(window) >= settings.push_max_per_day:
            wrong["over_daily_limit"] += 1
        sent.setdefault(item.investor_id, []).append(at)
        mute_at = muted.get(item.investor_id, {}).get(item.kind)
        if mute_at is not None and at > mute_at:
            wrong["muted"] += 1
        payload = PushPayload.model_validate(item.payload)
        for wording in (payload.zh, payload.en):
            for text in (wording.title, wording.text, wording.why or "", *wording.quick_replies):
                if guard.check_outgoing(text, "zh", investment_related=False).blocked:
                    wrong["advisory"] += 1
    kinds = Counter(item.kind for item, _ in deliverer.delivered)
    return WeekReport(
        investors=count,
        days=days,
        seed=seed,
        questions=questions,
        resolved_share=round(resolved / questions, 4) if questions else 0.0,
        handoff_share=round(handoffs / questions, 4) if questions else 0.0,
        pushes=len(deliverer.delivered),
        pushes_per_investor_per_week=round(len(deliverer.delivered) / count * 7 / days, 3),
        pushes_by_kind=dict(kinds.most_common()),
        quick_replies=quick_replies,
        mutes=sum(len(kinds_muted) for kinds_muted in muted.values()),
        wrong_pushes=dict(wrong),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--investors", type=int, default=200)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kb", type=Path, default=None, help="knowledge base (default: settings)")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="proactive-week-") as workdir:
        report = asyncio.run(
            simulate(args.investors, args.seed, args.kb, Path(workdir), days=args.days)
        )
    text = report.model_dump_json(indent=2)
    if args.out is not None:
        args.out.write_text(text + "\n", "utf-8")
    print(text)


if __name__ == "__main__":
    main()
