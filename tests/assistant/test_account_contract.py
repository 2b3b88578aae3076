"""The account-system contract stays one thing: its endpoint table, the adapter, the
protocol, the checked-in JSON schema and the document all agree."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

from assistant.accounts import AccountSystem, HttpAccountSystem, JsonAccountSystem
from assistant.accounts.contract import ENDPOINTS, contract_schema, contract_schema_text

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "account-system.md"
SCHEMA = ROOT / "docs" / "account-system.schema.json"


def test_the_checked_in_schema_is_what_the_models_generate() -> None:
    assert SCHEMA.read_text("utf-8") == contract_schema_text(), (
        "regenerate: .venv/bin/python -m assistant.accounts > docs/account-system.schema.json"
    )


def test_the_module_prints_the_schema_without_warnings() -> None:
    printed = subprocess.run(
        [sys.executable, "-W", "error", "-m", "assistant.accounts"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )

    assert printed.stdout == contract_schema_text()


def test_the_document_lists_every_endpoint_and_no_other() -> None:
    text = DOC.read_text("utf-8")
    listed = set(re.findall(r"^\| `(GET|POST) (/v1/[^`?]*)", text, re.MULTILINE))

    assert listed == {(endpoint.method, endpoint.path) for endpoint in ENDPOINTS}
    for endpoint in ENDPOINTS:
        assert f"`{endpoint.response.__name__}`" in text


def test_every_body_an_endpoint_names_is_defined_in_the_schema() -> None:
    schema = contract_schema()
    refs = [endpoint["response"]["body"] for endpoint in schema["endpoints"]]
    refs += [endpoint["request"] for endpoint in schema["endpoints"] if endpoint["request"]]

    assert all(ref.removeprefix("#/$defs/") in schema["$defs"] for ref in refs)


def _methods(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if name[0] != "_"}


def test_the_endpoints_are_the_protocols_lookups_and_both_systems_implement_them() -> None:
    lookups = _methods(AccountSystem) - {"aclose"}

    assert {endpoint.name for endpoint in ENDPOINTS} == lookups
    assert _methods(HttpAccountSystem) >= lookups | {"aclose"}
    assert _methods(JsonAccountSystem) >= lookups | {"aclose"}
