"""Agent-console REST: sign-in (HttpOnly cookie), the queue, taking over conversations,
tickets, canned replies, the supervisors' campaign endpoint and the administrators' staff
accounts.

Every route that changes something takes :data:`StaffWriterDep` (or a role's writer):
the console's own origin and the session's CSRF token (``X-CSRF-Token``), which the
sign-in and ``/me`` answers carry."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Cookie, Header, Request, Response

from assistant.api.deps import (
    CSRF_HEADER,
    STAFF_COOKIE,
    AdminReaderDep,
    AdminWriterDep,
    ConsoleOriginDep,
    RuntimeDep,
    ServiceDep,
    StaffDep,
    StaffWriterDep,
    SupervisorWriterDep,
    client_address,
    refuse_when_limited,
)
from assistant.api.errors import ApiError
from assistant.api.schemas import (
    CampaignRequest,
    CampaignResponse,
    CannedReply,
    CannedResponse,
    ConversationDetail,
    ConversationResponse,
    ConversationView,
    ErrorResponse,
    LoginRequest,
    LoginResponse,
    MeResponse,
    NewStaffRequest,
    QueueItem,
    QueueResponse,
    ReasonLabels,
    SeqResponse,
    StaffChangeRequest,
    StaffEvent,
    StaffListResponse,
    StaffView,
    TextRequest,
    TicketDetail,
    TicketsResponse,
)
from assistant.escalation import REASON_LABELS
from assistant.persistence.records import StaffAccount, TicketStatus
from assistant.proactive import Segment
from assistant.staff import NotSignedInError

_ERRORS = {code: {"model": ErrorResponse} for code in (401, 403, 404, 409, 422, 429, 503)}

router = APIRouter(prefix="/api/console", tags=["console"], responses=_ERRORS)  # type: ignore[arg-type]
admin_router = APIRouter(prefix="/api/admin", tags=["admin"], responses=_ERRORS)  # type: ignore[arg-type]


def _view(staff: StaffAccount) -> StaffView:
    return StaffView(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,
        active=staff.active,
    )


def _reason_labels() -> ReasonLabels:
    """The hand-over reasons' labels as the console reads them (language -> value -> label)."""
    return {
        language: {reason.value: label for reason, label in labels.items()}
        for language, labels in REASON_LABELS.items()
    }


@router.post("/login", response_model=LoginResponse, dependencies=[ConsoleOriginDep])
async def login(
    body: LoginRequest, runtime: RuntimeDep, request: Request, response: Response
) -> LoginResponse:
    """Sign in; the session travels in the ``bd_staff`` cookie (HttpOnly, SameSite=Strict),
    the CSRF token for later changes in the answer. Throttled: 429 ``rate_limited``."""
    address = client_address(request)
    refuse_when_limited(await runtime.limits.sign_in(address))
    raw_token, session = await runtime.staff.login(body.username, body.password, address=address)
    staff = await runtime.staff.authenticate(raw_token)
    response.set_cookie(
        STAFF_COOKIE,
        raw_token,
        expires=session.expires_at,
        httponly=True,
        samesite="strict",
        secure=runtime.settings.mode == "production",
        path="/",
    )
    return LoginResponse(
        staff=_view(staff),
        expires_at=session.expires_at,
        csrf_token=runtime.staff.csrf_token(raw_token),
        reason_labels=_reason_labels(),
    )


@router.post("/logout", status_code=204, dependencies=[ConsoleOriginDep])
async def logout(
    runtime: RuntimeDep,
    response: Response,
    bd_staff: Annotated[str | None, Cookie()] = None,
    csrf_token: Annotated[str | None, Header(alias=CSRF_HEADER)] = None,
) -> None:
    """End the session (its CSRF token needed while it is live; a dead one just goes)."""
    try:
        await runtime.staff.authenticate(bd_staff)
    except NotSignedInError:
        pass
    else:
        runtime.staff.check_csrf(bd_staff, csrf_token)
        await runtime.staff.logout(bd_staff)
    response.delete_cookie(STAFF_COOKIE, path="/", httponly=True, samesite="strict")


@router.get("/me", response_model=MeResponse)
async def me(
    staff: StaffDep, runtime: RuntimeDep, bd_staff: Annotated[str | None, Cookie()] = None
) -> MeResponse:
    """The signed-in agent and the session's CSRF token."""
    assert bd_staff is not None  # StaffDep authenticated it
    return MeResponse(
        staff=_view(staff),
        csrf_token=runtime.staff.csrf_token(bd_staff),
        reason_labels=_reason_labels(),
    )


@router.get("/queue", response_model=QueueResponse)
async def queue(staff: StaffDep, service: ServiceDep) -> QueueResponse:
    """Conversations waiting for a person or held by one, most urgent first."""
    items = await service.queue()
    return QueueResponse(items=[QueueItem.model_validate(item.model_dump()) for item in items])


