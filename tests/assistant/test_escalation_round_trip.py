"""From bot to person and back, over the real server: an investor on the widget socket,
agents on the console (REST with the sign-in cookie, and the console websocket).

The last test runs two server processes sharing PostgreSQL and Redis, with the
investor on one and the agent on the other.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.utils.databases import migrated_postgres_database
from tests.utils.live_app import (
    INTENT_CACHE_HOME,
    AgentClient,
    InvestorClient,
    LiveApp,
    ServerLog,
    app_settings,
    shared_assistant,
)
from tests.utils.processes import ServerProcess, create_staff_account, shared_deployment_env
from tests.utils.redis_server import RedisServer

PASSWORD = "correct-horse-42"


@pytest.fixture(scope="module")
def live(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    assistant = shared_assistant(sample_kb.directory)
    settings = app_settings(
        tmp_path_factory.mktemp("round-trip-app"), sample_kb.directory, queue_status_s=1.0
    )
    app = LiveApp(settings, assistant).start()
    for username, name in (("agent-a", "客服小安"), ("agent-b", "客服小北")):
        app.call(lambda runtime, u=username, n=name: runtime.staff.create_account(u, n, PASSWORD))
    yield app
    app.stop()


async def signed_in(app: LiveApp, username: str) -> AgentClient:
    agent = AgentClient(app)
    await agent.login(username, PASSWORD)
    return agent


async def escalated_investor(app: LiveApp, investor_id: str) -> InvestorClient:
    investor = await InvestorClient.open(app.ws_url, app.token(investor_id))
    await investor.say("help", "转人工")
    reply = await investor.expect("reply")
    assert reply["action"] == "escalate"
    return investor


async def test_investor_to_bot_to_agent_and_back_with_a_rating(live: LiveApp) -> None:
    agent_a = await signed_in(live, "agent-a")
    agent_b = await signed_in(live, "agent-b")
    await agent_a.open_socket()

    investor = await escalated_investor(live, "INV-1001")
    conversation_id = investor.conversation_id
    queue = await agent_a.notice("queue")
    while not any(i["conversation_id"] == conversation_id for i in queue["items"]):
        queue = await agent_a.notice("queue")
    waiting = next(i for i in queue["items"] if i["conversation_id"] == conversation_id)

    claimed = await agent_a.post(f"/conversations/{conversation_id}/claim")
    too_late = await agent_b.post(f"/conversations/{conversation_id}/claim")
    joined = await investor.expect("agent_joined")

    await investor.say("q-1", "我的账户被冻结了，手机13812345678")
    seen_by_agent = await agent_a.notice("event", conversation_id=conversation_id)
    await agent_a.post(
        f"/conversations/{conversation_id}/messages",
        text="已查到，请致电95555，卡号6222021234567890",
    )
    agent_message = await investor.expect("agent_message")
    intruder = await agent_b.post(f"/conversations/{conversation_id}/messages", text="hi")
    await agent_a.post(f"/conversations/{conversation_id}/notes", text="客户情绪稳定，已核实身份")
    resolved = await agent_a.post(f"/conversations/{conversation_id}/resolve")
    left = await investor.expect("agent_left")
    rating = await investor.expect("rating_request")
    await investor.send({"type": "feedback", "score": 5, "comment": "很快"})
    await investor.send({"type": "ping", "nonce": "done"})
    await investor.expect("pong")
    await investor.close()

    detail = (await agent_a.get(f"/conversations/{conversation_id}")).json()
    ticket_id = detail["tickets"][0]["id"]
    ticket = (await agent_a.get(f"/tickets/{ticket_id}")).json()
    agent_a_me = (await agent_a.get("/me")).json()
    async with live.http(headers={"Authorization": f"Bearer {live.token('INV-1001')}"}) as http:
        transcript = (await http.get(f"/api/conversations/{conversation_id}/transcript")).json()
    scores = await live.acall(
        lambda runtime: runtime.store.conversations.feedback_since(
            datetime.now(UTC) - timedelta(minutes=5)
        )
    )
    await agent_a.close()
    await agent_b.close()

    assert waiting["status"] == "queued"
    assert waiting["reason"] == "requested_human"
    assert waiting["priority"] == 60
    assert "转人工" in waiting["summary"]
    assert claimed.status_code == 200
    assert claimed.json()["conversation"]["status"] == "agent"
    assert too_late.status_code == 409
    assert too_late.json()["error"]["code"] == "already_claimed"
    assert joined["agent_name"] == "客服小安"
    assert seen_by_agent["event"]["kind"] == "investor_message"
    assert "138****5678" in seen_by_agent["event"]["payload"]["text"]
    assert [f for f in investor.received if f["type"] == "reply" and f["reply_to"] == "q-1"] == []
    assert agent_message["agent_name"] == "客服小安"
    assert "6222021234567890" not in agent_message["text"]
    assert intruder.status_code == 403
    assert intruder.json()["error"]["code"] == "not_holder"
    assert resolved.json()["conversation"]["status"] == "resolved"
    assert left["outcome"] == "resolved"
    assert rating["seq"] == left["seq"] + 1
    kinds = [event["kind"] for event in detail["events"]]
    assert "note" in kinds
    assert "note" not in [frame["type"] for frame in transcript["events"]]
    assert not any("核实身份" in str(frame) for frame in investor.received)
    assert ticket["ticket"]["kind"] == "escalation"
    assert ticket["ticket"]["status"] == "resolved"
    assert ticket["ticket"]["assignee_id"] == agent_a_me["staff"]["id"]
    assert [h["action"] for h in ticket["history"]] == [
        "opened",
        "claimed",
        "replied",
        "note",
        "resolved",
    ]
    due = datetime.fromisoformat(ticket["ticket"]["sla_due_at"])
    opened = datetime.fromisoformat(ticket["ticket"]["created_at"])
    assert due - opened == timedelta(minutes=live.settings.sla_normal_minutes)
    mine = [s for s in scores if s.conversation_id == conversation_id]
    assert [(s.score, s.comment) for s in mine] == [(5, "很快")]


async def test_a_handed_back_conversation_is_answered_by_the_bot_again(live: LiveApp) -> None:
    agent = await signed_in(live, "agent-b")
    investor = await escalated_investor(live, "INV-1002")
    conversation_id = investor.conversation_id
    await investor.say("while-waiting", "还要等多久")
    await investor.expect("investor_message", client_msg_id="while-waiting")
    await agent.post(f"/conversations/{conversation_id}/claim")
    await investor.expect("agent_joined")
    handed = await agent.post(f"/conversations/{conversation_id}/handback")
    left = await investor.expect("agent_left")
    await investor.say("after", "创业板怎么开通？")
    reply = await investor.expect("reply", reply_to="after")
    await investor.close()
    queue = (await agent.get("/queue")).json()["items"]
    tickets = (await agent.get(f"/conversations/{conversation_id}")).json()["tickets"]
    await agent.close()

    assert handed.json()["conversation"]["status"] == "bot"
    assert left["outcome"] == "handed_back"
    assert reply["action"] == "answer"
    assert not [f for f in investor.received if f.get("reply_to") == "while-waiting"]
    assert conversation_id not in [item["conversation_id"] for item in queue]
    assert tickets[0]["status"] == "resolved"


async def waiting_ids(agent: AgentClient) -> list[str]:
    """The console's waiting conversations, in the order agents see them."""
    items = (await agent.get("/queue")).json()["items"]
    return [item["conversation_id"] for item in items if item["status"] == "queued"]


