"""The conversation service on its own: a real SQLite store, the in-process bus and the
real dialogue policy, driven directly (no sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.conversations import (
    AlreadyClaimedError,
    ComplianceBlockedError,
    ConversationClosedError,
    ConversationService,
    NotHolderError,
    NotQueuedError,
    NotYourConversationError,
    PushDeliverer,
    ReplyDelayedError,
    SeqOutOfRangeError,
)
from assistant.conversations.tickets import TurnInProgress
from assistant.conversations.turns import MAX_TURN_ATTEMPTS
from assistant.persistence.records import (
    ConversationStatus,
    EventKind,
    OutboxItem,
    StaffAccount,
    TicketStatus,
)
from assistant.persistence.sql import SqlStore, open_store
from assistant.settings import Settings
from channels.bus import InProcessBus, Message
from channels.protocol import SEQUENCED_FRAME, SERVER_FRAME, STAFF_NOTICE, QueueStatus
from channels.topics import STAFF_TOPIC, conversation_topic
from tests.utils.databases import sqlite_write_lock_held
from tests.utils.live_app import shared_assistant


@pytest.fixture(scope="module")
def assistant(sample_kb):
    return shared_assistant(sample_kb.directory)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}")
    yield store
    await store.close()


@pytest.fixture
async def bus() -> AsyncIterator[InProcessBus]:
    bus = InProcessBus()
    yield bus
    await bus.close()


def make_service(assistant, store, bus, tmp_path: Path) -> ConversationService:
    return ConversationService(
        store=store,
        bus=bus,
        policy=assistant.policy,
        guard=assistant.guard,
        accounts=assistant.accounts,
        settings=Settings(state_dir=tmp_path),
    )


@pytest.fixture
async def service(assistant, store, bus, tmp_path) -> AsyncIterator[ConversationService]:
    service = make_service(assistant, store, bus, tmp_path)
    yield service
    await service.close()


async def agent(store: SqlStore, username: str = "agent-a") -> StaffAccount:
    return await store.staff.create(username, f"客服{username[-1].upper()}", "not-a-real-hash")


async def say(
    service: ConversationService, investor: str, conversation: str, msg_id: str, text: str
) -> list[dict[str, Any]]:
    ack = await service.accept(investor, conversation, msg_id, text)
    return await service.answer(conversation, text, ack)


async def test_a_message_and_its_reply_are_stored_as_protocol_frames(service) -> None:
    conversation = await service.open_conversation("INV-1001")
    frames = await say(service, "INV-1001", conversation.id, "m-1", "创业板怎么开通？")
    transcript = await service.transcript("INV-1001", conversation.id)

    assert [f["type"] for f in frames] == ["investor_message", "reply"]
    assert frames == transcript
    for frame in transcript:
        SEQUENCED_FRAME.validate_python(frame)


async def test_the_investors_text_is_masked_before_it_is_stored(service, store) -> None:
    conversation = await service.open_conversation("INV-1001")
    await say(
        service, "INV-1001", conversation.id, "m-1", "我的身份证110105199001011234怎么改手机号"
    )
    events = await store.conversations.events_after(conversation.id, 0)
    turns = await store.conversations.turns_since(datetime.now(UTC) - timedelta(minutes=1))

    assert "110105199001011234" not in str([e.payload for e in events])
    assert "110105199001011234" not in str((await store.conversations.get(conversation.id)).state)
    assert "110105199001011234" not in turns[0].question


async def test_every_turn_is_recorded_for_the_quality_report(service, store) -> None:
    conversation = await service.open_conversation("INV-1001")
    frames = await say(service, "INV-1001", conversation.id, "m-1", "创业板怎么开通？")
    turns = await store.conversations.turns_since(datetime.now(UTC) - timedelta(minutes=1))

    assert len(turns) == 1
    turn = turns[0]
    assert turn.seq == frames[-1]["seq"]
    assert turn.intent == frames[-1]["intent"]
    assert turn.confidence is not None
    assert turn.action == "answer"
    assert turn.sources == [s["id"] for s in frames[-1]["sources"]]
    assert turn.latency_ms > 0
    assert turn.escalation_reason is None


async def test_the_dialogue_state_survives_a_restart(assistant, store, bus, tmp_path: Path) -> None:
    first = make_service(assistant, store, bus, tmp_path)
    conversation = await first.open_conversation("INV-1001")
    opened = await say(first, "INV-1001", conversation.id, "m-1", "我要投诉")
    await first.close()

    second = make_service(assistant, store, bus, tmp_path)  # a restart, or another instance
    continued = await say(second, "INV-1001", conversation.id, "m-2", "服务")
    await second.close()

    assert opened[-1]["action"] == "flow"
    assert continued[-1]["action"] == "flow"
    assert "描述" in continued[-1]["text"], "the complaint flow asks for the description next"


async def test_turns_of_one_conversation_run_one_at_a_time(service, store) -> None:
    conversation = await service.open_conversation("INV-1001")
    acks = [
        await service.accept("INV-1001", conversation.id, f"m-{n}", text)
        for n, text in enumerate(["创业板怎么开通？", "佣金怎么收？"])
    ]
    results = await asyncio.gather(
        *(
            service.answer(conversation.id, text, ack)
            for ack, text in zip(acks, ["创业板怎么开通？", "佣金怎么收？"], strict=True)
        )
    )
    state = (await store.conversations.get(conversation.id)).state

    assert [r[-1]["reply_to"] for r in results] == ["m-0", "m-1"]
    assert results[0][-1]["seq"] < results[1][-1]["seq"]
    assert len(state["turns"]) == 4, "both turns are in the state: neither overwrote the other"


async def test_the_bus_carries_exactly_what_the_store_holds(service, bus) -> None:
    conversation = await service.open_conversation("INV-1001")
    async with bus.subscribe(conversation_topic(conversation.id)) as live:
        await say(service, "INV-1001", conversation.id, "m-1", "创业板怎么开通？")
        published = [await anext(live) for _ in range(4)]
    transcript = await service.transcript("INV-1001", conversation.id)

    assert [m["type"] for m in published] == ["investor_message", "typing", "reply", "typing"]
    assert [m for m in published if "seq" in m] == transcript


# nothing acknowledged is lost ---------------------------------------------------------


@pytest.fixture
async def impatient_store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    """Gives up on a locked database after 0.2 s instead of 5 s."""
    store = await open_store(
        f"sqlite+aiosqlite:///{tmp_path / 'impatient.db'}", sqlite_busy_timeout_s=0.2
    )
    yield store
    await store.close()


async def test_a_message_acked_before_a_crash_is_answered_by_the_next_process(
    assistant, store, bus, tmp_path: Path
) -> None:
    crashed = make_service(assistant, store, bus, tmp_path)
    conversation = await crashed.open_conversation("INV-1001")
    await crashed.accept("INV-1001", conversation.id, "m-1", "创业板怎么开通？")
    # ... and the process dies before the turn runs.

    restarted = make_service(assistant, store, bus, tmp_path)
    async with bus.subscribe(conversation_topic(conversation.id)) as live:
        answered = await restarted.answer_pending(older_than_s=0)
        published = [await anext(live) for _ in range(4)]
    again = await restarted.answer_pending(older_than_s=0)
    await restarted.close()
    transcript = await restarted.transcript("INV-1001", conversation.id)

    assert answered == 1
    assert again == 0
    assert [m["type"] for m in published] == ["investor_message", "typing", "reply", "typing"]
    assert [(f["type"], f.get("reply_to")) for f in transcript] == [
        ("investor_message", None),
        ("reply", "m-1"),
    ]
    assert transcript[1]["action"] == "answer"
    assert await store.conversations.pending_turns(conversation.id) == []


async def test_a_storage_outage_after_the_ack_delays_the_answer_and_loses_nothing(
    assistant, impatient_store, bus, tmp_path: Path
) -> None:
    service = make_service(assistant, impatient_store, bus, tmp_path)
    conversation = await service.open_conversation("INV-1001")
    ack = await service.accept("INV-1001", conversation.id, "m-1", "创业板怎么开通？")
    async with bus.subscribe(conversation_topic(conversation.id)) as live:
        with sqlite_write_lock_held(impatient_store.engine.url.render_as_string()):
            service.answer_in_background(conversation.id, "创业板怎么开通？", ack)
            delayed = await _next_of_type(live, "error")
            with pytest.raises(ReplyDelayedError):  # the REST path, re-sending the message
                await service.answer(conversation.id, "创业板怎么开通？", ack)
        answered = await service.answer_pending(older_than_s=0)
        reply = await _next_of_type(live, "reply")
    await service.close()

    assert ack.seq == 1 and not ack.duplicate
    assert delayed["code"] == "reply_delayed"
    assert delayed["client_msg_id"] == "m-1"
    assert delayed["fatal"] is False
    assert answered == 1
    assert reply["reply_to"] == "m-1"
    assert reply["action"] == "answer"
    assert await impatient_store.conversations.pending_turns(conversation.id) == []


async def test_a_message_that_fails_every_try_gets_an_apology(
    assistant, store, bus, tmp_path: Path
) -> None:
    service = make_service(assistant, store, bus, tmp_path)
    conversation = await service.open_conversation("INV-1001")
    await service.accept("INV-1001", conversation.id, "m-1", "创业板怎么开通？")
    for _ in range(MAX_TURN_ATTEMPTS):  # each sweep's try failed (leases expired)
        await store.conversations.lease_pending_turns(datetime.now(UTC), lease_s=0, limit=10)

    answered = await service.answer_pending(older_than_s=0)
    await service.close()
    transcript = await service.transcript("INV-1001", conversation.id)
    turns = await store.conversations.turns_since(datetime.now(UTC) - timedelta(minutes=1))

    assert answered == 1
    apology = transcript[-1]
    assert (apology["type"], apology["reply_to"], apology["action"]) == ("reply", "m-1", "failed")
    assert "转人工" in apology["quick_replies"]
    SEQUENCED_FRAME.validate_python(apology)
    assert [t.action for t in turns] == ["failed"]
    assert await store.conversations.pending_turns(conversation.id) == []


async def test_a_complaint_filed_again_by_a_retried_turn_keeps_one_ticket(service, store) -> None:
    conversation = await service.open_conversation("INV-1001")

    async def file(description: str) -> str:
        # What the complaint flow does inside a turn; a sweep's retry does it again.
        turn = TurnInProgress(service, conversation.id, "INV-1001")
        return await turn.open_ticket("service", description, "phone", 80)

    first = await file("客服态度差，电话13812345678")
    again = await file("客服态度差，电话13812345678")
    other = await file("交易系统卡顿")
    tickets = await store.tickets.for_conversation(conversation.id)

    assert again == first
    assert other != first
    assert sorted(t.id for t in tickets) == sorted([first, other])
    assert all("13812345678" not in t.summary for t in tickets)


async def _next_of_type(live: AsyncIterator[dict[str, Any]], frame_type: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        async for message in live:
            if message["type"] == frame_type:
                return message
    raise AssertionError(f"the bus closed before a {frame_type} frame")


async def test_an_escalation_queues_the_conversation_and_opens_a_ticket_due_by_priority(
    service, store, bus
) -> None:
    conversation = await service.open_conversation("INV-1001")
    async with bus.subscribe("staff") as staff:
        frames = await say(
            service, "INV-1001", conversation.id, "m-1", "有人冒充你们公司让我转账到个人账户"
        )
        notice = await anext(staff)
    queued = await store.conversations.get(conversation.id)
    tickets = await store.tickets.for_conversation(conversation.id)
    history = await store.tickets.history(tickets[0].id)

    assert frames[-1]["action"] == "escalate"
    assert "fraud_warning" in frames[-1]["flags"]
    assert notice == {"type": "queue_changed"}
    assert queued.status is ConversationStatus.QUEUED
    assert queued.escalation_reason == "fraud"
    assert queued.priority == 90
    assert [(t.kind, t.status, t.priority) for t in tickets] == [
        ("escalation", TicketStatus.OPEN, 90)
    ]
    assert tickets[0].sla_due_at - tickets[0].created_at == timedelta(minutes=15)
    assert [h.action for h in history] == ["opened"]


async def test_an_escalation_tells_the_investor_where_the_queue_stands_before_the_reply(
    service, bus
) -> None:
    ahead = await service.open_conversation("INV-1001")
    await say(service, "INV-1001", ahead.id, "m-1", "转人工")
    conversation = await service.open_conversation("INV-1002")
    async with bus.subscribe(conversation_topic(conversation.id)) as live:
        await say(service, "INV-1002", conversation.id, "m-1", "转人工")
        status = await _next_of_type(live, "queue_status")
        reply = await _next_of_type(live, "reply")

    assert SERVER_FRAME.validate_python(status) == QueueStatus(ahead=1, typical_wait_s=None)
    assert reply["action"] == "escalate"


@pytest.mark.parametrize(
    ("priority", "minutes"), [(90, 15), (85, 15), (80, 60), (70, 60), (60, 240), (40, 240)]
)
def test_ticket_due_times_follow_the_priority(
    assistant, priority: int, minutes: int, tmp_path
) -> None:
    service = make_service(assistant, None, None, tmp_path)
    opened = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    assert service.sla_due(priority, opened) == opened + timedelta(minutes=minutes)


async def test_while_queued_the_bot_stays_silent_and_the_console_sees_the_message(
    service, bus
) -> None:
    conversation = await service.open_conversation("INV-1001")
    await say(service, "INV-1001", conversation.id, "m-1", "转人工")
    async with bus.subscribe("staff") as staff:
        frames = await say(service, "INV-1001", conversation.id, "m-2", "还要等多久？")
        notice = await anext(staff)

    assert [f["type"] for f in frames] == ["investor_message"]
    assert notice["type"] == "event"
    assert notice["event"]["payload"]["text"] == "还要等多久？"
    assert await service.store.conversations.pending_turns(conversation.id) == [], (
        "handed to the console: nothing left for the sweep to answer"
    )


async def test_a_second_claim_is_refused_and_only_the_holder_may_act(service, store) -> None:
    conversation = await service.open_conversation("INV-1001")
    await say(service, "INV-1001", conversation.id, "m-1", "转人工")
    first, second = await agent(store, "agent-a"), await agent(store, "agent-b")

    await service.claim(first, conversation.id)
    with pytest.raises(AlreadyClaimedError):
        await service.claim(second, conversation.id)
    with pytest.raises(NotHolderError):
        await service.agent_message(second, conversation.id, "hello")
    with pytest.raises(NotHolderError):
        await service.resolve(second, conversation.id)
    again = await service.claim(first, conversation.id)  # the holder's retry is harmless

    assert again.agent_id == first.id


async def test_a_conversation_the_bot_holds_cannot_be_claimed(service, store) -> None:
    conversation = await service.open_conversation("INV-1001")

    with pytest.raises(NotQueuedError):
        await service.claim(await agent(store), conversation.id)


async def test_agent_replies_are_masked_and_notes_stay_internal(service, store) -> None:
    conversation = await service.open_conversation("INV-1001")
    await say(service, "INV-1001", conversation.id, "m-1", "转人工")
    holder = await agent(store)
    await service.claim(holder, conversation.id)
    await service.agent_message(holder, conversation.id, "请拨打13812345678联系我们")
    await service.note(holder, conversation.id, "客户手机13812345678，已核实")
    transcript = await service.transcript("INV-1001", conversation.id)
    detail = await service.detail(conversation.id)

    assert [f["type"] for f in transcript][-2:] == ["agent_joined", "agent_message"]
    assert "13812345678" not in str(transcript)
    assert "138****5678" in transcript[-1]["text"]
    assert detail.events[-1].kind == "note"
    assert "13812345678" not in str(detail.events)


async def test_an_agent_reply_that_promises_returns_is_refused_and_kept_for_review(
    service, store
) -> None:
    conversation = await service.open_conversation("INV-1001")
    await say(service, "INV-1001", conversation.id, "m-1", "转人工")
    holder = await agent(store)
    await service.claim(holder, conversation.id)
    before = await service.transcript("INV-1001", conversation.id)

    with pytest.raises(ComplianceBlockedError) as refused:
        await service.agent_message(
            holder, conversation.id, "这只股票稳赚不赔，建议您满仓买入600519，有事打13812345678"
        )
    after = await service.transcript("INV-1001", conversation.id)
    ticket = (await store.tickets.for_conversation(conversation.id))[0]
    history = await store.tickets.history(ticket.id)

    assert refused.value.code == "compliance_blocked"
    assert {d["kind"] for d in refused.value.details} == {
        "return_promise",
        "security_recommendation",
    }
    assert "稳赚不赔" in refused.value.message
    assert after == before, "nothing reached the investor"
    blocked = [entry for entry in history if entry.action == "reply_blocked"]
    assert len(blocked) == 1
    assert blocked[0].actor == holder.username
    assert "稳赚不赔" in blocked[0].detail
    assert "13812345678" not in blocked[0].detail


async def test_resolving_asks_for_a_rating_and_closes_the_conversation(service, store) -> None:
    conversation = await service.open_conversation("INV-1001")
    await say(service, "INV-1001", conversation.id, "m-1", "转人工")
    holder = await agent(store)
    await service.claim(holder, conversation.id)
    resolved = await service.resolve(holder, conversation.id)
    transcript = await service.transcript("INV-1001", conversation.id)
    await service.feedback("INV-1001", conversation.id, score=4, comment="还行")

    with pytest.raises(ConversationClosedError):
        await service.accept("INV-1001", conversation.id, "m-2", "还有个问题")
    fresh = await service.open_conversation("INV-1001")
    scores = await store.conversations.feedback_since(datetime.now(UTC) - timedelta(minutes=1))

    assert resolved.status is ConversationStatus.RESOLVED
    assert [f["type"] for f in transcript][-2:] == ["agent_left", "rating_request"]
    assert transcript[-2]["outcome"] == "resolved"
    assert fresh.id != conversation.id
    assert [(s.score, s.comment) for s in scores] == [(4, "还行")]


async def test_feedback_must_name_a_seq_that_exists(service) -> None:
    conversation = await service.open_conversation("INV-1001")

    with pytest.raises(SeqOutOfRangeError):
        await service.feedback("INV-1001", conversation.id, seq=3, thumbs="up")


async def test_an_investor_cannot_touch_another_investors_conversation(service) -> None:
    conversation = await service.open_conversation("INV-1001")

    with pytest.raises(NotYourConversationError):
        await service.accept("INV-1002", conversation.id, "m-1", "hi")
    with pytest.raises(NotYourConversationError):
        await service.transcript("INV-1002", conversation.id)


async def test_a_push_reaches_the_conversation_once_per_key(service, store) -> None:
    def content(language: str) -> dict[str, Any]:
        return {
            "kind": "campaign",
            "title": f"通知 {language}",
            "text": "系统维护",
            "quick_replies": [],
        }

    first = await service.deliver_push("INV-1001", content, dedupe_key="maintenance-1")
    again = await service.deliver_push("INV-1001", content, dedupe_key="maintenance-1")
    events = await store.conversations.events_after(first[0], 0)

    assert first[1] == 1
    assert again == (first[0], None)
    assert [e.kind for e in events] == [EventKind.SUGGESTION]
    assert events[0].payload["title"] == "通知 zh"


async def test_an_investor_message_cannot_take_a_pushs_id(service, store) -> None:
    def content(language: str) -> dict[str, Any]:
        return {"kind": "fraud_alert", "title": "防骗提醒", "text": "谨防诈骗", "quick_replies": []}

    conversation = await service.open_conversation("INV-1001")
    for client_id in ("push:fraud-1", "push.fraud-1", "push-fraud-1"):
        await service.accept("INV-1001", conversation.id, client_id, "你好")

    _, seq = await service.deliver_push("INV-1001", content, dedupe_key="fraud-1")

    assert seq is not None
    events = await store.conversations.events_after(conversation.id, 0)
    assert [e.payload.get("title") for e in events if e.kind == EventKind.SUGGESTION] == [
        "防骗提醒"
    ]


async def test_the_push_deliverer_only_reaches_investors_connected_here(service) -> None:
    deliverer = PushDeliverer(service)
    item = OutboxItem(
        id=1,
        investor_id="INV-1001",
        dedupe_key="fraud:test-1",
        kind="fraud_alert",
        payload={
            "event_id": "fraud:test-1",
            "kind": "fraud_alert",
            "zh": {"title": "防骗提醒", "text": "请勿向个人账户转账。", "quick_replies": []},
            "en": {
                "title": "Fraud alert",
                "text": "Never pay a personal account.",
                "quick_replies": [],
            },
        },
        created_at=datetime.now(UTC),
    )

    offline = await deliverer.deliver(item)
    service.investor_connected("INV-1001")
    online = await deliverer.online_investors()
    delivered = await deliverer.deliver(item)
    service.investor_disconnected("INV-1001")

    assert offline is None
    assert online == ["INV-1001"]
    assert delivered is not None
    assert not service.is_connected("INV-1001")


class RecordingBus(InProcessBus):
    """The in-process bus, keeping everything published on it."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[str, Message]] = []

    async def publish(self, topic: str, message: Message) -> None:
        self.published.append((topic, message))
        await super().publish(topic, message)


