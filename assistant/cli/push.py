"""`push preview`: who would receive which proactive push, without sending."""

from typing import Annotated, Any

import typer
from rich.table import Table

from assistant.cli.common import (
    DatabaseOption,
    JsonOption,
    console,
    errors,
    load_settings,
    print_json,
)


def push_preview(
    at: Annotated[
        str | None,
        typer.Option(help="ISO time, e.g. 2026-12-15T10:00 (PUSH_TIMEZONE unless given); now"),
    ] = None,
    database_url: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who would receive which push at TIME and why, without sending anything."""
    import asyncio
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from assistant.persistence.repositories import StorageError
    from assistant.persistence.sql import open_store
    from assistant.proactive import ProactiveError
    from assistant.proactive.preview import preview_from_settings

    settings = load_settings()
    try:
        moment = datetime.fromisoformat(at) if at else datetime.now(UTC)
    except ValueError:
        errors.print(f"[red]error[/red]: --at must be an ISO time, not {at!r}")
        raise typer.Exit(2) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.push_timezone))

    async def run() -> Any:
        store = await open_store(database_url or settings.database)
        try:
            return await preview_from_settings(settings, moment, store)
        finally:
            await store.close()

    try:
        preview = asyncio.run(run())
    except (ProactiveError, StorageError) as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        print_json(preview.model_dump(mode="json"))
        return
    table = Table(title=f"Pushes at {preview.at.isoformat()} (nothing sent)")
    for column in ("investor", "kind", "outcome", "title", "why"):
        table.add_column(column)
    for push in preview.pushes:
        table.add_row(push.investor_id, push.kind, push.outcome, push.title, push.why or "")
    console.print(table)
    console.print(
        f"{preview.count('would_send')} would be sent now, {preview.count('quiet_hours')} held "
        f"by quiet hours, {preview.count('daily_limit')} by the daily limit, "
        f"{preview.count('muted')} muted, {preview.count('already_queued')} queued already, "
        f"{preview.count('sent')} sent before"
    )
    for problem in [*preview.refused, *preview.source_errors]:
        errors.print(f"[yellow]warning[/yellow]: {problem}")
