"""Proactive suggestions: who gets which push, when, how often, and what it may say."""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.accounts import Holding, InvestorProfile, JsonAccountSystem
from assistant.compliance import ComplianceGuard
from assistant.persistence.records import EventKind, OutboxItem
from assistant.persistence.sql import SqlStore, open_store
from assistant.proactive import (
    EventSource,
    FraudAlertSource,
    HoldingsNoticeSource,
    IpoCalendarSource,
    ProactiveConfigError,
    ProactiveDataError,
    ProactiveDispatcher,
    ProactiveError,
    ProactiveEvent,
    PushPayload,
    PushPolicy,
    PushPoller,
    PushRefusedError,
    PushText,
    QuietHours,
    Segment,
    ipo_eligible,
)
from assistant.settings import Settings
from channels.protocol import Suggestion

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_INVESTORS = ROOT / "data" / "accounts" / "investors.json"
SAMPLE_PUSHES = ROOT / "data" / "proactive"
SHANGHAI = ZoneInfo("Asia/Shanghai")
DISCLAIMER_ZH = "以上信息仅供参考，不构成投资建议。投资有风险，入市需谨慎。"

IPO_HEADER = [
    "code",
    "subscription_code",
    "name",
    "name_en",
    "board",
    "subscription_date",
    "issue_price",
    "subscription_limit",
]
NOTICE_HEADER = ["code", "name", "type", "effective_date", "notify_from", "text_zh", "text_en"]


def sh(moment: str) -> datetime:
    """A Shanghai wall-clock time, e.g. ``sh("2026-12-01 09:00")``."""
    return datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI)


def profile(
    investor_id: str = "INV-T",
    *,
    holdings: Sequence[tuple[str, int]] = (("600001", 1000),),
    assets: int = 150_000,
    permissions: Sequence[str] = (),
    risk_level: str | None = "C3",
) -> InvestorProfile:
    return InvestorProfile.model_validate(
        {
            "investor_id": investor_id,
            "name": "测试",
            "risk_level": risk_level,
            "age": 40,
            "assets_20d_avg": Decimal(assets),
            "trading_experience_months": 36,
            "holdings": [
                Holding(code=code, name="虚构", quantity=quantity) for code, quantity in holdings
            ],
            "permissions": set(permissions),
            "phone_masked": "138****0000",
        }
    )