async def test_every_frame_published_in_a_round_trip_is_a_protocol_frame(
    assistant, store, tmp_path: Path
) -> None:
    bus = RecordingBus()
    service = make_service(assistant, store, bus, tmp_path)
    try:
        conversation = await service.open_conversation("INV-1001")
        await say(service, "INV-1001", conversation.id, "m-1", "创业板怎么开通？")
        await say(service, "INV-1001", conversation.id, "m-2", "转人工")
        holder = await agent(store)
        await service.claim(holder, conversation.id)
        await service.investor_typing("INV-1001", conversation.id)
        await service.agent_typing(holder.id, conversation.id)
        await say(service, "INV-1001", conversation.id, "m-3", "我的电话13812345678")
        await service.agent_message(holder, conversation.id, "您好，我来帮您处理")
        await service.note(holder, conversation.id, "已核实身份")
        await service.hand_back(holder, conversation.id)
        await service.deliver_push(
            "INV-1001",
            lambda language: {
                "kind": "campaign",
                "title": "通知",
                "text": "维护",
                "quick_replies": [],
            },
            dedupe_key="maintenance-1",
        )
        await say(service, "INV-1001", conversation.id, "m-4", "转人工")
        await service.claim(holder, conversation.id)
        await service.resolve(holder, conversation.id)
    finally:
        await service.close()
        await bus.close()

    investor = [m for topic, m in bus.published if topic == conversation_topic(conversation.id)]
    staff = [m for topic, m in bus.published if topic == STAFF_TOPIC]
    for message in investor:
        SERVER_FRAME.validate_python(message)
    for message in staff:
        STAFF_NOTICE.validate_python(message)
    assert {topic for topic, _ in bus.published} == {
        conversation_topic(conversation.id),
        STAFF_TOPIC,
    }
    assert {m["type"] for m in investor} >= {
        "investor_message",
        "reply",
        "typing",
        "queue_status",
        "agent_joined",
        "agent_message",
        "agent_left",
        "suggestion",
        "rating_request",
    }
    assert {m["type"] for m in staff} == {"event", "queue_changed", "investor_typing"}
