"""A local OpenAI-compatible chat-completions server for tests.

It speaks the wire protocol of ``POST /v1/chat/completions`` as the OpenAI
API does (a JSON body for ``stream=false``; Server-Sent Events of
``chat.completion.chunk`` objects ending in ``data: [DONE]`` for
``stream=true``), so the real ``ChatOpenAI`` client is exercised over a real
socket. Each test scripts what the server does next (a reply, a stall, an
HTTP error, a broken stream), for every request or chosen per request, and
reads back the requests it received.

It runs uvicorn in a background thread (:class:`~tests.utils.loopback_server.LoopbackServer`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.utils.loopback_server import LoopbackServer
from tests.utils.processes import free_port


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def content_of(self, role: str) -> str:
        """The text of every message with ``role``, joined: what the model was told."""
        return "\n".join(str(m.get("content", "")) for m in self.messages if m.get("role") == role)


ReplyText = str | Callable[[RecordedRequest], str]


@dataclass(frozen=True)
class Reply:
    """Answer with ``text`` (or what a function of the request returns).

    ``pieces`` splits the text into that many stream chunks; ``first_byte_delay_s``
    stalls before the response starts and ``piece_delay_s`` between chunks, so a
    test can be slower than the client's timeout before or during streaming.
    """

    text: ReplyText
    pieces: int = 4
    first_byte_delay_s: float = 0.0
    piece_delay_s: float = 0.0
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Failure:
    """Refuse the request with an HTTP error and an OpenAI-style error body."""

    status: int = 500
    message: str = "The server had an error while processing your request."
    error_type: str = "server_error"


@dataclass(frozen=True)
class BrokenStream:
    """Start a normal stream, then send ``raw`` (bytes on the wire, not an event).

    ``raw`` is sent as is, so a test chooses how the stream breaks: undecodable
    JSON in a ``data:`` line, a chunk of the wrong shape, or an end without
    ``[DONE]`` and without a finish reason (``raw=""``).
    """

    raw: str
    text_before: str = "部分回答"


Script = Reply | Failure | BrokenStream
ScriptFor = Callable[[RecordedRequest], Script]
"""Chooses what to do per request, e.g. by the prompt, when one test needs several behaviours."""


@dataclass
class OpenAIServer(LoopbackServer):
    """Serves the scripted behaviour on ``127.0.0.1:<free port>`` until stopped."""

    thread_name = "OpenAI test server"

    script: Script | ScriptFor = field(default_factory=lambda: Reply("OK"))
    model: str = "test-model"
    port: int = field(default_factory=free_port)
    requests: list[RecordedRequest] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """What ``ChatOpenAI(base_url=...)`` takes: the API root including ``/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat_completions(request: Request) -> Response:
            body = await request.json()
            recorded = RecordedRequest(request.url.path, dict(request.headers), body)
            self.requests.append(recorded)
            script = self.script(recorded) if callable(self.script) else self.script
            if isinstance(script, Failure):
                return JSONResponse(
                    {
                        "error": {
                            "message": script.message,
                            "type": script.error_type,
                            "param": None,
                            "code": None,
                        }
                    },
                    status_code=script.status,
                )
            stream = bool(body.get("stream"))
            if isinstance(script, BrokenStream):
                return _sse(self._broken(script))
            text = script.text(recorded) if callable(script.text) else script.text
            await self._pause(script.first_byte_delay_s)
            if not stream:
                return JSONResponse(self._completion(text, script.finish_reason))
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return _sse(self._stream(text, script, include_usage))

        return app

    def _envelope(self, obj: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": obj,
            "created": int(time.time()),
            "model": self.model,
            "system_fingerprint": "fp_test",
        }

    def _completion(self, text: str, finish_reason: str) -> dict[str, Any]:
        return {
            **self._envelope("chat.completion"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": _usage(text),
        }

    def _chunk(self, envelope: dict[str, Any], delta: dict[str, Any], finish: str | None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _event({**envelope, "choices": [choice]})

    async def _stream(self, text: str, script: Reply, include_usage: bool) -> AsyncIterator[str]:
        envelope = self._envelope("chat.completion.chunk")
        yield self._chunk(envelope, {"role": "assistant", "content": "", "refusal": None}, None)
        for piece in _split(text, script.pieces):
            await self._pause(script.piece_delay_s)
            yield self._chunk(envelope, {"content": piece}, None)
        yield self._chunk(envelope, {}, script.finish_reason)
        if include_usage:
            yield _event({**envelope, "choices": [], "usage": _usage(text)})
        yield "data: [DONE]\n\n"

    async def _broken(self, script: BrokenStream) -> AsyncIterator[str]:
        envelope = self._envelope("chat.completion.chunk")
        yield self._chunk(envelope, {"role": "assistant", "content": ""}, None)
        yield self._chunk(envelope, {"content": script.text_before}, None)
        if script.raw:
            yield script.raw


def _sse(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _usage(text: str) -> dict[str, int]:
    completion = max(1, len(text) // 2)
    return {"prompt_tokens": 100, "completion_tokens": completion, "total_tokens": 100 + completion}


def _split(text: str, pieces: int) -> Iterator[str]:
    """``text`` in ``pieces`` consecutive slices (fewer when it is shorter)."""
    size = max(1, -(-len(text) // max(1, pieces)))
    for start in range(0, len(text), size):
        yield text[start : start + size]
