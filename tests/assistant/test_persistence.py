"""The SQL store, run against SQLite (a file per test) and PostgreSQL (a database per run).

PostgreSQL cases fail, saying how to start the server, when it is not running.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import StatementError
from typer.testing import CliRunner

from assistant.cli import app
from assistant.persistence.database import head_revision, schema_revision
from assistant.persistence.records import (
    ConversationStatus,
    Event,
    EventKind,
    Feedback,
    OutboxItem,
    StaffSession,
    Ticket,
    TicketStatus,
    TurnRecord,
)
from assistant.persistence.repositories import (
    ConflictError,
    DuplicateMessageError,
    NotFoundError,
    StorageError,
    StorageUnavailableError,
)
from assistant.persistence.sql import SqlStore, open_store
from assistant.persistence.tables import metadata
from tests.utils.databases import (
    DATABASE_BACKENDS,
    database_url_for,
    migrated_postgres_database,
    migrated_sqlite_template,
    postgres_database,
    terminate_backend,
    terminate_other_connections,
)
from tests.utils.processes import free_port

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class TickingClock:
    """Each reading is one second after the previous one: orderings are deterministic."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with migrated_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(params=DATABASE_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url_for(request, tmp_path)


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


@pytest.fixture
async def store(database_url: str, clock: TickingClock) -> AsyncIterator[SqlStore]:
    opened = await open_store(database_url, clock=clock)
    yield opened
    await opened.close()


@pytest.fixture
async def other_store(database_url: str, store: SqlStore) -> AsyncIterator[SqlStore]:
    """A second engine on the same database: another server process, as far as the
    database can tell."""
    opened = await open_store(database_url, migrate=False)
    yield opened
    await opened.close()