def write_csv(path: Path, header: Sequence[str], *rows: Sequence[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def ipo_row(
    code: str = "605999", board: str = "main", day: str = "2026-12-01", subscription: str = ""
) -> list[str]:
    return [code, subscription, "示例新材（虚构）", "", board, day, "18.88", "12000"]


def fraud_alert(alert_id: str = "fake-groups", **fields: object) -> dict[str, object]:
    alert: dict[str, object] = {
        "id": alert_id,
        "valid_from": "2026-11-01",
        "valid_until": "2026-12-31",
        "title_zh": "防骗提醒：警惕冒充本公司的“荐股群”",
        "text_zh": "本公司从不通过微信群推荐股票，凡是承诺稳赚不赔的都是诈骗。",
        "title_en": "Scam alert: fake stock-tip groups",
        "text_en": "We never recommend shares in chat groups; anyone promising "
        "guaranteed profits is a scammer.",
    }
    alert.update(fields)
    return alert


def write_alerts(path: Path, *alerts: dict[str, object]) -> Path:
    path.write_text(json.dumps({"alerts": list(alerts)}, ensure_ascii=False), "utf-8")
    return path


@pytest.fixture
def guard() -> ComplianceGuard:
    return ComplianceGuard.from_settings(Settings())


@pytest.fixture
def policy(guard: ComplianceGuard) -> PushPolicy:
    return PushPolicy(guard, QuietHours.parse("22:00", "08:00", "Asia/Shanghai"), max_per_day=3)


# --- eligibility ----------------------------------------------------------------------


def test_a_main_board_ipo_reaches_holders_of_that_exchange_with_enough_value() -> None:
    assert ipo_eligible(profile(holdings=[("600001", 100)]), "605999", "main")
    assert ipo_eligible(profile(holdings=[("000001", 100)]), "001999", "main")


def test_shanghai_shares_do_not_count_for_a_shenzhen_ipo() -> None:
    shanghai_only = profile(holdings=[("600001", 100), ("688001", 100)])

    assert not ipo_eligible(shanghai_only, "001999", "main")


def test_below_ten_thousand_yuan_there_is_no_reminder() -> None:
    assert not ipo_eligible(profile(assets=9_999), "605999", "main")
    assert ipo_eligible(profile(assets=10_000), "605999", "main")


def test_an_investor_without_shares_in_the_market_is_not_eligible_whatever_the_cash() -> None:
    assert not ipo_eligible(profile(holdings=[], assets=5_000_000), "605999", "main")
    assert not ipo_eligible(profile(holdings=[("600001", 0)]), "605999", "main")


def test_chinext_and_star_ipos_need_the_board_permission() -> None:
    shenzhen = profile(holdings=[("000001", 100)])
    shanghai = profile(holdings=[("600001", 100)])

    assert not ipo_eligible(shenzhen, "301999", "chinext")
    assert ipo_eligible(
        shenzhen.model_copy(update={"permissions": {"chinext"}}), "301999", "chinext"
    )
    assert not ipo_eligible(
        shanghai.model_copy(update={"permissions": {"chinext"}}), "688998", "star"
    )
    assert ipo_eligible(shanghai.model_copy(update={"permissions": {"star"}}), "688998", "star")


def test_a_bse_ipo_needs_the_permission_but_no_market_value() -> None:
    assert ipo_eligible(profile(holdings=[], permissions=["bse"]), "920999", "bse")
    assert not ipo_eligible(profile(holdings=[("600001", 100)]), "920999", "bse")


def test_an_empty_segment_is_everyone_and_given_criteria_must_all_hold() -> None:
    somebody = profile("INV-A", risk_level="C1", holdings=[("600001", 10)])

    assert Segment().includes(somebody)
    assert Segment(risk_levels=frozenset({"C1", "C2"}), holds=frozenset({"600001"})).includes(
        somebody
    )
    assert not Segment(risk_levels=frozenset({"C1"}), holds=frozenset({"300001"})).includes(
        somebody
    )
    assert not Segment(investor_ids=frozenset({"INV-B"})).includes(somebody)


async def test_the_account_system_lists_its_investors() -> None:
    ids = await JsonAccountSystem(SAMPLE_INVESTORS).investor_ids()

    assert "INV-1001" in ids
    assert len(ids) == len(set(ids)) == 8


# --- quiet hours ----------------------------------------------------------------------

QUIET = QuietHours.parse("22:00", "08:00", "Asia/Shanghai")


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        ("2026-12-01 21:59", False),
        ("2026-12-01 22:00", True),
        ("2026-12-01 23:59", True),
        ("2026-12-02 00:00", True),
        ("2026-12-02 07:59", True),
        ("2026-12-02 08:00", False),
        ("2026-12-02 12:00", False),
    ],
)
def test_quiet_hours_wrap_midnight(moment: str, quiet: bool) -> None:
    assert QUIET.contains(sh(moment)) is quiet


def test_quiet_hours_end_the_next_morning_before_midnight_and_the_same_morning_after() -> None:
    assert QUIET.next_end(sh("2026-12-01 23:00")) == sh("2026-12-02 08:00")
    assert QUIET.next_end(sh("2026-12-02 00:30")) == sh("2026-12-02 08:00")


def test_quiet_hours_are_read_in_their_own_zone_whatever_zone_now_is_in() -> None:
    # 16:30 UTC on 1 December is 00:30 on 2 December in Shanghai.
    late = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)

    assert QUIET.contains(late)
    assert QUIET.next_end(late) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert not QUIET.contains(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # 20:00 there


def test_quiet_hours_end_at_local_time_across_a_daylight_saving_change() -> None:
    new_york = QuietHours.parse("22:00", "08:00", "America/New_York")
    # Midnight EST on 8 March 2026; clocks go forward at 02:00, so 08:00 is EDT (UTC-4).
    midnight = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)

    assert new_york.next_end(midnight) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_a_daytime_window_and_an_empty_one() -> None:
    lunch = QuietHours.parse("12:00", "13:30", "Asia/Shanghai")
    never = QuietHours.parse("08:00", "08:00", "Asia/Shanghai")

    assert lunch.contains(sh("2026-12-01 12:45"))
    assert not lunch.contains(sh("2026-12-01 23:00"))
    assert lunch.next_end(sh("2026-12-01 12:45")) == sh("2026-12-01 13:30")
    assert not never.contains(sh("2026-12-01 08:00"))


