"""The JSON-backed account system and the sample investors it ships with."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.accounts import (
    EXCHANGE_TIME,
    AccountSystem,
    AccountSystemError,
    InvestorProfile,
    JsonAccountSystem,
    StatementRequest,
)
from tests.utils.account_records import order_record, transfer_record

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "accounts" / "investors.json"


def _investor(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "investor_id": "INV-T1",
        "name": "测试甲",
        "risk_level": "C3",
        "age": 30,
        "assets_20d_avg": 123456.78,
        "trading_experience_months": 12,
        "holdings": [{"code": "600001", "name": "示例银行（虚构）", "quantity": 100}],
        "permissions": ["chinext"],
        "phone_masked": "138****0000",
    }
    record.update(overrides)
    return record


def _write(path: Path, *investors: dict[str, object]) -> Path:
    path.write_text(json.dumps({"investors": list(investors)}, ensure_ascii=False), "utf-8")
    return path


async def test_a_profile_is_read_with_its_types(tmp_path: Path) -> None:
    accounts: AccountSystem = JsonAccountSystem(_write(tmp_path / "a.json", _investor()))

    profile = await accounts.profile("INV-T1")

    assert profile is not None
    assert profile.assets_20d_avg == Decimal("123456.78")  # money stays exact
    assert profile.permissions == {"chinext"}
    assert profile.holdings[0].quantity == 100


async def test_an_unknown_investor_has_no_profile(tmp_path: Path) -> None:
    accounts = JsonAccountSystem(_write(tmp_path / "a.json", _investor()))

    assert await accounts.profile("INV-NOPE") is None


async def test_the_file_is_read_once(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.json", _investor())
    accounts = JsonAccountSystem(path)
    first, second = await asyncio.gather(accounts.profile("INV-T1"), accounts.profile("INV-T1"))
    path.unlink()

    assert first is second is not None
    assert await accounts.profile("INV-T1") is first


@pytest.mark.parametrize(
    "investor",
    [
        _investor(phone_masked="13800001234"),  # an unmasked phone number must never load
        _investor(risk_level="C6"),
        _investor(age=-1),
        _investor(holdings=[{"code": "ABC", "name": "x", "quantity": 1}]),
    ],
)
async def test_bad_records_are_refused(tmp_path: Path, investor: dict[str, object]) -> None:
    accounts = JsonAccountSystem(_write(tmp_path / "a.json", investor))

    with pytest.raises(AccountSystemError):
        await accounts.profile("INV-T1")


async def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    accounts = JsonAccountSystem(_write(tmp_path / "a.json", _investor(), _investor()))

    with pytest.raises(AccountSystemError, match="duplicate"):
        await accounts.profile("INV-T1")


async def test_a_missing_or_broken_file_is_an_account_system_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", "utf-8")

    for path in (tmp_path / "absent.json", broken):
        with pytest.raises(AccountSystemError):
            await JsonAccountSystem(path).profile("INV-T1")


@pytest.fixture(scope="module")
def samples() -> list[InvestorProfile]:
    ids = [record["investor_id"] for record in json.loads(SHIPPED.read_text("utf-8"))["investors"]]

    async def load() -> list[InvestorProfile]:
        accounts = JsonAccountSystem(SHIPPED)
        return [profile for id_ in ids if (profile := await accounts.profile(id_)) is not None]

    return asyncio.run(load())


def test_the_samples_cover_the_cases_the_flows_must_handle(samples: list[InvestorProfile]) -> None:
    assert 7 <= len(samples) <= 10
    assert any(p.age < 18 for p in samples)
    assert any(p.age >= 70 for p in samples)
    assert any(p.risk_level == "C1" for p in samples)
    assert any(p.risk_level is None for p in samples)
    assert any(p.assets_20d_avg == 80_000 for p in samples)
    assert any(p.holdings for p in samples)
    chinext_not_star = [
        p
        for p in samples
        if 100_000 <= p.assets_20d_avg < 500_000
        and p.trading_experience_months >= 24
        and p.risk_level in ("C4", "C5")
    ]
    everything = [
        p
        for p in samples
        if p.assets_20d_avg >= 500_000
        and p.trading_experience_months >= 24
        and p.risk_level in ("C4", "C5")
        and p.age >= 18
    ]
    assert chinext_not_star and everything


def test_every_sample_phone_is_masked(samples: list[InvestorProfile]) -> None:
    assert all("****" in p.phone_masked for p in samples)


AS_OF = date.fromisoformat(json.loads(SHIPPED.read_text("utf-8"))["as_of"])


def _on(day: date) -> JsonAccountSystem:
    return JsonAccountSystem(SHIPPED, today=lambda: day)


async def test_a_profile_carries_no_account_records() -> None:
    profile = await _on(AS_OF).profile("INV-1001")

    assert profile is not None
    assert type(profile) is InvestorProfile
    assert "account" not in profile.model_dump()


async def test_every_account_lookup_of_an_unknown_investor_is_none() -> None:
    accounts = _on(AS_OF)
    since = AS_OF - timedelta(days=30)
    request = StatementRequest(kind="statement", period_start=since, period_end=AS_OF)

    assert await accounts.commission("INV-NOPE") is None
    assert await accounts.transfers("INV-NOPE", since) is None
    assert await accounts.orders("INV-NOPE", since) is None
    assert await accounts.ipo_subscriptions("INV-NOPE", since) is None
    assert await accounts.permissions("INV-NOPE") is None
    assert await accounts.risk_assessment("INV-NOPE") is None
    assert await accounts.id_documents("INV-NOPE") is None
    assert await accounts.request_statement("INV-NOPE", request) is None
    assert accounts.statements == []


async def test_the_samples_dates_are_served_moved_forward_to_today() -> None:
    later = AS_OF + timedelta(days=10)

    then = await _on(AS_OF).ipo_subscriptions("INV-1001", AS_OF - timedelta(days=14))
    now = await _on(later).ipo_subscriptions("INV-1001", later - timedelta(days=14))

    assert then is not None and now is not None
    due_then = [s.payment_deadline for s in then.subscriptions if s.payment_deadline]
    due_now = [s.payment_deadline for s in now.subscriptions if s.payment_deadline]
    assert [d.date() for d in due_then] == [AS_OF]
    assert [d.date() for d in due_now] == [later]
    assert due_now[0].hour == 16 and due_now[0].utcoffset() == timedelta(hours=8)


async def test_records_come_newest_first_whatever_the_files_order(tmp_path: Path) -> None:
    morning = transfer_record(transfer_id="T-morning", requested_at="2026-12-15T09:00:00+08:00")
    noon = transfer_record(transfer_id="T-noon", requested_at="2026-12-15T12:00:00+08:00")
    accounts = JsonAccountSystem(
        _write(tmp_path / "a.json", _investor(account={"transfers": [morning, noon]}))
    )

    history = await accounts.transfers("INV-T1", date(2026, 12, 15))

    assert history is not None
    assert [t.transfer_id for t in history.transfers] == ["T-noon", "T-morning"]


async def test_records_since_a_day_come_newest_first() -> None:
    history = await _on(AS_OF).transfers("INV-1001", AS_OF - timedelta(days=1))

    assert history is not None
    moments = [t.requested_at for t in history.transfers]
    assert moments == sorted(moments, reverse=True)
    assert {m.astimezone(EXCHANGE_TIME).date() for m in moments} == {
        AS_OF,
        AS_OF - timedelta(days=1),
    }
    everything = await _on(AS_OF).transfers("INV-1001", AS_OF - timedelta(days=30))
    assert everything is not None and len(everything.transfers) > len(history.transfers)


async def test_two_sample_investors_carry_every_status_the_answers_must_explain() -> None:
    accounts = _on(AS_OF)
    week_ago = AS_OF - timedelta(days=14)
    rich = {}
    for investor in ("INV-1001", "INV-1002"):
        transfers = await accounts.transfers(investor, week_ago)
        orders = await accounts.orders(investor, week_ago)
        ipo = await accounts.ipo_subscriptions(investor, week_ago)
        risk = await accounts.risk_assessment(investor)
        documents = await accounts.id_documents(investor)
        commission = await accounts.commission(investor)
        assert transfers and orders and ipo and risk and documents and commission
        rich[investor] = (transfers, orders, ipo, risk, documents, commission)

    transfers, orders, ipo, risk, _, commission = rich["INV-1001"]
    assert {t.status for t in transfers.transfers} == {"pending", "failed", "succeeded"}
    assert {o.status for o in orders.orders} >= {"partially_filled", "rejected", "cancelled"}
    due_today = [
        s for s in ipo.subscriptions if s.payment_deadline and s.payment_deadline.date() == AS_OF
    ]
    assert len(due_today) == 1 and not due_today[0].paid and due_today[0].amount_due > 0
    assert any(s.allotted_quantity is None for s in ipo.subscriptions)  # result still to come
    assert risk.expires_on is not None and 0 < (risk.expires_on - AS_OF).days <= 30
    assert {rate.product for rate in commission.rates} == {
        "a_share",
        "etf",
        "convertible_bond",
        "stock_connect",
    }

    transfers, orders, ipo, _, documents, other = rich["INV-1002"]
    assert "failed" in {t.status for t in transfers.transfers}
    assert {"pending", "filled", "rejected"} <= {o.status for o in orders.orders}
    assert any(s.paid for s in ipo.subscriptions)
    expiry = documents.documents[0].expires_on
    assert expiry is not None and 0 < (expiry - AS_OF).days <= 90
    assert other.rates != commission.rates  # so one investor's figures cannot pass for another's
    grants = await accounts.permissions("INV-1002")
    assert grants is not None and [
        (g.permission, g.granted_on is not None) for g in grants.grants
    ] == [("chinext", True)]


async def test_an_investor_without_account_records_gets_the_standard_commission(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.json"
    standard = {"rates": [{"product": "a_share", "rate": "0.0003", "minimum_per_order": 5}]}
    path.write_text(
        json.dumps({"standard_commission": standard, "investors": [_investor()]}), "utf-8"
    )
    accounts = JsonAccountSystem(path)

    commission = await accounts.commission("INV-T1")
    transfers = await accounts.transfers("INV-T1", date(2000, 1, 1))
    grants = await accounts.permissions("INV-T1")

    assert commission is not None and commission.rates[0].rate == Decimal("0.0003")
    assert transfers is not None and transfers.transfers == []
    # the profile's permission without a dated grant is still reported, undated
    assert grants is not None and [(g.permission, g.granted_on) for g in grants.grants] == [
        ("chinext", None)
    ]


@pytest.mark.parametrize(
    "account",
    [
        {"transfers": [transfer_record(bank_card_masked="6222021234567890123")]},
        {"transfers": [transfer_record(status="failed")]},  # a failure needs its reason
        {"transfers": [transfer_record(failure_reason="exceeds_limit")]},  # only a failure has one
        {"orders": [order_record(filled_quantity=400)]},  # pending, yet partly filled
        {"orders": [order_record(status="rejected")]},  # rejected without a reason
        {"orders": [order_record(status="filled", filled_quantity=1000)]},  # no fill price
        {"permission_grants": [{"permission": "star"}]},  # not among the profile's permissions
        {"id_documents": [{"kind": "resident_id", "number_masked": "110105199001011234"}]},
        {"statement_email_masked": "wang.shili@example.com"},
        {"unknown_section": []},
    ],
)
async def test_account_records_that_break_the_contract_are_refused(
    tmp_path: Path, account: dict[str, object]
) -> None:
    accounts = JsonAccountSystem(_write(tmp_path / "a.json", _investor(account=account)))

    with pytest.raises(AccountSystemError) as raised:
        await accounts.profile("INV-T1")

    assert "1234" not in str(raised.value)  # the offending value is not repeated


async def test_each_statement_request_is_filed_with_its_own_id() -> None:
    accounts = _on(AS_OF)
    month = StatementRequest(
        kind="statement", period_start=date(2026, 11, 1), period_end=date(2026, 11, 30)
    )
    certificate = StatementRequest(kind="asset_certificate", period_start=AS_OF, period_end=AS_OF)

    first = await accounts.request_statement("INV-1001", month)
    second = await accounts.request_statement("INV-1002", certificate)

    assert first is not None and second is not None
    assert first.request_id != second.request_id
    assert accounts.statements == [first, second]
    assert (first.delivery_channel, first.delivered_to_masked) == ("email", "wa****@example.com")
    assert (second.delivery_channel, second.delivered_to_masked) == ("app", None)
    assert first.ready_by > datetime.combine(AS_OF, time(), EXCHANGE_TIME)


def test_a_statement_period_must_run_forwards() -> None:
    with pytest.raises(ValidationError):
        StatementRequest(kind="statement", period_start=AS_OF, period_end=AS_OF - timedelta(1))
