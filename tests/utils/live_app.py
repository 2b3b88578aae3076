"""The real app on a loopback port, and a real websocket client for it.

``LiveApp`` runs ``create_app`` under uvicorn in a background thread with its
own event loop, as ``assistant serve`` does, so the tests talk to it over real
sockets. Code that must touch the app's own objects (its store, its service)
runs on the app's loop through :meth:`LiveApp.call`.

Building the assistant (E5, the intent classifier) is the slow part, so
:func:`shared_assistant` builds it once per test session and every app reuses it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from assistant.api.deps import Runtime
from assistant.app import create_app
from assistant.assembly import Assistant, build_assistant
from assistant.dialogue import DialoguePolicy
from assistant.llm import LlmComposer, build_chat_model
from assistant.persistence.records import ConversationStatus
from assistant.settings import Settings
from knowledge.index import KnowledgeBase
from tests.utils.files import write_csv
from tests.utils.processes import free_port, wait_until

T = TypeVar("T")


# Example embeddings of the intent catalogue are cached by content, so a cache that
# outlives the session only saves time (tens of seconds on a busy machine).
INTENT_CACHE_HOME = Path(__file__).resolve().parents[2] / "var" / "test-cache"


@cache
def shared_assistant(kb_dir: Path) -> Assistant:
    """One assistant per session, built as the app builds it (complaints reach the store)."""
    return build_assistant(Settings(state_dir=INTENT_CACHE_HOME, kb_dir=kb_dir))


def with_llm(assistant: Assistant, base_url: str, timeout_s: float = 10.0) -> Assistant:
    """The same assistant answering through the chat model at ``base_url``: answers
    stream as ``reply_chunk`` frames."""
    composer = LlmComposer(
        build_chat_model(base_url, "sk-test", "test-model", timeout_s), timeout_s=timeout_s
    )
    policy = assistant.policy
    with_model = DialoguePolicy(
        classifier=policy.classifier,
        catalogue=policy.catalogue,
        retrieve=policy.retrieve,
        guard=policy.guard,
        flows=policy.flows,
        composer=policy.composer,
        escalation=policy.escalation,
        llm=composer,
    )
    return dataclasses.replace(assistant, policy=with_model)


def app_settings(state_dir: Path, kb_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test app: its own SQLite file, no periodic or file-driven pushes."""
    port = overrides.pop("port", None) or free_port()
    values: dict[str, Any] = {
        "state_dir": state_dir,
        "kb_dir": kb_dir,
        "port": port,
        "push_poll_s": 0,
        "push_ipo_calendar": None,
        "push_holding_notices": None,
        "push_fraud_alerts": None,
        "push_portfolio_feed": None,
        "console_canned_replies": None,
    }
    values.update(overrides)
    return Settings(**values)


class LiveApp:
    """``create_app(settings)`` served on 127.0.0.1:``settings.port`` until :meth:`stop`."""

    def __init__(
        self,
        settings: Settings,
        assistant: Assistant | None = None,
        **app_options: Any,
    ) -> None:
        """``app_options``: more of :func:`create_app`'s keywords (``build``, ``on_failed``)."""
        self.settings = settings
        self.app = create_app(settings, assistant=assistant, **app_options)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.settings.port}/ws/investor"

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def start(self, timeout: float = 120.0) -> LiveApp:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.settings.port,
            log_level="warning",
            ws_max_size=max(4 * self.settings.max_frame_bytes, 65536),
            timeout_graceful_shutdown=5,
        )
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._serve(server),), name="live-app", daemon=True
        )
        self._thread.start()
        wait_until(lambda: server.started, timeout=timeout, what="the app to start")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._server = self._thread = None

    def call(self, work: Callable[[Runtime], Coroutine[Any, Any, T]], timeout: float = 30) -> T:
        """Run ``work(runtime)`` on the app's own event loop and return its result."""
        assert self._loop is not None, "the app is not running"
        future = asyncio.run_coroutine_threadsafe(work(self.runtime), self._loop)
        return future.result(timeout)

    async def acall(self, work: Callable[[Runtime], Coroutine[Any, Any, T]]) -> T:
        """:meth:`call` from a test's own event loop, without blocking it."""
        assert self._loop is not None, "the app is not running"
        future = asyncio.run_coroutine_threadsafe(work(self.runtime), self._loop)
        return await asyncio.wrap_future(future)

    def token(self, investor_id: str) -> str:
        return self.runtime.tokens.issue(investor_id)

    def http(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=30, **kwargs)

    async def _serve(self, server: uvicorn.Server) -> None:
        self._loop = asyncio.get_running_loop()
        await server.serve()


def faq_app(e5: Any, directories: pytest.TempPathFactory, **overrides: Any) -> LiveApp:
    """An app (not started) over a knowledge base of a few FAQ entries, for tests where what
    is asked does not matter; ``overrides`` as for :func:`app_settings`."""
    from tests.knowledge.test_index import ROWS

    sources = directories.mktemp("faq")
    write_csv(sources / "faq.csv", ROWS)
    kb_dir = directories.mktemp("kb")
    kb = KnowledgeBase(kb_dir, e5)
    kb.ingest([sources])
    kb.close()
    settings = app_settings(directories.mktemp("app"), kb_dir, **overrides)
    return LiveApp(settings, shared_assistant(kb_dir))


