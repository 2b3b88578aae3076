"""The investor websocket transport: frames in, frames out, no dialogue rules.

One :class:`InvestorSocket` serves every connection of ``/ws/investor``. Per
connection it enforces what the protocol (:mod:`channels.protocol`) promises
and the dialogue must not have to know about (sending, reading and checking one frame is
:class:`channels.investor_connection.InvestorConnection`'s part):

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
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from pydantic import BaseModel
from starlette.websockets import WebSocket

from channels.bus import Bus, Message
from channels.errors import BusError, TokenError
from channels.investor_connection import ClosedError, InvestorConnection
from channels.investor_handler import (
    InvestorHandler,
    OpenedConversation,
    RefusedError,
    VerifyToken,
)
from channels.protocol import (
    PROTOCOL_VERSION,
    ClientTyping,
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


@dataclass(frozen=True)
class InvestorSocketConfig:
    allowed_origins: frozenset[str]
    max_frame_bytes: int
    heartbeat_s: float

    @property
    def idle_timeout_s(self) -> float:
        return 2 * self.heartbeat_s


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
        connection = InvestorConnection(
            websocket,
            max_frame_bytes=self.config.max_frame_bytes,
            idle_timeout_s=self.config.idle_timeout_s,
        )
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
        except ClosedError:
            pass
        except Exception:
            logger.exception("investor socket failed")
            with contextlib.suppress(ClosedError):
                await connection.error(ErrorCode.INTERNAL, "something went wrong", fatal=True)
        finally:
            await connection.close(1000)

    async def _hello(self, connection: InvestorConnection) -> Hello:
        raw = await connection.receive()
        data = await connection.parse(raw, before_hello=True)
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
        frame = await connection.validate(data, before_hello=True)
        assert isinstance(frame, Hello)
        return frame

    async def _open(self, connection: InvestorConnection, hello: Hello) -> OpenedConversation:
        try:
            investor_id = self.verify_token(hello.token)
        except TokenError as exc:
            await connection.error(
                ErrorCode(exc.code), exc.message, fatal=True, close_code=exc.close_code
            )
            raise  # unreachable: a fatal error raises ClosedError
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
        connection: InvestorConnection,
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
        connection: InvestorConnection,
        conversation: OpenedConversation,
        live: AsyncIterator[Message],
        connection_key: str,
    ) -> None:
        pump = asyncio.create_task(self._pump(connection, conversation, live))
        reader = asyncio.create_task(self._read(connection, conversation, connection_key))
        try:
            done, _ = await asyncio.wait({pump, reader}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # re-raise BusError; ClosedError ends quietly
        except ClosedError:
            pass
        finally:
            for task in (pump, reader):
                task.cancel()
            await asyncio.gather(pump, reader, return_exceptions=True)

    async def _pump(
        self,
        connection: InvestorConnection,
        conversation: OpenedConversation,
        live: AsyncIterator[Message],
    ) -> None:
        async for message in live:
            await self._deliver(connection, conversation, message)
        raise ClosedError  # the bus closed: the server is shutting down

    async def _deliver(
        self, connection: InvestorConnection, conversation: OpenedConversation, frame: Message
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
        self, connection: InvestorConnection, conversation: OpenedConversation, after: int
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
        self, connection: InvestorConnection, conversation: OpenedConversation, connection_key: str
    ) -> None:
        while True:
            raw = await connection.receive()
            data = await connection.parse(raw, before_hello=False)
            if data is None:
                continue
            frame = await connection.validate(data, before_hello=False)
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
        connection: InvestorConnection,
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
        self, connection: InvestorConnection, conversation: OpenedConversation, connection_key: str
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
