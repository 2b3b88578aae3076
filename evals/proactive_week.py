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
import json
import random
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.accounts import EXCHANGE_TIME, InvestorProfile, JsonAccountSystem
from assistant.assembly import build_assistant
from assistant.compliance import ComplianceGuard
from assistant.dialogue_models import ConversationState
from assistant.flows.permission_eligibility import eligibility_gaps
from assistant.flows.rules import PERMISSION_RULES
from assistant.persistence.records import EventKind, OutboxItem, TurnRecord
from assistant.persistence.sql import SqlStore, open_store
from assistant.proactive import ProactiveDispatcher, PushPayload, PushPolicy
from assistant.proactive.holding_rules import (
    CONCENTRATION_MIN_VALUE,
    CONCENTRATION_SHARE,
    MARGIN_WARNING_LINE,
)
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

ROOT = Path(__file__).resolve().parent.parent
UTTERANCES = ROOT / "evals" / "data" / "scenario_utterances.jsonl"
FIRST_DAY = date(2026, 12, 14)  # a Monday
SLOTS = (time(8, 30), time(10, 0), time(13, 30), time(15, 30), time(20, 0), time(23, 0))
SECURITIES = [
    ("600101", "模拟银行", "R3"),
    ("600202", "模拟电力", "R3"),
    ("601303", "模拟港口", "R3"),
    ("000404", "模拟地产", "R3"),
    ("002505", "模拟电子", "R3"),
    ("300606", "模拟医疗", "R4"),
    ("300707", "模拟软件", "R4"),
    ("688808", "模拟芯片", "R4"),
    ("688909", "模拟材料", "R5"),
]
PRICE = {code: Decimal(5 + 7 * index) for index, (code, _, _) in enumerate(SECURITIES)}


@dataclass
class SimInvestor:
    """One synthetic investor and what the generator knows about them (the ground truth)."""

    investor_id: str
    risk: str | None
    assets: int
    months: int
    permissions: set[str]
    holdings: dict[str, int]
    risk_expires: date
    id_expires: date | None
    failed_days: dict[date, int] = field(default_factory=dict)
    allotment_day: date | None = None
    allotment_paid: bool = False
    application: tuple[str, date, date] | None = None  # kind, started, last touched
    margin_ratio: dict[date, Decimal] = field(default_factory=dict)
    online: float = 0.3
    questions: int = 1


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


def generate(count: int, rng: random.Random) -> list[SimInvestor]:
    investors: list[SimInvestor] = []
    for number in range(1, count + 1):
        risk = rng.choice([None, "C1", "C2", "C3", "C3", "C4", "C4", "C5"])
        assets = int(rng.lognormvariate(12.7, 1.0))
        months = rng.choice([0, 6, 12, 24, 36, 60, 120])
        investor = SimInvestor(
            investor_id=f"SIM-{number:04d}",
            risk=risk,
            assets=assets,
            months=months,
            permissions=set(),
            holdings={
                code: rng.choice([100, 200, 500, 1000, 3000])
                for code, _, _ in rng.sample(SECURITIES, rng.choice([0, 1, 1, 2, 3, 4]))
            },
            risk_expires=FIRST_DAY + timedelta(days=rng.randint(-70, 400)),
            id_expires=rng.choice([None, FIRST_DAY + timedelta(days=rng.randint(-40, 3000))]),
            online=rng.choice([0.1, 0.3, 0.6]),
            questions=rng.choice([0, 1, 1, 2, 3]),
        )
        profile = _profile(investor)
        for permission in ("chinext", "star", "margin"):
            if not eligibility_gaps(profile, PERMISSION_RULES[permission]) and rng.random() < 0.7:
                investor.permissions.add(permission)
        for day in _days(7):
            if rng.random() < 0.05:
                investor.failed_days[day] = rng.choice([1, 2, 3])
        if investor.holdings and rng.random() < 0.1:
            investor.allotment_day = FIRST_DAY + timedelta(days=rng.randint(0, 6))
            investor.allotment_paid = rng.random() < 0.5
        if rng.random() < 0.08:
            started = FIRST_DAY + timedelta(days=rng.randint(-10, 5))
            kind = rng.choice(["chinext", "star", "margin", "stock_connect"])
            investor.application = (kind, started, started)
        if "margin" in investor.permissions:
            ratio = Decimal(rng.choice(["1.35", "1.6", "2.1", "2.8"]))
            for day in _days(7):
                ratio = max(Decimal("1.1"), ratio + Decimal(rng.choice(["-0.15", "0", "0.1"])))
                investor.margin_ratio[day] = ratio
        investors.append(investor)
    return investors


def _days(count: int) -> list[date]:
    return [FIRST_DAY + timedelta(days=offset) for offset in range(count)]


def _profile(investor: SimInvestor) -> InvestorProfile:
    return InvestorProfile.model_validate(_profile_json(investor))


def _profile_json(investor: SimInvestor) -> dict[str, Any]:
    names = {code: name for code, name, _ in SECURITIES}
    return {
        "investor_id": investor.investor_id,
        "name": "模拟投资者",
        "risk_level": investor.risk,
        "age": 40,
        "assets_20d_avg": investor.assets,
        "trading_experience_months": investor.months,
        "holdings": [
            {"code": code, "name": names[code], "quantity": quantity}
            for code, quantity in investor.holdings.items()
        ],
        "permissions": sorted(investor.permissions),
        "phone_masked": "138****0000",
    }


def _fixed(day: date) -> Callable[[], date]:
    return lambda: day


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, EXCHANGE_TIME)


