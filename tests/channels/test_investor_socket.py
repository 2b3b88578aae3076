"""The investor websocket, end to end: the real app on a loopback port, a real
``websockets`` client, SQLite underneath. Delivery rules from channels/protocol.py:
stored before acknowledged, every sequenced frame exactly once across reconnects,
typed errors for every bad input."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from channels.protocol import CLOSE_CODES, SEQUENCED_FRAME, ErrorCode
from channels.tokens import SessionTokens
from tests.utils.live_app import (
    InvestorClient,
    LiveApp,
    ServerLog,
    app_settings,
    shared_assistant,
    with_llm,
)
from tests.utils.openai_server import OpenAIServer, Reply

QUESTION = "创业板怎么开通？"


@pytest.fixture(scope="module")
def assistant(sample_kb):
    return shared_assistant(sample_kb.directory)


@pytest.fixture(scope="module")
def live(assistant, sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    app = LiveApp(
        app_settings(tmp_path_factory.mktemp("socket-app"), sample_kb.directory), assistant
    )
    yield app.start()
    app.stop()


@pytest.fixture(scope="module")
def strict(assistant, sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    """Tight limits: three messages per connection, five per investor, a 1 s idle timeout."""
    settings = app_settings(
        tmp_path_factory.mktemp("strict-app"),
        sample_kb.directory,
        rate_connection_per_minute=3,
        rate_investor_per_minute=5,
        heartbeat_s=0.5,
    )
    app = LiveApp(settings, assistant)
    yield app.start()
    app.stop()


@pytest.fixture(scope="module")
def llm_server() -> Iterator[OpenAIServer]:
    server = OpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def streaming(assistant, llm_server, sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    """The same assistant with an LLM configured: answers stream as reply_chunks."""
    app = LiveApp(
        app_settings(tmp_path_factory.mktemp("streaming-app"), sample_kb.directory),
        with_llm(assistant, llm_server.base_url),
    )
    yield app.start()
    app.stop()


async def open_client(app: LiveApp, investor_id: str = "INV-1001", **hello) -> InvestorClient:
    return await InvestorClient.open(app.ws_url, app.token(investor_id), **hello)


def new_investor() -> str:
    return f"INV-T{time.monotonic_ns() % 10**9}"


def assert_exactly_once_in_order(frames: list[dict]) -> None:
    seqs = [frame["seq"] for frame in frames]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs


# delivery ---------------------------------------------------------------------------


async def test_a_message_is_acknowledged_then_echoed_masked_then_answered(live: LiveApp) -> None:
    client = await open_client(live, new_investor())
    assert client.welcome["last_seq"] == 0
    await client.say("m-1", f"{QUESTION}我的手机13812345678")

    ack = await client.expect("ack")
    echo = await client.expect("investor_message")
    reply = await client.expect("reply")
    await client.close()

    assert ack == {"type": "ack", "client_msg_id": "m-1", "seq": 1, "duplicate": False}
    assert echo["seq"] == 1
    assert "138****5678" in echo["text"]
    assert "13812345678" not in json.dumps(client.received, ensure_ascii=False)
    assert reply["seq"] == 2
    assert reply["reply_to"] == "m-1"
    assert reply["action"] == "answer"
    assert reply["sources"], "a knowledge answer cites its sources"
    assert client.types().index("ack") < client.types().index("investor_message")
    typing = [f for f in client.received if f["type"] == "typing"]
    assert typing[0] == {"type": "typing", "who": "bot", "active": True}
    for frame in client.sequenced():
        SEQUENCED_FRAME.validate_python(frame)  # every frame is a valid protocol frame


async def test_a_resent_message_is_acknowledged_as_a_duplicate_and_answered_once(
    live: LiveApp,
) -> None:
    client = await open_client(live, new_investor())
    await client.say("same-id", QUESTION)
    first = await client.expect("ack")
    await client.expect("reply")
    await client.say("same-id", QUESTION)
    second = await client.expect("ack")
    await client.send({"type": "ping", "nonce": "after"})
    await client.expect("pong", nonce="after")
    await client.close()

    assert second == {**first, "duplicate": True}
    assert [f["type"] for f in client.sequenced()] == ["investor_message", "reply"]


async def test_reconnecting_after_the_ack_delivers_the_reply_exactly_once(live: LiveApp) -> None:
    investor = new_investor()
    first = await open_client(live, investor)
    await first.say("m-1", QUESTION)
    ack = await first.expect("ack")
    await first.close()  # gone before the reply

    second = await open_client(
        live, investor, conversation_id=first.conversation_id, last_seq=ack["seq"]
    )
    reply = await second.expect("reply")
    await second.say("m-2", "手续费怎么收")
    await second.expect("reply", reply_to="m-2")
    await second.close()

    assert reply["reply_to"] == "m-1"
    assert second.welcome["conversation_id"] == first.conversation_id
    assert_exactly_once_in_order(second.sequenced())
    assert second.sequenced()[0]["seq"] == ack["seq"] + 1


async def test_resuming_replays_only_what_came_after_last_seq(live: LiveApp) -> None:
    investor = new_investor()
    first = await open_client(live, investor)
    for n in (1, 2):
        await first.say(f"m-{n}", QUESTION)
        await first.expect("reply", reply_to=f"m-{n}")
    await first.close()

    resumed = await open_client(live, investor, conversation_id=first.conversation_id, last_seq=2)
    replayed = [await resumed.recv() for _ in range(resumed.welcome["replaying"])]
    await resumed.close()

    assert resumed.welcome["last_seq"] == 4
    assert resumed.welcome["replaying"] == 2
    assert [(f["type"], f["seq"]) for f in replayed] == [("investor_message", 3), ("reply", 4)]


async def test_a_second_device_sees_the_same_conversation_live(live: LiveApp) -> None:
    investor = new_investor()
    phone = await open_client(live, investor)
    laptop = await open_client(live, investor, conversation_id=phone.conversation_id)
    await phone.say("from-phone", QUESTION)
    echo = await laptop.expect("investor_message")
    reply = await laptop.expect("reply")
    await phone.close()
    await laptop.close()

    assert echo["client_msg_id"] == "from-phone"
    assert reply["reply_to"] == "from-phone"


async def test_hello_without_a_conversation_continues_the_open_one(live: LiveApp) -> None:
    investor = new_investor()
    first = await open_client(live, investor)
    await first.say("m-1", QUESTION)
    await first.expect("reply")
    await first.close()

    again = await open_client(live, investor)
    replayed = [await again.recv() for _ in range(again.welcome["replaying"])]
    await again.close()

    assert again.conversation_id == first.conversation_id
    assert [f["seq"] for f in replayed] == [1, 2]


async def test_feedback_on_a_reply_is_stored(live: LiveApp) -> None:
    client = await open_client(live, new_investor())
    await client.say("m-1", QUESTION)
    reply = await client.expect("reply")
    await client.send({"type": "feedback", "seq": reply["seq"], "thumbs": "up"})
    await client.send({"type": "feedback", "seq": 999, "thumbs": "down"})
    refused = await client.expect("error")
    await client.close()

    async def stored(runtime):
        since = reply_time(reply)
        return await runtime.store.conversations.feedback_since(since)

    mine = [f for f in await live.acall(stored) if f.conversation_id == client.conversation_id]
    assert [(f.seq, f.thumbs) for f in mine] == [(reply["seq"], "up")]
    assert refused["code"] == "out_of_order"
    assert refused["fatal"] is False


def reply_time(frame: dict):
    from datetime import datetime, timedelta

    return datetime.fromisoformat(frame["at"]) - timedelta(seconds=5)


# what the server refuses ------------------------------------------------------------


async def fatal_error(client: InvestorClient) -> tuple[dict, int | None]:
    error = await client.expect("error")
    return error, await client.closed_with()


async def test_a_frame_before_hello_is_refused_and_the_socket_closed(live: LiveApp) -> None:
    client = await InvestorClient.connect(live.ws_url)
    await client.say("m-1", QUESTION)
    error, close_code = await fatal_error(client)

    assert error["code"] == "hello_required"
    assert error["fatal"] is True
    assert close_code == CLOSE_CODES[ErrorCode.HELLO_REQUIRED]


async def test_an_unsupported_protocol_version_is_refused(live: LiveApp) -> None:
    client = await InvestorClient.connect(live.ws_url)
    await client.send({"type": "hello", "v": 2, "token": live.token("INV-1001")})
    error, close_code = await fatal_error(client)

    assert error["code"] == "unsupported_version"
    assert close_code == CLOSE_CODES[ErrorCode.UNSUPPORTED_VERSION]


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        pytest.param(lambda app: "not-a-token", "unauthorized", id="malformed"),
        pytest.param(
            lambda app: SessionTokens("someone-elses-secret").issue("INV-1001"),
            "unauthorized",
            id="forged",
        ),
        pytest.param(
            lambda app: SessionTokens(
                app.settings.secret_key.get_secret_value(), clock=lambda: time.time() - 7200
            ).issue("INV-1001"),
            "token_expired",
            id="expired",
        ),
    ],
)
async def test_a_bad_token_is_refused_and_the_socket_closed(
    live: LiveApp, make_token, code
) -> None:
    client = await InvestorClient.connect(live.ws_url)
    await client.send({"type": "hello", "token": make_token(live)})
    error, close_code = await fatal_error(client)

    assert error["code"] == code
    assert close_code == 4401


async def test_someone_elses_conversation_is_forbidden(live: LiveApp) -> None:
    owner = await open_client(live, new_investor())
    await owner.close()
    intruder = await InvestorClient.connect(live.ws_url)
    await intruder.send(
        {
            "type": "hello",
            "token": live.token(new_investor()),
            "conversation_id": owner.conversation_id,
        }
    )
    error, close_code = await fatal_error(intruder)

    assert error["code"] == "forbidden"
    assert close_code == 4403
    assert not intruder.sequenced()


async def test_an_unknown_conversation_is_not_found(live: LiveApp) -> None:
    client = await InvestorClient.connect(live.ws_url)
    await client.send(
        {"type": "hello", "token": live.token("INV-1001"), "conversation_id": "no-such-thing"}
    )
    error, close_code = await fatal_error(client)

    assert error["code"] == "not_found"
    assert close_code == 4404


async def test_a_last_seq_beyond_the_servers_is_out_of_order(live: LiveApp) -> None:
    investor = new_investor()
    first = await open_client(live, investor)
    await first.close()
    client = await InvestorClient.connect(live.ws_url)
    await client.send(
        {
            "type": "hello",
            "token": live.token(investor),
            "conversation_id": first.conversation_id,
            "last_seq": 50,
        }
    )
    error, close_code = await fatal_error(client)

    assert error["code"] == "out_of_order"
    assert close_code == 4409


async def test_an_origin_that_is_not_allowed_is_refused(live: LiveApp) -> None:
    client = await InvestorClient.connect(live.ws_url, origin="https://evil.example")
    error, close_code = await fatal_error(client)

    assert error["code"] == "forbidden"
    assert close_code == 4403


async def test_an_allowed_origin_may_connect(live: LiveApp) -> None:
    client = await InvestorClient.open(
        live.ws_url, live.token("INV-1001"), origin=live.settings.browser_origins[0]
    )
    await client.close()

    assert client.welcome["investor_id"] == "INV-1001"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param("{not json", "bad_frame", id="invalid-json"),
        pytest.param("[1, 2]", "bad_frame", id="not-an-object"),
        pytest.param('{"type": "shout", "text": "hi"}', "unknown_type", id="unknown-type"),
        pytest.param(
            '{"type": "message", "client_msg_id": "m-1", "text": ""}', "bad_frame", id="empty-text"
        ),
        pytest.param(
            '{"type": "message", "client_msg_id": "m 1", "text": "hi", "extra": 1}',
            "bad_frame",
            id="invalid-fields",
        ),
        pytest.param(
            json.dumps({"type": "message", "client_msg_id": "m-1", "text": "好" * 6000}),
            "frame_too_large",
            id="over-max-frame-bytes",
        ),
        pytest.param('{"type": "hello", "token": "again"}', "hello_required", id="second-hello"),
    ],
)
async def test_a_bad_frame_gets_a_typed_error_and_the_connection_survives(
    live: LiveApp, raw: str, code: str
) -> None:
    client = await open_client(live, new_investor())
    await client.connection.send(raw)
    error = await client.expect("error")
    await client.send({"type": "ping", "nonce": "still-there"})
    pong = await client.expect("pong")
    await client.close()

    assert error["code"] == code
    assert error["fatal"] is False
    assert pong["nonce"] == "still-there"
    assert not client.sequenced(), "nothing was stored"


DEEPLY_NESTED = "[" * 2000 + "]" * 2000  # 4,000 bytes: well within the frame size limit


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(DEEPLY_NESTED, id="array"),
        pytest.param('{"type": "message", "x": ' + DEEPLY_NESTED + "}", id="inside-a-frame"),
    ],
)
async def test_json_nested_2000_deep_after_hello_is_a_bad_frame_and_logs_nothing(
    live: LiveApp, raw: str
) -> None:
    client = await open_client(live, new_investor())
    with ServerLog() as log:
        await client.connection.send(raw)
        error = await client.expect("error")
        await client.send({"type": "ping", "nonce": "alive"})
        pong = await client.expect("pong")
    await client.close()

    assert (error["code"], error["fatal"]) == ("bad_frame", False)
    assert pong["nonce"] == "alive"
    assert log.tracebacks() == []


async def test_json_nested_2000_deep_before_hello_is_a_bad_frame_and_logs_nothing(
    live: LiveApp,
) -> None:
    client = await InvestorClient.connect(live.ws_url)
    with ServerLog() as log:
        await client.connection.send(DEEPLY_NESTED)
        error = await client.expect("error")
        close_code = await client.closed_with()

    assert (error["code"], error["fatal"]) == ("bad_frame", True)
    assert close_code == 4400, "a typed refusal, not 1011"
    assert log.tracebacks() == []


async def test_the_size_limit_is_checked_on_the_raw_frame_before_parsing(live: LiveApp) -> None:
    client = await open_client(live, new_investor())
    await client.connection.send("x" * (live.settings.max_frame_bytes + 1))  # not even JSON
    error = await client.expect("error")
    await client.close()

    assert error["code"] == "frame_too_large"


async def test_an_invalid_message_names_the_client_msg_id(live: LiveApp) -> None:
    client = await open_client(live, new_investor())
    await client.send({"type": "message", "client_msg_id": "m-9", "text": "x" * 2001})
    error = await client.expect("error")
    await client.close()

    assert error["code"] == "bad_frame"
    assert error["client_msg_id"] == "m-9"
    assert "text" in error["message"]
    assert "xxxx" not in error["message"], "the refused text is not echoed back"


# limits ---------------------------------------------------------------------------


async def test_too_many_messages_on_one_connection_are_refused_not_stored(strict: LiveApp) -> None:
    client = await open_client(strict, new_investor())
    for n in range(1, 5):
        await client.say(f"m-{n}", QUESTION)
    error = await client.expect("error")
    acks = [f for f in client.received if f["type"] == "ack"]
    while len(acks) < 3:
        acks.append(await client.expect("ack"))
    await client.send({"type": "ping"})
    await client.expect("pong")
    await client.close()

    transcript = await strict.acall(
        lambda runtime: runtime.conversations.frames_after(client.conversation_id, 0)
    )
    assert error["code"] == "rate_limited"
    assert error["client_msg_id"] == "m-4"
    assert error["retry_after_s"] > 0
    assert error["fatal"] is False
    assert [a["client_msg_id"] for a in acks] == ["m-1", "m-2", "m-3"]
    stored = {f.get("client_msg_id") for f in transcript if f["type"] == "investor_message"}
    assert stored == {"m-1", "m-2", "m-3"}


async def test_the_investor_limit_spans_connections(strict: LiveApp) -> None:
    investor = new_investor()
    first = await open_client(strict, investor)
    second = await open_client(strict, investor, conversation_id=first.conversation_id)
    for n in range(3):
        await first.say(f"a-{n}", QUESTION)
    # The server reads the two connections concurrently: wait until all of the first
    # connection's messages are counted, or some of the second's may be counted before them.
    for n in range(3):
        await first.expect("ack", client_msg_id=f"a-{n}")
    for n in range(3):
        await second.say(f"b-{n}", QUESTION)
    error = await second.expect("error")
    await first.close()
    await second.close()

    assert error["code"] == "rate_limited"
    assert error["client_msg_id"] == "b-2"


async def test_a_silent_client_is_disconnected_after_two_heartbeats(strict: LiveApp) -> None:
    client = await open_client(strict, new_investor())
    started = time.monotonic()
    close_code = await client.closed_with(within=10)

    assert close_code == 1001
    assert 0.9 <= time.monotonic() - started < 5


async def test_a_client_that_pings_stays_connected(strict: LiveApp) -> None:
    client = await open_client(strict, new_investor())
    for _ in range(5):
        await asyncio.sleep(0.3)
        await client.send({"type": "ping"})
        await client.expect("pong")
    await client.close()


# storage outage ---------------------------------------------------------------------


async def test_a_storage_outage_refuses_the_message_without_ack_and_a_resend_succeeds(
    live: LiveApp,
) -> None:
    client = await open_client(live, new_investor())
    database = Path(live.settings.database.split("///", 1)[1])
    blocker = sqlite3.connect(database, timeout=10, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        await client.say("m-1", QUESTION)
        error = await client.expect("error", within=30)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await client.say("m-1", QUESTION)
    ack = await client.expect("ack")
    await client.expect("reply")
    await client.close()

    assert error["code"] == "storage_unavailable"
    assert error["client_msg_id"] == "m-1"
    assert "ack" not in client.types()[: client.types().index("error")]
    assert ack == {"type": "ack", "client_msg_id": "m-1", "seq": 1, "duplicate": False}


# streaming --------------------------------------------------------------------------


async def test_an_llm_answer_streams_as_chunks_before_the_whole_reply(
    streaming: LiveApp, llm_server: OpenAIServer
) -> None:
    llm_server.script = Reply("开通创业板需要满足资产和交易经验要求[1]。", pieces=5)
    client = await open_client(streaming, new_investor())
    await client.say("m-1", QUESTION)
    reply = await client.expect("reply")
    await client.close()

    chunks = [f for f in client.received if f["type"] == "reply_chunk"]
    assert len(chunks) == 5
    assert [c["index"] for c in chunks] == list(range(5))
    assert {c["stream_id"] for c in chunks} == {reply["stream_id"]}
    assert "".join(c["delta"] for c in chunks) in reply["text"]
    assert reply["sources"]


async def test_dropping_the_socket_mid_stream_loses_nothing_on_resume(
    streaming: LiveApp, llm_server: OpenAIServer
) -> None:
    llm_server.script = Reply(
        "开通创业板需要满足资产和交易经验要求[1]。", pieces=6, piece_delay_s=0.2
    )
    investor = new_investor()
    first = await open_client(streaming, investor)
    await first.say("m-1", QUESTION)
    await first.expect("reply_chunk")
    seen = first.seqs()
    await first.close()

    second = await open_client(
        streaming, investor, conversation_id=first.conversation_id, last_seq=max(seen)
    )
    reply = await second.expect("reply")
    await second.close()

    assert reply["reply_to"] == "m-1"
    assert seen + second.seqs() == [1, 2]


async def test_a_failed_stream_is_reset_and_the_grounded_answer_follows(
    streaming: LiveApp, llm_server: OpenAIServer
) -> None:
    from tests.utils.openai_server import BrokenStream

    llm_server.script = BrokenStream(raw="data: {not json}\n\n", text_before="开通创业板")
    client = await open_client(streaming, new_investor())
    await client.say("m-1", QUESTION)
    reply = await client.expect("reply")
    await client.close()

    chunks = [f for f in client.received if f["type"] == "reply_chunk"]
    assert chunks[-1]["reset"] is True
    assert reply["sources"], "the grounded answer cites the FAQ"
    assert "创业板" in reply["text"]
