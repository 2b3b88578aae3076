"""The JSON-over-HTTP contract a brokerage implements for :class:`HttpAccountSystem`.

:data:`ENDPOINTS` is the one list of what the adapter calls; the prose is in
``docs/account-system.md`` and the JSON schemas, generated from the models, in
``docs/account-system.schema.json``. Regenerate that file after changing a model::

    .venv/bin/python -m assistant.accounts > docs/account-system.schema.json

A test keeps the checked-in file equal to what this module generates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from assistant.accounts.models import (
    AccountStanding,
    BankLink,
    CommissionSchedule,
    ErrorBody,
    IdDocuments,
    InvestorPage,
    InvestorProfile,
    IpoHistory,
    OrderHistory,
    PermissionGrants,
    RiskAssessment,
    StatementReceipt,
    StatementRequest,
    TransferHistory,
)

CONTRACT_VERSION = "1"


@dataclass(frozen=True)
class Endpoint:
    """One call of the contract: ``method path`` answering ``response`` (or a 404 for an
    unknown investor, with ``{"error": {"code": "investor_not_found"}}``)."""

    name: str
    method: Literal["GET", "POST"]
    path: str
    response: type[BaseModel]
    summary: str
    query: tuple[str, ...] = ()
    request: type[BaseModel] | None = None
    success_status: int = 200


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "investor_ids",
        "GET",
        "/v1/investors",
        InvestorPage,
        "every investor id, a page at a time",
        query=("cursor",),
    ),
    Endpoint("profile", "GET", "/v1/investors/{investor_id}", InvestorProfile, "the profile"),
    Endpoint(
        "commission",
        "GET",
        "/v1/investors/{investor_id}/commission",
        CommissionSchedule,
        "commission rates per product and the minimum per order",
    ),
    Endpoint(
        "transfers",
        "GET",
        "/v1/investors/{investor_id}/transfers",
        TransferHistory,
        "bank-securities transfers requested on or after `since`, newest first",
        query=("since",),
    ),
    Endpoint(
        "orders",
        "GET",
        "/v1/investors/{investor_id}/orders",
        OrderHistory,
        "orders placed on or after `since`, newest first",
        query=("since",),
    ),
    Endpoint(
        "ipo_subscriptions",
        "GET",
        "/v1/investors/{investor_id}/ipo",
        IpoHistory,
        "IPO and new-bond subscriptions made on or after `since`, allotments, payment due",
        query=("since",),
    ),
    Endpoint(
        "permissions",
        "GET",
        "/v1/investors/{investor_id}/permissions",
        PermissionGrants,
        "trading permissions open on the account, with their dates",
    ),
    Endpoint(
        "risk_assessment",
        "GET",
        "/v1/investors/{investor_id}/risk",
        RiskAssessment,
        "risk level and when the assessment expires",
    ),
    Endpoint(
        "id_documents",
        "GET",
        "/v1/investors/{investor_id}/id-documents",
        IdDocuments,
        "identity documents on file and their expiry dates",
    ),
    Endpoint(
        "bank_link",
        "GET",
        "/v1/investors/{investor_id}/bank-link",
        BankLink,
        "the linked depository bank and card (masked), and a change of card under way",
    ),
    Endpoint(
        "standing",
        "GET",
        "/v1/investors/{investor_id}/standing",
        AccountStanding,
        "normal, restricted or frozen, with each restriction's scope and reason",
    ),
    Endpoint(
        "request_statement",
        "POST",
        "/v1/investors/{investor_id}/statements",
        StatementReceipt,
        "file a request for a statement or asset certificate (the only write)",
        request=StatementRequest,
        success_status=201,
    ),
)

BY_NAME: dict[str, Endpoint] = {endpoint.name: endpoint for endpoint in ENDPOINTS}


def contract_schema() -> dict[str, Any]:
    """The contract as one JSON document: its endpoints and the schema of every body.

    Responses are described as the adapter validates them (``validation`` mode:
    an amount may be a number or a decimal string); the request body as the
    adapter sends it (``serialization`` mode).
    """
    responses = {endpoint.response for endpoint in ENDPOINTS} | {ErrorBody}
    requests = {endpoint.request for endpoint in ENDPOINTS if endpoint.request is not None}
    pairs: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        *((model, "validation") for model in sorted(responses, key=lambda m: m.__name__)),
        *((model, "serialization") for model in sorted(requests, key=lambda m: m.__name__)),
    ]
    refs, definitions = models_json_schema(pairs, ref_template="#/$defs/{model}")

    def ref(model: type[BaseModel], mode: Literal["validation", "serialization"]) -> str:
        return str(refs[(model, mode)]["$ref"])

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "brokerdesk account-system contract",
        "version": CONTRACT_VERSION,
        "endpoints": [
            {
                "name": endpoint.name,
                "method": endpoint.method,
                "path": endpoint.path,
                "query": list(endpoint.query),
                "summary": endpoint.summary,
                "request": ref(endpoint.request, "serialization") if endpoint.request else None,
                "response": {
                    "status": endpoint.success_status,
                    "body": ref(endpoint.response, "validation"),
                },
                "errors": ref(ErrorBody, "validation"),
            }
            for endpoint in ENDPOINTS
        ],
        "$defs": definitions.get("$defs", {}),
    }


def contract_schema_text() -> str:
    """:func:`contract_schema` as the checked-in file spells it."""
    return json.dumps(contract_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