async def test_an_investor_back_while_waiting_hears_their_place_in_the_console_queue(
    live: LiveApp,
) -> None:
    agent = await signed_in(live, "agent-a")
    investor = await escalated_investor(live, "INV-1008")
    conversation_id = investor.conversation_id
    told = next(f for f in investor.received if f["type"] == "queue_status")
    await investor.close()

    back = await InvestorClient.open(
        live.ws_url,
        live.token("INV-1008"),
        conversation_id=conversation_id,
        last_seq=max(investor.seqs()),
    )
    again = await back.expect("queue_status")
    await back.close()
    waiting = await waiting_ids(agent)
    await agent.close()

    assert told["ahead"] == again["ahead"] == waiting.index(conversation_id)
    assert again["typical_wait_s"] is None  # fewer than three claims in this app so far


async def test_the_place_in_the_queue_moves_up_when_a_person_takes_one_ahead(
    live: LiveApp,
) -> None:
    agent = await signed_in(live, "agent-b")
    first = await escalated_investor(live, "INV-1009")
    second = await escalated_investor(live, "INV-1010")
    told = next(f for f in second.received if f["type"] == "queue_status")
    waiting = await waiting_ids(agent)
    assert told["ahead"] == waiting.index(second.conversation_id)
    assert waiting.index(first.conversation_id) < told["ahead"]

    await agent.post(f"/conversations/{first.conversation_id}/claim")
    moved = await second.expect("queue_status", ahead=told["ahead"] - 1)
    waiting = await waiting_ids(agent)
    await first.close()
    await second.close()
    await agent.close()

    assert moved["ahead"] == waiting.index(second.conversation_id)


