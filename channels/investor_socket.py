"""The investor websocket transport: frames in, frames out, no dialogue rules.

One :class:`InvestorSocket` serves every connection of ``/ws/investor``. Per
connection it enforces what the protocol (:mod:`channels.protocol`) promises
and the dialogue must not have to know about:

- the ``Origin`` header, when a browser sends one, must be allowed;
- every frame is size-checked on the raw text before it is parsed, then parsed
  as JSON, then validated against the discriminated union of client frames;
  each failure is a typed ``error`` frame with a stable code;
- the first frame is ``hello`` in a supported version with a valid token;
- a client silent for twice ``heartbeat_s`` is disconnected;
- frames that write (messages, feedback) are rate limited per connection, per
  investor, per client address and globally, and hellos per investor and address
  (:class:`channels.ratelimit.WriteLimits`); a refused message is neither stored nor
  acknowledged, and the connection stays open; typing notices beyond their limit
  are dropped;
- JSON nested too deeply to parse is a ``bad_frame`` like any other unparsable frame;
- delivery: subscribe to the conversation's topic first, then replay the
  backlog from the store, then forward live frames, skipping every seq already
  sent and filling any gap from the store, so the client sees each sequenced
  frame exactly once and in order.

What a message *means* is the :class:`InvestorHandler`'s business (the
assistant's conversation service implements it). The handler refuses with
:class:`RefusedError`, which carries the protocol's error code; both are in
:mod:`channels.investor_handler`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from channels.bus import Bus, Message
from channels.errors import BusError, TokenError
from channels.investor_handler import (
    DEFAULT_FATAL_CLOSE,
    InvestorHandler,
    OpenedConversation,
    RefusedError,
    VerifyToken,
)
from channels.protocol import (
    CLIENT_FRAME,
    CLIENT_TYPES,
    CLOSE_CODES,
    PROTOCOL_VERSION,
    ClientTyping,
    Error,
    ErrorCode,
    Feedback,
    Hello,
    Mute,
    Opened,
    Ping,
    Pong,
    UserMessage,
    Welcome,
)
from channels.ratelimit import RateDecision, WriteLimits
from channels.topics import conversation_topic

logger = logging.getLogger(__name__)

IDLE_CLOSE_CODE = 1001
"""Close code for a client that stopped sending pings ("going away")."""


@dataclass(frozen=True)
class InvestorSocketConfig:
    allowed_origins: frozenset[str]
    max_frame_bytes: int
    heartbeat_s: float

    @property
    def idle_timeout_s(self) -> float:
        return 2 * self.heartbeat_s


class _ClosedError(Exception):
    """The connection is over (either side); stop quietly."""


class _Connection:
    """One websocket: serialised sends, typed errors, the highest seq delivered."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.highest_seq = 0
        self.address = "unknown"
        self._send_lock = asyncio.Lock()
        self.closed = False

    async def send(self, frame: BaseModel | Message) -> None:
        payload = frame.model_dump(mode="json") if isinstance(frame, BaseModel) else frame
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        async with self._send_lock:
            if self.closed:
                raise _ClosedError
            try:
                await self.websocket.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError) as exc:
                self.closed = True
                raise _ClosedError from exc

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
        with contextlib.suppress(_ClosedError):
            await self.send(frame)
        if fatal:
            await self.close(close_code or CLOSE_CODES.get(code, DEFAULT_FATAL_CLOSE), code.value)
            raise _ClosedError

    async def close(self, code: int, reason: str = "") -> None:
        async with self._send_lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await self.websocket.close(code, reason[:120])


