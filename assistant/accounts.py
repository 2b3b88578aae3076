"""The brokerage's account system, seen from the assistant: read-only investor profiles.

This is a true outside boundary. A real brokerage plugs in its own
implementation of :class:`AccountSystem` (its customer database, its CRM);
:class:`JsonAccountSystem` serves the sample investors in
``data/accounts/investors.json`` for development, demos and tests.

The assistant only ever *reads* a profile: it explains eligibility and never
changes permissions.
"""

from __future__ import annotations

import asyncio
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

RiskLevel = Literal["C1", "C2", "C3", "C4", "C5"]
"""The investor's risk-tolerance level from the suitability questionnaire, C1 (conservative) up."""

RISK_LEVELS: tuple[RiskLevel, ...] = ("C1", "C2", "C3", "C4", "C5")

# Masked means the middle digits are hidden: "138****5678". A profile must never carry a
# full phone number into the assistant, so an unmasked one is refused at load time.
_MASKED_PHONE = re.compile(r"^\+?[\d ]{0,6}\*{4,}\d{0,4}$")


class AccountSystemError(Exception):
    """The account data cannot be read or does not make sense."""

    code = "account_system_unavailable"
    http_status = 503


class Holding(BaseModel):
    """One position in the investor's account."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=r"^\d{6}$", description="exchange security code")
    name: str
    quantity: int = Field(ge=0)


class InvestorProfile(BaseModel):
    """What the assistant may know about a logged-in investor."""

    investor_id: str
    name: str
    risk_level: RiskLevel | None = Field(None, description="None: questionnaire not done")
    age: int = Field(ge=0, le=130)
    assets_20d_avg: Decimal = Field(ge=0, description="CNY, average of the last 20 trading days")
    trading_experience_months: int = Field(ge=0)
    holdings: list[Holding] = Field(default_factory=list)
    permissions: set[str] = Field(
        default_factory=set, description="boards already open, e.g. chinext, star, margin"
    )
    phone_masked: str

    @field_validator("phone_masked")
    @classmethod
    def _must_be_masked(cls, value: str) -> str:
        if not _MASKED_PHONE.fullmatch(value):
            raise ValueError("phone number must be masked, e.g. 138****5678")
        return value


class AccountSystem(Protocol):
    """Looks investors up in the brokerage's systems."""

    async def profile(self, investor_id: str) -> InvestorProfile | None:
        """The investor's profile, or ``None`` when the id is unknown."""
        ...

    async def investor_ids(self) -> list[str]:
        """Every investor the system knows, for proactive pushes that target a segment."""
        ...


class _InvestorFile(BaseModel):
    investors: list[InvestorProfile]


class JsonAccountSystem:
    """Profiles from a local JSON file ``{"investors": [...]}``, read once on first use.

    The file is read in a worker thread so the event loop never blocks on
    disk; a lock makes concurrent first requests share one read.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._profiles: dict[str, InvestorProfile] | None = None
        self._lock = asyncio.Lock()

    async def profile(self, investor_id: str) -> InvestorProfile | None:
        profiles = await self._loaded()
        return profiles.get(investor_id)

    async def investor_ids(self) -> list[str]:
        return list(await self._loaded())

    async def _loaded(self) -> dict[str, InvestorProfile]:
        async with self._lock:
            if self._profiles is None:
                self._profiles = await asyncio.to_thread(self._read)
            return self._profiles

    def _read(self) -> dict[str, InvestorProfile]:
        try:
            raw = self._path.read_text("utf-8")
            parsed = _InvestorFile.model_validate(json.loads(raw))
        except (OSError, json.JSONDecodeError, ValidationError) as error:
            raise AccountSystemError(f"{self._path}: {error}") from error
        profiles = {profile.investor_id: profile for profile in parsed.investors}
        if len(profiles) != len(parsed.investors):
            raise AccountSystemError(f"{self._path}: duplicate investor_id")
        return profiles
