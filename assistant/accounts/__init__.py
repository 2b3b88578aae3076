"""The brokerage's account system, seen from the assistant.

This is a true outside boundary. :class:`AccountSystem` is the seam: profiles,
commission rates, bank-securities transfers, orders, IPO subscriptions,
permissions, the risk assessment, identity documents, the linked bank card, the
account's standing (normal, restricted, frozen) and statement requests.
Two implementations ship:

* :class:`JsonAccountSystem` serves the fictional investors in
  ``data/accounts/investors.json`` for development, demos and tests;
* :class:`HttpAccountSystem` speaks the JSON-over-HTTP contract in
  ``docs/account-system.md``, which a brokerage implements in front of its own
  systems (``BROKERDESK_ACCOUNTS_URL``).

The assistant only ever *reads* an account, except that it may file a request
for a statement: it explains and reports, and never changes permissions,
orders or transfers.
"""

from assistant.accounts.http_api import HttpAccountSystem
from assistant.accounts.json_file import JsonAccountSystem, exchange_today
from assistant.accounts.models import (
    EXCHANGE_TIME,
    RISK_LEVELS,
    AccountStanding,
    AccountStatus,
    BankLink,
    BankTransfer,
    CommissionProduct,
    CommissionRate,
    CommissionSchedule,
    Holding,
    IdDocument,
    IdDocuments,
    InvestorProfile,
    IpoHistory,
    IpoKind,
    IpoSubscription,
    LinkedCard,
    Order,
    OrderHistory,
    PermissionGrant,
    PermissionGrants,
    Restriction,
    RestrictionReason,
    RestrictionScope,
    RiskAssessment,
    RiskLevel,
    StatementKind,
    StatementLanguage,
    StatementReceipt,
    StatementRequest,
    TransferDirection,
    TransferHistory,
)
from assistant.accounts.system import AccountSystem, AccountSystemError

__all__ = [
    "EXCHANGE_TIME",
    "RISK_LEVELS",
    "AccountStanding",
    "AccountStatus",
    "AccountSystem",
    "AccountSystemError",
    "BankLink",
    "BankTransfer",
    "CommissionProduct",
    "CommissionRate",
    "CommissionSchedule",
    "Holding",
    "HttpAccountSystem",
    "IdDocument",
    "IdDocuments",
    "InvestorProfile",
    "IpoHistory",
    "IpoKind",
    "IpoSubscription",
    "JsonAccountSystem",
    "LinkedCard",
    "Order",
    "OrderHistory",
    "PermissionGrant",
    "PermissionGrants",
    "Restriction",
    "RestrictionReason",
    "RestrictionScope",
    "RiskAssessment",
    "RiskLevel",
    "StatementKind",
    "StatementLanguage",
    "StatementReceipt",
    "StatementRequest",
    "TransferDirection",
    "TransferHistory",
    "exchange_today",
]