def test_naive_times_and_unknown_zones_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        QUIET.contains(datetime(2026, 12, 1, 23, 0))
    with pytest.raises(ProactiveConfigError, match="Mars/Olympus"):
        QuietHours.parse("22:00", "08:00", "Mars/Olympus")


def test_a_push_made_in_quiet_hours_waits_for_the_morning_but_a_fraud_alert_does_not(
    policy: PushPolicy,
) -> None:
    assert policy.not_before("campaign", sh("2026-12-01 23:00")) == sh("2026-12-02 08:00")
    assert policy.not_before("campaign", sh("2026-12-01 15:00")) is None
    assert policy.not_before("fraud_alert", sh("2026-12-01 23:00")) is None
    assert policy.may_deliver("fraud_alert", sh("2026-12-01 23:00"))
    assert not policy.may_deliver("holding_notice", sh("2026-12-01 23:00"))


def test_settings_build_the_policy(guard: ComplianceGuard) -> None:
    settings = Settings(push_quiet_start="21:30", push_quiet_end="07:00", push_max_per_day=5)

    policy = PushPolicy.from_settings(settings, guard)

    assert policy.max_per_day == 5
    assert policy.quiet.contains(sh("2026-12-01 21:30"))
    assert not policy.quiet.contains(sh("2026-12-02 07:00"))


# --- compliance -----------------------------------------------------------------------


def campaign_event(text_zh: str, text_en: str = "Our service hours change.") -> ProactiveEvent:
    return ProactiveEvent(
        event_id="campaign:test",
        kind="campaign",
        zh=PushText(title="通知", text=text_zh),
        en=PushText(title="Notice", text=text_en),
        audience=Segment(),
    )


def test_a_push_promising_returns_is_refused_naming_the_event_and_the_words(
    policy: PushPolicy,
) -> None:
    with pytest.raises(PushRefusedError) as refused:
        policy.vet(campaign_event("稳赚不赔，建议立即买入"))

    assert refused.value.event_id == "campaign:test"
    assert refused.value.http_status == 422
    message = str(refused.value)
    assert "campaign:test" in message
    assert "return_promise (稳赚不赔)" in message
    assert "personalised_advice (立即买入)" in message


@pytest.mark.parametrize(
    "text",
    [
        "示例新材今日申购，建议申购。",
        "这只新股值得买，不要错过。",
        "We recommend you subscribe to Example Materials today.",
    ],
)
def test_a_push_nudging_towards_a_new_share_is_refused(policy: PushPolicy, text: str) -> None:
    with pytest.raises(PushRefusedError, match="nudge"):
        policy.vet(campaign_event(text, text_en=text))


def test_a_push_carrying_personal_data_is_refused_not_masked(policy: PushPolicy) -> None:
    with pytest.raises(PushRefusedError, match="personal data"):
        policy.vet(campaign_event("请联系客户经理 13812345678 办理。"))


def test_investment_information_gets_the_disclaimer_and_a_scam_warning_does_not(
    policy: PushPolicy,
) -> None:
    reminder = ProactiveEvent(
        event_id="ipo:605999:2026-12-01",
        kind="ipo_reminder",
        zh=PushText(title="新股申购提醒", text="示例新材今日开放申购，发行价 18.88 元。"),
        en=PushText(title="New share", text="Example Materials opens for subscription today."),
        audience=Segment(),
    )
    warning = reminder.model_copy(
        update={
            "event_id": "fraud:x",
            "kind": "fraud_alert",
            "zh": PushText(title="防骗", text="凡是承诺稳赚不赔的荐股群都是诈骗。"),
        }
    )

    assert policy.vet(reminder).zh.text.endswith(DISCLAIMER_ZH)
    assert policy.vet(reminder).en.text.endswith("not investment advice. Investing involves risk.")
    assert policy.vet(warning).zh.text == "凡是承诺稳赚不赔的荐股群都是诈骗。"


async def test_every_shipped_push_passes_the_guard(policy: PushPolicy) -> None:
    sources: list[EventSource] = [
        IpoCalendarSource(SAMPLE_PUSHES / "ipo_calendar.csv"),
        HoldingsNoticeSource(SAMPLE_PUSHES / "holding_notices.csv"),
        FraudAlertSource(SAMPLE_PUSHES / "fraud_alerts.json"),
    ]
    seen: set[str] = set()
    for day in range(1, 6):
        for source in sources:
            for event in await source.events(sh(f"2026-12-0{day} 09:00")):
                policy.vet(event)
                seen.add(event.kind)

    assert seen == {"ipo_reminder", "holding_notice", "fraud_alert"}


