"""Agent-console REST for curators: the production-quality report and FAQ drafts from it.

The work is in :mod:`assistant.quality`; these routes only read the request, hand
it the app's store and already-loaded embedder, and return its models.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from assistant.accounts import exchange_today
from assistant.api.deps import RuntimeDep, StaffDep, SupervisorWriterDep
from assistant.api.schemas import ErrorResponse, FaqDraftRequest, FaqDraftResponse
from assistant.faq_drafts import append_drafts, draft_from_conversation
from assistant.proactive.outcomes import push_outcomes
from assistant.quality import (
    QualityReport,
    knowledge_intents,
    parse_window,
    quality_report,
)
from knowledge.freshness import freshness_report

_ERRORS = {code: {"model": ErrorResponse} for code in (401, 403, 404, 409, 422, 503)}

router = APIRouter(prefix="/api/console/quality", tags=["console"], responses=_ERRORS)  # type: ignore[arg-type]


@router.get("", response_model=QualityReport)
async def report(
    staff: StaffDep,
    runtime: RuntimeDep,
    since: Annotated[str, Query(description="window ending now: 30m, 12h, 7d, 2w")] = "7d",
    top: Annotated[int, Query(ge=1, le=50, description="rows per ranking")] = 10,
) -> QualityReport:
    """Containment, escalations, CSAT, thumbs, top intents, the questions the assistant
    did not answer well, clustered by meaning, what became of the proactive pushes, and the
    FAQ entries due for review
    (422 ``invalid_window`` for a bad ``since``)."""
    until = datetime.now(UTC)
    window = parse_window(since)
    assistant = runtime.assistant
    # Reading every unit from the manifest is blocking I/O: off the event loop.
    units = await asyncio.to_thread(assistant.kb.all_units)
    stale = freshness_report(
        units, today=exchange_today(), max_age_days=runtime.settings.knowledge_max_age_days
    )
    built = await quality_report(
        runtime.store.conversations,
        since=until - window,
        until=until,
        embed=assistant.kb.embedder.encode_questions,
        knowledge_intents=knowledge_intents(assistant.catalogue),
        top=top,
        stale_knowledge=stale,
    )
    pushes = await push_outcomes(runtime.store, until - window, until)
    return built.model_copy(update={"pushes": pushes})


@router.post("/drafts", response_model=FaqDraftResponse)
async def draft(
    body: FaqDraftRequest, staff: SupervisorWriterDep, runtime: RuntimeDep
) -> FaqDraftResponse:
    """Draft an FAQ entry from a reported question and the agent's reply to it (or the
    curator's own answer), appended to the drafts sheet for review before ``assistant
    ingest`` (supervisors and administrators; 422 ``nothing_to_draft`` when there is no
    answer to take)."""
    drafted = await draft_from_conversation(
        runtime.store.conversations,
        body.conversation_id,
        seq=body.seq,
        answer=body.answer,
        category=body.category,
        also_asked=body.also_asked,
    )
    sheet = await asyncio.to_thread(append_drafts, runtime.settings.faq_drafts_sheet, [drafted])
    return FaqDraftResponse(draft=drafted, sheet=sheet.name)
