"""One conversation on two server processes: PostgreSQL, Redis and two `assistant serve`s.

The turns of a conversation are serialised over processes, so the state one turn writes is
the state the next one reads, whichever process runs it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from assistant.redis_namespace import default_redis_namespace
from tests.utils.databases import migrated_postgres_database
from tests.utils.live_app import INTENT_CACHE_HOME, InvestorClient
from tests.utils.processes import ServerProcess, shared_deployment_env
from tests.utils.redis_server import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

# Neither is a brokerage question: two in a row hand the investor to a person.
UNANSWERABLE = ("帮我写一首关于秋天的诗", "推荐一个周末去爬山的地方")


@dataclass
class Deployment:
    servers: list[ServerProcess]
    redis_url: str
    database_url: str


@pytest.fixture(scope="module")
def deployment(sample_kb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    logs = tmp_path_factory.mktemp("two-servers")
    with migrated_postgres_database() as database_url:
        redis = RedisServer().start()
        env = shared_deployment_env(
            kb_dir=sample_kb.directory,
            state_dir=INTENT_CACHE_HOME,
            database_url=database_url,
            bus_url=redis.url,
        )
        env["BROKERDESK_TURN_SWEEP_S"] = "0"
        servers: list[ServerProcess] = []
        try:
            for name in ("a", "b"):  # one after the other: the second loads what the first trained
                servers.append(ServerProcess(env, logs / f"server-{name}.log"))
                servers[-1].wait_ready()
            yield Deployment(servers, redis.url, database_url)
        finally:
            for server in servers:
                server.stop()
            redis.stop()


async def _investor_on_both(
    server_a: ServerProcess, server_b: ServerProcess
) -> tuple[InvestorClient, InvestorClient]:
    """One investor with two devices: a socket on each process, one conversation."""
    investor_id = f"INV-SCALE-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=server_a.base_url, timeout=30) as http:
        token = (await http.post("/api/dev/token", json={"investor_id": investor_id})).json()
    phone = await InvestorClient.open(
        server_a.base_url.replace("http", "ws") + "/ws/investor", token["token"]
    )
    tablet = await InvestorClient.open(
        server_b.base_url.replace("http", "ws") + "/ws/investor",
        token["token"],
        conversation_id=phone.conversation_id,
    )
    return phone, tablet


async def _replies(client: InvestorClient, count: int) -> list[dict[str, object]]:
    return [await client.expect("reply", within=60) for _ in range(count)]


async def _race(server_a: ServerProcess, server_b: ServerProcess) -> list[str]:
    phone, tablet = await _investor_on_both(server_a, server_b)
    try:
        await asyncio.gather(
            phone.say("phone-1", UNANSWERABLE[0]), tablet.say("tablet-1", UNANSWERABLE[1])
        )
        replies = await _replies(phone, 2)
    finally:
        await phone.close()
        await tablet.close()
    return sorted(str(reply["action"]) for reply in replies)


def test_two_devices_on_two_processes_escalate_after_two_unanswerable_messages(
    deployment: Deployment,
) -> None:
    server_a, server_b = deployment.servers
    for _ in range(3):
        # Whichever turn runs second sees the first's low-confidence streak and hands over.
        assert asyncio.run(_race(server_a, server_b)) == ["answer", "escalate"]


async def _flow_alternating(server_a: ServerProcess, server_b: ServerProcess) -> list[str]:
    phone, tablet = await _investor_on_both(server_a, server_b)
    texts: list[str] = []
    try:
        for n, (device, text) in enumerate(
            [(phone, "我想开户"), (tablet, "30"), (phone, "二代身份证"), (tablet, "有")]
        ):
            await device.say(f"step-{n}", text)
            reply = await device.expect("reply", within=60, reply_to=f"step-{n}")
            texts.append(str(reply["text"]))
    finally:
        await phone.close()
        await tablet.close()
    return texts


def test_a_flow_keeps_its_answers_when_its_turns_alternate_between_processes(
    deployment: Deployment,
) -> None:
    texts = asyncio.run(_flow_alternating(*deployment.servers))
    assert "请问您今年多大" in texts[0]
    assert "哪种证件" in texts[1]  # the age given on B was kept by the flow started on A
    assert "一类银行卡" in texts[2]
    assert "风险承受能力测评" in texts[3]


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path) -> None:
    import subprocess

    from tests.utils.processes import ASSISTANT

    refused = subprocess.run(
        [ASSISTANT, "serve", "--workers", "2"],
        env={**os.environ, "BROKERDESK_STATE_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 2
    assert "SQLite serves one process only" in refused.stderr


async def _channels_heard(deployment: Deployment) -> list[str]:
    """Every Redis channel a conversation's events went out on."""
    probe = Redis.from_url(deployment.redis_url)
    listener = probe.pubsub()
    await listener.psubscribe("*")
    try:
        await _flow_alternating(*deployment.servers)
        channels: list[str] = []
        while (message := await listener.get_message(timeout=0.5)) is not None:
            if message["type"] == "pmessage":
                channels.append(message["channel"].decode())
        return channels
    finally:
        await listener.aclose()
        await probe.aclose()


def test_everything_the_deployment_publishes_is_in_its_database_s_namespace(
    deployment: Deployment,
) -> None:
    namespace = default_redis_namespace(deployment.redis_url, deployment.database_url)
    channels = asyncio.run(_channels_heard(deployment))
    assert channels, "the conversation's events went over Redis"
    # A deployment on another database (another namespace) subscribes to none of these.
    assert all(channel.startswith(namespace) for channel in channels), set(channels)
