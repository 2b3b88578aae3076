"""Suggestions from an investor's own account: signals, each rule's hand-computed cases
(eligible, not eligible, expired, muted, quiet hours), and what every text may say."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from assistant.accounts import (
    BankTransfer,
    IdDocument,
    InvestorProfile,
    IpoSubscription,
    JsonAccountSystem,
    RiskAssessment,
)
from assistant.cli import app
from assistant.compliance import ComplianceGuard
from assistant.persistence.records import EventKind, OutboxItem, TurnRecord
from assistant.persistence.sql import SqlStore, open_store
from assistant.proactive import (
    EventSource,
    FraudAlertSource,
    HoldingsNoticeSource,
    ProactiveDataError,
    ProactiveDispatcher,
    PushPolicy,
    PushRefusedError,
    PushText,
    QuietHours,
    Segment,
)
from assistant.proactive.dispatcher import Outbox
from assistant.proactive.outcomes import push_outcomes
from assistant.proactive.rules import (
    QUIET_EXEMPT_KINDS,
    RULES,
    RULES_BY_KIND,
    RuleSource,
)
from assistant.proactive.signals import (
    ApplicationState,
    AskedPermission,
    InvestorSignals,
    JsonPortfolioFeed,
    MarginState,
    PositionState,
    QuestionLog,
    SignalCollector,
)
from assistant.settings import Settings, get_settings
from channels import protocol
from tests.assistant.test_proactive import Clock, RecordingDeliverer, fraud_alert, write_alerts

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_INVESTORS = ROOT / "data" / "accounts" / "investors.json"
SAMPLE_FEED = ROOT / "data" / "proactive" / "portfolio_signals.json"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLE_DAY = date(2026, 12, 15)


def sh(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI)


NOW = sh("2026-12-15 10:00")


def profile(
    *,
    holdings: Sequence[tuple[str, int]] = (("600001", 1000),),
    risk_level: str | None = "C3",
    permissions: Sequence[str] = (),
    assets: int = 150_000,
    months: int = 30,
    age: int = 35,
) -> InvestorProfile:
    return InvestorProfile.model_validate(
        {
            "investor_id": "INV-T",
            "name": "测试",
            "risk_level": risk_level,
            "age": age,
            "assets_20d_avg": assets,
            "trading_experience_months": months,
            "holdings": [{"code": c, "name": f"证券{c}", "quantity": q} for c, q in holdings],
            "permissions": list(permissions),
            "phone_masked": "138****0000",
        }
    )


def position(
    code: str = "600001",
    value: str = "10000",
    rating: str = "R3",
    flag: str = "none",
    flagged_on: date | None = None,
) -> PositionState:
    return PositionState.model_validate(
        {
            "code": code,
            "name": f"证券{code}",
            "market_value": value,
            "product_rating": rating,
            "risk_flag": flag,
            "flagged_on": flagged_on,
        }
    )


def signals(now: datetime = NOW, **fields: Any) -> InvestorSignals:
    fields.setdefault("profile", profile())
    return InvestorSignals(now=now, **fields)


def keys(kind: str, found: InvestorSignals) -> list[str]:
    return [event.event_id for event in RULES_BY_KIND[kind].events(found)]


@pytest.fixture
def policy() -> PushPolicy:
    settings = Settings()
    return PushPolicy.from_settings(settings, ComplianceGuard.from_settings(settings))


# signals --------------------------------------------------------------------------------


async def test_the_sample_feed_is_served_moved_to_today() -> None:
    feed = JsonPortfolioFeed(SAMPLE_FEED, today=lambda: date(2026, 12, 20))

    snapshot = await feed.snapshot("INV-1002")

    assert snapshot is not None
    flagged = [p for p in snapshot.positions if p.risk_flag != "none"]
    assert [(p.code, p.flagged_on) for p in flagged] == [("300001", date(2026, 12, 20))]
    assert await feed.snapshot("INV-9999") is None


async def test_a_broken_feed_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text(
        json.dumps({"investors": [{"investor_id": "A", "positions": [{"code": "1"}]}]}), "utf-8"
    )

    with pytest.raises(ProactiveDataError, match=r"feed\.json investors\.0\.positions\.0"):
        await JsonPortfolioFeed(path).snapshot("A")


async def test_the_collector_takes_todays_transfers_and_allotments_from_the_account_system() -> (
    None
):
    accounts = JsonAccountSystem(SAMPLE_INVESTORS, today=lambda: SAMPLE_DAY)
    collector = SignalCollector(accounts, JsonPortfolioFeed(SAMPLE_FEED, today=lambda: SAMPLE_DAY))
    investor = await accounts.profile("INV-1001")
    assert investor is not None

    found = await collector.collect(investor, NOW)

    # INV-1001: one pending transfer today (the failed one was yesterday); of three
    # subscriptions, the one allotted and the one allotted nothing, the latter dropped.
    assert [t.status for t in found.transfers_today] == ["pending"]
    assert [(a.security_name, a.allotted_quantity) for a in found.allotments] == [
        ("示例新能（虚构）", 500)
    ]
    assert found.risk_assessment is not None
    assert found.risk_assessment.expires_on == date(2026, 12, 27)
    assert [a.kind for a in found.applications] == ["chinext"]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'rules.db'}")
    yield store
    await store.close()


async def record(store: SqlStore, investor_id: str, intent: str, at: datetime) -> None:
    conversation = await store.conversations.create(investor_id, "zh")
    await store.conversations.record_turn(
        TurnRecord(
            conversation_id=conversation.id,
            seq=2,
            question="创业板怎么开",
            language="zh",
            intent=intent,
            confidence=0.9,
            action="answer",
            latency_ms=10,
            created_at=at,
        )
    )


async def test_the_question_log_finds_who_asked_about_which_permission(store: SqlStore) -> None:
    await record(store, "INV-1001", "permission_chinext", sh("2026-12-10 09:00"))
    await record(store, "INV-1001", "fees", sh("2026-12-10 09:05"))
    await record(store, "INV-1003", "permission_star", sh("2026-11-01 09:00"))  # too long ago

    asked = await QuestionLog(store.conversations).asked_since(sh("2026-11-15 00:00"))

    assert asked == {
        "INV-1001": [AskedPermission(permission="chinext", asked_at=sh("2026-12-10 09:00"))]
    }


# rules, one by one ----------------------------------------------------------------------


def test_st_risk_on_a_holding_flagged_this_week() -> None:
    flagged = position("300001", flag="star_st", flagged_on=date(2026, 12, 14))
    holder = profile(holdings=[("300001", 100)])

    assert keys("st_risk", signals(profile=holder, positions=[flagged])) == [
        "st_risk:INV-T:300001:star_st:2026-12-14"
    ]
    # Not eligible: sold already (the feed can lag); no flag.
    assert keys("st_risk", signals(profile=profile(holdings=[]), positions=[flagged])) == []
    assert keys("st_risk", signals(profile=holder, positions=[position("300001")])) == []
    # Expired: the flag is news for seven days (to the end of 12-21).
    assert keys("st_risk", signals(sh("2026-12-21 23:59"), profile=holder, positions=[flagged]))
    assert not keys("st_risk", signals(sh("2026-12-22 00:00"), profile=holder, positions=[flagged]))


def test_margin_ratio_bands_at_150_and_130_percent() -> None:
    margin_investor = profile(permissions=["margin"])

    def at(ratio: str, investor: InvestorProfile = margin_investor) -> list[str]:
        margin = MarginState(maintenance_ratio=Decimal(ratio), as_of=sh("2026-12-15 09:45"))
        return keys("margin_ratio", signals(profile=investor, margin=margin))

    assert at("1.50") == []
    assert at("1.4999") == ["margin_ratio:INV-T:warning:2026-12-15"]
    assert at("1.30") == ["margin_ratio:INV-T:warning:2026-12-15"]
    assert at("1.2999") == ["margin_ratio:INV-T:call:2026-12-15"]
    assert at("1.10", profile()) == []  # no margin permission
    stale = MarginState(maintenance_ratio=Decimal("1.2"), as_of=sh("2026-12-14 15:00"))
    assert keys("margin_ratio", signals(profile=margin_investor, margin=stale)) == []


def test_margin_call_text_gives_the_ratio_and_the_line() -> None:
    margin = MarginState(maintenance_ratio=Decimal("1.256"), as_of=sh("2026-12-15 09:45"))
    (event,) = RULES_BY_KIND["margin_ratio"].events(
        signals(profile=profile(permissions=["margin"]), margin=margin)
    )

    assert "维持担保比例为 126%" in event.zh.text and "130% 的追保线" in event.zh.text
    assert (
        event.en.why == "You have a margin account and its maintenance ratio (126%) is below 130%."
    )


def test_risk_mismatch_compares_the_rating_with_the_investor_level() -> None:
    r4 = position("688999", rating="R4")
    holder = [("688999", 200)]

    assert keys("risk_mismatch", signals(profile=profile(holdings=holder), positions=[r4])) == [
        "risk_mismatch:INV-T:688999:R4:C3"
    ]
    at_c4 = profile(holdings=holder, risk_level="C4")
    assert keys("risk_mismatch", signals(profile=at_c4, positions=[r4])) == []
    not_assessed = profile(holdings=holder, risk_level=None)
    assert keys("risk_mismatch", signals(profile=not_assessed, positions=[r4])) == [
        "risk_mismatch:INV-T:688999:R4:none"
    ]
    assert keys("risk_mismatch", signals(positions=[r4])) == []  # not held


def allotment(deadline: str, *, paid: bool = False, allotted: int = 500) -> IpoSubscription:
    return IpoSubscription.model_validate(
        {
            "security_code": "732999",
            "security_name": "示例新能",
            "market": "sse",
            "kind": "stock",
            "subscribed_on": "2026-12-11",
            "subscribed_quantity": 5000,
            "allotted_quantity": allotted,
            "issue_price": "12.34",
            "amount_due": "6170.00" if allotted else "0",
            "payment_deadline": sh(deadline).isoformat(),
            "paid": paid,
        }
    )


def test_allotment_due_today_until_the_deadline() -> None:
    due = [allotment("2026-12-15 16:00")]

    (event,) = RULES_BY_KIND["allotment_due"].events(signals(allotments=due))
    assert event.event_id == "allotment_due:INV-T:732999:2026-12-15"
    assert "应缴款 6,170.00 元" in event.zh.text and "16:00" in event.zh.text
    assert event.expires_at == sh("2026-12-15 16:00")
    assert keys("allotment_due", signals(sh("2026-12-15 16:00"), allotments=due)) == []
    paid = [allotment("2026-12-15 16:00", paid=True)]
    assert keys("allotment_due", signals(allotments=paid)) == []
    tomorrow = [allotment("2026-12-16 16:00")]
    assert keys("allotment_due", signals(allotments=tomorrow)) == []


def test_risk_assessment_expiry_from_thirty_days_before_to_thirty_after() -> None:
    def on(expires: str, now: datetime = NOW) -> list[str]:
        assessment = RiskAssessment(
            investor_id="INV-T", level="C3", expires_on=date.fromisoformat(expires)
        )
        return keys("risk_assessment_expiry", signals(now, risk_assessment=assessment))

    assert on("2027-01-14") == ["risk_assessment_expiry:INV-T:2027-01-14"]  # 30 days ahead
    assert on("2027-01-15") == []  # 31 days ahead
    assert on("2026-11-15") == ["risk_assessment_expiry:INV-T:2026-11-15"]  # 30 days ago
    assert on("2026-11-14") == []  # expired 31 days ago: over
    assert keys("risk_assessment_expiry", signals(risk_assessment=None)) == []


def test_an_expired_assessment_says_so() -> None:
    assessment = RiskAssessment(investor_id="INV-T", level="C3", expires_on=date(2026, 12, 1))
    (event,) = RULES_BY_KIND["risk_assessment_expiry"].events(signals(risk_assessment=assessment))

    assert "已于 2026-12-01 到期" in event.zh.text
    assert "expired on 2026-12-01" in event.en.text


def test_id_expiry_for_each_dated_document() -> None:
    documents = [
        IdDocument(kind="resident_id", number_masked="1101**********002X", expires_on=None),
        IdDocument(kind="passport", number_masked="E1****567", expires_on=date(2026, 12, 25)),
        IdDocument(kind="hk_macao_permit", number_masked="H1****890", expires_on=date(2027, 6, 1)),
    ]

    assert keys("id_expiry", signals(id_documents=documents)) == [
        "id_expiry:INV-T:passport:2026-12-25"
    ]
    (event,) = RULES_BY_KIND["id_expiry"].events(signals(id_documents=documents))
    assert "将于 2026-12-25 到期（还有 10 天）" in event.zh.text


def transfer(
    at: str, status: str = "failed", reason: str | None = "wrong_password"
) -> BankTransfer:
    return BankTransfer.model_validate(
        {
            "transfer_id": f"T-{at}",
            "direction": "bank_to_securities",
            "amount": "1000",
            "requested_at": sh(at).isoformat(),
            "status": status,
            "failure_reason": reason if status == "failed" else None,
            "bank_name": "示例银行",
            "bank_card_masked": "6222 **** **** 0123",
        }
    )


def test_two_failed_transfers_today_make_a_notice_one_does_not() -> None:
    two = [transfer("2026-12-15 09:10", reason="exceeds_limit"), transfer("2026-12-15 09:40")]

    (event,) = RULES_BY_KIND["transfer_failures"].events(signals(transfers_today=two))
    assert event.event_id == "transfer_failures:INV-T:2026-12-15"
    assert "今天有 2 笔银证转账未成功，最近一次的原因是：密码错误" in event.zh.text
    one_and_a_success = [transfer("2026-12-15 09:40"), transfer("2026-12-15 09:50", "succeeded")]
    assert keys("transfer_failures", signals(transfers_today=one_and_a_success)) == []
    yesterday = [transfer("2026-12-14 15:00"), transfer("2026-12-15 09:40")]
    assert keys("transfer_failures", signals(transfers_today=yesterday)) == []


def application(kind: str = "chinext", updated: str = "2026-12-13 20:00", done: int = 2) -> Any:
    return ApplicationState.model_validate(
        {
            "application_id": "APP-1",
            "kind": kind,
            "started_at": sh("2026-12-13 19:50").isoformat(),
            "updated_at": sh(updated).isoformat(),
            "steps_done": done,
            "steps_total": 5,
        }
    )


def test_an_application_left_halfway_between_one_and_fourteen_days() -> None:
    assert keys("application_halfway", signals(applications=[application()])) == [
        "application_halfway:INV-T:APP-1"
    ]
    # In progress (touched an hour ago), finished, or the permission is already open.
    recent = application(updated="2026-12-15 09:00")
    assert keys("application_halfway", signals(applications=[recent])) == []
    assert keys("application_halfway", signals(applications=[application(done=5)])) == []
    has_it = profile(permissions=["chinext"])
    assert keys("application_halfway", signals(profile=has_it, applications=[application()])) == []
    # Fourteen days untouched: no longer worth a reminder.
    assert not keys(
        "application_halfway", signals(sh("2026-12-27 20:00"), applications=[application()])
    )


def test_permission_ready_after_the_investor_asked() -> None:
    asked = [AskedPermission(permission="chinext", asked_at=sh("2026-12-08 10:00"))]
    # ChiNext: 100,000 CNY, 24 months, C4.
    ready = profile(risk_level="C4", assets=100_000, months=24)

    assert keys("permission_ready", signals(profile=ready, asked=asked)) == [
        "permission_ready:INV-T:chinext"
    ]
    assert keys("permission_ready", signals(profile=ready)) == []  # never asked
    short = profile(risk_level="C4", assets=99_999, months=24)
    assert keys("permission_ready", signals(profile=short, asked=asked)) == []
    low = profile(risk_level="C3", assets=100_000, months=24)
    assert keys("permission_ready", signals(profile=low, asked=asked)) == []
    has_it = profile(risk_level="C4", permissions=["chinext"])
    assert keys("permission_ready", signals(profile=has_it, asked=asked)) == []
    applying = [application(updated="2026-12-15 09:00")]
    assert (
        keys("permission_ready", signals(profile=ready, asked=asked, applications=applying)) == []
    )
    # Thirty days after the question the notice is over.
    assert not keys("permission_ready", signals(sh("2027-01-08 00:00"), profile=ready, asked=asked))


def test_concentration_at_sixty_percent_of_twenty_thousand_or_more() -> None:
    two = profile(holdings=[("600001", 100), ("000001", 100)])

    def share(a: str, b: str, investor: InvestorProfile = two) -> list[str]:
        positions = [position("600001", a), position("000001", b)]
        return keys("concentration", signals(profile=investor, positions=positions))

    assert share("12000", "8000") == ["concentration:INV-T:600001:2026-12"]  # 60% of 20,000
    assert share("11999", "8001") == []  # 59.995%
    assert share("11999", "7000") == []  # 63% but 18,999 in all
    one_held = profile(holdings=[("600001", 100)])
    # The feed's other line is no longer held: 25,000 of 25,000 is 100%.
    assert share("25000", "100000", one_held) == ["concentration:INV-T:600001:2026-12"]


# every rule, together -------------------------------------------------------------------


def test_each_rule_declares_its_kind_priority_and_quiet_hours() -> None:
    assert len({rule.kind for rule in RULES}) == len(RULES) == 10
    assert [rule.priority for rule in RULES] == sorted((r.priority for r in RULES), reverse=True)
    assert {"margin_ratio"} == QUIET_EXEMPT_KINDS


def sample_source(store: SqlStore | None = None) -> RuleSource:
    accounts = JsonAccountSystem(SAMPLE_INVESTORS, today=lambda: SAMPLE_DAY)
    feed = JsonPortfolioFeed(SAMPLE_FEED, today=lambda: SAMPLE_DAY)
    return RuleSource(
        accounts, SignalCollector(accounts, feed), mutes=store.outbox if store else None
    )


async def test_the_samples_give_each_investor_only_what_is_theirs() -> None:
    events = await sample_source().events(NOW)

    assert sorted(event.event_id for event in events) == [
        "allotment_due:INV-1001:732999:2026-12-15",
        "application_halfway:INV-1001:APP-20261213-0042",
        "concentration:INV-1002:600001:2026-12",
        "concentration:INV-1005:600001:2026-12",
        "concentration:INV-1006:688999:2026-12",
        "id_expiry:INV-1007:resident_id:2026-12-01",
        "risk_assessment_expiry:INV-1001:2026-12-27",
        "risk_assessment_expiry:INV-1006:2026-11-19",
        "risk_mismatch:INV-1006:688999:R4:C3",
        "st_risk:INV-1002:300001:star_st:2026-12-15",
    ]


def every_rule_once() -> InvestorSignals:
    """Signals on which every rule fires."""
    return signals(
        profile=profile(
            holdings=[("300001", 100), ("688999", 100)],
            risk_level="C4",
            permissions=["margin"],
            assets=600_000,
            months=30,
        ),
        positions=[
            position("300001", "50000", "R4", "delisting_period", date(2026, 12, 15)),
            position("688999", "10000", "R5"),
        ],
        margin=MarginState(maintenance_ratio=Decimal("1.2"), as_of=sh("2026-12-15 09:30")),
        applications=[application("bse")],
        transfers_today=[transfer("2026-12-15 09:10"), transfer("2026-12-15 09:20")],
        allotments=[allotment("2026-12-15 16:00")],
        risk_assessment=RiskAssessment(
            investor_id="INV-T", level="C4", expires_on=date(2026, 12, 20)
        ),
        id_documents=[
            IdDocument(
                kind="resident_id", number_masked="1101****002X", expires_on=date(2027, 1, 1)
            )
        ],
        asked=[AskedPermission(permission="star", asked_at=sh("2026-12-10 09:00"))],
    )


def test_every_rule_text_passes_the_guard_and_says_why_in_both_languages(
    policy: PushPolicy,
) -> None:
    found = every_rule_once()
    kinds = set()
    for rule in RULES:
        for event in rule.events(found):
            payload = policy.vet(event)  # refuses advice, promises, nudges, personal data
            kinds.add(event.kind)
            for wording in (payload.zh, payload.en):
                assert wording.why, event.event_id
                assert wording.quick_replies, event.event_id
            assert payload.priority == rule.priority
    assert kinds == {rule.kind for rule in RULES}


@pytest.mark.parametrize(
    "advice",
    [
        "建议您尽快卖出该股票。",
        "该股票已被ST，建议清仓。",
        "This share is now ST; you should sell it.",
        "满足条件后保证收益翻倍。",
    ],
)
def test_a_rule_text_that_advises_a_trade_or_promises_is_refused(
    policy: PushPolicy, advice: str
) -> None:
    flagged = position("300001", flag="st", flagged_on=date(2026, 12, 15))
    (event,) = RULES_BY_KIND["st_risk"].events(
        signals(profile=profile(holdings=[("300001", 1)]), positions=[flagged])
    )
    advised = event.model_copy(
        update={"zh": event.zh.model_copy(update={"text": event.zh.text + advice})}
    )
    because = event.model_copy(
        update={"en": PushText(title="x", text="A holding is flagged.", why=advice)}
    )

    with pytest.raises(PushRefusedError):
        policy.vet(advised)
    with pytest.raises(PushRefusedError, match="en why"):
        policy.vet(because)


# through the outbox -----------------------------------------------------------------------


def rule_dispatcher(
    store: SqlStore,
    policy: PushPolicy,
    deliverer: RecordingDeliverer,
    now: datetime,
    source: EventSource | None = None,
) -> ProactiveDispatcher:
    """Over the sample accounts as of the sample day; the rules' source unless another."""
    return ProactiveDispatcher(
        sources=[source or sample_source(store)],
        accounts=JsonAccountSystem(SAMPLE_INVESTORS, today=lambda: SAMPLE_DAY),
        outbox=store.outbox,
        policy=policy,
        deliverer=deliverer,
        clock=Clock(now),
    )