# --- sources and their files ----------------------------------------------------------


async def test_an_ipo_reminder_exists_only_on_its_subscription_day_in_exchange_time(
    tmp_path: Path,
) -> None:
    source = IpoCalendarSource(
        write_csv(tmp_path / "ipo.csv", IPO_HEADER, ipo_row(subscription="707999"))
    )

    assert await source.events(sh("2026-11-30 23:59")) == []
    (event,) = await source.events(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))  # 00:30 there
    assert await source.events(sh("2026-12-02 09:00")) == []

    assert event.event_id == "ipo:605999:2026-12-01"
    assert event.expires_at == sh("2026-12-01 15:00")
    assert "申购代码 707999" in event.zh.text
    assert "18.88 元" in event.zh.text
    assert "12,000 股" in event.zh.text
    assert "自行决定" in event.zh.text


async def test_a_holding_notice_runs_from_notify_from_to_its_effective_date(
    tmp_path: Path,
) -> None:
    source = HoldingsNoticeSource(
        write_csv(
            tmp_path / "notices.csv",
            NOTICE_HEADER,
            [
                "600001",
                "示例银行（虚构）",
                "dividend",
                "2026-12-18",
                "2026-12-01",
                "每10股派3元。",
                "",
            ],
        )
    )

    assert await source.events(sh("2026-11-30 12:00")) == []
    (event,) = await source.events(sh("2026-12-18 23:00"))
    assert await source.events(sh("2026-12-19 00:00")) == []

    assert event.audience == Segment(holds=frozenset({"600001"}))
    assert event.zh.title == "分红派息提示：示例银行（虚构）（600001）"
    assert "2026-12-18" in event.en.text  # the English text is written from the facts


async def test_a_fraud_alert_keeps_its_segment_and_validity(tmp_path: Path) -> None:
    path = write_alerts(
        tmp_path / "alerts.json",
        fraud_alert("old", valid_until="2026-11-20"),
        fraud_alert("conservative", risk_levels=["C1", "C2"]),
    )

    (event,) = await FraudAlertSource(path).events(sh("2026-12-01 09:00"))

    assert event.event_id == "fraud:conservative"
    assert event.audience == Segment(risk_levels=frozenset({"C1", "C2"}))


async def test_list_cells_in_a_csv_are_separated_by_bars(tmp_path: Path) -> None:
    alert = fraud_alert("csv-alert")
    header = [*alert, "risk_levels", "holds"]
    path = write_csv(
        tmp_path / "alerts.csv", header, [*map(str, alert.values()), "C1|C2", "600001"]
    )

    (event,) = await FraudAlertSource(path).events(sh("2026-12-01 09:00"))

    assert event.audience == Segment(
        risk_levels=frozenset({"C1", "C2"}), holds=frozenset({"600001"})
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (ipo_row(board="nasdaq"), r"line 3: board: Input should be"),
        (
            ipo_row(code="605999", board="star"),
            r"line 3: row: Value error, code 605999 is a Shanghai main board code, not star",
        ),
        (ipo_row(day="2026-13-01"), r"line 3: subscription_date"),
        ([*ipo_row()[:6], "-1", "100"], r"line 3: issue_price"),
        (ipo_row()[:5], r"line 3: subscription_date: Field required"),
        ([*ipo_row(), "extra"], r"line 3: more values than columns"),
    ],
)
async def test_a_bad_calendar_row_names_the_file_the_line_and_the_field(
    tmp_path: Path, row: list[str], expected: str
) -> None:
    path = write_csv(tmp_path / "ipo.csv", IPO_HEADER, ipo_row(code="001999"), row)

    with pytest.raises(ProactiveDataError, match=expected) as failed:
        await IpoCalendarSource(path).events(sh("2026-12-01 09:00"))
    assert str(path) in str(failed.value)


