"""One place that turns every refusal into ``{"error": {"code", "message"}}`` (plus
``details``, a list of objects, when the refusal carries them).

Every error ``assistant/`` raises on purpose is an :class:`assistant.errors.AssistantError`
and every one ``channels/`` raises a :class:`channels.errors.ChannelError`; each knows its
stable code and HTTP status, and :func:`describe` is the one mapping from them to what a
client is told, over HTTP here and on the websockets (:func:`protocol_error`), so routes
and sockets never build error bodies.
"""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import AssistantError
from channels.errors import ChannelError
from channels.protocol import ErrorCode

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


class ApiError(AssistantError):
    """A refusal decided at the HTTP edge itself (missing credentials, rate limits)."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.http_status = status
        self.code = code


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


def describe(exc: AssistantError | ChannelError) -> tuple[int, str, str]:
    """The HTTP status, stable code and message a client is told for ``exc``: the one
    mapping of errors to answers, for routes and sockets alike."""
    if isinstance(exc, ChannelError):
        return exc.http_status, exc.code, exc.message
    if exc.internal:
        logger.error("request failed: %s", type(exc).__name__)
        return 500, "internal", "the request failed"
    return exc.http_status, exc.code, exc.client_message


_PROTOCOL_CODES = {code.value: code for code in ErrorCode}
_AS_PROTOCOL = {"invalid_feedback": ErrorCode.BAD_FRAME}


def protocol_error(exc: AssistantError) -> tuple[ErrorCode, str]:
    """The investor protocol's error code and message for ``exc`` (a code the protocol
    does not name is ``internal``)."""
    _, code, message = describe(exc)
    return _AS_PROTOCOL.get(code) or _PROTOCOL_CODES.get(code, ErrorCode.INTERNAL), message


def _retry_after(seconds: float | None) -> dict[str, str] | None:
    return None if seconds is None else {"Retry-After": str(max(1, math.ceil(seconds)))}


async def _known_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AssistantError | ChannelError)
    status, code, message = describe(exc)
    if isinstance(exc, AssistantError) and not exc.internal:
        headers = _retry_after(exc.retry_after_s)
        return error_response(status, code, message, headers, details=exc.details)
    return error_response(status, code, message)


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
    for error_type in (AssistantError, ChannelError):
        app.add_exception_handler(error_type, _known_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
