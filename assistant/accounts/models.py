"""What the brokerage's account system tells the assistant: typed, read-only records.

Every model here is part of the contract in ``docs/account-system.md``; the JSON
schemas in ``docs/account-system.schema.json`` are generated from them. Money is
a :class:`~decimal.Decimal` in CNY (send it as a string to keep every cent exact),
trading days are dates, moments are timezone-aware datetimes.

Personal data arrives masked. A record that carries an unmasked phone number,
bank card, ID number or e-mail address is refused, so such data never enters
the assistant through this boundary.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from assistant.pii import find_pii

EXCHANGE_TIME = ZoneInfo("Asia/Shanghai")
"""The exchanges' clock: trading days, deadlines and "today" are read in it."""

RiskLevel = Literal["C1", "C2", "C3", "C4", "C5"]
"""The investor's risk-tolerance level from the suitability questionnaire, C1 (conservative) up."""

RISK_LEVELS: tuple[RiskLevel, ...] = ("C1", "C2", "C3", "C4", "C5")

# Masked means the middle digits are hidden: "138****5678". A profile must never carry a
# full phone number into the assistant, so an unmasked one is refused at load time.
_MASKED_PHONE = re.compile(r"^\+?[\d ]{0,6}\*{4,}\d{0,4}$")


def _must_be_masked(value: str) -> str:
    """Refuse a value that still shows personal data (a card, ID, phone or e-mail in full)."""
    if "****" not in value or find_pii(value):
        raise ValueError("must be masked, e.g. 6222 **** **** 0123 or 110105********002X")
    return value


Masked = Annotated[
    str,
    AfterValidator(_must_be_masked),
    Field(
        min_length=4,
        max_length=64,
        description="masked: at least four '*' in place of the middle characters",
    ),
]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class Holding(_Record):
    """One position in the investor's account."""

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


class InvestorPage(_Record):
    """One page of the investors the system knows (``GET /v1/investors``)."""

    investor_ids: list[str]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page")


CommissionProduct = Literal["a_share", "etf", "convertible_bond", "stock_connect"]
"""A-shares (SSE, SZSE, BSE), exchange-traded funds, convertible bonds, Southbound Stock Connect."""


class CommissionRate(_Record):
    """The firm's commission on one kind of product for this investor."""

    product: CommissionProduct
    rate: Decimal = Field(
        ge=0, le=Decimal("0.003"), description="share of the traded amount: 0.00025 is 0.025%"
    )
    minimum_per_order: Decimal = Field(ge=0, description="CNY charged at least per order")


class CommissionSchedule(_Record):
    """``GET /v1/investors/{id}/commission``: the investor's commission rates.

    Stamp duty, transfer fees and other charges collected for the exchanges,
    the clearing house or the tax office are not commission and are not listed.
    """

    investor_id: str
    effective_from: date | None = Field(None, description="when these rates took effect")
    rates: list[CommissionRate]


TransferDirection = Literal["bank_to_securities", "securities_to_bank"]
TransferStatus = Literal["pending", "succeeded", "failed"]
TransferFailure = Literal[
    "insufficient_bank_balance",
    "insufficient_withdrawable",
    "outside_transfer_hours",
    "wrong_password",
    "bank_card_abnormal",
    "exceeds_limit",
    "bank_system_error",
    "other",
]
"""Why a transfer failed; ``other`` with ``failure_detail`` when none fits."""


class BankTransfer(_Record):
    """One bank-securities transfer (银证转账) and where it stands."""

    transfer_id: str = Field(min_length=1, max_length=64)
    direction: TransferDirection
    amount: Decimal = Field(gt=0, description="CNY")
    requested_at: AwareDatetime
    status: TransferStatus
    completed_at: AwareDatetime | None = Field(None, description="when it succeeded or failed")
    failure_reason: TransferFailure | None = Field(None, description="required when failed")
    failure_detail: str | None = Field(None, max_length=200, description="the bank's own words")
    bank_name: str
    bank_card_masked: Masked

    @model_validator(mode="after")
    def _reason_only_when_failed(self) -> Self:
        if (self.status == "failed") != (self.failure_reason is not None):
            raise ValueError("failure_reason is required when failed, and only then")
        return self


class TransferHistory(_Record):
    """``GET /v1/investors/{id}/transfers?since=``: transfers requested on or after ``since``,
    newest first."""

    investor_id: str
    since: date
    transfers: list[BankTransfer]


