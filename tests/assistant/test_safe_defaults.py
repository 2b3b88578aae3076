"""Safe defaults (issue 12, findings 1 and 6): development features only in development
mode on loopback, production refusing weak secrets and long-lived tokens, no API docs in
production, and a demo account that dies with development mode. Each test performs the
attack against a running app (or the real ``assistant serve``)."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.app import DemoAgentError, ensure_demo_agent
from assistant.settings import Settings
from channels.tokens import SessionTokens
from tests.utils.live_app import (
    AgentClient,
    InvestorClient,
    LiveApp,
    app_settings,
    shared_assistant,
)
from tests.utils.processes import ASSISTANT

PRODUCTION_SECRET = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def exposed(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    """Development mode, configured to listen on every interface (``--host 0.0.0.0``)."""
    app = LiveApp(
        app_settings(tmp_path_factory.mktemp("exposed-app"), sample_kb.directory, host="0.0.0.0"),
        shared_assistant(sample_kb.directory),
    )
    yield app.start()
    app.stop()


@pytest.fixture(scope="module")
def production(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    app = LiveApp(
        app_settings(
            tmp_path_factory.mktemp("production-defaults"),
            sample_kb.directory,
            mode="production",
            secret_key=PRODUCTION_SECRET,
        ),
        shared_assistant(sample_kb.directory),
    )
    yield app.start()
    app.stop()


async def test_nobody_can_mint_an_investor_token_when_development_mode_is_not_on_loopback(
    exposed: LiveApp,
) -> None:
    async with exposed.http() as http:
        minted = await http.post("/api/dev/token", json={"investor_id": "INV-1002"})

    assert minted.status_code == 404, "an impersonator got a token for someone else"
    assert minted.json()["error"]["code"] == "not_found"


async def test_the_demo_agent_is_not_made_when_development_mode_is_not_on_loopback(
    exposed: LiveApp,
) -> None:
    with pytest.raises(DemoAgentError):
        await exposed.acall(ensure_demo_agent)
    assert not (exposed.settings.state_dir / "demo-agent.txt").exists()


def test_serve_in_development_mode_refuses_a_public_interface(tmp_path: Path) -> None:
    env = {**os.environ, "BROKERDESK_STATE_DIR": str(tmp_path), "BROKERDESK_MODE": "development"}
    served = subprocess.run(
        [ASSISTANT, "serve", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # before the fix it starts serving, and this times out
        check=False,
    )

    assert served.returncode == 2
    assert "loopback only" in served.stderr
    assert "BROKERDESK_MODE=production" in served.stderr


@pytest.mark.parametrize(
    "secret",
    [
        "x",
        "password",
        "dev-secret",
        "Change-Me",
        "short-but-not-a-placeholder",  # under 32 characters
        "a" * 64,
        "password" * 5,
        "abcd" * 10,
    ],
)
def test_production_refuses_a_weak_or_placeholder_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="BROKERDESK_SECRET_KEY"):
        Settings(mode="production", secret_key=secret)


def test_production_accepts_a_random_secret() -> None:
    for secret in (secrets.token_urlsafe(32), secrets.token_hex(16)):
        assert Settings(mode="production", secret_key=secret).mode == "production"


def test_serve_in_production_with_a_weak_secret_says_why_and_stops(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BROKERDESK_STATE_DIR": str(tmp_path),
        "BROKERDESK_MODE": "production",
        "BROKERDESK_SECRET_KEY": "hunter2",
    }
    served = subprocess.run(
        [ASSISTANT, "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    stderr = " ".join(served.stderr.split())

    assert served.returncode == 2
    assert "BROKERDESK_SECRET_KEY is shorter than 32 characters" in stderr
    assert "Traceback" not in stderr
    assert "hunter2" not in stderr, "the refused secret is not echoed"


def test_the_token_lifetime_setting_is_capped() -> None:
    with pytest.raises(ValidationError, match="SESSION_TOKEN_MAX_TTL_S"):
        Settings(session_token_ttl_s=100 * 365 * 86400)
    with pytest.raises(ValidationError):
        Settings(session_token_max_ttl_s=100 * 365 * 86400)


async def test_a_token_signed_to_last_a_century_is_refused(production: LiveApp) -> None:
    century = 100 * 365 * 86400
    key = production.settings.secret_key.get_secret_value()
    # A backend that signs tokens for a century (with the right secret): one leaks.
    long_lived = SessionTokens(key, century, max_ttl_s=century).issue("INV-1001")
    async with production.http(headers={"Authorization": f"Bearer {long_lived}"}) as http:
        response = await http.post("/api/sessions")
    client = await InvestorClient.connect(production.ws_url)
    await client.send({"type": "hello", "v": 1, "token": long_lived})
    error = await client.expect("error")
    close_code = await client.closed_with()

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert error["code"] == "unauthorized"
    assert close_code == 4401


async def test_a_token_of_a_day_still_works(production: LiveApp) -> None:
    key = production.settings.secret_key.get_secret_value()
    day = SessionTokens(key, 86400).issue("INV-1001")
    async with production.http(headers={"Authorization": f"Bearer {day}"}) as http:
        response = await http.post("/api/sessions")

    assert response.status_code == 200


async def test_the_api_docs_are_not_served_in_production(production: LiveApp) -> None:
    async with production.http() as http:
        responses = [await http.get(path) for path in ("/docs", "/redoc", "/openapi.json")]

    assert [r.status_code for r in responses] == [404, 404, 404]


async def test_production_serves_the_api_docs_when_a_setting_asks(sample_kb, tmp_path) -> None:
    app = LiveApp(
        app_settings(
            tmp_path,
            sample_kb.directory,
            mode="production",
            secret_key=PRODUCTION_SECRET,
            api_docs=True,
        ),
        shared_assistant(sample_kb.directory),
    ).start()
    try:
        async with app.http() as http:
            responses = [await http.get(path) for path in ("/docs", "/openapi.json")]
    finally:
        app.stop()

    assert [r.status_code for r in responses] == [200, 200]


async def test_a_demo_account_made_in_development_cannot_sign_in_in_production(
    sample_kb, tmp_path: Path
) -> None:
    """The same state directory and database, first in development, then in production."""
    development = LiveApp(
        app_settings(tmp_path, sample_kb.directory), shared_assistant(sample_kb.directory)
    ).start()
    try:
        username, password = await development.acall(ensure_demo_agent)
        agent = AgentClient(development)
        await agent.login(username, password)
        cookie = agent.http.cookies.get("bd_staff")
        await agent.close()
    finally:
        development.stop()

    production = LiveApp(
        app_settings(
            tmp_path, sample_kb.directory, mode="production", secret_key=PRODUCTION_SECRET
        ),
        shared_assistant(sample_kb.directory),
    ).start()
    try:
        async with production.http() as http:
            signed_in = await http.post(
                "/api/console/login", json={"username": username, "password": password}
            )
        async with production.http(cookies={"bd_staff": str(cookie)}) as http:
            kept_session = await http.get("/api/console/me")
    finally:
        production.stop()

    assert signed_in.status_code == 401
    assert signed_in.json()["error"]["code"] == "invalid_credentials"
    assert kept_session.status_code == 401


async def test_the_printed_demo_password_signs_in_after_switching_databases(
    sample_kb, tmp_path: Path
) -> None:
    """One database, two state directories: each start prints what its file says, and
    that is what signs in."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    printed: list[tuple[str, str]] = []
    signed_in: list[int] = []
    for state in ("state-a", "state-b", "state-a"):
        app = LiveApp(
            app_settings(tmp_path / state, sample_kb.directory, database_url=database),
            shared_assistant(sample_kb.directory),
        ).start()
        try:
            printed.append(await app.acall(ensure_demo_agent))
            async with app.http() as http:
                answer = await http.post(
                    "/api/console/login",
                    json={"username": printed[-1][0], "password": printed[-1][1]},
                )
            signed_in.append(answer.status_code)
        finally:
            app.stop()

    assert printed[0] == printed[2], "state-a's file keeps its password"
    assert signed_in == [200, 200, 200], "the printed password was wrong"


async def test_the_demo_agent_never_takes_over_a_real_account_of_that_name(
    sample_kb, tmp_path: Path
) -> None:
    app = LiveApp(
        app_settings(tmp_path, sample_kb.directory), shared_assistant(sample_kb.directory)
    ).start()
    try:
        await app.acall(
            lambda runtime: runtime.staff.create_account("agent1", "真客服", "a-real-password-1")
        )
        with pytest.raises(DemoAgentError, match="real account"):
            await app.acall(ensure_demo_agent)
        agent = AgentClient(app)
        body = await agent.login("agent1", "a-real-password-1")
        await agent.close()
    finally:
        app.stop()

    assert body["staff"]["display_name"] == "真客服"


def test_serve_does_not_print_a_demo_password_in_production(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BROKERDESK_STATE_DIR": str(tmp_path),
        "BROKERDESK_MODE": "production",
        "BROKERDESK_SECRET_KEY": PRODUCTION_SECRET,
    }
    started = time.monotonic()
    served = subprocess.run(
        [ASSISTANT, "serve", "--demo-agent", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert served.returncode == 2
    assert "development mode only" in served.stderr
    assert "Console sign-in" not in served.stdout
    assert time.monotonic() - started < 60