def _diff_against_tables(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def _escalated(store: SqlStore, investor_id: str, priority: int = 50) -> str:
    conversation = await store.conversations.create(investor_id, "zh")
    await store.conversations.escalate(
        conversation.id, "wants_human", priority, "asks for a person"
    )
    return conversation.id


def _ticket(ticket_id: str, conversation_id: str | None, **changes: Any) -> Ticket:
    fields: dict[str, Any] = {
        "id": ticket_id,
        "conversation_id": conversation_id,
        "investor_id": "INV-1001",
        "kind": "escalation",
        "category": "account",
        "status": TicketStatus.OPEN,
        "priority": 70,
        "reason": "wants_human",
        "summary": "投资者要求人工服务",
        "sla_due_at": T0 + timedelta(hours=1),
        "created_at": T0,
        "updated_at": T0,
    }
    return Ticket(**(fields | changes))


def _push(investor_id: str, key: str, **changes: Any) -> OutboxItem:
    fields: dict[str, Any] = {
        "investor_id": investor_id,
        "dedupe_key": key,
        "kind": "ipo_reminder",
        "payload": {"title": "新股申购提醒", "text": "今日可申购 XX 科技"},
        "created_at": T0,
    }
    return OutboxItem(**(fields | changes))


async def test_migrations_build_exactly_the_tables_and_can_run_concurrently(
    database_url: str, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        fresh_url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        await _check_fresh_migration(fresh_url)
    else:
        with postgres_database() as fresh_url:
            await _check_fresh_migration(fresh_url)


async def _check_fresh_migration(url: str) -> None:
    # Two processes starting at once on an empty database: both must come up.
    first, second = await asyncio.gather(open_store(url), open_store(url))
    try:
        async with first.engine.connect() as connection:
            assert await connection.run_sync(_diff_against_tables) == []
        assert await schema_revision(first.engine) == head_revision() == "0006"
    finally:
        await first.close()
        await second.close()


async def test_the_connection_pool_has_the_size_asked_for(
    database_url: str, store: SqlStore
) -> None:
    sized = await open_store(database_url, migrate=False, pool_size=2, max_overflow=1)
    try:
        async with AsyncExitStack() as held:
            for _ in range(3):
                connection = await held.enter_async_context(sized.engine.connect())
                await connection.execute(text("SELECT 1"))
            pool = sized.engine.pool
            assert (pool.size(), pool.checkedout(), pool.overflow()) == (2, 3, 1)
    finally:
        await sized.close()


async def test_create_get_and_latest_open(store: SqlStore) -> None:
    older = await store.conversations.create("INV-1001", "zh")
    newer = await store.conversations.create("INV-1001", "en")
    await store.conversations.create("INV-2002", "zh")

    fetched = await store.conversations.get(older.id)
    assert fetched == older
    assert fetched.status is ConversationStatus.BOT
    assert fetched.last_seq == 0
    assert await store.conversations.get("no-such-conversation") is None
    assert await store.conversations.latest_open("INV-1001") == newer
    assert await store.conversations.latest_open("INV-9999") is None


async def test_latest_open_skips_resolved_conversations(store: SqlStore) -> None:
    older = await store.conversations.create("INV-1001", "zh")
    newer = await _escalated(store, "INV-1001")
    await store.conversations.claim(newer, "agent-1")
    await store.conversations.release(newer, "agent-1", ConversationStatus.RESOLVED)

    latest = await store.conversations.latest_open("INV-1001")
    assert latest is not None
    assert latest.id == older.id


async def test_save_state_round_trips_json_and_flags(store: SqlStore) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")
    state = {
        "flow": {"name": "open_gem", "slots": {"years": 2, "assets": 523000.5}, "done": None},
        "low_confidence_turns": 1,
        "history": ["创业板怎么开通", "两融"],
        "consented": True,
    }

    await store.conversations.save_state(conversation.id, state, "en", ("pii_seen", "vip"))

    saved = await store.conversations.get(conversation.id)
    assert saved is not None
    assert saved.state == state
    assert saved.language == "en"
    assert saved.flags == ["pii_seen", "vip"]
    assert saved.updated_at > conversation.updated_at
    with pytest.raises(NotFoundError):
        await store.conversations.save_state("no-such-conversation", {}, "zh", [])


async def test_queue_orders_by_priority_then_longest_waiting(store: SqlStore) -> None:
    normal_early = await _escalated(store, "INV-1", priority=50)
    urgent = await _escalated(store, "INV-2", priority=90)
    normal_late = await _escalated(store, "INV-3", priority=50)
    held = await _escalated(store, "INV-4", priority=70)
    await store.conversations.claim(held, "agent-1")
    await store.conversations.create("INV-5", "zh")  # with the bot: not in the queue

    queue = await store.conversations.queue()

    assert [c.id for c in queue] == [urgent, held, normal_early, normal_late]
    assert [c.status for c in queue] == [
        ConversationStatus.QUEUED,
        ConversationStatus.AGENT,
        ConversationStatus.QUEUED,
        ConversationStatus.QUEUED,
    ]


async def test_escalate_records_why_and_when(store: SqlStore, clock: TickingClock) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")

    escalated = await store.conversations.escalate(conversation.id, "complaint", 85, "投诉")

    assert escalated.status is ConversationStatus.QUEUED
    assert (escalated.escalation_reason, escalated.priority, escalated.summary) == (
        "complaint",
        85,
        "投诉",
    )
    assert escalated.escalated_at == clock.now
    assert await store.conversations.get(conversation.id) == escalated
    with pytest.raises(NotFoundError):
        await store.conversations.escalate("no-such-conversation", "complaint", 85, "")


async def test_escalating_again_while_waiting_keeps_the_place_in_the_queue(
    store: SqlStore,
) -> None:
    first = await _escalated(store, "INV-1", priority=50)
    second = await _escalated(store, "INV-2", priority=50)
    before = await store.conversations.get(first)

    again = await store.conversations.escalate(first, "complaint", 50, "now a complaint")

    assert before is not None
    assert again.escalated_at == before.escalated_at
    assert again.escalation_reason == "complaint"
    assert [c.id for c in await store.conversations.queue()] == [first, second]


async def test_claim_takes_a_queued_conversation_once(store: SqlStore) -> None:
    with_bot = await store.conversations.create("INV-1", "zh")
    queued = await _escalated(store, "INV-2")

    assert await store.conversations.claim(with_bot.id, "agent-1") is False
    assert await store.conversations.claim(queued, "agent-1") is True
    assert await store.conversations.claim(queued, "agent-2") is False
    assert await store.conversations.claim("no-such-conversation", "agent-1") is False

    held = await store.conversations.get(queued)
    assert held is not None
    assert (held.status, held.agent_id) == (ConversationStatus.AGENT, "agent-1")


async def test_claim_waits_run_from_queued_to_the_first_agent_joining_recent_escalations(
    store: SqlStore, clock: TickingClock
) -> None:
    async def joined(conversation_id: str) -> datetime:
        event = await store.conversations.append(
            conversation_id, EventKind.AGENT_JOINED, {"agent_name": "客服小安"}
        )
        return event.created_at

    async def escalated_at(conversation_id: str) -> datetime:
        conversation = await store.conversations.get(conversation_id)
        assert conversation is not None and conversation.escalated_at is not None
        return conversation.escalated_at

    long_ago = await _escalated(store, "INV-0")
    await joined(long_ago)
    since = clock.now + timedelta(seconds=1)
    # Taken, then handed back and escalated again: only the second stretch counts.
    again = await _escalated(store, "INV-1")
    assert await store.conversations.claim(again, "agent-1")
    await joined(again)
    assert await store.conversations.release(again, "agent-1", ConversationStatus.BOT)
    await store.conversations.escalate(again, "wants_human", 50, "asks again")
    clock.now += timedelta(seconds=40)
    again_wait = (await joined(again) - await escalated_at(again)).total_seconds()
    quick = await _escalated(store, "INV-2")
    clock.now += timedelta(seconds=5)
    quick_wait = (await joined(quick) - await escalated_at(quick)).total_seconds()
    await joined(quick)  # a second agent later: the first one took it
    await _escalated(store, "INV-3")  # still waiting: not a claim yet

    waits = await store.conversations.claim_waits(since)

    assert sorted(waits) == sorted([again_wait, quick_wait])
    assert again_wait > 40 and 5 < quick_wait < 10
    assert await store.conversations.claim_waits(since, limit=1) == [quick_wait]


async def test_concurrent_claims_from_two_processes_have_one_winner(
    store: SqlStore, other_store: SqlStore
) -> None:
    conversation_ids = [await _escalated(store, f"INV-{n}") for n in range(8)]

    for conversation_id in conversation_ids:
        results = await asyncio.gather(
            store.conversations.claim(conversation_id, "agent-a"),
            other_store.conversations.claim(conversation_id, "agent-b"),
            store.conversations.claim(conversation_id, "agent-c"),
        )
        assert sorted(results) == [False, False, True]
        held = await other_store.conversations.get(conversation_id)
        assert held is not None
        winner = ["agent-a", "agent-b", "agent-c"][results.index(True)]
        assert held.agent_id == winner


async def test_release_only_by_the_holder_to_bot_or_resolved(store: SqlStore) -> None:
    conversation_id = await _escalated(store, "INV-1")
    assert (
        await store.conversations.release(conversation_id, "agent-1", ConversationStatus.BOT)
        is False
    )
    await store.conversations.claim(conversation_id, "agent-1")

    assert (
        await store.conversations.release(conversation_id, "agent-2", ConversationStatus.BOT)
        is False
    )
    with pytest.raises(ValueError, match="bot or resolved"):
        await store.conversations.release(conversation_id, "agent-1", ConversationStatus.QUEUED)
    assert (
        await store.conversations.release(conversation_id, "agent-1", ConversationStatus.BOT)
        is True
    )
    assert (
        await store.conversations.release(conversation_id, "agent-1", ConversationStatus.BOT)
        is False
    )

    handed_back = await store.conversations.get(conversation_id)
    assert handed_back is not None
    assert (handed_back.status, handed_back.agent_id) == (ConversationStatus.BOT, None)
    assert await store.conversations.queue() == []

    await store.conversations.escalate(conversation_id, "wants_human", 50, "again")
    await store.conversations.claim(conversation_id, "agent-2")
    assert await store.conversations.release(
        conversation_id, "agent-2", ConversationStatus.RESOLVED
    )
    resolved = await store.conversations.get(conversation_id)
    assert resolved is not None
    assert resolved.status is ConversationStatus.RESOLVED


async def test_append_numbers_events_without_gaps_under_concurrency(
    store: SqlStore, other_store: SqlStore
) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")

    appended = await asyncio.gather(
        *(
            (store if n % 2 else other_store).conversations.append(
                conversation.id, EventKind.INVESTOR_MESSAGE, {"text": f"消息 {n}"}, f"client-{n}"
            )
            for n in range(20)
        )
    )

    assert sorted(event.seq for event in appended) == list(range(1, 21))
    stored = await store.conversations.events_after(conversation.id, 0)
    assert [event.seq for event in stored] == list(range(1, 21))
    assert {event.client_msg_id: event.seq for event in stored} == {
        event.client_msg_id: event.seq for event in appended
    }
    after = await store.conversations.get(conversation.id)
    assert after is not None
    assert after.last_seq == 20


async def test_duplicate_client_message_id_returns_the_stored_event_and_uses_no_seq(
    store: SqlStore,
) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")
    first = await store.conversations.append(
        conversation.id, EventKind.INVESTOR_MESSAGE, {"text": "你好"}, "client-1"
    )

    with pytest.raises(DuplicateMessageError) as raised:
        await store.conversations.append(
            conversation.id, EventKind.INVESTOR_MESSAGE, {"text": "你好 (resent)"}, "client-1"
        )

    assert raised.value.existing == first
    assert raised.value.code == "duplicate_message"
    reply = await store.conversations.append(conversation.id, EventKind.REPLY, {"text": "您好"})
    assert reply.seq == 2
    other = await store.conversations.create("INV-2002", "zh")
    elsewhere = await store.conversations.append(
        other.id, EventKind.INVESTOR_MESSAGE, {"text": "hi"}, "client-1"
    )
    assert elsewhere.seq == 1


async def test_the_same_message_sent_concurrently_is_stored_once(
    store: SqlStore, other_store: SqlStore
) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")

    results = await asyncio.gather(
        *(
            (store if n % 2 else other_store).conversations.append(
                conversation.id, EventKind.INVESTOR_MESSAGE, {"text": "你好"}, "client-1"
            )
            for n in range(6)
        ),
        return_exceptions=True,
    )

    stored = [result for result in results if not isinstance(result, BaseException)]
    duplicates = [result for result in results if isinstance(result, DuplicateMessageError)]
    assert len(stored) == 1
    assert len(duplicates) == 5
    assert all(duplicate.existing == stored[0] for duplicate in duplicates)
    after = await store.conversations.get(conversation.id)
    assert after is not None
    assert after.last_seq == 1


async def test_append_to_an_unknown_conversation_fails(store: SqlStore) -> None:
    with pytest.raises(NotFoundError):
        await store.conversations.append("no-such-conversation", EventKind.REPLY, {"text": "x"})


async def test_events_after_hides_notes_unless_asked(store: SqlStore) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")
    conversations = store.conversations
    await conversations.append(conversation.id, EventKind.INVESTOR_MESSAGE, {"text": "a"}, "c-1")
    await conversations.append(conversation.id, EventKind.AGENT_JOINED, {"agent_name": "李"})
    await conversations.append(conversation.id, EventKind.NOTE, {"text": "VIP, careful"})
    await conversations.append(conversation.id, EventKind.AGENT_MESSAGE, {"text": "您好"})

    visible = await conversations.events_after(conversation.id, 1)
    everything = await conversations.events_after(conversation.id, 1, include_notes=True)

    assert [(e.seq, e.kind) for e in visible] == [
        (2, EventKind.AGENT_JOINED),
        (4, EventKind.AGENT_MESSAGE),
    ]
    assert [e.seq for e in everything] == [2, 3, 4]
    assert everything[1].payload == {"text": "VIP, careful"}
    assert await conversations.events_after(conversation.id, 4) == []


# pending turns ----------------------------------------------------------------------


def _record_for(event: Event) -> TurnRecord:
    return TurnRecord(
        conversation_id=event.conversation_id,
        seq=event.seq,
        question="创业板怎么开通",
        language="zh",
        intent="open_gem",
        confidence=0.9,
        action="answer",
        latency_ms=12.0,
        created_at=event.created_at,
    )


async def _complete(store: SqlStore, conversation_id: str, reply_to: str) -> Event:
    return await store.conversations.complete_turn(
        conversation_id,
        reply_to,
        {"reply_to": reply_to, "text": "开通创业板需要……"},
        state={"flow": None, "turns": 1},
        language="zh",
        flags=["investment"],
        record=_record_for,
    )


async def test_a_message_awaiting_its_turn_is_pending_until_the_turn_completes(
    store: SqlStore,
) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")
    conversations = store.conversations
    message = await conversations.append(
        conversation.id, EventKind.INVESTOR_MESSAGE, {"text": "a"}, "m-1", awaits_turn=True
    )
    await conversations.append(conversation.id, EventKind.SUGGESTION, {"title": "新股"}, "push:x")

    pending = await conversations.pending_turns(conversation.id)
    reply = await _complete(store, conversation.id, "m-1")
    stored = await conversations.get(conversation.id)
    turns = await conversations.turns_since(T0)

    assert [(p.client_msg_id, p.seq, p.attempts) for p in pending] == [("m-1", message.seq, 0)]
    assert (reply.seq, reply.kind, reply.client_msg_id) == (3, EventKind.REPLY, "reply/m-1")
    assert await conversations.pending_turns(conversation.id) == []
    assert stored is not None
    assert stored.state == {"flow": None, "turns": 1}
    assert stored.flags == ["investment"]
    assert [(t.seq, t.intent) for t in turns] == [(3, "open_gem")]


async def test_a_message_is_answered_at_most_once(store: SqlStore, other_store: SqlStore) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")
    await store.conversations.append(
        conversation.id, EventKind.INVESTOR_MESSAGE, {"text": "a"}, "m-1", awaits_turn=True
    )
    await _complete(store, conversation.id, "m-1")

    with pytest.raises(DuplicateMessageError):
        await _complete(other_store, conversation.id, "m-1")
    stored = await store.conversations.get(conversation.id)
    assert stored is not None and stored.last_seq == 2
    assert len(await store.conversations.turns_since(T0)) == 1


async def test_a_message_for_an_agent_is_settled_without_a_reply(store: SqlStore) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")
    await store.conversations.append(
        conversation.id, EventKind.INVESTOR_MESSAGE, {"text": "a"}, "m-1", awaits_turn=True
    )

    await store.conversations.settle_turn(conversation.id, "m-1")

    assert await store.conversations.pending_turns(conversation.id) == []
    assert await store.conversations.turns_since(T0) == []


async def test_pending_turns_are_leased_to_one_sweeper_at_a_time(
    database_url: str, store: SqlStore, clock: TickingClock
) -> None:
    second_process = await open_store(database_url, migrate=False, clock=clock)
    try:
        conversation = await store.conversations.create("INV-1001", "zh")
        for msg_id in ("m-1", "m-2"):
            await store.conversations.append(
                conversation.id,
                EventKind.INVESTOR_MESSAGE,
                {"text": msg_id},
                msg_id,
                awaits_turn=True,
            )
        too_new = await store.conversations.lease_pending_turns(T0, 30, 10)
        ours, theirs = await asyncio.gather(
            store.conversations.lease_pending_turns(clock.now, 30, 10),
            second_process.conversations.lease_pending_turns(clock.now, 30, 10),
        )
        while_leased = await store.conversations.lease_pending_turns(clock.now, 30, 10)
        clock.now += timedelta(seconds=60)
        after_expiry = await second_process.conversations.lease_pending_turns(clock.now, 30, 1)
    finally:
        await second_process.close()

    taken = sorted(pending.client_msg_id for pending, _ in [*ours, *theirs])
    assert too_new == []
    assert taken == ["m-1", "m-2"]
    assert {message.payload["text"] for _, message in [*ours, *theirs]} == {"m-1", "m-2"}
    assert while_leased == []
    assert [(p.client_msg_id, p.attempts) for p, _ in after_expiry] == [("m-1", 2)]


async def test_a_turn_the_sweeper_is_running_itself_is_not_leased(
    store: SqlStore, clock: TickingClock
) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")
    for msg_id in ("m-1", "m-2"):
        await store.conversations.append(
            conversation.id, EventKind.INVESTOR_MESSAGE, {"text": msg_id}, msg_id, awaits_turn=True
        )

    leased = await store.conversations.lease_pending_turns(
        clock.now, 30, 10, skip={(conversation.id, "m-1")}
    )
    then = await store.conversations.lease_pending_turns(clock.now, 30, 10)

    assert [p.client_msg_id for p, _ in leased] == ["m-2"]
    assert [(p.client_msg_id, p.attempts) for p, _ in then] == [("m-1", 1)]


async def test_a_message_awaiting_its_turn_needs_a_client_id(store: SqlStore) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")

    with pytest.raises(ValueError, match="client message id"):
        await store.conversations.append(
            conversation.id, EventKind.INVESTOR_MESSAGE, {"text": "a"}, awaits_turn=True
        )


async def test_turn_records_and_feedback_since_a_moment(store: SqlStore) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")

    def turn(minute: int, intent: str | None) -> TurnRecord:
        return TurnRecord(
            conversation_id=conversation.id,
            seq=minute,
            question="创业板怎么开通",
            language="zh",
            intent=intent,
            confidence=0.83 if intent else None,
            action="answer" if intent else "clarify",
            sources=["faq:gem-1", "doc:gem#2"] if intent else [],
            top_score=0.91 if intent else None,
            latency_ms=41.5,
            created_at=T0 + timedelta(minutes=minute),
        )

    for minute, intent in ((1, "open_gem"), (5, None), (9, "margin")):
        await store.conversations.record_turn(turn(minute, intent))
    for minute, thumbs in ((2, "up"), (6, "down")):
        await store.conversations.add_feedback(
            Feedback(
                conversation_id=conversation.id,
                seq=minute,
                thumbs=thumbs,
                comment="没用" if thumbs == "down" else None,
                created_at=T0 + timedelta(minutes=minute),
            )
        )
    await store.conversations.add_feedback(
        Feedback(conversation_id=conversation.id, score=4, created_at=T0 + timedelta(minutes=7))
    )

    since = T0 + timedelta(minutes=5)
    assert await store.conversations.turns_since(since) == [turn(5, None), turn(9, "margin")]
    recent = await store.conversations.feedback_since(since)
    assert [(f.seq, f.thumbs, f.score, f.comment) for f in recent] == [
        (6, "down", None, "没用"),
        (None, None, 4, None),
    ]


async def test_conversations_since_lists_those_started_since(
    store: SqlStore, clock: TickingClock
) -> None:
    await store.conversations.create("INV-1", "zh")
    since = clock.now + timedelta(milliseconds=1)
    later = [await store.conversations.create(f"INV-{n}", "zh") for n in (2, 3)]

    assert await store.conversations.conversations_since(since) == later


async def test_tickets_open_update_and_keep_history(store: SqlStore) -> None:
    conversation = await store.conversations.create("INV-1001", "zh")
    tickets = store.tickets
    opened = await tickets.open(_ticket("T-1", conversation.id), actor="bot")

    assert await tickets.get("T-1") == opened
    assert await tickets.get("T-404") is None
    assert await tickets.for_conversation(conversation.id) == [opened]

    claimed = await tickets.update(
        "T-1", actor="li.wei", action="claimed", status=TicketStatus.IN_PROGRESS, assignee_id="s-1"
    )
    noted = await tickets.update("T-1", actor="li.wei", action="note", detail="called back")
    resolved = await tickets.update(
        "T-1", actor="li.wei", action="resolved", status=TicketStatus.RESOLVED
    )

    assert (claimed.status, claimed.assignee_id) == (TicketStatus.IN_PROGRESS, "s-1")
    assert (noted.status, noted.assignee_id) == (TicketStatus.IN_PROGRESS, "s-1")
    assert (resolved.status, resolved.assignee_id) == (TicketStatus.RESOLVED, "s-1")
    assert resolved.updated_at > opened.updated_at
    assert await tickets.get("T-1") == resolved
    history = await tickets.history("T-1")
    assert [(h.actor, h.action, h.detail) for h in history] == [
        ("bot", "opened", "wants_human"),
        ("li.wei", "claimed", ""),
        ("li.wei", "note", "called back"),
        ("li.wei", "resolved", ""),
    ]


async def test_ticket_errors_write_nothing(store: SqlStore) -> None:
    await store.tickets.open(_ticket("T-1", None), actor="bot")

    with pytest.raises(ConflictError):
        await store.tickets.open(_ticket("T-1", None, reason="again"), actor="bot")
    with pytest.raises(ConflictError):
        await store.tickets.open(_ticket("T-2", "no-such-conversation"), actor="bot")
    with pytest.raises(NotFoundError):
        await store.tickets.update("T-404", actor="li.wei", action="claimed")

    assert await store.tickets.get("T-2") is None
    assert [h.action for h in await store.tickets.history("T-1")] == ["opened"]
    assert await store.tickets.history("T-404") == []


async def test_tickets_by_status_most_urgent_first(store: SqlStore) -> None:
    due = T0 + timedelta(hours=4)
    normal = await store.tickets.open(_ticket("T-1", None, priority=50, sla_due_at=due), "bot")
    urgent = await store.tickets.open(_ticket("T-2", None, priority=90), "bot")
    normal_sooner = await store.tickets.open(_ticket("T-3", None, priority=50), "bot")
    done = await store.tickets.open(_ticket("T-4", None, status=TicketStatus.RESOLVED), "bot")

    assert await store.tickets.by_status(TicketStatus.OPEN) == [urgent, normal_sooner, normal]
    assert await store.tickets.by_status(TicketStatus.RESOLVED) == [done]
    assert await store.tickets.by_status(TicketStatus.IN_PROGRESS) == []
    assert [t.id for t in await store.tickets.by_status()] == ["T-2", "T-4", "T-3", "T-1"]


async def test_staff_accounts_have_unique_usernames(store: SqlStore) -> None:
    staff = store.staff
    account = await staff.create("li.wei", "李伟", "hash-1")

    assert await staff.by_username("li.wei") == account
    assert await staff.get(account.id) == account
    assert await staff.by_username("nobody") is None
    assert account.active is True
    with pytest.raises(StorageError, match=r"li\.wei"):
        await staff.create("li.wei", "另一个李伟", "hash-2")

    await staff.set_password(account.id, "hash-3")
    changed = await staff.get(account.id)
    assert changed is not None
    assert changed.password_hash == "hash-3"
    with pytest.raises(NotFoundError):
        await staff.set_password("no-such-staff", "hash")


async def test_staff_sessions_start_load_and_end(store: SqlStore) -> None:
    account = await store.staff.create("li.wei", "李伟", "hash")
    current = StaffSession(
        token_hash="a" * 64, staff_id=account.id, expires_at=T0 + timedelta(hours=8)
    )
    expired = StaffSession(
        token_hash="b" * 64, staff_id=account.id, expires_at=T0 - timedelta(hours=1)
    )
    await store.staff.start_session(current)
    await store.staff.start_session(expired)

    assert await store.staff.session("a" * 64) == current
    # Returned as stored: whoever checks the session compares expires_at with its clock.
    assert await store.staff.session("b" * 64) == expired
    assert await store.staff.session("c" * 64) is None

    await store.staff.end_session("a" * 64)
    await store.staff.end_session("a" * 64)
    assert await store.staff.session("a" * 64) is None
    with pytest.raises(ConflictError):
        await store.staff.start_session(
            StaffSession(token_hash="d" * 64, staff_id="no-such-staff", expires_at=T0)
        )


async def test_outbox_keeps_one_push_per_investor_and_key(store: SqlStore) -> None:
    assert await store.outbox.put(_push("INV-1", "ipo:688001")) is True
    assert await store.outbox.put(_push("INV-1", "ipo:688001", payload={"text": "again"})) is False
    assert await store.outbox.put(_push("INV-2", "ipo:688001")) is True

    pending = await store.outbox.pending("INV-1", T0)
    assert len(pending) == 1
    assert pending[0].payload == {"title": "新股申购提醒", "text": "今日可申购 XX 科技"}
    assert pending[0].id is not None


async def test_outbox_pending_waits_for_not_before_and_forgets_delivered(store: SqlStore) -> None:
    morning = T0.replace(hour=0) + timedelta(hours=8)
    await store.outbox.put(_push("INV-1", "now", created_at=T0))
    await store.outbox.put(
        _push("INV-1", "quiet", created_at=T0 - timedelta(hours=1), not_before=morning)
    )
    await store.outbox.put(_push("INV-1", "older", created_at=T0 - timedelta(hours=2)))

    at_night = await store.outbox.pending("INV-1", morning - timedelta(minutes=1))
    assert [item.dedupe_key for item in at_night] == ["older", "now"]
    in_the_morning = await store.outbox.pending("INV-1", morning)
    assert [item.dedupe_key for item in in_the_morning] == ["older", "quiet", "now"]

    conversation = await store.conversations.create("INV-1", "zh")
    delivered_at = morning + timedelta(minutes=1)
    first = in_the_morning[0]
    assert first.id is not None
    await store.outbox.mark_delivered(first.id, conversation.id, delivered_at)

    assert [i.dedupe_key for i in await store.outbox.pending("INV-1", delivered_at)] == [
        "quiet",
        "now",
    ]
    assert await store.outbox.delivered_since("INV-1", morning) == 1
    assert await store.outbox.delivered_since("INV-1", delivered_at + timedelta(seconds=1)) == 0
    assert await store.outbox.delivered_since("INV-2", morning) == 0
    with pytest.raises(NotFoundError):
        await store.outbox.mark_delivered(10_000, conversation.id, delivered_at)


async def test_muted_kinds_and_the_outbox_read_for_reports(store: SqlStore) -> None:
    assert await store.outbox.mute("INV-1", "st_risk", T0) is True
    assert await store.outbox.mute("INV-1", "st_risk", T0 + timedelta(hours=1)) is False
    assert await store.outbox.mute("INV-2", "concentration", T0 + timedelta(hours=2)) is True
    assert await store.outbox.muted_kinds("INV-1") == {"st_risk"}
    assert await store.outbox.muted_kinds("INV-3") == set()
    window = await store.outbox.mutes_between(T0, T0 + timedelta(hours=2))
    assert [(m.investor_id, m.kind) for m in window] == [("INV-1", "st_risk")]

    await store.outbox.put(_push("INV-1", "a", created_at=T0))
    await store.outbox.put(_push("INV-1", "b", created_at=T0))
    conversation = await store.conversations.create("INV-1", "zh")
    (first, _) = await store.outbox.pending("INV-1", T0)
    assert first.id is not None
    await store.outbox.mark_delivered(first.id, conversation.id, T0 + timedelta(minutes=5))

    assert await store.outbox.stored_keys("INV-1") == {"a", "b"}
    delivered = await store.outbox.delivered_between(T0, T0 + timedelta(minutes=6))
    assert [(i.dedupe_key, i.conversation_id) for i in delivered] == [("a", conversation.id)]
    assert await store.outbox.delivered_between(T0, T0 + timedelta(minutes=5)) == []


async def test_a_delivered_push_is_opened_once_and_only_by_its_investor(store: SqlStore) -> None:
    # The same campaign key reaches two investors; each row is its investor's own.
    for investor_id in ("INV-1", "INV-2"):
        await store.outbox.put(_push(investor_id, "campaign:1", created_at=T0))
    await store.outbox.put(_push("INV-1", "never-delivered", created_at=T0))
    conversation = await store.conversations.create("INV-1", "zh")
    first = (await store.outbox.pending("INV-1", T0))[0]
    assert first.dedupe_key == "campaign:1" and first.id is not None
    delivered_at = T0 + timedelta(minutes=1)
    await store.outbox.mark_delivered(first.id, conversation.id, delivered_at)
    opened_at = delivered_at + timedelta(seconds=30)

    # Another investor marking INV-1's push: refused, and INV-2's own undelivered row too.
    assert await store.outbox.mark_opened("INV-2", "campaign:1", opened_at) is False
    # Never delivered: nothing to have seen.
    assert await store.outbox.mark_opened("INV-1", "never-delivered", opened_at) is False
    assert await store.outbox.mark_opened("INV-1", "no-such-key", opened_at) is False
    assert await store.outbox.mark_opened("INV-1", "campaign:1", opened_at) is True
    # A second "opened" changes nothing: the first sight stands.
    later = opened_at + timedelta(hours=1)
    assert await store.outbox.mark_opened("INV-1", "campaign:1", later) is False

    mine = await store.outbox.delivered_in("INV-1", conversation.id)
    assert [(i.dedupe_key, i.opened_at) for i in mine] == [("campaign:1", opened_at)]
    assert await store.outbox.delivered_in("INV-2", conversation.id) == []
    window = await store.outbox.delivered_between(T0, T0 + timedelta(hours=2))
    assert [(i.investor_id, i.opened_at) for i in window] == [("INV-1", opened_at)]
    others = {i.dedupe_key: i.opened_at for i in await store.outbox.pending("INV-2", later)}
    assert others == {"campaign:1": None}
    untouched = {i.dedupe_key: i.opened_at for i in await store.outbox.pending("INV-1", later)}
    assert untouched == {"never-delivered": None}


async def test_an_expired_push_is_never_pending_and_is_discarded_unless_delivered(
    store: SqlStore,
) -> None:
    closes = T0 + timedelta(hours=6)
    await store.outbox.put(_push("INV-1", "ipo", expires_at=closes))
    await store.outbox.put(_push("INV-1", "delivered", expires_at=closes))
    await store.outbox.put(_push("INV-1", "forever"))
    conversation = await store.conversations.create("INV-1", "zh")
    delivered = (await store.outbox.pending("INV-1", T0))[1]
    assert delivered.dedupe_key == "delivered" and delivered.id is not None
    await store.outbox.mark_delivered(delivered.id, conversation.id, T0)

    before = await store.outbox.pending("INV-1", closes - timedelta(seconds=1))
    at_close = await store.outbox.pending("INV-1", closes)
    discarded_early = await store.outbox.discard_expired(closes - timedelta(seconds=1))
    discarded = await store.outbox.discard_expired(closes)

    assert [item.dedupe_key for item in before] == ["ipo", "forever"]
    assert [item.dedupe_key for item in at_close] == ["forever"]
    assert (discarded_early, discarded) == (0, 1)
    assert await store.outbox.delivered_since("INV-1", T0) == 1, "the delivered one is kept"
    assert await store.outbox.put(_push("INV-1", "delivered")) is False


async def test_timestamps_come_back_as_the_same_instant_in_utc(store: SqlStore) -> None:
    shanghai = timezone(timedelta(hours=8))
    local = datetime(2026, 3, 2, 17, 30, 15, 123456, tzinfo=shanghai)
    await store.outbox.put(_push("INV-1", "tz", created_at=local, not_before=local))

    (item,) = await store.outbox.pending("INV-1", local)
    assert item.created_at == local
    assert item.created_at.utcoffset() == timedelta(0)
    assert item.created_at.hour == 9
    # Compared as instants, not as text: 17:29 in Shanghai is before 09:30 UTC.
    assert await store.outbox.pending("INV-1", local - timedelta(minutes=1)) == []


async def test_naive_timestamps_are_refused(store: SqlStore) -> None:
    with pytest.raises(StatementError, match="timezone-aware"):
        await store.outbox.pending("INV-1", datetime(2026, 3, 2, 9, 0))


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'nested' / 'brokerdesk.db'}")
    try:
        async with store.engine.connect() as connection:
            pragmas = [
                (await connection.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
        assert pragmas == ["wal", 1, 5000]
        assert store.dialect == "sqlite"
    finally:
        await store.close()


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
async def test_in_memory_sqlite_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="use a file"):
        await open_store(url)


async def test_a_closed_port_raises_storage_unavailable_with_the_address() -> None:
    port = free_port()
    url = f"postgresql+asyncpg://root:hunter2@127.0.0.1:{port}/test"

    with pytest.raises(
        StorageUnavailableError, match=f"127.0.0.1:{port}.* is unavailable"
    ) as raised:
        await open_store(url)
    assert "hunter2" not in str(raised.value)

    lazy = await open_store(url, migrate=False)
    try:
        with pytest.raises(StorageUnavailableError, match="is unavailable"):
            await lazy.conversations.get("c-1")
        with pytest.raises(StorageUnavailableError):
            await lazy.conversations.create("INV-1", "zh")
    finally:
        await lazy.close()


async def test_an_unopenable_sqlite_file_raises_storage_unavailable(tmp_path: Path) -> None:
    (tmp_path / "a-directory.db").mkdir()
    with pytest.raises(StorageUnavailableError, match="unable to open database file"):
        await open_store(f"sqlite+aiosqlite:///{tmp_path / 'a-directory.db'}")
    # aiosqlite stops the failed connection's thread without waiting for it; let it finish
    # while this event loop still runs, or the thread reports to a closed loop.
    await _aiosqlite_threads_finished()


async def _aiosqlite_threads_finished() -> None:
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 2.0)


def _server_pid(connection: Connection) -> int:
    raw = connection.connection.dbapi_connection
    return int(raw._connection.get_server_pid())  # type: ignore[union-attr]


@contextmanager
def _connection_killed_before(
    store: SqlStore, postgres_url: str, sql_prefix: str
) -> Iterator[list[int]]:
    """Kill the server process under the first statement starting with ``sql_prefix``,
    just before it runs; yields the pids killed."""
    killed: list[int] = []

    def kill(connection: Connection, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(sql_prefix) and not killed:
            killed.append(_server_pid(connection))
            terminate_backend(postgres_url, killed[-1])

    event.listen(store.engine.sync_engine, "before_cursor_execute", kill)
    try:
        yield killed
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", kill)


@pytest.mark.postgres
async def test_postgres_connections_killed_between_calls_are_replaced(postgres_url: str) -> None:
    store = await open_store(postgres_url)
    try:
        conversation = await store.conversations.create("INV-1001", "zh")
        await asyncio.gather(*(store.conversations.get(conversation.id) for _ in range(3)))

        assert terminate_other_connections(postgres_url) >= 1

        # A write is never retried: this one succeeds because the pool checks (pre-ping).
        event = await store.conversations.append(conversation.id, EventKind.REPLY, {"text": "ok"})
        assert event.seq == 1
        assert await store.conversations.get(conversation.id) is not None
    finally:
        await store.close()


@pytest.mark.postgres
async def test_postgres_read_cut_off_midway_is_retried_once(postgres_url: str) -> None:
    store = await open_store(postgres_url)
    try:
        conversation = await store.conversations.create("INV-1001", "zh")
        with _connection_killed_before(store, postgres_url, "SELECT conversations.id") as killed:
            assert await store.conversations.get(conversation.id) == conversation
        assert len(killed) == 1
    finally:
        await store.close()


@pytest.mark.postgres
async def test_postgres_write_cut_off_midway_leaves_nothing_behind(postgres_url: str) -> None:
    store = await open_store(postgres_url)
    try:
        conversation = await store.conversations.create("INV-1001", "zh")
        await store.conversations.append(
            conversation.id, EventKind.INVESTOR_MESSAGE, {"text": "a"}, "c-1"
        )

        # The seq is taken, then the connection dies before the event is inserted.
        with (
            _connection_killed_before(store, postgres_url, "INSERT INTO events") as killed,
            pytest.raises(StorageUnavailableError),
        ):
            await store.conversations.append(
                conversation.id, EventKind.INVESTOR_MESSAGE, {"text": "b"}, "c-2"
            )
        assert killed

        after = await store.conversations.get(conversation.id)
        assert after is not None
        assert after.last_seq == 1
        assert [e.seq for e in await store.conversations.events_after(conversation.id, 0)] == [1]
        retried = await store.conversations.append(
            conversation.id, EventKind.INVESTOR_MESSAGE, {"text": "b"}, "c-2"
        )
        assert retried.seq == 2
    finally:
        await store.close()


def test_db_upgrade_migrates_the_configured_database(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert "is at revision 0006" in result.output
    assert (tmp_path / "state" / "brokerdesk.db").is_file()


def test_db_upgrade_takes_a_url_and_reports_an_unreachable_database(
    cli: CliRunner, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    assert cli.invoke(app, ["db", "upgrade", "--database-url", f"sqlite:///{other}"]).exit_code == 0
    assert other.is_file()

    port = free_port()
    result = cli.invoke(
        app, ["db", "upgrade", "--database-url", f"postgresql://root@127.0.0.1:{port}/test"]
    )
    assert result.exit_code == 2
    assert "storage_unavailable" in result.output