async def test_a_bad_json_item_is_named_by_its_position(tmp_path: Path) -> None:
    path = write_alerts(tmp_path / "alerts.json", fraud_alert("a"), fraud_alert("b", holds=["12"]))

    with pytest.raises(ProactiveDataError, match=r"alerts\.json item 2: holds\.0: String"):
        await FraudAlertSource(path).events(sh("2026-12-01 09:00"))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("alerts.json", "{not json", "not valid JSON"),
        ("alerts.json", '{"items": []}', "an object with a 'alerts' list"),
        ("alerts.yaml", "alerts: []", "expected a .csv or .json file"),
        ("missing.json", None, "No such file"),
    ],
)
async def test_an_unreadable_file_says_why(
    tmp_path: Path, name: str, content: str | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, "utf-8")

    with pytest.raises(ProactiveDataError, match=expected):
        await FraudAlertSource(path).events(sh("2026-12-01 09:00"))


async def test_two_rows_for_the_same_event_are_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ipo.csv", IPO_HEADER, ipo_row(), ipo_row())

    with pytest.raises(ProactiveDataError, match="more than one row for 605999, 2026-12-01"):
        await IpoCalendarSource(path).events(sh("2026-12-01 09:00"))


async def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    path = write_alerts(tmp_path / "alerts.json", fraud_alert("first"))
    source = FraudAlertSource(path)
    assert [e.event_id for e in await source.events(sh("2026-12-01 09:00"))] == ["fraud:first"]

    write_alerts(path, fraud_alert("first"), fraud_alert("second"))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000))

    events = await source.events(sh("2026-12-01 09:00"))
    assert [e.event_id for e in events] == ["fraud:first", "fraud:second"]


# --- the dispatcher over the real SQL store -------------------------------------------


class RecordingDeliverer:
    """Stands in for the conversation service (which has its own websocket tests): it
    appends each push to the investor's open conversation in the store, as the service
    does, and keeps the frames an investor's socket would receive."""

    def __init__(self, store: SqlStore, online: Sequence[str] = ()) -> None:
        self.store = store
        self.online = set(online)
        self.frames: list[tuple[str, Suggestion]] = []

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
        event = await conversations.append(
            conversation.id, EventKind.SUGGESTION, content.model_dump()
        )
        frame = Suggestion(seq=event.seq, at=event.created_at.isoformat(), **event.payload)
        self.frames.append((item.investor_id, frame))
        return conversation.id

    def titles(self, investor_id: str) -> list[str]:
        return [frame.title for who, frame in self.frames if who == investor_id]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'push.db'}")
    yield store
    await store.close()


def dispatcher_for(
    store: SqlStore,
    policy: PushPolicy,
    deliverer: RecordingDeliverer,
    *sources: EventSource,
    accounts: JsonAccountSystem | None = None,
    clock: Clock | None = None,
) -> ProactiveDispatcher:
    return ProactiveDispatcher(
        sources=sources,
        accounts=accounts or JsonAccountSystem(SAMPLE_INVESTORS),
        outbox=store.outbox,
        policy=policy,
        deliverer=deliverer,
        clock=clock or Clock(sh("2026-12-01 09:00")),
    )


async def pending(
    store: SqlStore, investor_id: str, at: str = "2030-01-01 00:00"
) -> list[OutboxItem]:
    """Undelivered pushes as of ``at`` (by default long after every quiet hour, so only
    pushes without an end are left)."""
    return await store.outbox.pending(investor_id, sh(at))


async def test_an_ipo_reminder_reaches_exactly_the_eligible_sample_investors(
    store: SqlStore, policy: PushPolicy, tmp_path: Path
) -> None:
    calendar = write_csv(tmp_path / "ipo.csv", IPO_HEADER, ipo_row())
    deliverer = RecordingDeliverer(store, online=["INV-1001"])
    dispatcher = dispatcher_for(store, policy, deliverer, IpoCalendarSource(calendar))

    report = await dispatcher.run_once(sh("2026-12-01 09:00"))

    # Shanghai holders: 1001, 1002 and 1005 (600001) and 1006 (688999, STAR counts too).
    queued = {
        i
        for i in await JsonAccountSystem(SAMPLE_INVESTORS).investor_ids()
        if await pending(store, i, at="2026-12-01 09:00")
    }
    assert queued == {"INV-1002", "INV-1005", "INV-1006"}  # 1001 was online: delivered
    assert report.queued == 4
    assert report.delivered == 1
    ((investor, frame),) = deliverer.frames
    assert investor == "INV-1001"
    assert frame.kind == "ipo_reminder"
    assert frame.title == "新股申购提醒：示例新材（虚构）"
    assert frame.text.endswith(DISCLAIMER_ZH)
    assert frame.quick_replies == ["新股申购规则", "怎么查询中签"]