@router.post("/conversations/{conversation_id}/claim", response_model=ConversationResponse)
async def claim(
    conversation_id: str, staff: StaffWriterDep, service: ServiceDep
) -> ConversationResponse:
    """Take the conversation; 409 ``already_claimed`` when another agent was first."""
    conversation = await service.claim(staff, conversation_id)
    return ConversationResponse(conversation=ConversationView.of(conversation))


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
async def conversation_detail(
    conversation_id: str, staff: StaffDep, service: ServiceDep
) -> ConversationDetail:
    """The transcript with internal notes, the investor's profile and the tickets."""
    detail = await service.detail(conversation_id)
    return ConversationDetail(
        conversation=ConversationView.of(detail.conversation),
        events=[StaffEvent.model_validate(event.model_dump()) for event in detail.events],
        profile=detail.profile,
        tickets=detail.tickets,
    )


@router.post("/conversations/{conversation_id}/messages", response_model=SeqResponse)
async def agent_message(
    conversation_id: str, body: TextRequest, staff: StaffWriterDep, service: ServiceDep
) -> SeqResponse:
    """Reply to the investor (403 ``not_holder`` unless you hold the conversation)."""
    event = await service.agent_message(staff, conversation_id, body.text)
    return SeqResponse(seq=event.seq)


@router.post("/conversations/{conversation_id}/notes", response_model=SeqResponse)
async def note(
    conversation_id: str, body: TextRequest, staff: StaffWriterDep, service: ServiceDep
) -> SeqResponse:
    """An internal note, never shown to the investor."""
    event = await service.note(staff, conversation_id, body.text)
    return SeqResponse(seq=event.seq)


@router.post("/conversations/{conversation_id}/resolve", response_model=ConversationResponse)
async def resolve(
    conversation_id: str, staff: StaffWriterDep, service: ServiceDep
) -> ConversationResponse:
    """Close it: the investor is asked for a 1-5 rating; its tickets are resolved."""
    conversation = await service.resolve(staff, conversation_id)
    return ConversationResponse(conversation=ConversationView.of(conversation))


@router.post("/conversations/{conversation_id}/handback", response_model=ConversationResponse)
async def hand_back(
    conversation_id: str, staff: StaffWriterDep, service: ServiceDep
) -> ConversationResponse:
    """Give it back to the bot, which answers the investor's next message."""
    conversation = await service.hand_back(staff, conversation_id)
    return ConversationResponse(conversation=ConversationView.of(conversation))


@router.get("/canned", response_model=CannedResponse)
async def canned(staff: StaffDep, runtime: RuntimeDep) -> CannedResponse:
    """Prepared replies the agent can insert and edit."""
    return CannedResponse(items=load_canned_replies(runtime.settings.console_canned_replies))


@router.get("/tickets", response_model=TicketsResponse)
async def tickets(
    staff: StaffDep, runtime: RuntimeDep, status: TicketStatus | None = None
) -> TicketsResponse:
    return TicketsResponse(items=await runtime.store.tickets.by_status(status))


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
async def ticket(ticket_id: str, staff: StaffDep, runtime: RuntimeDep) -> TicketDetail:
    found = await runtime.store.tickets.get(ticket_id)
    if found is None:
        raise ApiError(404, "not_found", "no such ticket")
    return TicketDetail(ticket=found, history=await runtime.store.tickets.history(ticket_id))


@router.get("/staff", response_model=StaffListResponse)
async def staff_accounts(staff: AdminReaderDep, runtime: RuntimeDep) -> StaffListResponse:
    """Every staff account and its role (administrators only)."""
    return StaffListResponse(items=[_view(account) for account in await runtime.staff.accounts()])


@router.post("/staff", response_model=StaffView, status_code=201)
async def new_staff_account(
    body: NewStaffRequest, staff: AdminWriterDep, runtime: RuntimeDep
) -> StaffView:
    """Create an account (administrators only; 409 ``username_taken``, 422 ``weak_password``)."""
    account = await runtime.staff.create_account(
        body.username, body.display_name, body.password, role=body.role
    )
    return _view(account)


@router.post("/staff/{username}", response_model=StaffView)
async def change_staff_account(
    username: str, body: StaffChangeRequest, staff: AdminWriterDep, runtime: RuntimeDep
) -> StaffView:
    """Change an account's role or (de)activate it (administrators only)."""
    return _view(await runtime.staff.change_account(username, role=body.role, active=body.active))


@admin_router.post("/campaigns", response_model=CampaignResponse)
async def campaign(
    body: CampaignRequest, staff: SupervisorWriterDep, runtime: RuntimeDep
) -> CampaignResponse:
    """Announce something to a segment of investors (supervisors and administrators;
    checked by the compliance guard; quiet hours and the daily limit apply). Delivered
    now to those connected."""
    segment = Segment.model_validate(body.segment.model_dump())
    report = await runtime.dispatcher.campaign(
        body.title, body.text, segment, title_en=body.title_en, text_en=body.text_en
    )
    return CampaignResponse.model_validate(report.model_dump())


def load_canned_replies(path: Path | None) -> list[CannedReply]:
    """The canned replies file (YAML list of ``{id, title, text}``); none when unset.

    Read again only when the file changes, so curators can edit it without a restart.
    """
    if path is None or not path.exists():
        return []
    return list(_canned_replies(path, path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _canned_replies(path: Path, mtime_ns: int) -> tuple[CannedReply, ...]:
    data: Any = yaml.safe_load(path.read_text("utf-8")) or []
    items = data.get("replies", []) if isinstance(data, dict) else data
    return tuple(CannedReply.model_validate(item) for item in items)