Market = Literal["sse", "szse", "bse", "hkex"]
OrderSide = Literal["buy", "sell"]
OrderStatus = Literal[
    "pending", "partially_filled", "filled", "cancelled", "partially_cancelled", "rejected"
]
"""``pending``: with the exchange, nothing filled; ``partially_cancelled``: part filled, the
rest withdrawn (部成部撤); ``rejected``: refused (废单)."""
OrderReason = Literal[
    "investor_cancelled",
    "expired_end_of_day",
    "insufficient_funds",
    "insufficient_position",
    "price_limit",
    "no_permission",
    "outside_trading_hours",
    "other",
]
"""Why an order was cancelled or rejected; ``other`` with ``reason_detail`` when none fits."""

_NEEDS_REASON: frozenset[OrderStatus] = frozenset({"cancelled", "partially_cancelled", "rejected"})


class Order(_Record):
    """One order the investor placed, and how much of it was filled."""

    order_id: str = Field(min_length=1, max_length=64)
    placed_at: AwareDatetime
    security_code: str = Field(pattern=r"^\d{5,6}$")
    security_name: str
    market: Market
    side: OrderSide
    price: Decimal | None = Field(None, gt=0, description="limit price; None: a market order")
    quantity: int = Field(gt=0, description="shares, units or bonds")
    filled_quantity: int = Field(0, ge=0)
    average_fill_price: Decimal | None = Field(None, gt=0, description="set once anything filled")
    status: OrderStatus
    reason: OrderReason | None = Field(None, description="required when cancelled or rejected")
    reason_detail: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        filled, whole = self.filled_quantity, self.quantity
        expected = {
            "pending": filled == 0,
            "partially_filled": 0 < filled < whole,
            "filled": filled == whole,
            "cancelled": filled == 0,
            "partially_cancelled": 0 < filled < whole,
            "rejected": filled == 0,
        }
        if not expected[self.status]:
            raise ValueError(f"filled_quantity {filled} of {whole} contradicts {self.status}")
        if (self.status in _NEEDS_REASON) != (self.reason is not None):
            raise ValueError("reason is required when cancelled or rejected, and only then")
        if (filled > 0) != (self.average_fill_price is not None):
            raise ValueError("average_fill_price is required once anything is filled")
        return self


class OrderHistory(_Record):
    """``GET /v1/investors/{id}/orders?since=``: orders placed on or after ``since``, newest
    first."""

    investor_id: str
    since: date
    orders: list[Order]


IpoKind = Literal["stock", "convertible_bond"]


class IpoSubscription(_Record):
    """One new-share or new-bond subscription (打新), its allotment and its payment."""

    security_code: str = Field(pattern=r"^\d{6}$", description="the subscription code")
    security_name: str
    market: Market
    kind: IpoKind
    subscribed_on: date
    subscribed_quantity: int = Field(gt=0, description="shares, or bonds (张)")
    result_date: date | None = Field(None, description="when the allotment is published")
    allotted_quantity: int | None = Field(None, ge=0, description="None: not published yet")
    issue_price: Decimal = Field(gt=0, description="CNY per share or bond")
    amount_due: Decimal = Field(Decimal(0), ge=0, description="CNY for the allotted quantity")
    payment_deadline: AwareDatetime | None = Field(
        None, description="money must be in the fund account by then; set when allotted"
    )
    paid: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        allotted = self.allotted_quantity or 0
        if allotted > self.subscribed_quantity:
            raise ValueError("allotted more than subscribed")
        if allotted and self.payment_deadline is None:
            raise ValueError("an allotment needs a payment_deadline")
        if not allotted and (self.amount_due or self.paid):
            raise ValueError("nothing is due or paid without an allotment")
        return self


class IpoHistory(_Record):
    """``GET /v1/investors/{id}/ipo?since=``: subscriptions made on or after ``since``, newest
    first."""

    investor_id: str
    since: date
    subscriptions: list[IpoSubscription]


class PermissionGrant(_Record):
    """A trading permission open on the account (创业板, 科创板, 港股通, ...)."""

    permission: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        description="chinext, star, bse, margin, stock_connect, convertible_bond, options, or "
        "the firm's own code (then `name` is what investors see)",
    )
    name: str | None = Field(None, description="the firm's display name, in Chinese")
    granted_on: date | None = Field(None, description="None: not on record")


class PermissionGrants(_Record):
    """``GET /v1/investors/{id}/permissions``: every permission open on the account."""

    investor_id: str
    grants: list[PermissionGrant]


