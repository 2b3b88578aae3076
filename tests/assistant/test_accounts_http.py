"""The HTTP account system against a local server speaking the contract over a real socket.

The server serves the sample investors (through the JSON account system behind it),
so every lookup over HTTP must equal the same lookup made directly. The adapter is
one object for the whole module, while each test runs its own event loop: that is
how the CLI and the server use it too.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr, ValidationError

from assistant.account_answers import answer_account_query, detect_account_query
from assistant.accounts import (
    EXCHANGE_TIME,
    AccountSystem,
    AccountSystemError,
    HttpAccountSystem,
    JsonAccountSystem,
    StatementRequest,
)
from assistant.api.errors import install_error_handlers
from assistant.settings import Settings
from tests.utils.account_records import transfer_record
from tests.utils.account_server import AccountServer, Respond, Stall
from tests.utils.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "accounts" / "investors.json"
AS_OF = date.fromisoformat(json.loads(SHIPPED.read_text("utf-8"))["as_of"])
TIMEOUT_S = 0.5

Lookup = Callable[[AccountSystem, str], Awaitable[Any]]

LOOKUPS: dict[str, Lookup] = {
    "profile": lambda accounts, investor: accounts.profile(investor),
    "commission": lambda accounts, investor: accounts.commission(investor),
    "transfers": lambda accounts, investor: accounts.transfers(investor, date(2026, 12, 1)),
    "orders": lambda accounts, investor: accounts.orders(investor, date(2026, 12, 14)),
    "ipo": lambda accounts, investor: accounts.ipo_subscriptions(investor, date(2026, 12, 1)),
    "permissions": lambda accounts, investor: accounts.permissions(investor),
    "risk": lambda accounts, investor: accounts.risk_assessment(investor),
    "id_documents": lambda accounts, investor: accounts.id_documents(investor),
    "bank_link": lambda accounts, investor: accounts.bank_link(investor),
    "standing": lambda accounts, investor: accounts.standing(investor),
}


@pytest.fixture(scope="module")
def behind() -> JsonAccountSystem:
    """What the brokerage's server has: the sample investors, as on their as-of day."""
    return JsonAccountSystem(SHIPPED, today=lambda: AS_OF)


@pytest.fixture(scope="module")
def running_server(behind: JsonAccountSystem) -> Iterator[AccountServer]:
    server = AccountServer(behind).start()
    yield server
    server.stop()


@pytest.fixture
def server(running_server: AccountServer) -> AccountServer:
    running_server.reset()
    return running_server


@pytest.fixture(scope="module")
def accounts(running_server: AccountServer) -> HttpAccountSystem:
    return HttpAccountSystem(running_server.base_url, "test-token", timeout_s=TIMEOUT_S)


@pytest.mark.parametrize("lookup", list(LOOKUPS))
@pytest.mark.parametrize("investor", ["INV-1001", "INV-1002", "INV-1004", "INV-1008"])
async def test_every_lookup_over_http_equals_the_same_lookup_made_directly(
    server: AccountServer,
    accounts: HttpAccountSystem,
    behind: JsonAccountSystem,
    lookup: str,
    investor: str,
) -> None:
    over_http = await LOOKUPS[lookup](accounts, investor)

    assert over_http is not None
    assert over_http == await LOOKUPS[lookup](behind, investor)


async def test_the_investor_list_is_read_page_by_page(
    server: AccountServer, accounts: HttpAccountSystem, behind: JsonAccountSystem
) -> None:
    ids = await accounts.investor_ids()

    assert ids == await behind.investor_ids()
    assert len(server.requests) > 1  # 8 investors, 3 to a page
    assert [r.query.get("cursor") for r in server.requests][:2] == [None, "3"]


async def test_the_bearer_token_and_the_since_date_are_sent(
    server: AccountServer, accounts: HttpAccountSystem
) -> None:
    await accounts.transfers("INV-1001", date(2026, 12, 14))

    (request,) = server.requests
    assert request.path == "/v1/investors/INV-1001/transfers"
    assert request.query == {"since": "2026-12-14"}
    assert request.headers["authorization"] == "Bearer test-token"
    assert request.headers["accept"] == "application/json"


async def test_a_statement_request_is_posted_once_and_its_receipt_read(
    server: AccountServer, accounts: HttpAccountSystem, behind: JsonAccountSystem
) -> None:
    filed_before = len(behind.statements)
    request = StatementRequest(
        kind="statement", period_start=date(2026, 11, 1), period_end=date(2026, 11, 30)
    )

    receipt = await accounts.request_statement("INV-1001", request)

    assert receipt is not None and receipt.investor_id == "INV-1001"
    assert receipt.delivered_to_masked == "wa****@example.com"
    (posted,) = server.requests
    assert posted.method == "POST" and posted.path == "/v1/investors/INV-1001/statements"
    assert json.loads(posted.body) == {
        "kind": "statement",
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "language": "zh",
    }
    assert behind.statements[filed_before:] == [receipt]


