"""``python -m assistant.accounts``: print the contract's JSON schema document (see
:mod:`assistant.accounts.contract`), the content of ``docs/account-system.schema.json``."""

from assistant.accounts.contract import contract_schema_text

print(contract_schema_text(), end="")
