"""The brokerage's rules that the flows explain, and the names of what they apply to.

Age limits; the products and boards an investor may ask about, with their
labels (kept in :mod:`assistant.boards`, re-exported here); the lowest risk
level each needs, from the one suitability table (:mod:`assistant.suitability`);
and :data:`PERMISSION_RULES`, what a board permission needs beyond that risk
level (assets, trading experience).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from assistant.accounts import RISK_LEVELS, RiskLevel
from assistant.boards import LABELS as LABELS
from assistant.boards import Board as Board
from assistant.boards import Product as Product
from assistant.boards import read_board as read_board
from assistant.suitability import PRODUCT_RISK
from intents.flow_engine import Localized

ADULT_AGE = 18
MIN_ACCOUNT_AGE = 16
SENIOR_AGE = 70

_SUITABILITY_PRODUCT: Mapping[str, str] = {"star": "star_market"}
"""The flows' product names that ``assistant.suitability`` spells differently."""


def required_risk_level(product: str) -> RiskLevel | None:
    """The lowest questionnaire level for a product, from the one suitability table
    (:data:`assistant.suitability.PRODUCT_RISK`); None for a product it does not rate."""
    risk = PRODUCT_RISK.get(_SUITABILITY_PRODUCT.get(product, product))
    if risk is None:
        return None
    return RISK_LEVELS[risk.level - 1]


_RISK_RANK: Mapping[str, int] = {level: rank for rank, level in enumerate(RISK_LEVELS)}


def risk_at_least(level: str | None, minimum: RiskLevel) -> bool:
    """Whether ``level`` reaches ``minimum``; a missing or unknown level never does."""
    return level is not None and _RISK_RANK.get(level, -1) >= _RISK_RANK[minimum]


@dataclass(frozen=True)
class PermissionRule:
    """What an account must show before a board permission can be applied for."""

    board: Board
    min_assets: Decimal  # CNY, average daily assets over the last 20 trading days
    min_months: int  # months of securities trading experience
    note: Localized | None = None

    @property
    def min_risk(self) -> RiskLevel:
        level = required_risk_level(self.board)
        if level is None:  # a permission rule for a product suitability does not rate
            raise KeyError(f"assistant.suitability has no rating for {self.board!r}")
        return level

    @property
    def label(self) -> Localized:
        return LABELS[self.board]


PERMISSION_RULES: Mapping[str, PermissionRule] = {
    "chinext": PermissionRule("chinext", Decimal(100_000), 24),
    "star": PermissionRule("star", Decimal(500_000), 24),
    "bse": PermissionRule("bse", Decimal(500_000), 24),
    "margin": PermissionRule(
        "margin",
        Decimal(500_000),
        6,
        Localized(
            "融资融券需要单独开立信用账户，通常还需与工作人员完成视频或现场见证。",
            "Margin needs a separate credit account, usually with a video or in-person "
            "verification by our staff.",
        ),
    ),
    "stock_connect": PermissionRule("stock_connect", Decimal(500_000), 0),
    "convertible_bond": PermissionRule("convertible_bond", Decimal(100_000), 24),
}