async def test_each_push_reaches_an_investor_once_however_often_the_sources_are_polled(
    store: SqlStore, policy: PushPolicy, tmp_path: Path
) -> None:
    alerts = write_alerts(tmp_path / "alerts.json", fraud_alert())
    deliverer = RecordingDeliverer(store, online=["INV-1001"])
    dispatcher = dispatcher_for(store, policy, deliverer, FraudAlertSource(alerts))

    first = await dispatcher.run_once(sh("2026-12-01 09:00"))
    second = await dispatcher.run_once(sh("2026-12-01 09:01"))
    deliverer.online.add("INV-1003")
    third = await dispatcher.run_once(sh("2026-12-01 09:02"))

    assert (first.queued, first.delivered) == (8, 1)
    assert (second.queued, second.delivered) == (0, 0)
    assert (third.queued, third.delivered) == (0, 1)
    assert (
        deliverer.titles("INV-1001")
        == deliverer.titles("INV-1003")
        == ["防骗提醒：警惕冒充本公司的“荐股群”"]
    )


async def test_an_investor_who_connects_later_gets_the_pushes_in_order(
    store: SqlStore, policy: PushPolicy, tmp_path: Path
) -> None:
    alerts = write_alerts(tmp_path / "alerts.json", fraud_alert("one"))
    deliverer = RecordingDeliverer(store)
    dispatcher = dispatcher_for(store, policy, deliverer, FraudAlertSource(alerts))
    await dispatcher.run_once(sh("2026-12-01 09:00"))
    await dispatcher.campaign(
        "服务时间调整", "客服热线服务时间调整为 8:00-22:00。", Segment(), now=sh("2026-12-01 10:00")
    )

    deliverer.online.add("INV-1007")
    delivered = await dispatcher.deliver_pending("INV-1007", sh("2026-12-01 12:00"))

    assert [item.kind for item in delivered] == ["fraud_alert", "campaign"]
    assert all(item.delivered_at == sh("2026-12-01 12:00") for item in delivered)
    assert [frame.seq for _, frame in deliverer.frames] == [1, 2]
    assert await pending(store, "INV-1007") == []
    assert await dispatcher.deliver_pending("INV-1007", sh("2026-12-01 12:01")) == []


async def test_an_offline_investor_keeps_the_push_pending(
    store: SqlStore, policy: PushPolicy
) -> None:
    deliverer = RecordingDeliverer(store)
    dispatcher = dispatcher_for(store, policy, deliverer)

    report = await dispatcher.campaign(
        "App 升级",
        "新版 App 已上线。",
        Segment(investor_ids=frozenset({"INV-1001"})),
        now=sh("2026-12-01 10:00"),
    )

    assert (report.targeted, report.queued, report.delivered_now) == (1, 1, 0)
    assert await dispatcher.deliver_pending("INV-1001", sh("2026-12-01 10:05")) == []
    assert len(await pending(store, "INV-1001")) == 1


async def test_at_most_three_pushes_a_day_and_the_rest_wait_for_the_window_to_roll(
    store: SqlStore, policy: PushPolicy, tmp_path: Path
) -> None:
    deliverer = RecordingDeliverer(store, online=["INV-1001"])
    alerts = write_alerts(tmp_path / "alerts.json", fraud_alert())
    dispatcher = dispatcher_for(store, policy, deliverer, FraudAlertSource(alerts))
    only_1001 = Segment(investor_ids=frozenset({"INV-1001"}))
    sent = [
        await dispatcher.campaign(
            f"通知{n}", f"服务通知第{n}条。", only_1001, now=sh("2026-12-01 10:00")
        )
        for n in range(4)
    ]
    fraud = await dispatcher.run_once(sh("2026-12-01 11:00"))

    assert [report.delivered_now for report in sent] == [1, 1, 1, 0]
    assert fraud.delivered == 1  # the scam warning is not held by the limit
    assert await dispatcher.deliver_pending("INV-1001", sh("2026-12-02 09:59")) == []
    (late,) = await dispatcher.deliver_pending("INV-1001", sh("2026-12-02 10:00:01"))
    assert late.payload["zh"]["title"] == "通知3"


