"""Investor REST: the same token, the same service calls as the websocket, for clients that
cannot hold a socket open (and for the dev token issuer of the demo page)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from assistant.api.deps import InvestorDep, RuntimeDep, ServiceDep, check_investor_rate
from assistant.api.errors import ApiError
from assistant.api.schemas import (
    DevTokenRequest,
    ErrorResponse,
    FeedbackRequest,
    MessageRequest,
    MessageResponse,
    SessionRequest,
    SessionResponse,
    Stored,
    TokenResponse,
    TranscriptResponse,
)
from channels.protocol import SEQUENCED_FRAME

_ERRORS = {
    code: {"model": ErrorResponse}
    for code in (401, 403, 404, 409, 422, 429, 503)  # documented once for every route
}

router = APIRouter(prefix="/api", tags=["investor"], responses=_ERRORS)  # type: ignore[arg-type]


@router.post("/sessions", response_model=SessionResponse)
async def open_session(
    investor_id: InvestorDep, service: ServiceDep, body: SessionRequest | None = None
) -> SessionResponse:
    """Resume a conversation of the token's investor, or their current one (started if none)."""
    body = body or SessionRequest()
    conversation = await service.open_conversation(
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
) -> MessageResponse:
    """Store the message (idempotent on ``client_msg_id``) and wait for the reply."""
    check_investor_rate(runtime, investor_id)
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
    conversation_id: str, body: FeedbackRequest, investor_id: InvestorDep, service: ServiceDep
) -> Stored:
    """Thumbs on a reply, and/or the 1-5 satisfaction score for the conversation."""
    await service.feedback(
        investor_id,
        conversation_id,
        seq=body.seq,
        thumbs=body.thumbs,
        score=body.score,
        comment=body.comment,
    )
    return Stored()


@router.post("/dev/token", response_model=TokenResponse, tags=["development"])
async def dev_token(body: DevTokenRequest, runtime: RuntimeDep) -> TokenResponse:
    """A session token for any investor: development mode only, for the demo page.

    In production the brokerage's own backend signs tokens (see channels/tokens.py).
    """
    if runtime.settings.mode != "development":
        raise ApiError(404, "not_found", "Not Found")
    token = runtime.tokens.issue(body.investor_id)
    return TokenResponse(token=token, expires_at=runtime.tokens.verify(token).expires_at)
