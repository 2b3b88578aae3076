"""`assistant serve`: the widget, the agent console and the API under uvicorn."""

import signal
from typing import Annotated, Any

import typer

from assistant.cli.common import KbOption, console, errors, load_settings


def serve(
    host: Annotated[str | None, typer.Option(help="interface (default: settings host)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: settings port)")] = None,
    kb: KbOption = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="SQLAlchemy URL (default: settings database_url)"),
    ] = None,
    bus_url: Annotated[
        str | None, typer.Option("--bus-url", help="redis://... to share events between servers")
    ] = None,
    demo_agent: Annotated[
        bool,
        typer.Option(help="development only: make sure console account agent1 exists, print it"),
    ] = False,
    workers: Annotated[
        int, typer.Option(help="server processes on the port (more than 1: PostgreSQL and Redis)")
    ] = 1,
    log_format: Annotated[
        str | None,
        typer.Option("--log-format", help="text or json (default: settings log_format)"),
    ] = None,
) -> None:
    """Serve the chat widget, the agent console and the API (uvicorn)."""
    import uvicorn

    from assistant.api.deps import Runtime
    from assistant.app import DemoAgentError, create_app, ensure_demo_agent
    from assistant.log_output import server_log_config
    from assistant.serving import run_workers, workers_refusal
    from assistant.web_origins import is_loopback

    overrides: dict[str, Any] = {
        "host": host,
        "port": port,
        "kb_dir": kb,
        "database_url": database_url,
        "bus_url": bus_url,
        "log_format": log_format,
    }
    # Validated again (model_copy would not): the served address decides the origins.
    settings = load_settings(
        **{key: value for key, value in overrides.items() if value is not None}
    )
    if settings.mode == "development" and not is_loopback(settings.host):
        errors.print(
            f"[red]error[/red]: development mode serves an unauthenticated token issuer and a "
            f"demo console account, so it listens on loopback only, not {settings.host}. "
            "Use --host 127.0.0.1, or set BROKERDESK_MODE=production (see SECURITY.md)."
        )
        raise typer.Exit(2)
    if demo_agent and not settings.development_features:
        errors.print("[red]error[/red]: --demo-agent is for development mode only")
        raise typer.Exit(2)
    if refusal := workers_refusal(settings, workers, demo_agent=demo_agent):
        errors.print(f"[red]error[/red]: {refusal}")
        raise typer.Exit(2)
    if workers > 1:
        console.print(f"[bold]Widget demo:[/bold]   {settings.base_url}/demo ({workers} workers)")
        chosen = {key: value for key, value in overrides.items() if value is not None}
        if failure := run_workers(settings, workers, chosen):
            errors.print(f"[red]error[/red]: the assistant could not start: {failure}")
            raise typer.Exit(1)
        return

    async def announce(runtime: Runtime) -> None:
        base = settings.base_url
        console.print(f"[bold]Widget demo:[/bold]   {base}/demo")
        console.print(f"[bold]Agent console:[/bold] {base}/console")
        if settings.docs_enabled:
            console.print(f"[dim]API docs:      {base}/docs[/dim]")
        if demo_agent:
            try:
                username, password = await ensure_demo_agent(runtime)
            except DemoAgentError as exc:
                errors.print(f"[yellow]no demo sign-in[/yellow]: {exc}")
            else:
                console.print(f"[bold]Console sign-in:[/bold] {username} / {password}")

    failures: list[BaseException] = []

    def stop_on_failure(error: BaseException) -> None:
        # The models could not load: this process can never become ready, so it stops.
        failures.append(error)
        signal.raise_signal(signal.SIGTERM)

    console.print("[dim]starting: /healthz answers now, /readyz once the models are loaded[/dim]")
    uvicorn.run(
        create_app(settings, on_started=announce, on_failed=stop_on_failure),
        host=settings.host,
        port=settings.port,
        # Frames up to this size get a typed frame_too_large error; beyond it, close 1009.
        ws_max_size=max(4 * settings.max_frame_bytes, 65536),
        log_level="info",
        log_config=server_log_config(settings.log_format),
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    if failures:
        errors.print(f"[red]error[/red]: the assistant could not start: {failures[0]}")
        raise typer.Exit(1)