# The formats the security test got through to agents in clear (issue 12, finding 4).
FORMATTED_PERSONAL_DATA = [
    ("手机138.1234.5678", "13812345678"),
    ("电话138/1234/5678", "13812345678"),
    ("号码 1 3 8 1 2 3 4 5 6 7 8", "13812345678"),
    ("(138)1234-5678", "13812345678"),
    ("幺三八幺二三四五六七八", "幺三八幺二三四五六七八"),
    ("一三八一二三四五六七八", "一三八一二三四五六七八"),
    ("身份证110105.19900101.0029", "110105.19900101.0029"),
    ("卡号622 202 123 456 789 012 8", "622 202 123 456 789 012 8"),
    ("卡 6222.0212.3456.7890.128", "6222.0212.3456.7890.128"),
]


# Placed after the queue tests: run before them, its claim was the app's third, and the first
# of them expects fewer than three claims so far (no typical wait yet).
async def test_formatted_personal_data_is_stored_and_shown_to_agents_masked(
    live: LiveApp,
) -> None:
    investor = await escalated_investor(live, "INV-1002")
    agent = await signed_in(live, "agent-a")
    await agent.post(f"/conversations/{investor.conversation_id}/claim")
    await investor.expect("agent_joined")
    for n, (text, _) in enumerate(FORMATTED_PERSONAL_DATA):
        await investor.say(f"pii-{n}", text)
        await investor.expect("ack", client_msg_id=f"pii-{n}")
    detail = (await agent.get(f"/conversations/{investor.conversation_id}")).json()
    stored = await live.acall(
        lambda runtime: runtime.store.conversations.events_after(investor.conversation_id, 0)
    )
    await agent.post(f"/conversations/{investor.conversation_id}/resolve")
    await investor.close()
    await agent.close()

    shown = json.dumps(detail, ensure_ascii=False)
    kept = json.dumps([event.payload for event in stored], ensure_ascii=False)
    leaked = [raw for _, raw in FORMATTED_PERSONAL_DATA if raw in shown or raw in kept]
    assert leaked == [], f"{len(leaked)} of {len(FORMATTED_PERSONAL_DATA)} formats in clear"


async def test_an_agent_reply_that_breaks_the_rules_is_refused_with_its_evidence(
    live: LiveApp,
) -> None:
    agent = await signed_in(live, "agent-a")
    investor = await escalated_investor(live, "INV-2001")
    conversation_id = investor.conversation_id
    await agent.post(f"/conversations/{conversation_id}/claim")
    await investor.expect("agent_joined")

    refused = await agent.post(
        f"/conversations/{conversation_id}/messages",
        text="This fund guarantees 8% returns, you should buy it",
    )
    sent = await agent.post(
        f"/conversations/{conversation_id}/messages", text="Fund returns are never guaranteed."
    )
    delivered = await investor.expect("agent_message")
    await investor.close()
    await agent.close()

    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "compliance_blocked"
    assert {d["kind"] for d in error["details"]} == {"return_promise", "security_recommendation"}
    assert any("guarantees 8% returns" in d["evidence"] for d in error["details"])
    assert sent.status_code == 200
    assert delivered["text"] == "Fund returns are never guaranteed."