async def test_an_english_document_is_asked_for_and_its_receipt_says_so(
    server: AccountServer, accounts: HttpAccountSystem
) -> None:
    day = date(2026, 12, 4)
    request = StatementRequest(
        kind="asset_certificate", period_start=day, period_end=day, language="en"
    )

    receipt = await accounts.request_statement("INV-1001", request)

    assert receipt is not None and receipt.language == "en"
    assert json.loads(server.requests[-1].body)["language"] == "en"


@pytest.mark.parametrize("lookup", list(LOOKUPS))
async def test_an_unknown_investor_is_none(
    server: AccountServer, accounts: HttpAccountSystem, lookup: str
) -> None:
    assert await LOOKUPS[lookup](accounts, "INV-NOPE") is None


async def test_an_id_that_is_not_one_path_segment_is_unknown_without_a_request(
    server: AccountServer, accounts: HttpAccountSystem
) -> None:
    for odd in ("../investors", "INV/1001", "", "INV 1001"):
        assert await accounts.commission(odd) is None
    assert server.requests == []


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (Respond(500, '{"error": {"code": "internal", "message": "boom"}}'), "HTTP 500"),
        (Respond(503, "upstream down", "text/plain"), "HTTP 503"),
        (Respond(404, '{"error": {"code": "not_found"}}'), "HTTP 404"),
        (Respond(404, "<html>Not Found</html>", "text/html"), "HTTP 404"),
        (Respond(200, "{not json"), "breaks the contract"),
        (Respond(200, "null"), "breaks the contract"),
        (Respond(200, '{"investor_id": "INV-1001", "rates": "cheap"}'), "breaks the contract"),
        (Respond(302, ""), "HTTP 302"),
        (Stall(5.0), "no answer within 0.5 s"),
    ],
)
async def test_a_failing_account_system_is_an_account_system_error(
    server: AccountServer, accounts: HttpAccountSystem, script: Respond | Stall, reason: str
) -> None:
    server.script["commission"] = script
    started = time.monotonic()

    with pytest.raises(AccountSystemError, match=reason) as raised:
        await accounts.commission("INV-1001")

    assert time.monotonic() - started < TIMEOUT_S + 1.0
    assert raised.value.code == "account_system_unavailable"
    assert raised.value.http_status == 503


async def test_a_wrong_token_is_an_error_that_names_the_token(server: AccountServer) -> None:
    wrong = HttpAccountSystem(server.base_url, "not-the-token", timeout_s=TIMEOUT_S)

    with pytest.raises(AccountSystemError, match="bearer token"):
        await wrong.risk_assessment("INV-1001")
    await wrong.aclose()


async def test_a_record_with_unmasked_personal_data_is_refused_without_repeating_it(
    server: AccountServer, accounts: HttpAccountSystem
) -> None:
    card = "6222021234567890123"
    transfer = transfer_record(bank_card_masked=card)
    body = {"investor_id": "INV-1001", "since": "2026-12-01", "transfers": [transfer]}
    server.script["transfers"] = Respond(200, json.dumps(body))

    with pytest.raises(AccountSystemError, match="bank_card_masked") as raised:
        await accounts.transfers("INV-1001", date(2026, 12, 1))

    assert card not in str(raised.value)


async def test_an_answer_about_another_investor_is_refused(
    server: AccountServer, accounts: HttpAccountSystem, behind: JsonAccountSystem
) -> None:
    other = await behind.commission("INV-1002")
    assert other is not None
    server.script["commission"] = Respond(200, other.model_dump_json())

    with pytest.raises(AccountSystemError, match="another investor"):
        await accounts.commission("INV-1001")


async def test_a_server_that_is_not_there_is_an_account_system_error() -> None:
    nobody = HttpAccountSystem(f"http://127.0.0.1:{free_port()}", "t", timeout_s=TIMEOUT_S)

    with pytest.raises(AccountSystemError, match="unreachable"):
        await nobody.permissions("INV-1001")


async def test_a_failing_account_system_gives_a_retry_later_answer(
    server: AccountServer, accounts: HttpAccountSystem
) -> None:
    server.script["transfers"] = Respond(500, "{}")
    query = detect_account_query("我昨天转的钱到了没")
    assert query is not None

    answer = await answer_account_query(query, "INV-1001", accounts, "zh")

    assert answer.failed and not answer.needs_sign_in
    assert "稍后再试" in answer.text
    assert answer.facts_used == []


async def test_an_answer_over_http_carries_the_investors_own_figures(
    server: AccountServer, accounts: HttpAccountSystem
) -> None:
    query = detect_account_query("did I win the IPO")
    assert query is not None
    now = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 10, 30, tzinfo=EXCHANGE_TIME)

    answer = await answer_account_query(query, "INV-1001", accounts, "en", now=now)

    assert not answer.failed
    assert "CNY 6,170.00 due by 16:00 today" in answer.text
    assert server.requests[0].path == "/v1/investors/INV-1001/ipo"


