"""Agent-console staff accounts: `staff create`, `staff role`."""

import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer

from assistant.cli.common import DatabaseOption, console, errors, load_settings

RoleOption = Annotated[
    str,
    typer.Option(
        "--role", help="agent (the queue), supervisor (+ campaigns, FAQ drafts), admin (+ staff)"
    ),
]


def _staff_auth_run(database_url: str | None, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run ``work(StaffAuth)`` over the database; staff and storage errors end the command."""
    import asyncio

    from assistant.persistence.repositories import StorageError
    from assistant.persistence.sql import open_store
    from assistant.staff import StaffAuth, StaffError

    settings = load_settings()

    async def run() -> Any:
        store = await open_store(database_url or settings.database)
        try:
            return await work(StaffAuth(store.staff, settings.staff_session_hours))
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except (StaffError, StorageError) as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc


def _role(value: str) -> Any:
    from assistant.persistence.records import StaffRole

    try:
        return StaffRole(value.strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in StaffRole)
        errors.print(f"[red]error[/red]: role must be one of {roles}")
        raise typer.Exit(2) from None


def staff_create(
    username: Annotated[str, typer.Argument(help="sign-in name: letters, digits, '.', '_', '-'")],
    name: Annotated[str, typer.Option("--name", help="display name investors see, e.g. 客服小王")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from the first stdin line")
    ] = False,
    role: RoleOption = "agent",
    database_url: DatabaseOption = None,
) -> None:
    """Create an agent-console account; asks for the password twice unless --password-stdin."""
    chosen = _role(role)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    account = _staff_auth_run(
        database_url, lambda auth: auth.create_account(username, name, password, role=chosen)
    )
    console.print(
        f"created staff account {account.username} ({account.display_name}, {account.role.value})"
    )


def staff_role(
    username: Annotated[str, typer.Argument(help="the account's sign-in name")],
    role: Annotated[str, typer.Argument(help="agent, supervisor or admin")],
    database_url: DatabaseOption = None,
) -> None:
    """Give an account another role (the first administrator is made this way)."""
    chosen = _role(role)
    account = _staff_auth_run(database_url, lambda auth: auth.change_account(username, role=chosen))
    console.print(f"{account.username} is now {account.role.value}")
