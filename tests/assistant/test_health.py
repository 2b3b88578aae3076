"""/healthz, /readyz and /metrics on the real app: what a load balancer and Prometheus see."""

from __future__ import annotations

import asyncio
import re
import threading
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from assistant.assembly import Assistant, build_assistant
from assistant.settings import Settings
from knowledge.errors import KnowledgeError
from tests.utils.live_app import (
    INTENT_CACHE_HOME,
    InvestorClient,
    LiveApp,
    app_settings,
    shared_assistant,
)
from tests.utils.processes import free_port, wait_until

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FAQ_ROWS = 30


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory, e5) -> Path:
    """A knowledge base of the first Chinese FAQ rows: enough for real answers, quick to ingest."""
    from knowledge.index import KnowledgeBase

    sheet_dir = tmp_path_factory.mktemp("small-faq")
    lines = (PROJECT_ROOT / "data/knowledge/faq_zh.csv").read_text("utf-8").splitlines()
    (sheet_dir / "faq_zh.csv").write_text("\n".join(lines[: FAQ_ROWS + 1]) + "\n", "utf-8")
    directory = tmp_path_factory.mktemp("small-kb")
    kb = KnowledgeBase(directory, e5)
    report = kb.ingest([sheet_dir])
    assert not report.failed and report.entries == FAQ_ROWS
    kb.close()
    return directory


def get(app: LiveApp, path: str, **kwargs) -> httpx.Response:
    return httpx.get(f"{app.base_url}{path}", timeout=30, **kwargs)


def sample(exposition: str, name: str, labels: str = "") -> float:
    """One sample's value from Prometheus' text format (0 when absent)."""
    pattern = rf"^{re.escape(name)}{re.escape(labels)} (\S+)$"
    found = re.search(pattern, exposition, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_readyz_is_not_ready_until_the_models_load(small_kb: Path, tmp_path: Path) -> None:
    loaded = threading.Event()

    def slow_build(_: Settings) -> Assistant:
        # Its own assistant: the app closes what it built when it stops.
        loaded.wait(120)
        return build_assistant(Settings(state_dir=INTENT_CACHE_HOME, kb_dir=small_kb))

    app = LiveApp(app_settings(tmp_path, small_kb), build=slow_build).start()
    try:
        alive = get(app, "/healthz")
        loading = get(app, "/readyz")
        api = httpx.post(f"{app.base_url}/api/dev/token", json={"investor_id": "INV-1001"})
        with pytest.raises(InvalidStatus):
            asyncio.run(connect(app.ws_url, open_timeout=10).__aenter__())

        loaded.set()
        wait_until(lambda: get(app, "/readyz").status_code == 200, timeout=120, what="readiness")
        ready = get(app, "/readyz")
    finally:
        loaded.set()
        app.stop()

    assert alive.status_code == 200 and alive.json() == {"status": "alive"}
    assert loading.status_code == 503
    assert loading.json() == {
        "ready": False,
        "checks": {"models": "loading", "database": "ok", "bus": "ok"},
    }
    assert api.status_code == 503 and api.json()["error"]["code"] == "starting"
    assert ready.json()["ready"] is True
    assert ready.json()["checks"] == {"models": "ready", "database": "ok", "bus": "ok"}
    assert ready.json()["models_loaded_in_s"] >= 0


def test_a_failed_start_is_reported_and_never_ready(small_kb: Path, tmp_path: Path) -> None:
    failures: list[BaseException] = []

    def broken_build(_: Settings) -> Assistant:
        raise KnowledgeError("the knowledge base is empty")

    app = LiveApp(
        app_settings(tmp_path, small_kb), build=broken_build, on_failed=failures.append
    ).start()
    try:
        wait_until(lambda: bool(failures), timeout=30, what="the failure to be reported")
        readiness = get(app, "/readyz")
    finally:
        app.stop()

    assert readiness.status_code == 503
    assert readiness.json()["checks"]["models"].startswith("failed: KnowledgeError")
    assert isinstance(failures[0], KnowledgeError)


@pytest.mark.redis
def test_readyz_reports_an_unreachable_bus(small_kb: Path, tmp_path: Path) -> None:
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"
    app = LiveApp(
        app_settings(tmp_path, small_kb, bus_url=nothing_there), shared_assistant(small_kb)
    ).start()
    try:
        readiness = get(app, "/readyz")
    finally:
        app.stop()

    assert readiness.status_code == 503
    assert readiness.json()["checks"] == {
        "models": "ready",
        "database": "ok",
        "bus": "unavailable",
    }


async def test_metrics_expose_the_turn_latency_histogram_after_a_turn(
    small_kb: Path, tmp_path: Path
) -> None:
    app = LiveApp(app_settings(tmp_path, small_kb), shared_assistant(small_kb)).start()
    try:
        async with httpx.AsyncClient(base_url=app.base_url, timeout=30) as http:
            before = (await http.get("/metrics")).text
            investor = await InvestorClient.open(app.ws_url, app.token("INV-1001"))
            connected = (await http.get("/metrics")).text
            await investor.say("m-1", "开户对年龄有什么要求？")
            reply = await investor.expect("reply", within=60)
            after = await http.get("/metrics")
            await investor.close()
            await asyncio.sleep(0.2)
            closed = (await http.get("/metrics")).text
    finally:
        app.stop()

    text = after.text
    assert after.headers["content-type"].startswith("text/plain")
    assert sample(before, "brokerdesk_turn_latency_seconds_count") == 0
    assert sample(text, "brokerdesk_turn_latency_seconds_count") == 1
    assert sample(text, "brokerdesk_turn_latency_seconds_bucket", '{le="+Inf"}') == 1
    assert sample(text, "brokerdesk_turn_latency_seconds_sum") > 0
    assert sample(text, "brokerdesk_turns_total", f'{{action="{reply["action"]}"}}') == 1
    assert sample(connected, "brokerdesk_websocket_connections", '{channel="investor"}') == 1
    assert sample(closed, "brokerdesk_websocket_connections", '{channel="investor"}') == 0
    assert sample(text, "brokerdesk_queue_depth") == 0
    assert "brokerdesk_escalations_total" in text or "# TYPE brokerdesk_escalations" in text
    assert "brokerdesk_pushes_total" in text
    # The retriever reuses the embedding the intent classifier made of the same question.
    assert sample(text, "brokerdesk_cache_hits_total", '{cache="question_embedding"}') >= 1
    assert 'brokerdesk_cache_hit_rate{cache="answer"}' in text
    assert sample(text, "brokerdesk_embedder_batched_questions_total") >= 1


async def test_an_escalation_is_counted_and_its_conversation_is_in_the_queue_depth(
    small_kb: Path, tmp_path: Path
) -> None:
    app = LiveApp(app_settings(tmp_path, small_kb), shared_assistant(small_kb)).start()
    try:
        investor = await InvestorClient.open(app.ws_url, app.token("INV-1002"))
        await investor.say("m-1", "转人工")
        reply = await investor.expect("reply", within=60)
        await investor.close()
        async with httpx.AsyncClient(base_url=app.base_url, timeout=30) as http:
            text = (await http.get("/metrics")).text
    finally:
        app.stop()

    assert reply["action"] == "escalate"
    assert sample(text, "brokerdesk_escalations_total", '{reason="requested_human"}') == 1
    assert sample(text, "brokerdesk_queue_depth") == 1