async def test_only_one_of_two_simultaneous_claims_wins(live: LiveApp) -> None:
    agent_a = await signed_in(live, "agent-a")
    agent_b = await signed_in(live, "agent-b")
    investor = await escalated_investor(live, "INV-1003")
    path = f"/conversations/{investor.conversation_id}/claim"

    first, second = await asyncio.gather(agent_a.post(path), agent_b.post(path))
    await investor.expect("agent_joined")
    await investor.close()
    await agent_a.close()
    await agent_b.close()

    assert sorted([first.status_code, second.status_code]) == [200, 409]
    assert len([f for f in investor.received if f["type"] == "agent_joined"]) == 1


async def test_a_complaint_files_one_ticket_and_queues_the_conversation(live: LiveApp) -> None:
    agent = await signed_in(live, "agent-a")
    investor = await InvestorClient.open(live.ws_url, live.token("INV-1004"))
    for n, text in enumerate(["我要投诉", "服务", "客服电话一直没人接，等了一个小时", "电话"]):
        await investor.say(f"c-{n}", text)
        last = await investor.expect("reply", reply_to=f"c-{n}")
    await investor.close()
    detail = (await agent.get(f"/conversations/{investor.conversation_id}")).json()
    await agent.close()

    assert last["action"] == "escalate"
    assert len(detail["tickets"]) == 1
    ticket = detail["tickets"][0]
    assert ticket["kind"] == "complaint"
    assert ticket["category"] == "service"
    assert ticket["investor_id"] == "INV-1004"
    assert ticket["id"] in last["text"], "the investor is told the ticket number"
    assert detail["conversation"]["status"] == "queued"
    assert detail["conversation"]["escalation_reason"] == "complaint"


async def test_the_console_only_sees_events_of_conversations_it_holds(live: LiveApp) -> None:
    holder = await signed_in(live, "agent-a")
    other = await signed_in(live, "agent-b")
    await other.open_socket()
    investor = await escalated_investor(live, "INV-1005")
    await holder.post(f"/conversations/{investor.conversation_id}/claim")
    await investor.expect("agent_joined")
    await investor.say("private", "只给客服小安看")
    await investor.expect("investor_message", client_msg_id="private")
    await other.notice("queue")
    await asyncio.sleep(0.5)
    await investor.close()
    await holder.close()
    await other.close()

    assert not [n for n in other.notices if n["type"] == "event"]


def held_in(queue: dict, conversation_id: str) -> bool:
    return any(
        item["conversation_id"] == conversation_id and item["status"] == "agent"
        for item in queue["items"]
    )


async def test_each_side_sees_the_other_typing(live: LiveApp) -> None:
    holder = await signed_in(live, "agent-b")
    await holder.open_socket()
    investor = await escalated_investor(live, "INV-1006")
    await holder.post(f"/conversations/{investor.conversation_id}/claim")
    await investor.expect("agent_joined")
    queue = await holder.notice("queue")
    while not held_in(queue, investor.conversation_id):
        queue = await holder.notice("queue")  # until the console knows this agent holds it

    await investor.send({"type": "typing", "active": True})
    investor_typing = await holder.notice("investor_typing")
    assert holder.socket is not None
    await holder.socket.send(
        json.dumps({"type": "typing", "conversation_id": investor.conversation_id})
    )
    agent_typing = await investor.expect("typing", who="agent")
    await investor.close()
    await holder.close()

    assert investor_typing["conversation_id"] == investor.conversation_id
    assert agent_typing["active"] is True


