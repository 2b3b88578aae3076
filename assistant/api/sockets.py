"""The two websocket endpoints, and the adapters that let the channel transports call the
conversation service and the staff sign-in without knowing either."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from fastapi import APIRouter, WebSocket

from assistant.api.deps import STAFF_COOKIE, Runtime, get_runtime
from assistant.api.errors import ApiError, protocol_error
from assistant.conversations import ConversationError, ConversationService, StorageBusyError
from assistant.persistence.records import ConversationStatus
from assistant.persistence.repositories import StorageUnavailableError
from assistant.queue_waits import QueueWaits
from assistant.staff import StaffAuth, StaffError
from channels.bus import Message
from channels.console_socket import ConsoleAgent, ConsoleRefusedError, ConsoleUnavailableError
from channels.investor_handler import OpenedConversation, RefusedError
from channels.protocol import (
    Ack,
    ClientTyping,
    ErrorCode,
    Feedback,
    Hello,
    Mute,
    Opened,
    QueueItem,
    UserMessage,
)

router = APIRouter()

TRY_AGAIN_LATER = 1013


@contextlib.contextmanager
def _refusals(*, fatal: bool = False) -> Iterator[None]:
    """The service's refusals as the protocol's error codes."""
    try:
        yield
    except ConversationError as exc:
        code, message = protocol_error(exc)
        raise RefusedError(code, message, fatal=fatal) from exc


class InvestorChannel:
    """:class:`channels.investor_handler.InvestorHandler` over the conversation service."""

    def __init__(self, service: ConversationService) -> None:
        self.service = service

    async def open(self, investor_id: str, hello: Hello) -> OpenedConversation:
        with _refusals(fatal=True):
            conversation = await self.service.open_conversation(
                investor_id, hello.conversation_id, last_seq=hello.last_seq, language=hello.lang
            )
            agent_name = None
            if conversation.status is ConversationStatus.AGENT:
                agent_name = await self.service.agent_name(conversation.agent_id)
        return OpenedConversation(
            conversation_id=conversation.id,
            investor_id=investor_id,
            last_seq=conversation.last_seq,
            agent_name=agent_name,
        )

    async def backlog(self, conversation: OpenedConversation, after_seq: int) -> list[Message]:
        with _refusals(fatal=True):
            return await self.service.frames_after(conversation.conversation_id, after_seq)

    async def message(self, conversation: OpenedConversation, frame: UserMessage) -> Ack:
        with _refusals():
            return await self.service.accept(
                conversation.investor_id,
                conversation.conversation_id,
                frame.client_msg_id,
                frame.text,
            )

    def answer(self, conversation: OpenedConversation, frame: UserMessage, ack: Ack) -> None:
        self.service.answer_in_background(conversation.conversation_id, frame.text, ack)

    async def feedback(self, conversation: OpenedConversation, frame: Feedback) -> None:
        with _refusals():
            await self.service.feedback(
                conversation.investor_id,
                conversation.conversation_id,
                seq=frame.seq,
                thumbs=frame.thumbs,
                score=frame.score,
                comment=frame.comment,
            )

    async def mute(self, conversation: OpenedConversation, frame: Mute) -> None:
        # Pushes are the outbox's: muting is recorded there, where delivery and the
        # rules look (assistant.proactive).
        try:
            await self.service.store.outbox.mute(
                conversation.investor_id, frame.kind, self.service.clock()
            )
        except StorageUnavailableError as exc:
            raise RefusedError(ErrorCode.STORAGE_UNAVAILABLE, "try again shortly") from exc

    async def opened(self, conversation: OpenedConversation, frame: Opened) -> None:
        with _refusals():
            await self.service.push_opened(
                conversation.investor_id, conversation.conversation_id, frame.seq
            )

    async def typing(self, conversation: OpenedConversation, frame: ClientTyping) -> None:
        if frame.active:
            with _refusals():
                await self.service.investor_typing(
                    conversation.investor_id, conversation.conversation_id
                )

    async def connected(self, conversation: OpenedConversation) -> None:
        self.service.investor_connected(conversation.investor_id)
        # Back while waiting for a person: say where the queue stands (the last figures sent
        # were transient, and the queue may have moved).
        waits = QueueWaits(self.service.store, self.service.publish, self.service.clock)
        await waits.announce(conversation.conversation_id)

    async def disconnected(self, conversation: OpenedConversation) -> None:
        self.service.investor_disconnected(conversation.investor_id)


@contextlib.contextmanager
def _console_storage() -> Iterator[None]:
    """A store outage as the console socket's retryable refusal (close 1013)."""
    try:
        yield
    except (StorageUnavailableError, StorageBusyError) as exc:
        raise ConsoleUnavailableError("the store is unavailable; reconnecting shortly") from exc


class ConsoleChannel:
    """:class:`channels.console_socket.ConsoleHandler` over staff sign-in and the queue."""

    def __init__(self, staff: StaffAuth, service: ConversationService) -> None:
        self.staff = staff
        self.service = service

    async def authenticate(self, cookies: Mapping[str, str]) -> ConsoleAgent:
        try:
            with _console_storage():
                account = await self.staff.authenticate(cookies.get(STAFF_COOKIE))
        except StaffError as exc:
            refusal = ConsoleRefusedError(exc.message)
            refusal.code = exc.code
            raise refusal from exc
        return ConsoleAgent(account.id, account.username, account.display_name)

    async def queue(self) -> list[QueueItem]:
        with _console_storage():
            return await self.service.queue()

    async def agent_typing(self, agent: ConsoleAgent, conversation_id: str) -> None:
        with contextlib.suppress(ConversationError):
            await self.service.agent_typing(agent.id, conversation_id)


@router.websocket("/ws/investor")
async def investor_socket(websocket: WebSocket) -> None:
    """The investor widget's connection: protocol v1 (channels/protocol.py)."""
    runtime = await _ready_runtime(websocket)
    if runtime is not None:
        with runtime.metrics.websocket("investor"):
            await runtime.investor_socket.serve(websocket)


@router.websocket("/ws/console")
async def console_socket(websocket: WebSocket) -> None:
    """The agent console's live queue and events (cookie ``bd_staff``)."""
    runtime = await _ready_runtime(websocket)
    if runtime is not None:
        with runtime.metrics.websocket("console"):
            await runtime.console_socket.serve(websocket)


async def _ready_runtime(websocket: WebSocket) -> Runtime | None:
    """The runtime, or None after refusing the socket with 1013 (try again later) while the
    models load."""
    try:
        return get_runtime(websocket)
    except ApiError:
        await websocket.close(code=TRY_AGAIN_LATER)
        return None