def write_accounts(path: Path, investors: Sequence[SimInvestor]) -> None:
    entries = []
    for investor in investors:
        transfers = [
            {
                "transfer_id": f"T-{investor.investor_id}-{day}-{n}",
                "direction": "bank_to_securities",
                "amount": "1000",
                "requested_at": _at(day, time(9, 5 + n)).isoformat(),
                "status": "failed",
                "completed_at": _at(day, time(9, 6 + n)).isoformat(),
                "failure_reason": "exceeds_limit",
                "bank_name": "模拟银行",
                "bank_card_masked": "6222 **** **** 0001",
            }
            for day, failures in investor.failed_days.items()
            for n in range(failures)
        ]
        ipo = []
        if investor.allotment_day is not None:
            ipo.append(
                {
                    "security_code": "732101",
                    "security_name": "模拟新股",
                    "market": "sse",
                    "kind": "stock",
                    "subscribed_on": (investor.allotment_day - timedelta(days=2)).isoformat(),
                    "subscribed_quantity": 5000,
                    "allotted_quantity": 500,
                    "issue_price": "10.00",
                    "amount_due": "5000.00",
                    "payment_deadline": _at(investor.allotment_day, time(16)).isoformat(),
                    "paid": investor.allotment_paid,
                }
            )
        account: dict[str, Any] = {
            "transfers": transfers,
            "ipo": ipo,
            "risk_assessment": {"expires_on": investor.risk_expires.isoformat()},
            "id_documents": [
                {
                    "kind": "resident_id",
                    "number_masked": "1101**********0001",
                    "expires_on": investor.id_expires.isoformat() if investor.id_expires else None,
                }
            ],
        }
        entries.append(_profile_json(investor) | {"account": account})
    path.write_text(json.dumps({"investors": entries}, ensure_ascii=False), "utf-8")


def flagged_codes(day: date) -> dict[str, date]:
    """The market's events: one main-board share becomes ST mid-week, a STAR share *ST."""
    flags: dict[str, date] = {}
    if day >= FIRST_DAY + timedelta(days=2):
        flags["000404"] = FIRST_DAY + timedelta(days=2)
    if day >= FIRST_DAY + timedelta(days=4):
        flags["688909"] = FIRST_DAY + timedelta(days=4)
    return flags


def write_feed(path: Path, investors: Sequence[SimInvestor], day: date) -> None:
    ratings = {code: rating for code, _, rating in SECURITIES}
    names = {code: name for code, name, _ in SECURITIES}
    flags = flagged_codes(day)
    entries = []
    for investor in investors:
        positions = [
            {
                "code": code,
                "name": names[code],
                "market_value": str(PRICE[code] * quantity),
                "product_rating": ratings[code],
            }
            | (
                {
                    "risk_flag": "st" if code == "000404" else "star_st",
                    "flagged_on": str(flags[code]),
                }
                if code in flags
                else {}
            )
            for code, quantity in investor.holdings.items()
        ]
        entry: dict[str, Any] = {"investor_id": investor.investor_id, "positions": positions}
        if day in investor.margin_ratio:
            entry["margin"] = {
                "maintenance_ratio": str(investor.margin_ratio[day]),
                "as_of": _at(day, time(8)).isoformat(),
            }
        if investor.application is not None:
            kind, started, touched = investor.application
            if started <= day:
                entry["applications"] = [
                    {
                        "application_id": f"APP-{investor.investor_id}",
                        "kind": kind,
                        "started_at": _at(started, time(20)).isoformat(),
                        "updated_at": _at(touched, time(20, 10)).isoformat(),
                        "steps_done": 2,
                        "steps_total": 5,
                    }
                ]
        entries.append(entry)
    path.write_text(json.dumps({"investors": entries}, ensure_ascii=False), "utf-8")


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


def eligible(
    investor: SimInvestor, kind: str, day: date, asked: dict[str, datetime], at: datetime
) -> bool:
    """Written from the generator's state, not from the rules' code."""
    risk_rank = int(investor.risk[1]) if investor.risk else 0
    ratings = {code: int(rating[1]) for code, _, rating in SECURITIES}
    if kind == "st_risk":
        return any(
            code in investor.holdings and 0 <= (day - since).days <= 7
            for code, since in flagged_codes(day).items()
        )
    if kind == "margin_ratio":
        ratio = investor.margin_ratio.get(day)
        return (
            "margin" in investor.permissions and ratio is not None and ratio < MARGIN_WARNING_LINE
        )
    if kind == "risk_mismatch":
        return any(ratings[code] > risk_rank for code in investor.holdings)
    if kind == "allotment_due":
        return (
            investor.allotment_day == day
            and not investor.allotment_paid
            and at < _at(day, time(16))
        )
    if kind == "risk_assessment_expiry":
        return -30 <= (investor.risk_expires - day).days <= 30
    if kind == "id_expiry":
        return investor.id_expires is not None and -30 <= (investor.id_expires - day).days <= 30
    if kind == "transfer_failures":
        return investor.failed_days.get(day, 0) >= 2
    if kind == "application_halfway":
        if investor.application is None:
            return False
        application_kind, _, touched = investor.application
        return application_kind not in investor.permissions and 1 <= (day - touched).days <= 14
    if kind == "permission_ready":
        return any(
            p not in investor.permissions
            and not eligibility_gaps(_profile(investor), PERMISSION_RULES[p])
            for p, first_asked in asked.items()
            if first_asked < at
        )
    if kind == "concentration":
        values = [PRICE[code] * quantity for code, quantity in investor.holdings.items()]
        total = sum(values, Decimal(0))
        return total >= CONCENTRATION_MIN_VALUE and max(values) / total >= CONCENTRATION_SHARE
    return False


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
        for day in _days(days):
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
                now = _at(day, slot)
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
