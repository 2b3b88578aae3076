"""`db upgrade`: migrate the conversation database."""

from typing import Annotated

import typer

from assistant.cli.common import console, errors, load_settings


def db_upgrade(
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="SQLAlchemy URL (default: settings database_url)"),
    ] = None,
) -> None:
    """Migrate the database to the newest schema (the server also does this at start-up)."""
    import asyncio

    from assistant.persistence.database import display_url, migrate_database
    from assistant.persistence.repositories import StorageError

    url = database_url or load_settings().database
    try:
        revision = asyncio.run(migrate_database(url))
    except StorageError as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{display_url(url)} is at revision {revision}")
