"""One place that turns every refusal into ``{"error": {"code", "message"}}`` (plus
``details``, a list of objects, when the refusal carries them).

The service, staff, quality, token and storage errors each know their stable code (and
HTTP status); this module only maps them, so routes never build error bodies.
"""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.accounts import AccountSystemError
from assistant.conversations import ConversationError
from assistant.persistence.repositories import StorageError, StorageUnavailableError
from assistant.proactive import ProactiveError, PushRefusedError
from assistant.quality import QualityError
from assistant.staff import StaffError, TooManySignInsError
from channels.errors import ChannelError, TokenError

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_request",
    429: "rate_limited",
}


class ApiError(Exception):
    """A refusal decided at the HTTP edge itself (missing credentials, rate limits)."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    details: list[dict[str, str]] | None = None,
) -> JSONResponse:
    error: dict[str, object] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _status_and_code(exc: Exception) -> tuple[int, str, str]:
    if isinstance(exc, ConversationError | StaffError | QualityError):
        return exc.http_status, exc.code, exc.message
    if isinstance(exc, TokenError):
        return 401, exc.code, exc.message
    if isinstance(exc, PushRefusedError):
        return 422, "push_refused", str(exc)
    if isinstance(exc, AccountSystemError):
        return exc.http_status, exc.code, "the account system is unavailable; please retry"
    if isinstance(exc, StorageUnavailableError):
        return 503, exc.code, "the store is unavailable; please retry"
    if isinstance(exc, ChannelError):
        return 503, exc.code, exc.message
    if isinstance(exc, StorageError | ProactiveError):
        logger.error("request failed: %s", type(exc).__name__)
        return 500, "internal", "the request failed"
    raise TypeError(f"no mapping for {type(exc).__name__}")


def _retry_after(seconds: float | None) -> dict[str, str] | None:
    return None if seconds is None else {"Retry-After": str(max(1, math.ceil(seconds)))}


async def _known_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, _retry_after(exc.retry_after_s))
    status, code, message = _status_and_code(exc)
    details = exc.details if isinstance(exc, ConversationError) else None
    retry_after_s = exc.retry_after_s if isinstance(exc, TooManySignInsError) else None
    return error_response(status, code, message, _retry_after(retry_after_s), details=details)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        for error in exc.errors()[:5]
    ]
    return error_response(422, "invalid_request", "; ".join(problems) or "invalid request")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code
    return error_response(exc.status_code, code, message, dict(exc.headers or {}) or None)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The traceback is logged by the server; the client learns nothing about internals.
    return error_response(500, "internal", "the request failed")


def install_error_handlers(app: FastAPI) -> None:
    """Register the one mapping from errors to ``{"error": {...}}`` responses."""
    for error_type in (
        ApiError,
        AccountSystemError,
        ConversationError,
        StaffError,
        QualityError,
        ChannelError,
        StorageError,
        ProactiveError,
    ):
        app.add_exception_handler(error_type, _known_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