class RiskAssessment(_Record):
    """``GET /v1/investors/{id}/risk``: the suitability questionnaire's result and validity."""

    investor_id: str
    level: RiskLevel | None = Field(None, description="None: questionnaire not done")
    assessed_on: date | None = None
    expires_on: date | None = Field(None, description="the assessment must be redone by then")


IdDocumentKind = Literal[
    "resident_id", "passport", "hk_macao_permit", "taiwan_permit", "foreign_permanent_resident_id"
]


class IdDocument(_Record):
    """An identity document on file with its expiry date."""

    kind: IdDocumentKind
    number_masked: Masked
    expires_on: date | None = Field(None, description="None: valid long-term (长期)")


class IdDocuments(_Record):
    """``GET /v1/investors/{id}/id-documents``: the identity documents on file."""

    investor_id: str
    documents: list[IdDocument]


class LinkedCard(_Record):
    """A bank card linked to the fund account for bank-securities transfers."""

    bank_name: str = Field(min_length=1, max_length=60, description="the depository bank")
    card_masked: Masked = Field(description="ends with the card's last four digits")
    linked_on: date | None = Field(None, description="None: not on record")

    @field_validator("card_masked")
    @classmethod
    def _shows_last_four(cls, value: str) -> str:
        if not re.search(r"\*[ *]*\d{4}$", value):
            raise ValueError("a masked card must end with its last four digits")
        return value


class BankLink(_Record):
    """``GET /v1/investors/{id}/bank-link``: the depository bank and card (三方存管), and a
    change of card or bank under way."""

    investor_id: str
    card: LinkedCard | None = Field(None, description="None: no card linked")
    pending_change: LinkedCard | None = Field(
        None, description="the card being linked instead; `linked_on` is when it was asked for"
    )


AccountStatus = Literal["normal", "restricted", "frozen"]
"""``restricted``: some services are refused; ``frozen``: assets or the account are frozen."""
RestrictionScope = Literal["trading", "buying", "withdrawals", "whole_account"]
RestrictionReason = Literal[
    "id_expired",
    "information_incomplete",
    "risk_assessment_expired",
    "dormant",
    "unqualified",
    "judicial_freeze",
    "aml_review",
    "investor_requested",
    "other",
]
"""Why a restriction is in place; ``other`` with ``reason_detail`` when none fits."""


class Restriction(_Record):
    """One restriction on the account: what it stops, why and since when."""

    scope: RestrictionScope
    reason: RestrictionReason | None = Field(None, description="None: the system gives none")
    reason_detail: str | None = Field(None, max_length=200)
    since: date | None = None


class AccountStanding(_Record):
    """``GET /v1/investors/{id}/standing``: whether the account is normal, restricted or
    frozen, and every restriction in place."""

    investor_id: str
    status: AccountStatus
    restrictions: list[Restriction] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.status == "normal") != (not self.restrictions):
            raise ValueError("restrictions are listed when restricted or frozen, and only then")
        return self


StatementKind = Literal["statement", "asset_certificate"]
"""``statement``: 对账单 over a period; ``asset_certificate``: 资产证明 as of ``period_end``."""
DeliveryChannel = Literal["app", "email", "post"]
StatementLanguage = Literal["zh", "en", "zh_en"]
"""The document's language: Chinese, English or both (a visa office may ask for English)."""


class StatementRequest(_Record):
    """``POST /v1/investors/{id}/statements``: ask for a statement; only files a request."""

    kind: StatementKind
    period_start: date
    period_end: date = Field(description="for an asset certificate: the as-of date")
    language: StatementLanguage = "zh"

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.period_start > self.period_end:
            raise ValueError("period_start is after period_end")
        return self


class StatementReceipt(_Record):
    """What the system answers a statement request: where and by when it will be delivered."""

    investor_id: str
    request_id: str = Field(min_length=1, max_length=64)
    kind: StatementKind
    period_start: date
    period_end: date
    delivery_channel: DeliveryChannel
    delivered_to_masked: Masked | None = Field(
        None, description="masked e-mail or postal address; None for the app's message centre"
    )
    ready_by: AwareDatetime = Field(description="expected delivery, not a promise")
    language: StatementLanguage = "zh"


class ErrorDetail(_Record):
    code: str = Field(description="investor_not_found on a 404 for an unknown investor")
    message: str = ""


class ErrorBody(_Record):
    """The body of every non-2xx answer."""

    error: ErrorDetail