async def test_pushes_made_in_quiet_hours_wait_for_the_morning_except_fraud_alerts(
    store: SqlStore, policy: PushPolicy, tmp_path: Path
) -> None:
    alerts = write_alerts(tmp_path / "alerts.json", fraud_alert())
    deliverer = RecordingDeliverer(store, online=["INV-1001"])
    dispatcher = dispatcher_for(store, policy, deliverer, FraudAlertSource(alerts))
    only_1001 = Segment(investor_ids=frozenset({"INV-1001"}))

    night = await dispatcher.campaign(
        "夜间通知", "系统将于凌晨维护。", only_1001, now=sh("2026-12-01 23:00")
    )
    fraud = await dispatcher.run_once(sh("2026-12-01 23:00"))

    assert night.delivered_now == 0
    assert fraud.delivered == 1
    (held,) = await pending(store, "INV-1001")
    assert held.not_before == sh("2026-12-02 08:00")
    assert await dispatcher.deliver_pending("INV-1001", sh("2026-12-02 07:59")) == []
    (morning,) = await dispatcher.deliver_pending("INV-1001", sh("2026-12-02 08:00"))
    assert morning.kind == "campaign"


async def test_a_push_queued_in_the_evening_is_not_delivered_at_midnight(
    store: SqlStore, policy: PushPolicy
) -> None:
    deliverer = RecordingDeliverer(store)
    dispatcher = dispatcher_for(store, policy, deliverer)
    only_1001 = Segment(investor_ids=frozenset({"INV-1001"}))
    await dispatcher.campaign("通知", "营业部地址变更。", only_1001, now=sh("2026-12-01 21:00"))

    deliverer.online.add("INV-1001")

    assert await dispatcher.deliver_pending("INV-1001", sh("2026-12-02 00:10")) == []
    assert len(await dispatcher.deliver_pending("INV-1001", sh("2026-12-02 08:10"))) == 1


async def test_an_ipo_reminder_is_not_delivered_after_subscription_closes(
    store: SqlStore, policy: PushPolicy, tmp_path: Path
) -> None:
    calendar = write_csv(tmp_path / "ipo.csv", IPO_HEADER, ipo_row())
    deliverer = RecordingDeliverer(store)
    dispatcher = dispatcher_for(store, policy, deliverer, IpoCalendarSource(calendar))
    morning_run = await dispatcher.run_once(sh("2026-12-01 09:00"))

    deliverer.online.add("INV-1001")

    assert await dispatcher.deliver_pending("INV-1001", sh("2026-12-01 15:30")) == []
    late_run = await dispatcher.run_once(sh("2026-12-01 15:30"))
    assert (late_run.events, late_run.delivered) == (0, 0)
    assert morning_run.queued == 4
    assert late_run.discarded == 4, "the undelivered reminders are dropped, not kept forever"
    assert await store.outbox.pending("INV-1001", sh("2026-12-01 09:00")) == []


async def test_a_refused_campaign_queues_nothing(store: SqlStore, policy: PushPolicy) -> None:
    deliverer = RecordingDeliverer(store, online=["INV-1001"])
    dispatcher = dispatcher_for(store, policy, deliverer)

    with pytest.raises(PushRefusedError, match=r"campaign:[0-9a-f]{16}.*稳赚不赔"):
        await dispatcher.campaign(
            "限时福利", "稳赚不赔，建议立即买入", Segment(), now=sh("2026-12-01 10:00")
        )

    for investor_id in await JsonAccountSystem(SAMPLE_INVESTORS).investor_ids():
        assert await pending(store, investor_id) == []
    assert deliverer.frames == []


async def test_sending_the_same_campaign_twice_reaches_nobody_twice(
    store: SqlStore, policy: PushPolicy
) -> None:
    dispatcher = dispatcher_for(store, policy, RecordingDeliverer(store, online=["INV-1001"]))
    segment = Segment(risk_levels=frozenset({"C4"}))

    first = await dispatcher.campaign(
        "活动", "App 新增条件单功能。", segment, now=sh("2026-12-01 10:00")
    )
    again = await dispatcher.campaign(
        "活动", "App 新增条件单功能。", segment, now=sh("2026-12-01 10:05")
    )

    assert (first.targeted, first.queued, first.delivered_now) == (4, 4, 1)  # C4: 1001/5/7/8
    assert (again.event_id, again.queued, again.delivered_now) == (first.event_id, 0, 0)


