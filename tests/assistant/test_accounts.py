"""The JSON-backed account system and the sample investors it ships with."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.accounts import AccountSystem, AccountSystemError, InvestorProfile, JsonAccountSystem

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
