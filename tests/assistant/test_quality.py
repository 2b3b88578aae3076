"""Production quality: the report's figures on hand-made records, clustering, FAQ drafts,
and the `assistant report` / `assistant faq draft` commands over a real SQLite store."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.faq_drafts import (
    DRAFT_COLUMNS,
    DraftSheetError,
    DraftSourceNotFoundError,
    FaqDraft,
    NothingToDraftError,
    append_drafts,
    draft_faq,
    draft_from_conversation,
)
from assistant.persistence.records import (
    Conversation,
    ConversationStatus,
    Event,
    EventKind,
    Feedback,
    TurnRecord,
)
from assistant.persistence.sql import SqlStore, open_store
from assistant.quality import (
    InvalidWindowError,
    attention_reason,
    build_quality_report,
    parse_window,
    quality_report,
)
from assistant.question_clusters import QuestionExample, cluster_questions, group_by_similarity
from assistant.settings import get_settings
from knowledge.loaders import load_source

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEK = (T0, T0 + timedelta(days=7))


def conversation(cid: str, at: datetime, **fields: Any) -> Conversation:
    return Conversation(id=cid, investor_id=f"inv-{cid}", created_at=at, updated_at=at, **fields)


def turn(cid: str, seq: int, question: str, **fields: Any) -> TurnRecord:
    values: dict[str, Any] = {
        "language": "en",
        "intent": "fees",
        "confidence": 0.9,
        "action": "answer",
        "sources": ["faq-1"],
        "latency_ms": 100.0,
        "created_at": T0 + timedelta(hours=1, minutes=seq),
    }
    return TurnRecord(conversation_id=cid, seq=seq, question=question, **(values | fields))


def feedback(cid: str, minutes: int, **fields: Any) -> Feedback:
    return Feedback(conversation_id=cid, created_at=T0 + timedelta(minutes=minutes), **fields)


# A week with six conversations, worked out by hand:
#   c1 answered twice, contained          c2 asked for a person: escalated (requested_human)
#   c3 out of scope, contained            c4 started the week before: outside the window
#   c5 opened, never asked: not engaged   c6 handed over for low confidence, then resolved
# engaged = c1 c2 c3 c6 = 4; escalated = c2 c6 = 2; containment = 2/4.
CONVERSATIONS = [
    conversation("c1", T0 + timedelta(hours=1)),
    conversation(
        "c2",
        T0 + timedelta(hours=2),
        status=ConversationStatus.QUEUED,
        escalated_at=T0 + timedelta(hours=2),
        escalation_reason="requested_human",
    ),
    conversation("c3", T0 + timedelta(hours=3)),
    conversation("c4", T0 - timedelta(days=1)),
    conversation("c5", T0 + timedelta(hours=4)),
    conversation(
        "c6",
        T0 + timedelta(hours=5),
        status=ConversationStatus.RESOLVED,
        escalated_at=T0 + timedelta(hours=5),
    ),
]
# Five turns in the window, latencies 100..500 ms: p50 = 300, p95 = 400 + 0.8·100 = 480.
TURNS = [
    turn("c1", 2, "what is the commission", latency_ms=100.0),
    turn("c1", 4, "and for ETFs?", latency_ms=200.0),
    turn(
        "c2",
        2,
        "I want a person",
        intent="human",
        action="escalate",
        sources=[],
        escalation_reason="requested_human",
        latency_ms=300.0,
    ),
    turn(
        "c3",
        2,
        "what's the weather",
        intent="out_of_scope",
        confidence=0.1,
        sources=[],
        latency_ms=400.0,
    ),
    turn(
        "c6",
        2,
        "margin call rules??",
        intent="margin",
        confidence=0.3,
        action="escalate",
        sources=[],
        escalation_reason="low_confidence",
        latency_ms=500.0,
    ),
    turn("c4", 2, "last week", created_at=T0 - timedelta(hours=20)),
]
# CSAT: c1 re-rated 2 -> 5 (the 5 counts), c2 gave 3: mean 4.0 from 2, one of two is 4-5.
# Thumbs: c1#2 up then down (down counts), c1#4 up, c3#2 down: 1 up, 2 down.
FEEDBACK = [
    feedback("c1", 70, score=2),
    feedback("c1", 90, score=5),
    feedback("c2", 95, score=3),
    feedback("c1", 71, seq=2, thumbs="up"),
    feedback("c1", 72, seq=2, thumbs="down"),
    feedback("c1", 73, seq=4, thumbs="up"),
    feedback("c3", 74, seq=2, thumbs="down"),
    feedback("c4", -60, score=1),  # before the window
]


def test_quality_report_counts_a_hand_made_week() -> None:
    report = build_quality_report(
        CONVERSATIONS, TURNS, FEEDBACK, since=WEEK[0], until=WEEK[1], embed=None
    )

    assert report.conversations == 5
    assert report.engaged_conversations == 4
    assert (report.contained, report.containment_rate) == (2, 0.5)
    assert (report.escalated, report.escalation_rate) == (2, 0.5)
    assert [(r.name, r.count, r.share) for r in report.escalation_reasons] == [
        ("low_confidence", 1, 0.5),  # c6: no reason on the conversation, so its turn's
        ("requested_human", 1, 0.5),
    ]
    assert report.turns == 5
    assert (report.latency_p50_ms, report.latency_p95_ms) == (300.0, pytest.approx(480.0))
    assert report.csat.model_dump() == {"responses": 2, "mean_score": 4.0, "satisfied_share": 0.5}
    assert (report.thumbs.up, report.thumbs.down) == (1, 2)
    assert report.thumbs.up_share == pytest.approx(1 / 3)
    assert [(i.name, i.count, i.share) for i in report.top_intents] == [
        ("fees", 2, 0.4),
        ("human", 1, 0.2),
        ("margin", 1, 0.2),
        ("out_of_scope", 1, 0.2),
    ]
    # Asking for a person is the policy working; out of scope and a low-confidence handoff are gaps.
    assert report.attention_turns == 2
    assert report.attention_rate == 0.4
    assert sorted((c.representative, c.count) for c in report.clusters) == [
        ("margin call rules??", 1),
        ("what's the weather", 1),
    ]


def test_an_empty_window_reports_nothing_measured_rather_than_zero() -> None:
    report = build_quality_report([], [], [], since=WEEK[0], until=WEEK[1], embed=None)

    assert report.containment_rate is None and report.escalation_rate is None
    assert report.csat.mean_score is None and report.thumbs.up_share is None
    assert report.latency_p50_ms is None and report.clusters == []


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, None),
        ({"intent": "out_of_scope"}, "out_of_scope"),
        ({"intent": None, "confidence": None}, "out_of_scope"),
        ({"escalation_reason": "low_confidence", "action": "escalate"}, "low_confidence_handoff"),
        ({"escalation_reason": "complaint", "action": "escalate", "confidence": 0.1}, None),
        ({"action": "clarify"}, "clarify"),
        ({"sources": []}, "no_source"),  # fees is a knowledge intent below
        ({"intent": "greeting", "sources": []}, None),  # small talk needs no source
        ({"confidence": 0.49}, "uncertain"),
        ({"confidence": 0.5}, None),
    ],
)
def test_which_turns_need_a_curators_attention(fields: dict[str, Any], reason: str | None) -> None:
    record = turn("c", 2, "q", **fields)

    assert attention_reason(record, low_confidence=0.5, knowledge_intents={"fees"}) == reason


# Hand-made unit vectors: a·b = 0.96 and a·c = 0.93, but b·c = 0.96·0.93 − 0.28·0.3676 ≈ 0.790.
VECTORS = {
    "how do i transfer shares": [1.0, 0.0, 0.0],
    "how to transfer my shares": [0.96, 0.28, 0.0],
    "transfer shares out?": [0.93, -0.3676, 0.0],
    "what is margin": [0.0, 0.0, 1.0],
}


def embed(texts: Sequence[str]) -> np.ndarray:
    return np.asarray([VECTORS[t.lower()] for t in texts])


def example(question: str, cid: str = "c", reason: str = "out_of_scope") -> QuestionExample:
    return QuestionExample(
        question=question, conversation_id=cid, seq=2, intent=None, confidence=None, reason=reason
    )


def test_complete_linkage_keeps_every_pair_in_a_cluster_above_the_similarity() -> None:
    rows = embed(list(VECTORS))

    # b and c are each close to a but not to each other: a chain must not become one cluster.
    assert group_by_similarity(rows, 0.89) == [[0, 1], [2], [3]]
    assert group_by_similarity(rows, 0.75) == [[0, 1, 2], [3]]
    assert group_by_similarity(rows[:1], 0.89) == [[0]]
    assert group_by_similarity(rows[:0], 0.89) == []


def test_clusters_count_repeats_and_pick_the_most_asked_typical_question() -> None:
    examples = [
        example("How do I transfer shares", "c1"),
        example("how do I  transfer shares", "c2", reason="uncertain"),  # same after normalising
        example("how do i transfer shares", "c3"),
        example("How to transfer my shares", "c4"),
        example("transfer shares out?", "c5"),
        example("What is margin", "c6"),
    ]

    clusters = cluster_questions(examples, embed, similarity=0.89)

    assert [(c.representative, c.count) for c in clusters] == [
        ("How do I transfer shares", 4),  # both members equally typical: the most asked wins
        ("What is margin", 1),
        ("transfer shares out?", 1),
    ]
    assert clusters[0].reasons == {"out_of_scope": 3, "uncertain": 1}
    assert [e.conversation_id for e in clusters[0].examples] == ["c1", "c4"]


def test_read_only_vectors_from_the_embedder_are_not_written_to() -> None:
    def frozen(texts: Sequence[str]) -> np.ndarray:
        rows = embed(texts).astype(np.float64)
        rows.setflags(write=False)  # the shared embedder caches and returns read-only rows
        return rows

    clusters = cluster_questions([example("What is margin"), example("what is margin")], frozen)

    assert [(c.representative, c.count) for c in clusters] == [("What is margin", 2)]


def test_without_an_embedder_only_identical_questions_group() -> None:
    clusters = cluster_questions(
        [example("How to transfer my shares"), example("how to transfer my shares"), example("x")],
        None,
    )

    assert [(c.representative, c.count) for c in clusters] == [
        ("How to transfer my shares", 2),
        ("x", 1),
    ]


def test_e5_puts_paraphrases_together_and_other_topics_apart(e5) -> None:
    questions = [
        "怎么把股票转到别的券商",
        "股票转托管到其他券商怎么办理",
        "我想把股票转去另一家证券公司",
        "融资融券的利率是多少",
        "两融利息怎么算",
        "忘记密码怎么办",
    ]

    clusters = cluster_questions([example(q) for q in questions], e5.encode_questions)

    assert sorted(sorted(e.question for e in c.examples) for c in clusters) == sorted(
        [sorted(questions[:3]), sorted(questions[3:5]), [questions[5]]]
    )


def event(seq: int, kind: EventKind, text: str = "") -> Event:
    return Event(
        conversation_id="c9",
        seq=seq,
        kind=kind,
        payload={"text": text} if text else {},
        created_at=T0 + timedelta(minutes=seq),
    )


# An investor asks, the bot cannot answer, the investor rephrases, asks for a person, an
# agent answers in two messages, and the investor thanks them.
TRANSCRIPT = [
    event(1, EventKind.INVESTOR_MESSAGE, "港股通的股息要交多少税"),
    event(2, EventKind.REPLY, "抱歉，我没有找到相关答案"),
    event(3, EventKind.INVESTOR_MESSAGE, "港股通分红扣税比例"),
    event(4, EventKind.REPLY, "抱歉，我没有找到相关答案"),
    event(5, EventKind.INVESTOR_MESSAGE, "转人工"),
    event(6, EventKind.REPLY, "正在为您转接人工客服"),
    event(7, EventKind.AGENT_JOINED),
    event(8, EventKind.AGENT_MESSAGE, "H股分红由公司代扣20%个人所得税。"),
    event(9, EventKind.NOTE, "internal: checked with tax desk"),
    event(10, EventKind.AGENT_MESSAGE, "红筹股一般代扣28%，以公司公告为准。"),
    event(11, EventKind.INVESTOR_MESSAGE, "谢谢"),
    event(12, EventKind.AGENT_MESSAGE, "不客气"),
]
TRANSCRIPT_TURNS = [
    turn(
        "c9",
        2,
        "港股通的股息要交多少税",
        language="zh",
        intent="hk_connect",
        confidence=0.3,
        sources=[],
    ),
    turn("c9", 4, "港股通分红扣税比例", language="zh", intent="out_of_scope", confidence=0.2),
    turn(
        "c9",
        6,
        "转人工",
        language="zh",
        intent="human",
        action="escalate",
        escalation_reason="requested_human",
    ),
]


def test_a_draft_takes_the_first_unanswered_question_and_the_agents_answer() -> None:
    draft = draft_faq(TRANSCRIPT, TRANSCRIPT_TURNS)

    assert draft == FaqDraft(
        question="港股通的股息要交多少税",
        # Both agent messages up to the investor's next message; the internal note is not one.
        answer="H股分红由公司代扣20%个人所得税。\n红筹股一般代扣28%，以公司公告为准。",
        similar_questions=["港股通分红扣税比例"],  # "转人工" was answered: it asked for a person
        category="hk_connect",
        lang="zh",
    )


def test_a_draft_can_name_the_question_by_its_seq_or_its_replys() -> None:
    by_reply = draft_faq(TRANSCRIPT, TRANSCRIPT_TURNS, seq=4, category="tax")

    assert (by_reply.question, by_reply.category) == ("港股通分红扣税比例", "tax")
    assert by_reply.similar_questions == []
    assert by_reply.answer.startswith("H股分红")
    assert draft_faq(TRANSCRIPT, TRANSCRIPT_TURNS, seq=11).answer == "不客气"


def test_without_turn_records_the_last_question_before_the_agent_is_drafted() -> None:
    draft = draft_faq(TRANSCRIPT)

    assert draft.question == "转人工"
    assert (draft.category, draft.lang) == ("", "zh")


def test_a_curators_own_answer_drafts_a_question_no_agent_answered() -> None:
    bot_only = TRANSCRIPT[:6]

    draft = draft_faq(bot_only, TRANSCRIPT_TURNS, seq=2, answer="  港股通H股分红代扣20%。 ")

    assert draft == FaqDraft(
        question="港股通的股息要交多少税",
        answer="港股通H股分红代扣20%。",
        similar_questions=[],  # with no agent reply, nothing bounds the rephrasings
        category="hk_connect",
        lang="zh",
    )


def test_a_curators_own_answer_replaces_the_agents() -> None:
    draft = draft_faq(TRANSCRIPT, TRANSCRIPT_TURNS, seq=2, answer="以公司公告为准。")

    assert (draft.question, draft.answer) == ("港股通的股息要交多少税", "以公司公告为准。")
    assert draft.similar_questions == ["港股通分红扣税比例"]


def test_the_rest_of_a_cluster_joins_the_similar_questions_once() -> None:
    draft = draft_faq(
        TRANSCRIPT,
        TRANSCRIPT_TURNS,
        also_asked=["港股通分红扣税比例", "港股通股息税率 ", "港股通的股息要交多少税", "  "],
    )

    # The transcript's rephrasing first; the question itself and blanks are not repeated.
    assert draft.similar_questions == ["港股通分红扣税比例", "港股通股息税率"]


def test_a_conversation_no_agent_answered_cannot_be_drafted() -> None:
    with pytest.raises(NothingToDraftError, match="no agent replied"):
        draft_faq(TRANSCRIPT[:6], TRANSCRIPT_TURNS)
    with pytest.raises(NothingToDraftError, match="no investor message at or before seq 0"):
        draft_faq(TRANSCRIPT, seq=0)
    with pytest.raises(NothingToDraftError, match="no agent message answers"):
        draft_faq(TRANSCRIPT[:-1], seq=11)


def test_drafts_append_to_a_sheet_the_knowledge_loader_reads(tmp_path: Path) -> None:
    sheet = tmp_path / "drafts" / "faq-drafts.csv"
    first = FaqDraft(question="Q1?", answer="A1, with a comma", similar_questions=["q1 a", "q1|b"])
    second = FaqDraft(question="问题二", answer="答案二\n第二行", category="fees", lang="zh")

    append_drafts(sheet, [first])
    append_drafts(sheet, [second])

    rows = list(csv.reader(sheet.open(encoding="utf-8", newline="")))
    assert rows[0] == list(DRAFT_COLUMNS)
    assert rows[1:] == [
        ["Q1?", "A1, with a comma", "q1 a|q1/b", "", ""],
        ["问题二", "答案二\n第二行", "", "fees", "zh"],
    ]
    units = load_source(sheet, "faq-drafts.csv").units
    assert [(u.title, u.text, u.questions, u.category) for u in units] == [
        ("Q1?", "A1, with a comma", ["Q1?", "q1 a", "q1/b"], ""),
        ("问题二", "答案二\n第二行", ["问题二"], "fees"),
    ]


def test_drafts_refuse_a_sheet_with_other_columns(tmp_path: Path) -> None:
    sheet = tmp_path / "faq.csv"
    sheet.write_text("id,question,answer\n1,q,a\n", encoding="utf-8")

    with pytest.raises(DraftSheetError, match="expected question,answer"):
        append_drafts(sheet, [FaqDraft(question="q", answer="a")])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        ("2W", timedelta(weeks=2)),
    ],
)
def test_windows_are_a_count_and_a_unit(text: str, expected: timedelta) -> None:
    assert parse_window(text) == expected


@pytest.mark.parametrize("text", ["7", "d", "0d", "-1d", "7y", "1.5h", ""])
def test_other_windows_are_refused(text: str) -> None:
    with pytest.raises(InvalidWindowError, match="30m, 12h, 7d or 2w"):
        parse_window(text)


def test_windows_longer_than_ten_years_are_refused_rather_than_overflowing() -> None:
    assert parse_window("3660d") == timedelta(days=3660)
    with pytest.raises(InvalidWindowError, match="longer than 3660 days"):
        parse_window("3661d")
    with pytest.raises(InvalidWindowError, match="longer than"):
        parse_window("999999999999w")


# The real SQLite store, filled through the repository the service writes with.


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'quality.db'}"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    opened = await open_store(database_url, clock=Clock())
    yield opened
    await opened.close()


async def fill(store: SqlStore) -> tuple[str, str]:
    """One contained conversation and one an agent answered; returns their ids."""
    repo = store.conversations
    contained = await repo.create("inv-1", "zh")
    await repo.append(contained.id, EventKind.INVESTOR_MESSAGE, {"text": "佣金多少"})
    reply = await repo.append(contained.id, EventKind.REPLY, {"text": "万分之2.5"})
    await repo.record_turn(
        turn(contained.id, reply.seq, "佣金多少", created_at=reply.created_at, latency_ms=50.0)
    )
    await repo.add_feedback(
        Feedback(conversation_id=contained.id, score=5, created_at=reply.created_at)
    )

    handed = await repo.create("inv-2", "zh")
    for text, record in (
        ("港股通的股息要交多少税", {"intent": "out_of_scope", "confidence": 0.1, "sources": []}),
        (
            "转人工",
            {"intent": "human", "action": "escalate", "escalation_reason": "requested_human"},
        ),
    ):
        await repo.append(handed.id, EventKind.INVESTOR_MESSAGE, {"text": text})
        bot = await repo.append(handed.id, EventKind.REPLY, {"text": "…"})
        await repo.record_turn(
            turn(handed.id, bot.seq, text, language="zh", created_at=bot.created_at, **record)
        )
    await repo.escalate(handed.id, "requested_human", 50, "wants a person")
    await repo.append(handed.id, EventKind.AGENT_MESSAGE, {"text": "港股通H股分红代扣20%。"})
    await repo.add_feedback(
        Feedback(
            conversation_id=handed.id, seq=2, thumbs="down", created_at=T0 + timedelta(hours=1)
        )
    )
    return contained.id, handed.id


async def test_the_report_reads_the_sql_store(store: SqlStore) -> None:
    await fill(store)

    report = await quality_report(
        store.conversations, since=T0, until=T0 + timedelta(days=7), embed=None
    )

    assert (report.conversations, report.engaged_conversations) == (2, 2)
    assert (report.containment_rate, report.escalation_rate) == (0.5, 0.5)
    assert [(r.name, r.count) for r in report.escalation_reasons] == [("requested_human", 1)]
    assert (report.csat.responses, report.csat.mean_score) == (1, 5.0)
    assert (report.thumbs.up, report.thumbs.down) == (0, 1)
    assert report.turns == 3
    assert [(c.representative, c.count) for c in report.clusters] == [("港股通的股息要交多少税", 1)]
    # The agent's answer to it is read from the conversation, ready for a draft.
    assert [e.agent_reply for e in report.clusters[0].examples] == ["港股通H股分红代扣20%。"]
    # What an API route returns: plain JSON.
    assert json.loads(report.model_dump_json())["containment_rate"] == 0.5


async def test_a_question_only_the_bot_saw_offers_no_agent_reply(store: SqlStore) -> None:
    contained, _ = await fill(store)
    repo = store.conversations
    await repo.append(contained, EventKind.INVESTOR_MESSAGE, {"text": "你们食堂吃什么"})
    bot = await repo.append(contained, EventKind.REPLY, {"text": "抱歉"})
    await repo.record_turn(
        turn(contained, bot.seq, "你们食堂吃什么", intent=None, created_at=bot.created_at)
    )

    report = await quality_report(
        store.conversations, since=T0, until=T0 + timedelta(days=7), embed=None
    )

    replies = {e.question: e.agent_reply for c in report.clusters for e in c.examples}
    assert replies == {"港股通的股息要交多少税": "港股通H股分红代扣20%。", "你们食堂吃什么": None}


async def test_drafts_from_a_stored_conversation(store: SqlStore) -> None:
    contained, handed = await fill(store)

    from_agent = await draft_from_conversation(store.conversations, handed, seq=2)
    own = await draft_from_conversation(
        store.conversations, contained, seq=2, answer="A股佣金万分之2.5，最低5元。"
    )

    assert (from_agent.question, from_agent.answer) == (
        "港股通的股息要交多少税",
        "港股通H股分红代扣20%。",
    )
    assert (own.question, own.answer, own.category) == (
        "佣金多少",
        "A股佣金万分之2.5，最低5元。",
        "fees",
    )
    with pytest.raises(NothingToDraftError, match="no agent replied"):
        await draft_from_conversation(store.conversations, contained, seq=2)
    with pytest.raises(DraftSourceNotFoundError, match="no conversation 'nope'"):
        await draft_from_conversation(store.conversations, "nope")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BROKERDESK_STATE_DIR", str(tmp_path / "state"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def filled(database_url: str) -> str:
    store = await open_store(database_url, clock=Clock())
    try:
        return (await fill(store))[1]
    finally:
        await store.close()


def test_report_and_faq_draft_commands(database_url: str, cli: CliRunner, tmp_path: Path) -> None:
    # Sync, like the commands: each runs its own event loop.
    handed = asyncio.run(filled(database_url))

    # The records were written at T0 (2026-03-02); a window of weeks back from now covers them.
    weeks = max(1, (datetime.now(UTC) - T0).days // 7 + 1)
    result = cli.invoke(
        app,
        [
            "report",
            "--since",
            f"{weeks}w",
            "--database-url",
            database_url,
            "--no-cluster",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["engaged_conversations"], payload["containment_rate"]) == (2, 0.5)
    assert payload["clusters"][0]["examples"][0]["conversation_id"] == handed
    assert payload["pushes"]["delivered"] == 0  # none in this week

    table = cli.invoke(
        app, ["report", "--since", f"{weeks}w", "--database-url", database_url, "--no-cluster"]
    )
    assert table.exit_code == 0, table.output
    assert "containment" in table.stdout and "港股通的股息要交多少税" in table.stdout
    assert "proactive pushes" in table.stdout

    sheet = tmp_path / "drafts.csv"
    drafted = cli.invoke(
        app,
        [
            "faq",
            "draft",
            "--conversation",
            handed,
            "--database-url",
            database_url,
            "--out",
            str(sheet),
            "--json",
        ],
    )
    assert drafted.exit_code == 0, drafted.output
    assert json.loads(drafted.stdout)["draft"]["question"] == "港股通的股息要交多少税"
    assert list(csv.reader(sheet.open(encoding="utf-8")))[1] == [
        "港股通的股息要交多少税",
        "港股通H股分红代扣20%。",
        "",
        "",
        "zh",
    ]

    missing = cli.invoke(
        app, ["faq", "draft", "--conversation", "nope", "--database-url", database_url]
    )
    assert missing.exit_code == 2
    assert "no conversation 'nope'" in missing.output


def test_report_refuses_a_malformed_window(cli: CliRunner, database_url: str) -> None:
    result = cli.invoke(app, ["report", "--since", "7 days", "--database-url", database_url])

    assert result.exit_code == 2
    assert "30m, 12h, 7d or 2w" in " ".join(result.output.split())  # rich wraps lines