async def test_the_console_requires_a_signed_in_agent(live: LiveApp) -> None:
    async with live.http() as http:
        queue = await http.get("/api/console/queue")
        wrong = await http.post(
            "/api/console/login", json={"username": "agent-a", "password": "wrong-password"}
        )

    assert queue.status_code == 401
    assert queue.json()["error"]["code"] == "not_signed_in"
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    ("signed_in_as", "origin", "close_code"),
    [
        pytest.param(None, None, 4401, id="not-signed-in"),
        pytest.param("agent-a", "https://evil.example", 4403, id="foreign-origin"),
    ],
)
async def test_the_console_socket_refuses_strangers(
    live: LiveApp, signed_in_as: str | None, origin: str | None, close_code: int
) -> None:
    agent = AgentClient(live)
    if signed_in_as is not None:
        await agent.login(signed_in_as, PASSWORD)
    cookie = agent.http.cookies.get("bd_staff") or ""
    async with connect(
        live.base_url.replace("http", "ws") + "/ws/console",
        origin=origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": f"bd_staff={cookie}"},
    ) as socket:
        refusal = json.loads(await socket.recv())
        with pytest.raises(ConnectionClosed):
            await socket.recv()
    await agent.close()

    assert refusal["type"] == "error"
    assert socket.close_code == close_code


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(b"\x00\xff binary", id="binary"),
        pytest.param("[" * 2000 + "]" * 2000, id="nested-2000-deep"),
        pytest.param("not json", id="not-json"),
        pytest.param('{"type": "ping", "pad": "' + "x" * 20000 + '"}', id="oversized"),
    ],
)
async def test_the_console_socket_answers_an_unreadable_frame_with_bad_frame(
    live: LiveApp, frame: str | bytes
) -> None:
    agent = await signed_in(live, "agent-b")
    await agent.open_socket()
    assert agent.socket is not None
    with ServerLog() as log:
        await agent.socket.send(frame)
        error = await agent.notice("error")
        await agent.socket.send(json.dumps({"type": "ping"}))
        await agent.notice("pong")
    await agent.close()

    assert error["code"] == "bad_frame"
    assert log.tracebacks() == [], "no ASGI error, no traceback"


# two processes ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_an_agent_on_one_server_answers_an_investor_on_another(sample_kb, tmp_path: Path) -> None:
    with migrated_postgres_database() as database_url:
        redis = RedisServer().start()
        env = shared_deployment_env(
            kb_dir=sample_kb.directory,
            state_dir=INTENT_CACHE_HOME,
            database_url=database_url,
            bus_url=redis.url,
        )
        create_staff_account(env, "agent-x", "客服小西", PASSWORD)
        servers = [ServerProcess(env, tmp_path / f"server-{n}.log") for n in ("a", "b")]
        try:
            for server in servers:
                server.wait_ready()
            asyncio.run(cross_server_round_trip(*servers))
        finally:
            for server in servers:
                server.stop()
            redis.stop()


async def cross_server_round_trip(server_a: ServerProcess, server_b: ServerProcess) -> None:
    """The investor talks to A; the agent works on B; each sees the other live."""
    async with httpx.AsyncClient(base_url=server_a.base_url) as http:
        token = (await http.post("/api/dev/token", json={"investor_id": "INV-1001"})).json()
    investor = await InvestorClient.open(
        server_a.base_url.replace("http", "ws") + "/ws/investor", token["token"]
    )
    agent = AgentClient(base_url=server_b.base_url)
    await agent.login("agent-x", PASSWORD)
    await agent.open_socket()

    await investor.say("help", "转人工")
    await investor.expect("reply")
    queue = await agent.notice("queue")
    while investor.conversation_id not in [i["conversation_id"] for i in queue["items"]]:
        queue = await agent.notice("queue")
    claimed = await agent.post(f"/conversations/{investor.conversation_id}/claim")
    joined = await investor.expect("agent_joined")
    await agent.post(
        f"/conversations/{investor.conversation_id}/messages", text="您好，我是客服小西"
    )
    message = await investor.expect("agent_message")
    await investor.say("thanks", "谢谢")
    seen = await agent.notice("event", conversation_id=investor.conversation_id)
    while seen["event"]["kind"] != "investor_message":
        seen = await agent.notice("event", conversation_id=investor.conversation_id)
    await investor.close()
    await agent.close()

    assert claimed.status_code == 200
    assert joined["agent_name"] == "客服小西"
    assert message["text"] == "您好，我是客服小西"
    assert seen["event"]["payload"]["text"] == "谢谢"