async def test_a_muted_kind_is_neither_delivered_nor_made_again(
    store: SqlStore, policy: PushPolicy
) -> None:
    deliverer = RecordingDeliverer(store)
    dispatcher = rule_dispatcher(store, policy, deliverer, NOW)
    await dispatcher.run_once(NOW)
    assert await dispatcher.mute("INV-1006", "risk_mismatch", NOW)
    assert not await dispatcher.mute("INV-1006", "risk_mismatch", NOW)  # once is enough

    deliverer.online.add("INV-1006")
    delivered = await dispatcher.deliver_pending("INV-1006", sh("2026-12-15 10:01"))

    assert [item.kind for item in delivered] == ["risk_assessment_expiry", "concentration"]
    assert "risk_mismatch" in await store.outbox.muted_kinds("INV-1006")
    events = await sample_source(store).events(NOW)
    assert not [e for e in events if e.kind == "risk_mismatch"]
    assert [e for e in events if e.kind == "concentration"]


async def test_the_daily_limit_lets_the_most_urgent_through_first(
    store: SqlStore, policy: PushPolicy
) -> None:
    deliverer = RecordingDeliverer(store)
    dispatcher = rule_dispatcher(store, policy, deliverer, NOW)
    # INV-1001 has three rule notices; a campaign queued earlier is the fourth.
    await dispatcher.campaign(
        "服务时间调整",
        "客服热线服务时间调整为 8:00-22:00。",
        Segment(investor_ids=frozenset({"INV-1001"})),
        now=NOW - timedelta(hours=1),
    )
    await dispatcher.run_once(NOW)

    deliverer.online.add("INV-1001")
    delivered = await dispatcher.deliver_pending("INV-1001", NOW)

    # allotment_due 90, risk_assessment_expiry 65, application_halfway 45; the campaign (50)
    # came before the application reminder, and the limit of three leaves that one waiting.
    assert [item.kind for item in delivered] == [
        "allotment_due",
        "risk_assessment_expiry",
        "campaign",
    ]


