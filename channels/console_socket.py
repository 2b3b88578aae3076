"""The agent-console websocket: the live queue and the events of held conversations.

The console signs in over REST and gets an HttpOnly cookie; the browser sends
it with the websocket handshake. Per connection this module:

- checks ``Origin`` (when sent) and the session (through the
  :class:`ConsoleHandler`), closing with 4403 / 4401 otherwise;
- sends ``{"type": "queue", "items": [...]}`` on connect and again whenever a
  ``queue_changed`` notice arrives on the ``staff`` topic (bursts coalesce
  into one refresh);
- forwards ``event`` and ``investor_typing`` notices for conversations this
  agent holds (according to the latest queue);
- answers ``{"type": "ping"}`` with ``pong``, passes ``{"type": "typing",
  "conversation_id"}`` on (the investor sees the agent typing), and closes after
  twice ``heartbeat_s`` without a frame from the client;
- answers a frame it cannot read (binary, oversized, not JSON, nested too deeply)
  with a non-fatal ``{"type": "error", "code": "bad_frame"}`` and reads on.

Nothing is ever only on this socket: the console reloads a conversation over
REST, so a missed notice costs freshness, never data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel
from starlette.websockets import WebSocket, WebSocketDisconnect

from channels.bus import Bus, Message
from channels.errors import BusError, ChannelError
from channels.protocol import ConsoleError, ConsolePong, ConsoleQueue, QueueItem
from channels.topics import STAFF_TOPIC

logger = logging.getLogger(__name__)

UNAUTHORIZED_CLOSE = 4401
FORBIDDEN_CLOSE = 4403
IDLE_CLOSE_CODE = 1001


@dataclass(frozen=True)
class ConsoleAgent:
    """The signed-in agent on the other end."""

    id: str
    username: str
    display_name: str


class ConsoleRefusedError(ChannelError):
    """The handler refuses the connection (not signed in, session expired)."""

    close_code = UNAUTHORIZED_CLOSE


class ConsoleUnavailableError(ChannelError):
    """The handler cannot answer now (its store is down): the console reconnects later."""

    code = "storage_unavailable"
    close_code = 1013  # try again later


class ConsoleHandler(Protocol):
    async def authenticate(self, cookies: Mapping[str, str]) -> ConsoleAgent:
        """The agent of the session cookie; raises :class:`ConsoleRefusedError`, or
        :class:`ConsoleUnavailableError` when it cannot tell now."""
        ...

    async def queue(self) -> list[QueueItem]:
        """The queue, most urgent first; raises :class:`ConsoleUnavailableError` when it
        cannot read it now."""
        ...

    async def agent_typing(self, agent: ConsoleAgent, conversation_id: str) -> None:
        """The agent is typing in a conversation (shown to the investor if they hold it)."""
        ...


class _Gone(Exception):  # noqa: N818 - control flow, never escapes this module
    pass


class ConsoleSocket:
    """Serves ``/ws/console`` connections; one instance for the whole app."""

    def __init__(
        self,
        *,
        handler: ConsoleHandler,
        bus: Bus,
        allowed_origins: frozenset[str],
        heartbeat_s: float,
        max_frame_bytes: int = 16384,
    ) -> None:
        self.handler = handler
        self.bus = bus
        self.allowed_origins = allowed_origins
        self.heartbeat_s = heartbeat_s
        self.max_frame_bytes = max_frame_bytes

    async def serve(self, websocket: WebSocket) -> None:
        origin = websocket.headers.get("origin")
        await websocket.accept()
        connection = _ConsoleConnection(websocket)
        try:
            if origin is not None and origin not in self.allowed_origins:
                await connection.refuse("forbidden", "this origin may not open the console")
                return
            try:
                agent = await self.handler.authenticate(websocket.cookies)
            except ConsoleRefusedError as exc:
                await connection.refuse(exc.code, exc.message, close_code=exc.close_code)
                return
            async with self.bus.subscribe(STAFF_TOPIC) as notices:
                await self._run(connection, agent, notices)
        except BusError as exc:
            logger.warning("console socket closing: %s", exc.code)
            await connection.close(exc.close_code)
        except ConsoleUnavailableError as exc:
            logger.warning("console socket closing: %s", exc.code)
            await connection.refuse(exc.code, exc.message, close_code=exc.close_code)
        except _Gone:
            pass
        finally:
            await connection.close(1000)

    async def _run(
        self, connection: _ConsoleConnection, agent: ConsoleAgent, notices: AsyncIterator[Message]
    ) -> None:
        held: set[str] = set()
        stale = asyncio.Event()

        async def refresh() -> None:
            while True:
                items = await self.handler.queue()
                held.clear()
                held.update(
                    item.conversation_id
                    for item in items
                    if item.agent_id == agent.id and item.status == "agent"
                )
                await connection.send(ConsoleQueue(items=items))
                await stale.wait()
                stale.clear()

        async def forward() -> None:
            async for notice in notices:
                kind = notice.get("type")
                if kind == "queue_changed":
                    stale.set()
                elif kind in ("event", "investor_typing"):
                    conversation_id = str(notice.get("conversation_id"))
                    if conversation_id in held:
                        await connection.send(notice)
            raise _Gone

        async def read() -> None:
            while True:
                frame = await self._receive(connection)
                if frame is None:
                    continue
                if frame.get("type") == "ping":
                    await connection.send(ConsolePong())
                elif frame.get("type") == "typing" and isinstance(
                    frame.get("conversation_id"), str
                ):
                    await self.handler.agent_typing(agent, frame["conversation_id"][:64])

        tasks = [asyncio.create_task(work()) for work in (refresh, forward, read)]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _receive(self, connection: _ConsoleConnection) -> dict[str, Any] | None:
        """The next client frame as a JSON object; None (after telling the client) for
        one that is not a text frame holding a JSON object within the size limit."""
        try:
            async with asyncio.timeout(2 * self.heartbeat_s):
                message = await connection.websocket.receive()
        except TimeoutError:
            await connection.close(IDLE_CLOSE_CODE, "idle timeout")
            raise _Gone from None
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            raise _Gone from exc
        if message["type"] == "websocket.disconnect":
            connection.closed = True
            raise _Gone
        text = message.get("text")
        if text is None:
            problem = "console frames are JSON text, not binary"
        elif len(text.encode("utf-8")) > self.max_frame_bytes:
            problem = f"frames are limited to {self.max_frame_bytes} bytes"
        else:
            try:
                frame = json.loads(text)
            except (ValueError, RecursionError):
                frame = None
            if isinstance(frame, dict):
                return frame
            problem = "frames are JSON objects"
        await connection.send(ConsoleError(code="bad_frame", message=problem))
        return None


class _ConsoleConnection:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.closed = False
        self._lock = asyncio.Lock()

    async def send(self, message: BaseModel | Message) -> None:
        if isinstance(message, BaseModel):
            message = message.model_dump(mode="json")
        text = json.dumps(message, ensure_ascii=False, default=str)
        async with self._lock:
            if self.closed:
                raise _Gone
            try:
                await self.websocket.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError) as exc:
                self.closed = True
                raise _Gone from exc

    async def refuse(self, code: str, message: str, *, close_code: int = FORBIDDEN_CLOSE) -> None:
        with contextlib.suppress(_Gone):
            await self.send(ConsoleError(code=code, message=message, fatal=True))
        await self.close(close_code, code)

    async def close(self, code: int, reason: str = "") -> None:
        async with self._lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await self.websocket.close(code, reason)