async def test_closing_releases_the_client_and_a_later_call_reconnects(
    server: AccountServer,
) -> None:
    accounts = HttpAccountSystem(server.base_url, "test-token", timeout_s=TIMEOUT_S)
    assert await accounts.risk_assessment("INV-1001") is not None

    await accounts.aclose()

    assert await accounts.risk_assessment("INV-1001") is not None
    await accounts.aclose()


def test_a_url_that_is_not_http_is_refused_at_construction() -> None:
    for bad in ("ftp://accounts", "accounts.internal", "http://"):
        with pytest.raises(ValueError, match="must be http"):
            HttpAccountSystem(bad)


def test_the_settings_choose_the_http_system_only_when_its_url_is_set(tmp_path: Path) -> None:
    from assistant.assembly import build_account_system

    sample = build_account_system(Settings(state_dir=tmp_path))
    remote = build_account_system(
        Settings(
            state_dir=tmp_path,
            accounts_url="https://accounts.internal/",
            accounts_token=SecretStr("t0ken"),
        )
    )

    assert isinstance(sample, JsonAccountSystem)
    assert isinstance(remote, HttpAccountSystem)
    assert remote.base_url == "https://accounts.internal"


def test_production_refuses_an_account_system_without_a_real_token(tmp_path: Path) -> None:
    # A secret production accepts (since the security branch, "s" * 32 is refused as too
    # predictable), so the only thing refused below is the account-system token.
    strong = SecretStr(secrets.token_urlsafe(32))
    production = {"state_dir": tmp_path, "mode": "production", "secret_key": strong}

    with pytest.raises(ValidationError, match="ACCOUNTS_TOKEN"):
        Settings(**production, accounts_url="https://accounts.internal")
    with pytest.raises(ValidationError, match="ACCOUNTS_TOKEN"):
        Settings(
            **production, accounts_url="https://a.internal", accounts_token=SecretStr("secret")
        )
    Settings(**production)  # the sample file needs no token
    with pytest.raises(ValidationError, match="accounts_url"):
        Settings(state_dir=tmp_path, accounts_url="accounts.internal")


async def test_an_account_system_error_reaching_our_api_is_a_503_with_its_code() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/profile")
    async def profile() -> None:
        raise AccountSystemError("account system profile: HTTP 500")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/profile")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "account_system_unavailable"
    assert "HTTP 500" not in response.text  # internals stay in the log


async def test_the_linked_card_and_a_change_under_way_are_read_over_http(
    server: AccountServer, accounts: HttpAccountSystem
) -> None:
    query = detect_account_query("which bank card is linked to my account")
    assert query is not None

    answer = await answer_account_query(query, "INV-1002", accounts, "en")

    assert not answer.failed
    assert "中国建设银行" in answer.text and "ending 8866" in answer.text
    assert "招商银行 card ending 2002" in answer.text and "in progress" in answer.text
    assert answer.facts_used == ["bank_link:card", "bank_link:pending_change"]
    assert server.requests[0].path == "/v1/investors/INV-1002/bank-link"


async def test_a_judicial_freeze_read_over_http_hands_over_to_a_person(
    server: AccountServer, accounts: HttpAccountSystem
) -> None:
    query = detect_account_query("我的账户为什么被冻结了")
    assert query is not None

    answer = await answer_account_query(query, "INV-1008", accounts, "zh")

    assert "司法冻结" in answer.text and "无权解冻" in answer.text
    assert answer.offer_person and "转人工" in answer.text
    assert answer.facts_used == [
        "account_status:frozen",
        "restriction:whole_account:judicial_freeze",
    ]
    assert server.requests[0].path == "/v1/investors/INV-1008/standing"


async def test_an_unmasked_linked_card_is_refused_and_never_logged(
    server: AccountServer, accounts: HttpAccountSystem, caplog: pytest.LogCaptureFixture
) -> None:
    card = "6222021234567890123"
    body = {"investor_id": "INV-1001", "card": {"bank_name": "示例银行", "card_masked": card}}
    server.script["bank_link"] = Respond(200, json.dumps(body))
    query = detect_account_query("我绑的是哪张银行卡")
    assert query is not None

    answer = await answer_account_query(query, "INV-1001", accounts, "zh")

    assert answer.failed and "稍后再试" in answer.text
    assert "card_masked" in caplog.text
    assert card not in caplog.text and card not in answer.text


async def test_a_standing_that_contradicts_itself_is_an_account_system_error(
    server: AccountServer, accounts: HttpAccountSystem
) -> None:
    body = {"investor_id": "INV-1001", "status": "frozen", "restrictions": []}
    server.script["standing"] = Respond(200, json.dumps(body))

    with pytest.raises(AccountSystemError, match="breaks the contract"):
        await accounts.standing("INV-1001")