async def test_quiet_hours_hold_a_rule_notice_but_not_a_margin_call(
    store: SqlStore, policy: PushPolicy
) -> None:
    night = sh("2026-12-15 23:00")
    found = signals(
        night,
        profile=profile(holdings=[("300001", 100)], permissions=["margin"]),
        margin=MarginState(maintenance_ratio=Decimal("1.25"), as_of=night),
        positions=[position("300001", flag="st", flagged_on=SAMPLE_DAY)],
    )
    outbox = Outbox(store.outbox, policy)
    for kind in ("margin_ratio", "st_risk"):
        for event in RULES_BY_KIND[kind].events(found):
            await outbox.queue(policy.vet(event), ["INV-T"], night)
    deliverer = RecordingDeliverer(store, online=["INV-T"])
    dispatcher = rule_dispatcher(store, policy, deliverer, night)

    at_night = await dispatcher.deliver_pending("INV-T", night)
    in_the_morning = await dispatcher.deliver_pending("INV-T", sh("2026-12-16 08:00"))

    assert [item.kind for item in at_night] == ["margin_ratio"]
    assert [item.kind for item in in_the_morning] == ["st_risk"]


def test_quiet_hours_policy_knows_the_rules_exemption() -> None:
    guard = ComplianceGuard.from_settings(Settings())
    quiet = QuietHours.parse("22:00", "08:00", "Asia/Shanghai")
    policy = PushPolicy(guard, quiet, 3, quiet_exempt=QUIET_EXEMPT_KINDS)
    night = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai

    assert policy.may_deliver("margin_ratio", night)
    assert not policy.may_deliver("st_risk", night)
    assert not policy.exempt("margin_ratio")  # still counts against the daily limit


