"""Investor REST: the same token, the same service calls as the websocket, for clients that
cannot hold a socket open (and for the dev token issuer of the demo page)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from assistant.api.deps import (
    InvestorDep,
    RuntimeDep,
    ServiceDep,
    client_address,
    refuse_when_limited,
)
from assistant.api.errors import ApiError
from assistant.api.schemas import (
    DevTokenRequest,
    ErrorResponse,
    FeedbackRequest,
    MessageRequest,
    MessageResponse,
    MuteRequest,
    SessionRequest,
    SessionResponse,
    Stored,
    TokenResponse,
    TranscriptResponse,
)
from assistant.web_origins import is_loopback
from channels.protocol import SEQUENCED_FRAME

_ERRORS = {
    code: {"model": ErrorResponse}
    for code in (401, 403, 404, 409, 422, 429, 503)  # documented once for every route
}

router = APIRouter(prefix="/api", tags=["investor"], responses=_ERRORS)  # type: ignore[arg-type]


@router.post("/sessions", response_model=SessionResponse)
async def open_session(
    investor_id: InvestorDep,
    runtime: RuntimeDep,
    request: Request,
    body: SessionRequest | None = None,
) -> SessionResponse:
    """Resume a conversation of the token's investor, or their current one (started if none)."""
    refuse_when_limited(await runtime.limits.session(investor_id, client_address(request)))
    body = body or SessionRequest()
    conversation = await runtime.conversations.open_conversation(
        investor_id, body.conversation_id, last_seq=body.last_seq, language=body.lang
    )
    return SessionResponse(
        conversation_id=conversation.id,
        investor_id=investor_id,
        status=conversation.status,
        last_seq=conversation.last_seq,
    )


@router.post("/conversations/{conversation_id}/messages", response_model=MessageResponse)
async def send_message(
    conversation_id: str,
    body: MessageRequest,
    investor_id: InvestorDep,
    runtime: RuntimeDep,
    request: Request,
) -> MessageResponse:
    """Store the message (idempotent on ``client_msg_id``) and wait for the reply."""
    refuse_when_limited(await runtime.limits.message(investor_id, client_address(request)))
    service = runtime.conversations
    ack = await service.accept(investor_id, conversation_id, body.client_msg_id, body.text)
    frames = await service.answer(conversation_id, body.text, ack)
    return MessageResponse(ack=ack, frames=[SEQUENCED_FRAME.validate_python(f) for f in frames])


@router.get("/conversations/{conversation_id}/transcript", response_model=TranscriptResponse)
async def transcript(
    conversation_id: str,
    investor_id: InvestorDep,
    service: ServiceDep,
    after_seq: int = Query(0, ge=0),
) -> TranscriptResponse:
    """Every frame the investor can see, after ``after_seq``."""
    frames = await service.transcript(investor_id, conversation_id, after_seq)
    return TranscriptResponse(events=[SEQUENCED_FRAME.validate_python(f) for f in frames])


@router.post("/conversations/{conversation_id}/feedback", response_model=Stored)
async def feedback(
    conversation_id: str,
    body: FeedbackRequest,
    investor_id: InvestorDep,
    runtime: RuntimeDep,
    request: Request,
) -> Stored:
    """Thumbs on a reply, and/or the 1-5 satisfaction score for the conversation."""
    refuse_when_limited(await runtime.limits.message(investor_id, client_address(request)))
    await runtime.conversations.feedback(
        investor_id,
        conversation_id,
        seq=body.seq,
        thumbs=body.thumbs,
        score=body.score,
        comment=body.comment,
    )
    return Stored()


@router.post("/suggestions/mute", response_model=Stored)
async def mute(
    body: MuteRequest, investor_id: InvestorDep, runtime: RuntimeDep, request: Request
) -> Stored:
    """No more proactive suggestions of ``kind`` for this investor (the widget's "don't
    show these"; the socket's ``mute`` frame)."""
    refuse_when_limited(await runtime.limits.message(investor_id, client_address(request)))
    await runtime.dispatcher.mute(investor_id, body.kind)
    return Stored()


@router.post("/dev/token", response_model=TokenResponse, tags=["development"])
async def dev_token(body: DevTokenRequest, runtime: RuntimeDep, request: Request) -> TokenResponse:
    """A session token for any investor, for the demo page: development mode only, and
    only while the server listens on a loopback interface (404 otherwise).

    In production the brokerage's own backend signs tokens (see channels/tokens.py).
    """
    if not runtime.settings.development_features or not _arrived_on_loopback(request):
        raise ApiError(404, "not_found", "Not Found")
    token = runtime.tokens.issue(body.investor_id)
    return TokenResponse(token=token, expires_at=runtime.tokens.verify(token).expires_at)


def _arrived_on_loopback(request: Request) -> bool:
    """Whether the request came in on a loopback interface of this server (the socket
    address it was served on), whatever the settings say the server listens on."""
    server: tuple[str, int] | None = request.scope.get("server")
    return server is not None and is_loopback(str(server[0]))