async def test_a_broken_file_or_a_refused_alert_does_not_stop_the_other_pushes(
    store: SqlStore, policy: PushPolicy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calendar = write_csv(tmp_path / "ipo.csv", IPO_HEADER, ipo_row(board="nasdaq"))
    alerts = write_alerts(
        tmp_path / "alerts.json",
        fraud_alert("good"),
        fraud_alert("bad", text_zh="本群内部消息，稳赚不赔，建议立即买入。"),
    )
    deliverer = RecordingDeliverer(store, online=["INV-1001"])
    dispatcher = dispatcher_for(
        store, policy, deliverer, IpoCalendarSource(calendar), FraudAlertSource(alerts)
    )

    with caplog.at_level(logging.WARNING, logger="assistant.proactive"):
        report = await dispatcher.run_once(sh("2026-12-01 09:00"))
        await dispatcher.run_once(sh("2026-12-01 09:01"))

    (source_error,) = report.source_errors
    assert str(calendar) in source_error
    assert "line 2" in source_error
    (refused,) = report.refused
    assert "fraud:bad" in refused
    assert deliverer.titles("INV-1001") == ["防骗提醒：警惕冒充本公司的“荐股群”"]
    logged = [r for r in caplog.records if r.name.startswith("assistant.proactive")]
    assert len(logged) == 2  # each problem logged once, not at every poll


async def test_the_shipped_samples_show_the_demo_investor_something(
    store: SqlStore, policy: PushPolicy
) -> None:
    # The sample files only; the rules over the sample accounts have their own tests.
    settings = Settings(push_portfolio_feed=None)
    deliverer = RecordingDeliverer(store, online=["INV-1001", "INV-1006"])
    dispatcher = ProactiveDispatcher.from_settings(
        settings,
        accounts=JsonAccountSystem(settings.accounts_file),
        outbox=store.outbox,
        guard=ComplianceGuard.from_settings(settings),
        deliverer=deliverer,
    )

    await dispatcher.run_once(sh("2026-12-01 10:00"))

    assert {frame.kind for _, frame in deliverer.frames} == {
        "ipo_reminder",
        "holding_notice",
        "fraud_alert",
    }
    assert "停牌提示：示例公告科技（虚构）（688999）" in deliverer.titles("INV-1006")


# --- the periodic task ----------------------------------------------------------------


async def wait_for(condition: Callable[[], object], timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_the_poller_delivers_on_its_own_and_stops_cleanly(
    store: SqlStore, policy: PushPolicy, tmp_path: Path
) -> None:
    alerts = write_alerts(tmp_path / "alerts.json", fraud_alert())
    deliverer = RecordingDeliverer(store)
    clock = Clock(sh("2026-12-01 09:00"))
    poller = PushPoller(
        dispatcher_for(store, policy, deliverer, FraudAlertSource(alerts), clock=clock), 0.01
    )

    poller.start()
    await wait_for(lambda: poller.runs >= 1)
    deliverer.online.add("INV-1002")  # connects between two ticks
    await wait_for(lambda: deliverer.frames)
    await poller.stop()
    runs = poller.runs
    await asyncio.sleep(0.05)

    assert deliverer.titles("INV-1002") == ["防骗提醒：警惕冒充本公司的“荐股群”"]
    assert poller.runs == runs  # nothing runs after stop


async def test_the_poller_survives_a_failing_run(
    store: SqlStore, policy: PushPolicy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    alerts = write_alerts(tmp_path / "alerts.json", fraud_alert())
    broken_accounts = JsonAccountSystem(tmp_path / "no-such-accounts.json")
    dispatcher = dispatcher_for(
        store, policy, RecordingDeliverer(store), FraudAlertSource(alerts), accounts=broken_accounts
    )
    poller = PushPoller(dispatcher, 0.01)

    with caplog.at_level(logging.ERROR, logger="assistant.proactive"):
        poller.start()
        await wait_for(lambda: poller.runs >= 3)
        await poller.stop()

    assert "proactive run failed" in caplog.text
    assert "no-such-accounts.json" in caplog.text


async def test_the_poll_interval_must_be_positive(store: SqlStore, policy: PushPolicy) -> None:
    dispatcher = dispatcher_for(store, policy, RecordingDeliverer(store))

    with pytest.raises(ProactiveError, match="positive"):
        PushPoller(dispatcher, 0)


async def test_a_naive_now_is_refused(store: SqlStore, policy: PushPolicy) -> None:
    dispatcher = dispatcher_for(store, policy, RecordingDeliverer(store))

    with pytest.raises(ValueError, match="timezone-aware"):
        await dispatcher.deliver_pending("INV-1001", datetime(2026, 12, 1, 9))
