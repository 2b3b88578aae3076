"""The seam: what the assistant may ask the brokerage's account system, and its one error."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from pydantic import ValidationError

from assistant.accounts.models import (
    AccountStanding,
    BankLink,
    CommissionSchedule,
    IdDocuments,
    InvestorProfile,
    IpoHistory,
    OrderHistory,
    PermissionGrants,
    RiskAssessment,
    StatementReceipt,
    StatementRequest,
    TransferHistory,
)
from assistant.errors import AssistantError


class AccountSystemError(AssistantError):
    """The account data cannot be read or does not make sense.

    Raised for every failure of the outside system (unreachable, too slow, an
    HTTP error, an answer that breaks the contract), never for an unknown
    investor, which is ``None``.
    """

    code = "account_system_unavailable"
    http_status = 503
    public_message = "the account system is unavailable; please retry"


def describe_invalid(error: ValidationError) -> str:
    """Where a record broke the contract, without the offending values: they may be
    personal data (an unmasked phone number is exactly what gets refused)."""
    places = [
        f"{'.'.join(str(part) for part in detail['loc']) or 'body'}: {detail['type']}"
        for detail in error.errors()[:3]
    ]
    more = error.error_count() - len(places)
    return "; ".join(places) + (f" (+{more} more)" if more > 0 else "")


class AccountSystem(Protocol):
    """Looks investors up in the brokerage's systems.

    Every lookup answers ``None`` for an investor the system does not know, and
    raises :class:`AccountSystemError` when the system itself fails. Everything
    is read-only except :meth:`request_statement`, which only files a request.
    """

    async def profile(self, investor_id: str) -> InvestorProfile | None:
        """The investor's profile, or ``None`` when the id is unknown."""
        ...

    async def investor_ids(self) -> list[str]:
        """Every investor the system knows, for proactive pushes that target a segment."""
        ...

    async def commission(self, investor_id: str) -> CommissionSchedule | None:
        """The investor's commission rates per product."""
        ...

    async def transfers(self, investor_id: str, since: date) -> TransferHistory | None:
        """Bank-securities transfers requested on or after ``since``, newest first."""
        ...

    async def orders(self, investor_id: str, since: date) -> OrderHistory | None:
        """Orders placed on or after ``since``, newest first."""
        ...

    async def ipo_subscriptions(self, investor_id: str, since: date) -> IpoHistory | None:
        """New-share and new-bond subscriptions made on or after ``since``, newest first."""
        ...

    async def permissions(self, investor_id: str) -> PermissionGrants | None:
        """The trading permissions open on the account, with the dates they were granted."""
        ...

    async def risk_assessment(self, investor_id: str) -> RiskAssessment | None:
        """The risk level and when its assessment expires."""
        ...

    async def id_documents(self, investor_id: str) -> IdDocuments | None:
        """The identity documents on file and their expiry dates."""
        ...

    async def bank_link(self, investor_id: str) -> BankLink | None:
        """The depository bank and card linked for transfers, and a change under way."""
        ...

    async def standing(self, investor_id: str) -> AccountStanding | None:
        """Whether the account is normal, restricted or frozen, and why."""
        ...

    async def request_statement(
        self, investor_id: str, request: StatementRequest
    ) -> StatementReceipt | None:
        """File a request for a statement or asset certificate; the only write."""
        ...

    async def aclose(self) -> None:
        """Release connections; the system may still be used afterwards (it reconnects)."""
        ...