def test_every_kind_the_frame_names_for_rules_has_a_rule_and_no_other() -> None:
    assert {rule.kind for rule in RULES} == set(get_args(protocol.RuleKind))


# the preview ------------------------------------------------------------------------------


def previewed(cli: CliRunner, at: str) -> dict[tuple[str, str], str]:
    result = cli.invoke(app, ["push", "preview", "--at", at, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    return {(push["investor_id"], push["kind"]): push["outcome"] for push in body["pushes"]}


def test_the_preview_says_who_gets_what_at_a_time_and_sends_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    morning = previewed(cli, "2026-12-15T10:00")

    # INV-1001 at 10:00: four pushes under the daily limit of three, most urgent first
    # (allotment 90, risk assessment 65, dividend notice 50), the application reminder (45)
    # waits; the fraud alert is outside the limit.
    assert {kind: outcome for (who, kind), outcome in morning.items() if who == "INV-1001"} == {
        "allotment_due": "would_send",
        "risk_assessment_expiry": "would_send",
        "holding_notice": "would_send",
        "application_halfway": "daily_limit",
        "fraud_alert": "would_send",
    }
    assert morning[("INV-1006", "risk_mismatch")] == "would_send"
    assert ("INV-1003", "risk_mismatch") not in morning  # C1, holds nothing

    night = previewed(cli, "2026-12-15T23:00")
    assert ("INV-1001", "allotment_due") not in night  # payment closed at 16:00
    assert night[("INV-1001", "risk_assessment_expiry")] == "quiet_hours"
    assert night[("INV-1001", "fraud_alert")] == "would_send"

    async def queued_and_mute() -> list[OutboxItem]:
        store = await open_store(get_settings().database)
        try:
            await store.outbox.mute("INV-1006", "risk_mismatch", NOW)
            return await store.outbox.pending("INV-1001", sh("2030-01-01 00:00"))
        finally:
            await store.close()

    assert asyncio.run(queued_and_mute()) == []  # the previews queued nothing
    assert previewed(cli, "2026-12-15T10:00")[("INV-1006", "risk_mismatch")] == "muted"


# outcomes -------------------------------------------------------------------------------


async def test_outcomes_count_deliveries_opens_follow_ups_quick_replies_and_mutes(
    tmp_path: Path,
) -> None:
    moment = datetime(2026, 12, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    clock = Clock(moment)  # the store's: when each event is written
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'outcomes.db'}", clock=clock)
    try:
        settings = Settings()
        policy = PushPolicy.from_settings(settings, ComplianceGuard.from_settings(settings))
        alerts = write_alerts(tmp_path / "alerts.json", fraud_alert())
        deliverer = RecordingDeliverer(store, online=["INV-1001", "INV-1002", "INV-1003"])
        dispatcher = rule_dispatcher(store, policy, deliverer, moment, FraudAlertSource(alerts))
        assert (await dispatcher.run_once(moment)).delivered == 3

        async def say(investor_id: str, text: str, after: timedelta) -> None:
            conversation = await store.conversations.latest_open(investor_id)
            assert conversation is not None
            clock.now = moment + after
            await store.conversations.append(
                conversation.id, EventKind.INVESTOR_MESSAGE, {"text": text}, f"m-{investor_id}"
            )

        await say("INV-1001", "如何识别非法荐股", timedelta(minutes=2))  # a quick reply
        await say("INV-1002", "谢谢提醒", timedelta(minutes=29))  # followed, in its own words
        await say("INV-1003", "转人工客服", timedelta(minutes=31))  # too late to count
        await dispatcher.mute("INV-1003", "campaign", moment)
        # INV-1002 had the alert in view in the widget (the opened frame).
        (seen,) = [
            i
            for i in await store.outbox.delivered_between(moment, moment + timedelta(minutes=1))
            if i.investor_id == "INV-1002"
        ]
        assert await store.outbox.mark_opened("INV-1002", seen.dedupe_key, moment)

        outcomes = await push_outcomes(
            store, moment - timedelta(hours=1), moment + timedelta(hours=1)
        )
    finally:
        await store.close()

    assert (outcomes.delivered, outcomes.muted) == (3, 1)
    assert outcomes.opened_share == pytest.approx(1 / 3)
    assert outcomes.followed_share == pytest.approx(2 / 3)
    assert outcomes.quick_reply_share == pytest.approx(1 / 3)
    assert [k.model_dump() for k in outcomes.by_kind] == [
        {
            "kind": "fraud_alert",
            "delivered": 3,
            "opened": 1,
            "followed": 2,
            "quick_replies": 1,
            "muted": 0,
        },
        {
            "kind": "campaign",
            "delivered": 0,
            "opened": 0,
            "followed": 0,
            "quick_replies": 0,
            "muted": 1,
        },
    ]


async def test_a_holdings_risk_warning_told_by_two_sources_is_pushed_once(
    store: SqlStore, policy: PushPolicy
) -> None:
    """The notices file announces 300001's *ST for 2026-12-15 and the feed flags it that day:
    INV-1002, who holds it, gets the notice, not the rule's second telling of it."""
    notices = HoldingsNoticeSource(ROOT / "data" / "proactive" / "holding_notices.csv")
    dispatcher = ProactiveDispatcher(
        sources=[notices, sample_source(store)],
        accounts=JsonAccountSystem(SAMPLE_INVESTORS, today=lambda: SAMPLE_DAY),
        outbox=store.outbox,
        policy=policy,
        deliverer=RecordingDeliverer(store),
        clock=Clock(NOW),
    )
    told = [e for e in await sample_source().events(NOW) if e.kind == "st_risk"]
    assert [e.topic for e in told] == ["risk_warning:300001:2026-12-15"]

    await dispatcher.run_once(NOW)
    await dispatcher.run_once(NOW + timedelta(hours=1))

    pending = await store.outbox.pending("INV-1002", NOW + timedelta(hours=1))
    about_300001 = [item.dedupe_key for item in pending if "300001" in item.dedupe_key]
    assert about_300001 == ["risk_warning:300001:2026-12-15"]
    assert [item.kind for item in pending if "300001" in item.dedupe_key] == ["holding_notice"]
    assert "concentration" in [item.kind for item in pending]  # other news still goes out