class InvestorSocket:
    """Serves ``/ws/investor`` connections; one instance for the whole app."""

    def __init__(
        self,
        *,
        handler: InvestorHandler,
        bus: Bus,
        verify_token: VerifyToken,
        config: InvestorSocketConfig,
        limits: WriteLimits,
    ) -> None:
        self.handler = handler
        self.bus = bus
        self.verify_token = verify_token
        self.config = config
        self.limits = limits

    async def serve(self, websocket: WebSocket) -> None:
        """Run one connection until either side closes it."""
        origin = websocket.headers.get("origin")
        await websocket.accept()
        connection = _Connection(websocket)
        connection.address = websocket.client.host if websocket.client else "unknown"
        connection_key = uuid.uuid4().hex
        try:
            # Browsers always send Origin; other clients cannot be stopped by it anyway.
            if origin is not None and origin not in self.config.allowed_origins:
                await connection.error(
                    ErrorCode.FORBIDDEN, "this origin may not open the chat", fatal=True
                )
            hello = await self._hello(connection)
            conversation = await self._open(connection, hello)
            await self._run(connection, conversation, hello, connection_key)
        except _ClosedError:
            pass
        except Exception:
            logger.exception("investor socket failed")
            with contextlib.suppress(_ClosedError):
                await connection.error(ErrorCode.INTERNAL, "something went wrong", fatal=True)
        finally:
            await connection.close(1000)

    async def _hello(self, connection: _Connection) -> Hello:
        raw = await self._receive(connection)
        data = await self._parse(connection, raw, before_hello=True)
        if data.get("type") != "hello":
            await connection.error(
                ErrorCode.HELLO_REQUIRED, "the first frame must be hello", fatal=True
            )
        if data.get("v", PROTOCOL_VERSION) != PROTOCOL_VERSION:
            await connection.error(
                ErrorCode.UNSUPPORTED_VERSION,
                f"this server speaks protocol version {PROTOCOL_VERSION}",
                fatal=True,
            )
        frame = await self._validate(connection, data, before_hello=True)
        assert isinstance(frame, Hello)
        return frame

    async def _open(self, connection: _Connection, hello: Hello) -> OpenedConversation:
        try:
            investor_id = self.verify_token(hello.token)
        except TokenError as exc:
            await connection.error(
                ErrorCode(exc.code), exc.message, fatal=True, close_code=exc.close_code
            )
            raise  # unreachable: a fatal error raises _ClosedError
        decision = await self.limits.session(investor_id, connection.address)
        if not decision.allowed:
            await connection.error(
                ErrorCode.RATE_LIMITED,
                _too_many("sessions", decision),
                retry_after_s=round(decision.retry_after_s, 2),
                fatal=True,
            )
        try:
            return await self.handler.open(investor_id, hello)
        except RefusedError as refusal:
            await connection.error(
                refusal.error_code, refusal.message, fatal=True, close_code=refusal.close_code
            )
            raise

    async def _run(
        self,
        connection: _Connection,
        conversation: OpenedConversation,
        hello: Hello,
        connection_key: str,
    ) -> None:
        topic = conversation_topic(conversation.conversation_id)
        try:
            async with self.bus.subscribe(topic) as live:
                # Subscribed first: anything stored from now on also arrives live,
                # and the seq check below drops what the backlog already carried.
                after = hello.last_seq if hello.conversation_id else 0
                backlog = await self._backlog(connection, conversation, after)
                newest = max([conversation.last_seq, *(int(f["seq"]) for f in backlog)])
                await connection.send(
                    Welcome(
                        conversation_id=conversation.conversation_id,
                        investor_id=conversation.investor_id,
                        last_seq=newest,
                        replaying=len(backlog),
                        agent_name=conversation.agent_name,
                        heartbeat_s=self.config.heartbeat_s,
                        max_frame_bytes=self.config.max_frame_bytes,
                    )
                )
                connection.highest_seq = after
                for frame in backlog:
                    await self._deliver(connection, conversation, frame)
                await self.handler.connected(conversation)
                try:
                    await self._pump_and_read(connection, conversation, live, connection_key)
                finally:
                    await self.handler.disconnected(conversation)
        except BusError as exc:
            # Lost live events: the client reconnects and resumes from the store.
            logger.warning("investor socket closing: %s", exc.code)
            await connection.close(exc.close_code, exc.code)

    async def _pump_and_read(
        self,
        connection: _Connection,
        conversation: OpenedConversation,
        live: AsyncIterator[Message],
        connection_key: str,
    ) -> None:
        pump = asyncio.create_task(self._pump(connection, conversation, live))
        reader = asyncio.create_task(self._read(connection, conversation, connection_key))
        try:
            done, _ = await asyncio.wait({pump, reader}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # re-raise BusError; _ClosedError ends quietly
        except _ClosedError:
            pass
        finally:
            for task in (pump, reader):
                task.cancel()
            await asyncio.gather(pump, reader, return_exceptions=True)

    async def _pump(
        self,
        connection: _Connection,
        conversation: OpenedConversation,
        live: AsyncIterator[Message],
    ) -> None:
        async for message in live:
            await self._deliver(connection, conversation, message)
        raise _ClosedError  # the bus closed: the server is shutting down

    async def _deliver(
        self, connection: _Connection, conversation: OpenedConversation, frame: Message
    ) -> None:
        """Send one frame; a sequenced one only if new, after any frames missing before it."""
        seq = frame.get("seq")
        if not isinstance(seq, int):
            await connection.send(frame)
            return
        if seq <= connection.highest_seq:
            return
        if seq > connection.highest_seq + 1:
            # Published out of order (two writers, or two processes): the store has the gap.
            for missing in await self._backlog(connection, conversation, connection.highest_seq):
                missing_seq = int(missing["seq"])
                if connection.highest_seq < missing_seq < seq:
                    await connection.send(missing)
                    connection.highest_seq = missing_seq
        await connection.send(frame)
        connection.highest_seq = seq

    async def _backlog(
        self, connection: _Connection, conversation: OpenedConversation, after: int
    ) -> list[Message]:
        try:
            return await self.handler.backlog(conversation, after)
        except RefusedError as refusal:
            await connection.error(
                refusal.error_code,
                refusal.message,
                fatal=True,
                close_code=refusal.close_code,
            )
            raise

    async def _read(
        self, connection: _Connection, conversation: OpenedConversation, connection_key: str
    ) -> None:
        while True:
            raw = await self._receive(connection)
            data = await self._parse(connection, raw, before_hello=False)
            if data is None:
                continue
            frame = await self._validate(connection, data, before_hello=False)
            if frame is None:
                continue
            try:
                await self._dispatch(connection, conversation, frame, connection_key)
            except RefusedError as refusal:
                await connection.error(
                    refusal.error_code,
                    refusal.message,
                    client_msg_id=frame.client_msg_id if isinstance(frame, UserMessage) else None,
                    retry_after_s=refusal.retry_after_s,
                    fatal=refusal.fatal,
                    close_code=refusal.close_code,
                )

    async def _dispatch(
        self,
        connection: _Connection,
        conversation: OpenedConversation,
        frame: BaseModel,
        connection_key: str,
    ) -> None:
        if isinstance(frame, Ping):
            await connection.send(Pong(nonce=frame.nonce))
        elif isinstance(frame, UserMessage):
            await self._check_writes(connection, conversation, connection_key)
            ack = await self.handler.message(conversation, frame)
            try:
                await connection.send(ack)
            finally:
                self.handler.answer(conversation, frame, ack)
        elif isinstance(frame, Feedback):
            await self._check_writes(connection, conversation, connection_key)
            await self.handler.feedback(conversation, frame)
        elif isinstance(frame, Mute):
            await self._check_writes(connection, conversation, connection_key)
            await self.handler.mute(conversation, frame)
        elif isinstance(frame, Opened):
            await self._check_writes(connection, conversation, connection_key)
            await self.handler.opened(conversation, frame)
        elif isinstance(frame, ClientTyping):
            # A typing notice is advisory: beyond its limit it is dropped, not refused.
            if (await self.limits.typing(connection_key)).allowed:
                await self.handler.typing(conversation, frame)
        elif isinstance(frame, Hello):
            raise RefusedError(ErrorCode.HELLO_REQUIRED, "hello was already received")

    async def _check_writes(
        self, connection: _Connection, conversation: OpenedConversation, connection_key: str
    ) -> None:
        decision = await self.limits.message(
            conversation.investor_id, connection.address, connection_key
        )
        if not decision.allowed:
            raise RefusedError(
                ErrorCode.RATE_LIMITED,
                _too_many("frames", decision),
                retry_after_s=round(decision.retry_after_s, 2),
            )

    async def _receive(self, connection: _Connection) -> str | bytes:
        try:
            async with asyncio.timeout(self.config.idle_timeout_s):
                message = await connection.websocket.receive()
        except TimeoutError:
            await connection.close(IDLE_CLOSE_CODE, "idle timeout")
            raise _ClosedError from None
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            connection.closed = True
            raise _ClosedError from exc
        if message["type"] == "websocket.disconnect":
            connection.closed = True
            raise _ClosedError
        text = message.get("text")
        if text is not None:
            return str(text)
        return bytes(message.get("bytes") or b"")

    async def _parse(
        self, connection: _Connection, raw: str | bytes, *, before_hello: bool
    ) -> dict[str, Any]:
        size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8"))
        if size > self.config.max_frame_bytes:
            await connection.error(
                ErrorCode.FRAME_TOO_LARGE,
                f"frames are limited to {self.config.max_frame_bytes} bytes",
                fatal=before_hello,
            )
            return {}
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            # RecursionError: nesting deeper than the parser's stack (``[[[[...]]]]``).
            await connection.error(
                ErrorCode.BAD_FRAME,
                "frames are JSON objects",
                fatal=before_hello,
                close_code=DEFAULT_FATAL_CLOSE,
            )
            return {}
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            await connection.error(
                ErrorCode.BAD_FRAME,
                'frames are JSON objects with a "type"',
                fatal=before_hello,
                close_code=DEFAULT_FATAL_CLOSE,
            )
            return {}
        return data

    async def _validate(
        self, connection: _Connection, data: dict[str, Any], *, before_hello: bool
    ) -> BaseModel | None:
        if not data:
            return None
        if data["type"] not in CLIENT_TYPES:
            await connection.error(
                ErrorCode.UNKNOWN_TYPE,
                f"unknown frame type {str(data['type'])[:40]!r}",
                fatal=before_hello,
                close_code=DEFAULT_FATAL_CLOSE,
            )
            return None
        try:
            frame: BaseModel = CLIENT_FRAME.validate_python(data)
        except ValidationError as exc:
            await connection.error(
                ErrorCode.BAD_FRAME,
                _describe(exc),
                client_msg_id=_client_msg_id(data),
                fatal=before_hello,
                close_code=DEFAULT_FATAL_CLOSE,
            )
            return None
        return frame


_SCOPE_NAMES = {
    "connection": "this connection",
    "investor": "this investor",
    "sessions": "this investor",
    "address": "this network address",
    "global": "all investors together",
}


def _too_many(what: str, decision: RateDecision) -> str:
    who = _SCOPE_NAMES.get(decision.scope or "", "this client")
    return f"too many {what} from {who}; try again in {decision.retry_after_s:.0f} s"


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