class InvestorClient:
    """A widget stand-in over a real websocket: sends frames, keeps what it received."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.received: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] = {}

    @classmethod
    async def open(
        cls,
        url: str,
        token: str,
        *,
        conversation_id: str | None = None,
        last_seq: int = 0,
        origin: str | None = None,
    ) -> InvestorClient:
        """Connect and say hello; the welcome is in :attr:`welcome`."""
        client = await cls.connect(url, origin=origin)
        hello: dict[str, Any] = {"type": "hello", "v": 1, "token": token, "last_seq": last_seq}
        if conversation_id is not None:
            hello["conversation_id"] = conversation_id
        await client.send(hello)
        client.welcome = await client.expect("welcome")
        return client

    @classmethod
    async def connect(cls, url: str, *, origin: str | None = None) -> InvestorClient:
        """Connect without saying anything."""
        connection = await connect(url, origin=origin, open_timeout=10)  # type: ignore[arg-type]
        return cls(connection)

    @property
    def conversation_id(self) -> str:
        return str(self.welcome["conversation_id"])

    async def send(self, frame: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(frame, ensure_ascii=False))

    async def say(self, client_msg_id: str, text: str) -> None:
        await self.send({"type": "message", "client_msg_id": client_msg_id, "text": text})

    async def recv(self, within: float = 20) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), within)
        frame: dict[str, Any] = json.loads(raw)
        self.received.append(frame)
        return frame

    async def expect(self, frame_type: str, within: float = 20, **fields: Any) -> dict[str, Any]:
        """Read until a frame of ``frame_type`` (with these field values) arrives; return it."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"no {frame_type} frame; got {self.types()}")
            frame = await self.recv(left)
            if frame["type"] == frame_type and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    def types(self) -> list[str]:
        return [frame["type"] for frame in self.received]

    def seqs(self) -> list[int]:
        return [frame["seq"] for frame in self.sequenced()]

    def sequenced(self) -> list[dict[str, Any]]:
        return [frame for frame in self.received if "seq" in frame and frame["type"] != "ack"]

    async def close(self) -> None:
        await self.connection.close()

    async def closed_with(self, within: float = 20) -> int | None:
        """Read until the server closes the socket; the close code it sent."""
        try:
            while True:
                await self.recv(within)
        except ConnectionClosed:
            pass
        await asyncio.wait_for(self.connection.wait_closed(), within)
        return self.connection.close_code


def queued_conversation(live: LiveApp, investor_id: str) -> str:
    """An investor who asked for a person over the investor REST API; the conversation id."""
    headers = {"Authorization": f"Bearer {live.token(investor_id)}"}
    with httpx.Client(base_url=live.base_url, headers=headers, timeout=60) as client:
        conversation_id = str(client.post("/api/sessions").json()["conversation_id"])
        sent = client.post(
            f"/api/conversations/{conversation_id}/messages",
            json={"client_msg_id": uuid.uuid4().hex, "text": "我要人工客服"},
        )
        sent.raise_for_status()
    assert [f["action"] for f in sent.json()["frames"] if f["type"] == "reply"] == ["escalate"]
    return conversation_id


def stored_status(live: LiveApp, conversation_id: str) -> ConversationStatus:
    async def read(runtime: Runtime) -> ConversationStatus:
        conversation = await runtime.store.conversations.get(conversation_id)
        assert conversation is not None
        return conversation.status

    return live.call(read)


async def until(check: Callable[[], Awaitable[bool]], within: float = 20) -> None:
    """Poll an async condition."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


class AgentClient:
    """An agent at the console: REST with the sign-in cookie, plus the console websocket."""

    def __init__(self, app: LiveApp | None = None, *, base_url: str | None = None) -> None:
        self.base_url = base_url or (app.base_url if app is not None else "")
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=30)
        self.socket: ClientConnection | None = None
        self.notices: list[dict[str, Any]] = []
        self.csrf_token = ""

    async def login(self, username: str, password: str) -> dict[str, Any]:
        response = await self.http.post(
            "/api/console/login", json={"username": username, "password": password}
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        # As the console does: every later change carries the session's CSRF token.
        self.csrf_token = str(body.get("csrf_token", ""))
        self.http.headers["X-CSRF-Token"] = self.csrf_token
        return body

    async def post(self, path: str, **body: Any) -> httpx.Response:
        return await self.http.post(f"/api/console{path}", json=body or None)

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(f"/api/console{path}", params=params or None)

    async def open_socket(self) -> dict[str, Any]:
        """Connect the console websocket; returns the first queue snapshot."""
        cookie = self.http.cookies.get("bd_staff")
        url = self.base_url.replace("http://", "ws://") + "/ws/console"
        self.socket = await connect(url, additional_headers={"Cookie": f"bd_staff={cookie}"})
        return await self.notice("queue")

    async def notice(self, kind: str, within: float = 20, **fields: Any) -> dict[str, Any]:
        """Read console notices until one of type ``kind`` (matching ``fields``) arrives."""
        assert self.socket is not None
        deadline = asyncio.get_running_loop().time() + within
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"no {kind} notice; got {[n['type'] for n in self.notices]}")
            notice: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), left))
            self.notices.append(notice)
            if notice["type"] == kind and all(notice.get(k) == v for k, v in fields.items()):
                return notice

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        await self.http.aclose()


class ServerLog(logging.Handler):
    """Every record the app and its server log while installed, uvicorn's own included
    (uvicorn's loggers do not propagate to the root, so they are watched directly)."""

    WATCHED = ("", "uvicorn", "uvicorn.error", "uvicorn.asgi")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> ServerLog:
        for name in self.WATCHED:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self.WATCHED:
            logging.getLogger(name).removeHandler(self)

    def tracebacks(self) -> list[str]:
        """Records that carry a traceback or report an unhandled error, as text."""
        return [
            f"{record.name}: {record.getMessage()}"
            for record in self.records
            if record.exc_info
            or "Traceback" in record.getMessage()
            or "Exception in ASGI application" in record.getMessage()
        ]
