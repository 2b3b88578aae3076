"""One investor websocket on the wire: frames out, frames in, each failure a typed error.

:class:`InvestorConnection` is what :class:`channels.investor_socket.InvestorSocket` reads and
writes through: sends are serialised, an error is an ``error`` frame with a stable code (fatal
ones close the socket), a client silent past the idle timeout is disconnected, and a frame
from the client is size-checked on its raw text, then parsed as JSON, then validated against
the discriminated union of client frames (:mod:`channels.protocol`). Any end of the
connection, from either side, is :class:`ClosedError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from channels.bus import Message
from channels.investor_handler import DEFAULT_FATAL_CLOSE
from channels.protocol import CLIENT_FRAME, CLIENT_TYPES, CLOSE_CODES, Error, ErrorCode

IDLE_CLOSE_CODE = 1001
"""Close code for a client that stopped sending pings ("going away")."""


class ClosedError(Exception):
    """The connection is over (either side); stop quietly."""


class InvestorConnection:
    """One websocket: serialised sends, typed errors, checked frames in, the highest seq sent."""

    def __init__(
        self, websocket: WebSocket, *, max_frame_bytes: int, idle_timeout_s: float
    ) -> None:
        self.websocket = websocket
        self.max_frame_bytes = max_frame_bytes
        self.idle_timeout_s = idle_timeout_s
        self.highest_seq = 0
        self.address = websocket.client.host if websocket.client else "unknown"
        self._send_lock = asyncio.Lock()
        self.closed = False

    async def send(self, frame: BaseModel | Message) -> None:
        payload = frame.model_dump(mode="json") if isinstance(frame, BaseModel) else frame
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        async with self._send_lock:
            if self.closed:
                raise ClosedError
            try:
                await self.websocket.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError) as exc:
                self.closed = True
                raise ClosedError from exc

    async def error(
        self,
        code: ErrorCode,
        message: str,
        *,
        client_msg_id: str | None = None,
        retry_after_s: float | None = None,
        fatal: bool = False,
        close_code: int | None = None,
    ) -> None:
        frame = Error(
            code=code,
            message=message,
            client_msg_id=client_msg_id,
            retry_after_s=retry_after_s,
            fatal=fatal,
        )
        with contextlib.suppress(ClosedError):
            await self.send(frame)
        if fatal:
            await self.close(close_code or CLOSE_CODES.get(code, DEFAULT_FATAL_CLOSE), code.value)
            raise ClosedError

    async def close(self, code: int, reason: str = "") -> None:
        async with self._send_lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await self.websocket.close(code, reason[:120])

    async def receive(self) -> str | bytes:
        """The next frame's raw text (or bytes); the idle timeout closes the connection."""
        try:
            async with asyncio.timeout(self.idle_timeout_s):
                message = await self.websocket.receive()
        except TimeoutError:
            await self.close(IDLE_CLOSE_CODE, "idle timeout")
            raise ClosedError from None
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            self.closed = True
            raise ClosedError from exc
        if message["type"] == "websocket.disconnect":
            self.closed = True
            raise ClosedError
        text = message.get("text")
        if text is not None:
            return str(text)
        return bytes(message.get("bytes") or b"")

    async def parse(self, raw: str | bytes, *, before_hello: bool) -> dict[str, Any]:
        """A JSON object with a ``type``, or ``{}`` once the client was told what was wrong."""
        size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8"))
        if size > self.max_frame_bytes:
            await self.error(
                ErrorCode.FRAME_TOO_LARGE,
                f"frames are limited to {self.max_frame_bytes} bytes",
                fatal=before_hello,
            )
            return {}
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            # RecursionError: nesting deeper than the parser's stack (``[[[[...]]]]``).
            await self.error(
                ErrorCode.BAD_FRAME,
                "frames are JSON objects",
                fatal=before_hello,
                close_code=DEFAULT_FATAL_CLOSE,
            )
            return {}
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            await self.error(
                ErrorCode.BAD_FRAME,
                'frames are JSON objects with a "type"',
                fatal=before_hello,
                close_code=DEFAULT_FATAL_CLOSE,
            )
            return {}
        return data

    async def validate(self, data: dict[str, Any], *, before_hello: bool) -> BaseModel | None:
        """The client frame ``data`` holds, or ``None`` once the client was told why not."""
        if not data:
            return None
        if data["type"] not in CLIENT_TYPES:
            await self.error(
                ErrorCode.UNKNOWN_TYPE,
                f"unknown frame type {str(data['type'])[:40]!r}",
                fatal=before_hello,
                close_code=DEFAULT_FATAL_CLOSE,
            )
            return None
        try:
            frame: BaseModel = CLIENT_FRAME.validate_python(data)
        except ValidationError as exc:
            await self.error(
                ErrorCode.BAD_FRAME,
                _describe(exc),
                client_msg_id=_client_msg_id(data),
                fatal=before_hello,
                close_code=DEFAULT_FATAL_CLOSE,
            )
            return None
        return frame


def _describe(exc: ValidationError) -> str:
    """Which fields are wrong, without echoing their values (they may hold personal data)."""
    problems: Sequence[str] = [
        f"{'.'.join(str(part) for part in error['loc'][1:]) or 'frame'}: {error['msg']}"
        for error in exc.errors(include_input=False, include_url=False)
    ]
    return "; ".join(problems[:5])


def _client_msg_id(data: dict[str, Any]) -> str | None:
    value = data.get("client_msg_id")
    return value if isinstance(value, str) and len(value) <= 64 else None
