"""The synthetic investors of the simulated week (:mod:`evals.proactive_week`), and what the
generator knows about them.

:func:`generate` draws a seeded population (risk levels, assets, permissions, holdings,
expiring documents, failed transfers, unpaid allotments, applications left halfway, margin
ratios); :func:`write_accounts` and :func:`write_feed` write it in the account system's and the
portfolio feed's sample formats; :func:`eligible` says, from the generator's own state and not
from the rules' code, whether a push of a kind was right for an investor. Fictional throughout.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from assistant.accounts import EXCHANGE_TIME, InvestorProfile
from assistant.flows.permission_eligibility import eligibility_gaps
from assistant.flows.rules import PERMISSION_RULES
from assistant.proactive.holding_rules import (
    CONCENTRATION_MIN_VALUE,
    CONCENTRATION_SHARE,
    MARGIN_WARNING_LINE,
)

FIRST_DAY = date(2026, 12, 14)  # a Monday


SECURITIES = [
    ("600101", "模拟银行", "R3"),
    ("600202", "模拟电力", "R3"),
    ("601303", "模拟港口", "R3"),
    ("000404", "模拟地产", "R3"),
    ("002505", "模拟电子", "R3"),
    ("300606", "模拟医疗", "R4"),
    ("300707", "模拟软件", "R4"),
    ("688808", "模拟芯片", "R4"),
    ("688909", "模拟材料", "R5"),
]


PRICE = {code: Decimal(5 + 7 * index) for index, (code, _, _) in enumerate(SECURITIES)}


@dataclass
class SimInvestor:
    """One synthetic investor and what the generator knows about them (the ground truth)."""

    investor_id: str
    risk: str | None
    assets: int
    months: int
    permissions: set[str]
    holdings: dict[str, int]
    risk_expires: date
    id_expires: date | None
    failed_days: dict[date, int] = field(default_factory=dict)
    allotment_day: date | None = None
    allotment_paid: bool = False
    application: tuple[str, date, date] | None = None  # kind, started, last touched
    margin_ratio: dict[date, Decimal] = field(default_factory=dict)
    online: float = 0.3
    questions: int = 1


def generate(count: int, rng: random.Random) -> list[SimInvestor]:
    investors: list[SimInvestor] = []
    for number in range(1, count + 1):
        risk = rng.choice([None, "C1", "C2", "C3", "C3", "C4", "C4", "C5"])
        assets = int(rng.lognormvariate(12.7, 1.0))
        months = rng.choice([0, 6, 12, 24, 36, 60, 120])
        investor = SimInvestor(
            investor_id=f"SIM-{number:04d}",
            risk=risk,
            assets=assets,
            months=months,
            permissions=set(),
            holdings={
                code: rng.choice([100, 200, 500, 1000, 3000])
                for code, _, _ in rng.sample(SECURITIES, rng.choice([0, 1, 1, 2, 3, 4]))
            },
            risk_expires=FIRST_DAY + timedelta(days=rng.randint(-70, 400)),
            id_expires=rng.choice([None, FIRST_DAY + timedelta(days=rng.randint(-40, 3000))]),
            online=rng.choice([0.1, 0.3, 0.6]),
            questions=rng.choice([0, 1, 1, 2, 3]),
        )
        profile = sim_profile(investor)
        for permission in ("chinext", "star", "margin"):
            if not eligibility_gaps(profile, PERMISSION_RULES[permission]) and rng.random() < 0.7:
                investor.permissions.add(permission)
        for day in trading_days(7):
            if rng.random() < 0.05:
                investor.failed_days[day] = rng.choice([1, 2, 3])
        if investor.holdings and rng.random() < 0.1:
            investor.allotment_day = FIRST_DAY + timedelta(days=rng.randint(0, 6))
            investor.allotment_paid = rng.random() < 0.5
        if rng.random() < 0.08:
            started = FIRST_DAY + timedelta(days=rng.randint(-10, 5))
            kind = rng.choice(["chinext", "star", "margin", "stock_connect"])
            investor.application = (kind, started, started)
        if "margin" in investor.permissions:
            ratio = Decimal(rng.choice(["1.35", "1.6", "2.1", "2.8"]))
            for day in trading_days(7):
                ratio = max(Decimal("1.1"), ratio + Decimal(rng.choice(["-0.15", "0", "0.1"])))
                investor.margin_ratio[day] = ratio
        investors.append(investor)
    return investors


def trading_days(count: int) -> list[date]:
    """The simulated days, from the Monday :data:`FIRST_DAY`."""
    return [FIRST_DAY + timedelta(days=offset) for offset in range(count)]


def sim_profile(investor: SimInvestor) -> InvestorProfile:
    """The investor as the account system's profile."""
    return InvestorProfile.model_validate(_profile_json(investor))


def _profile_json(investor: SimInvestor) -> dict[str, Any]:
    names = {code: name for code, name, _ in SECURITIES}
    return {
        "investor_id": investor.investor_id,
        "name": "模拟投资者",
        "risk_level": investor.risk,
        "age": 40,
        "assets_20d_avg": investor.assets,
        "trading_experience_months": investor.months,
        "holdings": [
            {"code": code, "name": names[code], "quantity": quantity}
            for code, quantity in investor.holdings.items()
        ],
        "permissions": sorted(investor.permissions),
        "phone_masked": "138****0000",
    }


def exchange_moment(day: date, moment: time) -> datetime:
    """``moment`` of ``day`` on the exchanges' clock."""
    return datetime.combine(day, moment, EXCHANGE_TIME)


