"""The REST API of the running app: the investor routes share the websocket's token and
code path; every error has one shape; the dev token issuer exists in development only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from assistant.api.console import load_canned_replies
from assistant.app import ensure_demo_agent
from assistant.escalation import REASON_LABELS
from assistant.persistence.records import StaffRole
from channels.tokens import SessionTokens
from intents.handover import EscalationReason
from tests.utils.live_app import (
    AgentClient,
    InvestorClient,
    LiveApp,
    app_settings,
    shared_assistant,
)

QUESTION = "创业板怎么开通？"


@pytest.fixture(scope="module")
def live(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    app = LiveApp(
        app_settings(
            tmp_path_factory.mktemp("rest-app"),
            sample_kb.directory,
            push_quiet_start="00:00",
            push_quiet_end="00:00",  # no quiet hours: campaigns go out at once
        ),
        shared_assistant(sample_kb.directory),
    )
    yield app.start()
    app.stop()


@pytest.fixture(scope="module")
def production(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    """Production mode, and two messages a minute per investor."""
    app = LiveApp(
        app_settings(
            tmp_path_factory.mktemp("production-app"),
            sample_kb.directory,
            mode="production",
            secret_key="a-real-secret-for-the-test-deployment",
            rate_investor_per_minute=2,
        ),
        shared_assistant(sample_kb.directory),
    )
    yield app.start()
    app.stop()


def investor_http(app: LiveApp, investor_id: str) -> httpx.AsyncClient:
    return app.http(headers={"Authorization": f"Bearer {app.token(investor_id)}"})


def new_investor() -> str:
    return f"INV-R{time.monotonic_ns() % 10**9}"


async def open_session(http: httpx.AsyncClient, **body) -> str:
    response = await http.post("/api/sessions", json=body or None)
    assert response.status_code == 200, response.text
    return str(response.json()["conversation_id"])


async def test_a_session_opens_the_investors_conversation_and_resumes_it(live: LiveApp) -> None:
    investor = new_investor()
    async with investor_http(live, investor) as http:
        first = await http.post("/api/sessions")
        again = await http.post(
            "/api/sessions", json={"conversation_id": first.json()["conversation_id"]}
        )
        latest = await http.post("/api/sessions")

    assert first.json()["investor_id"] == investor
    assert first.json()["status"] == "bot"
    assert again.json()["conversation_id"] == first.json()["conversation_id"]
    assert latest.json()["conversation_id"] == first.json()["conversation_id"]


async def test_a_message_returns_its_ack_and_the_reply(live: LiveApp) -> None:
    async with investor_http(live, new_investor()) as http:
        conversation = await open_session(http)
        path = f"/api/conversations/{conversation}/messages"
        sent = await http.post(path, json={"client_msg_id": "r-1", "text": QUESTION})
        resent = await http.post(path, json={"client_msg_id": "r-1", "text": QUESTION})
        transcript = await http.get(f"/api/conversations/{conversation}/transcript")
        later = await http.get(
            f"/api/conversations/{conversation}/transcript", params={"after_seq": 1}
        )

    body = sent.json()
    assert body["ack"] == {"client_msg_id": "r-1", "seq": 1, "duplicate": False, "type": "ack"}
    assert [f["type"] for f in body["frames"]] == ["investor_message", "reply"]
    assert body["frames"][1]["reply_to"] == "r-1"
    assert resent.json()["ack"]["duplicate"] is True
    assert resent.json()["frames"] == body["frames"], "a retry gets the same outcome, not a new one"
    assert transcript.json()["events"] == body["frames"]
    assert [f["seq"] for f in later.json()["events"]] == [2]


async def test_rest_and_websocket_are_one_conversation(live: LiveApp) -> None:
    investor = new_investor()
    socket = await InvestorClient.open(live.ws_url, live.token(investor))
    async with investor_http(live, investor) as http:
        await http.post(
            f"/api/conversations/{socket.conversation_id}/messages",
            json={"client_msg_id": "via-rest", "text": QUESTION},
        )
    reply = await socket.expect("reply")
    await socket.close()

    assert reply["reply_to"] == "via-rest"


async def test_feedback_is_stored_and_validated(live: LiveApp) -> None:
    async with investor_http(live, new_investor()) as http:
        conversation = await open_session(http)
        sent = await http.post(
            f"/api/conversations/{conversation}/messages",
            json={"client_msg_id": "r-1", "text": QUESTION},
        )
        reply_seq = sent.json()["frames"][-1]["seq"]
        path = f"/api/conversations/{conversation}/feedback"
        thumbs = await http.post(path, json={"seq": reply_seq, "thumbs": "down"})
        score = await http.post(path, json={"score": 5, "comment": "有用"})
        out_of_range = await http.post(path, json={"score": 6})
        empty = await http.post(path, json={})
        unknown_seq = await http.post(path, json={"seq": 99, "thumbs": "up"})
    stored = await live.acall(
        lambda runtime: runtime.store.conversations.feedback_since(
            datetime.now(UTC) - timedelta(minutes=1)
        )
    )

    assert thumbs.status_code == score.status_code == 200
    assert out_of_range.status_code == 422
    assert out_of_range.json()["error"]["code"] == "invalid_request"
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "invalid_feedback"
    assert unknown_seq.status_code == 409
    assert unknown_seq.json()["error"]["code"] == "out_of_order"
    mine = sorted(
        ((f.seq, f.thumbs, f.score) for f in stored if f.conversation_id == conversation),
        key=str,
    )
    assert mine == sorted([(reply_seq, "down", None), (None, None, 5)], key=str)


async def test_an_investor_cannot_read_or_write_someone_elses_conversation(live: LiveApp) -> None:
    async with investor_http(live, new_investor()) as owner:
        conversation = await open_session(owner)
    async with investor_http(live, new_investor()) as other:
        read = await other.get(f"/api/conversations/{conversation}/transcript")
        write = await other.post(
            f"/api/conversations/{conversation}/messages",
            json={"client_msg_id": "x-1", "text": "hello"},
        )
        rate = await other.post(f"/api/conversations/{conversation}/feedback", json={"score": 1})
        resume = await other.post("/api/sessions", json={"conversation_id": conversation})

    for response in (read, write, rate, resume):
        assert response.status_code == 403
        assert response.json() == {
            "error": {"code": "forbidden", "message": "this conversation belongs to someone else"}
        }


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        pytest.param({}, "unauthorized", id="missing"),
        pytest.param({"Authorization": "Basic abc"}, "unauthorized", id="wrong-scheme"),
        pytest.param(
            {"Authorization": f"Bearer {SessionTokens('forged').issue('INV-1001')}"},
            "unauthorized",
            id="forged",
        ),
    ],
)
async def test_requests_without_a_valid_token_are_unauthorized(
    live: LiveApp, headers: dict, code: str
) -> None:
    async with live.http(headers=headers) as http:
        response = await http.post("/api/sessions")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == code


async def test_an_expired_token_says_so(live: LiveApp) -> None:
    old = SessionTokens(
        live.settings.secret_key.get_secret_value(), clock=lambda: time.time() - 7200
    ).issue("INV-1001")
    async with live.http(headers={"Authorization": f"Bearer {old}"}) as http:
        response = await http.post("/api/sessions")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


async def test_errors_have_one_shape(live: LiveApp) -> None:
    async with live.http() as http:
        missing = await http.get("/api/nothing-here")
        invalid = await http.post("/api/dev/token", json={"investor": "INV-1001"})
    async with investor_http(live, new_investor()) as http:
        unknown = await http.get("/api/conversations/no-such-id/transcript")

    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "invalid_request"
    assert "investor_id" in invalid.json()["error"]["message"]
    assert unknown.status_code == 404
    assert unknown.json() == {"error": {"code": "not_found", "message": "no such conversation"}}


async def test_the_dev_token_issuer_works_in_development(live: LiveApp) -> None:
    async with live.http() as http:
        issued = await http.post("/api/dev/token", json={"investor_id": "INV-1001"})
    claims = live.runtime.tokens.verify(issued.json()["token"])

    assert claims.investor_id == "INV-1001"
    assert datetime.fromisoformat(issued.json()["expires_at"]) > datetime.now(UTC)


async def test_the_dev_token_issuer_does_not_exist_in_production(production: LiveApp) -> None:
    async with production.http() as http:
        response = await http.post("/api/dev/token", json={"investor_id": "INV-1001"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_rest_messages_are_rate_limited_per_investor(production: LiveApp) -> None:
    async with investor_http(production, new_investor()) as http:
        conversation = await open_session(http)
        path = f"/api/conversations/{conversation}/messages"
        responses = [
            await http.post(path, json={"client_msg_id": f"m-{n}", "text": QUESTION})
            for n in range(3)
        ]
        transcript = await http.get(f"/api/conversations/{conversation}/transcript")

    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[2].json()["error"]["code"] == "rate_limited"
    assert int(responses[2].headers["retry-after"]) >= 1
    assert "m-2" not in str(transcript.json())


async def test_the_api_is_documented(live: LiveApp) -> None:
    async with live.http() as http:
        schema = (await http.get("/openapi.json")).json()
        docs = await http.get("/docs")

    assert docs.status_code == 200
    for path in (
        "/api/sessions",
        "/api/conversations/{conversation_id}/messages",
        "/api/conversations/{conversation_id}/transcript",
        "/api/conversations/{conversation_id}/feedback",
        "/api/console/queue",
        "/api/console/conversations/{conversation_id}/claim",
        "/api/admin/campaigns",
    ):
        assert path in schema["paths"]
    assert "ErrorResponse" in schema["components"]["schemas"]


async def test_cors_admits_only_the_allowed_origins(live: LiveApp) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = live.settings.browser_origins[0]
    async with live.http() as http:
        ok = await http.options("/api/sessions", headers={"Origin": allowed, **preflight})
        refused = await http.options(
            "/api/sessions", headers={"Origin": "https://evil.example", **preflight}
        )

    assert ok.headers["access-control-allow-origin"] == allowed
    assert "access-control-allow-origin" not in refused.headers


async def test_the_widget_the_demo_and_the_console_are_served(live: LiveApp) -> None:
    async with live.http() as http:
        widget = await http.get("/widget.js")
        demo = await http.get("/demo")
        console = await http.get("/console")
        home = await http.get("/")

    assert widget.status_code == 200
    assert "javascript" in widget.headers["content-type"]
    assert "/ws/investor" in widget.text
    assert demo.status_code == 200
    assert "widget.js" in demo.text
    assert console.status_code == 200
    assert "text/html" in console.headers["content-type"]
    assert home.status_code == 307
    assert home.headers["location"] == "/demo"


async def test_every_page_and_api_response_carries_the_security_headers(live: LiveApp) -> None:
    """Issue 12, finding 11: no CSP, X-Frame-Options or similar headers before."""
    preflight = {
        "Origin": live.settings.browser_origins[0],
        "Access-Control-Request-Method": "POST",
    }
    async with live.http() as http:
        responses = {
            "console": await http.get("/console"),
            "demo": await http.get("/demo"),
            "widget": await http.get("/widget.js"),
            "static": await http.get("/static/console.js"),
            "docs": await http.get("/docs"),
            "api error": await http.post("/api/sessions"),
            "console error": await http.get("/api/console/me"),
            "not found": await http.get("/nowhere"),
            "preflight": await http.options("/api/sessions", headers=preflight),
        }

    for name, response in responses.items():
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["x-frame-options"] == "DENY", name
        assert headers["referrer-policy"] == "same-origin", name
        assert "frame-ancestors 'none'" in headers["content-security-policy"], name
    page_policy = responses["console"].headers["content-security-policy"]
    assert "script-src 'self'" in page_policy and "unsafe-inline" not in page_policy
    assert responses["demo"].headers["content-security-policy"] == page_policy
    assert (
        responses["api error"].headers["content-security-policy"].startswith("default-src 'none'")
    )


async def test_a_campaign_reaches_a_connected_investor_in_its_segment(live: LiveApp) -> None:
    await live.acall(
        lambda runtime: runtime.staff.create_account(
            "admin-1", "运营小王", "campaign-pass-1", role=StaffRole.SUPERVISOR
        )
    )
    investor = await InvestorClient.open(live.ws_url, live.token("INV-1003"))
    admin = AgentClient(live)
    await admin.login("admin-1", "campaign-pass-1")
    response = await admin.http.post(
        "/api/admin/campaigns",
        json={
            "title": "系统升级通知",
            "text": "本周六凌晨系统升级，期间暂停交易外的业务办理。",
            "segment": {"investor_ids": ["INV-1003"]},
        },
    )
    suggestion = await investor.expect("suggestion")
    await investor.close()
    await admin.close()

    assert response.status_code == 200, response.text
    assert response.json()["targeted"] == 1
    assert response.json()["delivered_now"] == 1
    assert suggestion["kind"] == "campaign"
    assert suggestion["title"] == "系统升级通知"


async def test_the_demo_agent_keeps_its_password_until_the_file_is_gone(live: LiveApp) -> None:
    first = await live.acall(ensure_demo_agent)
    again = await live.acall(ensure_demo_agent)
    (live.settings.state_dir / "demo-agent.txt").unlink()
    renewed = await live.acall(ensure_demo_agent)
    agent = AgentClient(live)
    signed_in = await agent.login(*renewed)
    await agent.close()

    assert again == first
    assert renewed[0] == first[0] == "agent1"
    assert renewed[1] != first[1]
    assert signed_in["staff"]["username"] == "agent1"


async def test_the_console_is_told_what_to_call_each_hand_over_reason(live: LiveApp) -> None:
    await live.acall(
        lambda runtime: runtime.staff.create_account("agent-labels", "坐席小李", "labels-pass-1")
    )
    agent = AgentClient(live)
    signed_in = await agent.login("agent-labels", "labels-pass-1")
    me = (await agent.get("/me")).json()
    await agent.close()
    declared = {
        language: {reason.value: label for reason, label in labels.items()}
        for language, labels in REASON_LABELS.items()
    }

    assert signed_in["reason_labels"] == me["reason_labels"] == declared
    assert me["reason_labels"]["zh"]["requested_human"] == "主动要求人工"
    assert set(me["reason_labels"]["en"]) == {reason.value for reason in EscalationReason}


def test_canned_replies_are_read_with_both_languages(tmp_path) -> None:
    path = tmp_path / "canned.yaml"
    path.write_text(
        "replies:\n"
        "  - {id: hello, title: 问候, text: 您好, title_en: Greeting, text_en: Hello}\n"
        "  - {id: bye, title: 结束, text: 再见}\n",
        "utf-8",
    )

    replies = load_canned_replies(path)

    assert [(r.id, r.text, r.text_en) for r in replies] == [
        ("hello", "您好", "Hello"),
        ("bye", "再见", None),
    ]
    assert load_canned_replies(tmp_path / "missing.yaml") == []
