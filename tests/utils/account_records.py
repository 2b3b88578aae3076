"""Account records as the contract spells them (JSON-ready dicts), for tests to vary."""

from __future__ import annotations

from typing import Any


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