def write_accounts(path: Path, investors: Sequence[SimInvestor]) -> None:
    entries = []
    for investor in investors:
        transfers = [
            {
                "transfer_id": f"T-{investor.investor_id}-{day}-{n}",
                "direction": "bank_to_securities",
                "amount": "1000",
                "requested_at": exchange_moment(day, time(9, 5 + n)).isoformat(),
                "status": "failed",
                "completed_at": exchange_moment(day, time(9, 6 + n)).isoformat(),
                "failure_reason": "exceeds_limit",
                "bank_name": "模拟银行",
                "bank_card_masked": "6222 **** **** 0001",
            }
            for day, failures in investor.failed_days.items()
            for n in range(failures)
        ]
        ipo = []
        if investor.allotment_day is not None:
            ipo.append(
                {
                    "security_code": "732101",
                    "security_name": "模拟新股",
                    "market": "sse",
                    "kind": "stock",
                    "subscribed_on": (investor.allotment_day - timedelta(days=2)).isoformat(),
                    "subscribed_quantity": 5000,
                    "allotted_quantity": 500,
                    "issue_price": "10.00",
                    "amount_due": "5000.00",
                    "payment_deadline": exchange_moment(
                        investor.allotment_day, time(16)
                    ).isoformat(),
                    "paid": investor.allotment_paid,
                }
            )
        account: dict[str, Any] = {
            "transfers": transfers,
            "ipo": ipo,
            "risk_assessment": {"expires_on": investor.risk_expires.isoformat()},
            "id_documents": [
                {
                    "kind": "resident_id",
                    "number_masked": "1101**********0001",
                    "expires_on": investor.id_expires.isoformat() if investor.id_expires else None,
                }
            ],
        }
        entries.append(_profile_json(investor) | {"account": account})
    path.write_text(json.dumps({"investors": entries}, ensure_ascii=False), "utf-8")


def flagged_codes(day: date) -> dict[str, date]:
    """The market's events: one main-board share becomes ST mid-week, a STAR share *ST."""
    flags: dict[str, date] = {}
    if day >= FIRST_DAY + timedelta(days=2):
        flags["000404"] = FIRST_DAY + timedelta(days=2)
    if day >= FIRST_DAY + timedelta(days=4):
        flags["688909"] = FIRST_DAY + timedelta(days=4)
    return flags


def write_feed(path: Path, investors: Sequence[SimInvestor], day: date) -> None:
    ratings = {code: rating for code, _, rating in SECURITIES}
    names = {code: name for code, name, _ in SECURITIES}
    flags = flagged_codes(day)
    entries = []
    for investor in investors:
        positions = [
            {
                "code": code,
                "name": names[code],
                "market_value": str(PRICE[code] * quantity),
                "product_rating": ratings[code],
            }
            | (
                {
                    "risk_flag": "st" if code == "000404" else "star_st",
                    "flagged_on": str(flags[code]),
                }
                if code in flags
                else {}
            )
            for code, quantity in investor.holdings.items()
        ]
        entry: dict[str, Any] = {"investor_id": investor.investor_id, "positions": positions}
        if day in investor.margin_ratio:
            entry["margin"] = {
                "maintenance_ratio": str(investor.margin_ratio[day]),
                "as_of": exchange_moment(day, time(8)).isoformat(),
            }
        if investor.application is not None:
            kind, started, touched = investor.application
            if started <= day:
                entry["applications"] = [
                    {
                        "application_id": f"APP-{investor.investor_id}",
                        "kind": kind,
                        "started_at": exchange_moment(started, time(20)).isoformat(),
                        "updated_at": exchange_moment(touched, time(20, 10)).isoformat(),
                        "steps_done": 2,
                        "steps_total": 5,
                    }
                ]
        entries.append(entry)
    path.write_text(json.dumps({"investors": entries}, ensure_ascii=False), "utf-8")


def eligible(
    investor: SimInvestor, kind: str, day: date, asked: dict[str, datetime], at: datetime
) -> bool:
    """Written from the generator's state, not from the rules' code."""
    risk_rank = int(investor.risk[1]) if investor.risk else 0
    ratings = {code: int(rating[1]) for code, _, rating in SECURITIES}
    if kind == "st_risk":
        return any(
            code in investor.holdings and 0 <= (day - since).days <= 7
            for code, since in flagged_codes(day).items()
        )
    if kind == "margin_ratio":
        ratio = investor.margin_ratio.get(day)
        return (
            "margin" in investor.permissions and ratio is not None and ratio < MARGIN_WARNING_LINE
        )
    if kind == "risk_mismatch":
        return any(ratings[code] > risk_rank for code in investor.holdings)
    if kind == "allotment_due":
        return (
            investor.allotment_day == day
            and not investor.allotment_paid
            and at < exchange_moment(day, time(16))
        )
    if kind == "risk_assessment_expiry":
        return -30 <= (investor.risk_expires - day).days <= 30
    if kind == "id_expiry":
        return investor.id_expires is not None and -30 <= (investor.id_expires - day).days <= 30
    if kind == "transfer_failures":
        return investor.failed_days.get(day, 0) >= 2
    if kind == "application_halfway":
        if investor.application is None:
            return False
        application_kind, _, touched = investor.application
        return application_kind not in investor.permissions and 1 <= (day - touched).days <= 14
    if kind == "permission_ready":
        return any(
            p not in investor.permissions
            and not eligibility_gaps(sim_profile(investor), PERMISSION_RULES[p])
            for p, first_asked in asked.items()
            if first_asked < at
        )
    if kind == "concentration":
        values = [PRICE[code] * quantity for code, quantity in investor.holdings.items()]
        total = sum(values, Decimal(0))
        return total >= CONCENTRATION_MIN_VALUE and max(values) / total >= CONCENTRATION_SHARE
    return False
