"""One root error for assistant/, each error with its code and HTTP status, mapped to
HTTP answers and websocket error codes in one place."""

from __future__ import annotations

import importlib
import pkgutil

import httpx
import pytest
from fastapi import FastAPI

import assistant
from assistant.api.errors import ApiError, describe, install_error_handlers, protocol_error
from assistant.conversations import (
    ConversationNotFoundError,
    InvalidFeedbackError,
    ReplyDelayedError,
    StorageBusyError,
)
from assistant.errors import AssistantError
from assistant.persistence.repositories import StorageError, StorageUnavailableError
from assistant.proactive import ProactiveDataError, PushRefusedError
from assistant.staff import TooManySignInsError
from channels.errors import TokenExpiredError
from channels.protocol import ErrorCode

# Raised before the app serves anything (a start-up refusal printed by the CLI).
_OUTSIDE_THE_ROOT = {"assistant.app.DemoAgentError"}


def _assistant_errors() -> list[type[BaseException]]:
    found = []
    for module_info in pkgutil.walk_packages(assistant.__path__, "assistant."):
        if ".migrations." in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not value.__name__.startswith("_")
            ):
                found.append(value)
    return found


def test_every_error_assistant_raises_has_the_one_root() -> None:
    errors = _assistant_errors()
    strays = {
        f"{error.__module__}.{error.__qualname__}"
        for error in errors
        if not issubclass(error, AssistantError)
    }

    assert len(errors) > 30
    assert strays == _OUTSIDE_THE_ROOT


@pytest.mark.parametrize(
    ("error", "answer"),
    [
        (
            ConversationNotFoundError("no such conversation"),
            (404, "not_found", "no such conversation"),
        ),
        (StorageBusyError("retry"), (503, "storage_unavailable", "retry")),
        (
            StorageUnavailableError("pool exhausted at db-7"),
            (503, "storage_unavailable", "the store is unavailable; please retry"),
        ),
        (StorageError("constraint fk_x failed"), (500, "internal", "the request failed")),
        (ProactiveDataError("ipo.csv row 3"), (500, "internal", "the request failed")),
        (
            PushRefusedError("ipo:1", ["advice"]),
            (422, "push_refused", "push 'ipo:1' refused by the compliance guard: advice"),
        ),
        (TooManySignInsError("wait", 4.0), (429, "rate_limited", "wait")),
        (ApiError(401, "unauthorized", "send a token"), (401, "unauthorized", "send a token")),
        (TokenExpiredError("expired"), (401, "token_expired", "expired")),
    ],
)
def test_each_error_is_told_by_its_own_code_and_status(
    error: AssistantError, answer: tuple[int, str, str]
) -> None:
    assert describe(error) == answer


def test_refusals_become_the_protocols_error_codes() -> None:
    assert protocol_error(ReplyDelayedError()) == (
        ErrorCode.REPLY_DELAYED,
        ReplyDelayedError().message,
    )
    assert protocol_error(StorageBusyError("retry"))[0] is ErrorCode.STORAGE_UNAVAILABLE
    assert protocol_error(InvalidFeedbackError("empty"))[0] is ErrorCode.BAD_FRAME
    assert protocol_error(StorageError("disk"))[0] is ErrorCode.INTERNAL


class _TeapotError(AssistantError):
    code = "teapot"
    http_status = 418


async def test_a_new_error_needs_only_its_code_and_status() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/teapot")
    async def teapot() -> None:
        raise _TeapotError("short and stout", [{"kind": "spout"}], retry_after_s=2.5)

    @app.get("/disk")
    async def disk() -> None:
        raise StorageError("/var/lib/postgres is full")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        teapot_answer = await client.get("/teapot")
        disk_answer = await client.get("/disk")

    assert teapot_answer.status_code == 418
    assert teapot_answer.headers["Retry-After"] == "3"
    assert teapot_answer.json() == {
        "error": {"code": "teapot", "message": "short and stout", "details": [{"kind": "spout"}]}
    }
    assert disk_answer.status_code == 500
    assert disk_answer.json() == {"error": {"code": "internal", "message": "the request failed"}}
