"""Account records as the contract spells them (JSON-ready dicts), for tests to vary."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from assistant.account_answers import AccountAnswer, answer_account_query, detect_account_query
from assistant.accounts import EXCHANGE_TIME, AccountSystem
from assistant.dialogue_models import Language

SAMPLE_INVESTORS = Path(__file__).resolve().parents[2] / "data" / "accounts" / "investors.json"
"""The shipped sample investors."""
SAMPLE_AS_OF = date.fromisoformat(json.loads(SAMPLE_INVESTORS.read_text("utf-8"))["as_of"])
"""The day the sample's dates are written as seen on; tests serve them on that day."""
SAMPLE_MORNING = datetime(
    SAMPLE_AS_OF.year, SAMPLE_AS_OF.month, SAMPLE_AS_OF.day, 10, 30, tzinfo=EXCHANGE_TIME
)
"""10:30 exchange time on the sample's as-of day: the moment account questions are asked."""


async def ask_account(
    accounts: AccountSystem,
    text: str,
    investor: str | None = "INV-1001",
    language: Language = "zh",
    now: datetime = SAMPLE_MORNING,
) -> AccountAnswer:
    """Detect the account question in ``text`` (it must be one) and answer it for ``investor``."""
    query = detect_account_query(text)
    assert query is not None, text
    return await answer_account_query(query, investor, accounts, language, now=now)


def transfer_record(**overrides: Any) -> dict[str, Any]:
    """A pending bank-to-securities transfer; override any field."""
    return {
        "transfer_id": "T1",
        "direction": "bank_to_securities",
        "amount": "100.00",
        "requested_at": "2026-12-15T09:00:00+08:00",
        "status": "pending",
        "bank_name": "示例银行",
        "bank_card_masked": "6222 **** **** 0123",
    } | overrides


def order_record(**overrides: Any) -> dict[str, Any]:
    """A pending limit order to buy 1,000 shares; override any field."""
    return {
        "order_id": "O1",
        "placed_at": "2026-12-15T09:31:00+08:00",
        "security_code": "600001",
        "security_name": "示例银行（虚构）",
        "market": "sse",
        "side": "buy",
        "price": "10.50",
        "quantity": 1000,
        "status": "pending",
    } | overrides
