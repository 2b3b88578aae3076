"""Quality from real conversations: `report` and `faq draft`."""

from pathlib import Path
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


def quality_report(
    since: Annotated[str, typer.Option(help="window ending now: 30m, 12h, 7d, 2w")] = "7d",
    top: Annotated[int, typer.Option(min=1, max=100, help="rows per ranking")] = 10,
    cluster: Annotated[
        bool, typer.Option(help="cluster questions by meaning with E5 (else exact text)")
    ] = True,
    database_url: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Production quality: containment, escalations, CSAT, thumbs, intents, unanswered questions."""
    import asyncio
    from collections.abc import Sequence
    from datetime import UTC, datetime

    from assistant.persistence.repositories import StorageError
    from assistant.persistence.sql import open_store
    from assistant.proactive.outcomes import push_outcomes
    from assistant.quality import QualityError, knowledge_intents, parse_window
    from assistant.quality import quality_report as build_report
    from intents.catalogue import load_catalogue
    from intents.errors import IntentError
    from knowledge.embedders import load_embedder

    settings = load_settings()
    url = database_url or settings.database
    try:
        until = datetime.now(UTC)
        start = until - parse_window(since)
        answered_from_knowledge = knowledge_intents(load_catalogue(settings.intents_catalogue))
    except (QualityError, IntentError) as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc

    def embed(texts: Sequence[str]) -> Any:
        # Loaded only when there is something to cluster.
        return load_embedder("e5-small").encode_questions(texts)

    async def read() -> Any:
        store = await open_store(url, migrate=False)
        try:
            built = await build_report(
                store.conversations,
                since=start,
                until=until,
                embed=embed if cluster else None,
                knowledge_intents=answered_from_knowledge,
                top=top,
            )
            pushes = await push_outcomes(store, start, until)
            return built.model_copy(update={"pushes": pushes})
        finally:
            await store.close()

    try:
        report = asyncio.run(read())
    except StorageError as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    _print_quality_report(report)


def _print_quality_report(report: Any) -> None:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    console.print(
        f"[b]{report.since:%Y-%m-%d %H:%M} – {report.until:%Y-%m-%d %H:%M} UTC[/b]: "
        f"{report.conversations} conversations ({report.engaged_conversations} with a question), "
        f"{report.turns} turns"
    )
    csat = report.csat
    mean = "-" if csat.mean_score is None else f"{csat.mean_score:.2f}"
    p50 = "-" if report.latency_p50_ms is None else f"{report.latency_p50_ms:.0f} ms"
    p95 = "-" if report.latency_p95_ms is None else f"{report.latency_p95_ms:.0f} ms"
    summary = Table("measure", "value", title="quality")
    for name, value in (
        ("containment", f"{pct(report.containment_rate)} ({report.contained})"),
        ("escalation rate", f"{pct(report.escalation_rate)} ({report.escalated})"),
        ("CSAT (mean of 1-5)", f"{mean} from {csat.responses}, {pct(csat.satisfied_share)} 4-5"),
        ("thumbs", f"{report.thumbs.up} up / {report.thumbs.down} down"),
        ("needing attention", f"{pct(report.attention_rate)} ({report.attention_turns} turns)"),
        ("latency p50 / p95", f"{p50} / {p95}"),
    ):
        summary.add_row(name, value)
    if report.pushes is not None:
        pushes = report.pushes
        summary.add_row(
            "proactive pushes",
            f"{pushes.delivered} delivered, {pct(pushes.opened_share)} opened, "
            f"{pct(pushes.followed_share)} followed, "
            f"{pct(pushes.quick_reply_share)} quick replies, {pushes.muted} muted",
        )
    console.print(summary)
    for title, rows in (
        ("escalation reasons", report.escalation_reasons),
        ("top intents", report.top_intents),
    ):
        table = Table(title, "count", "share", title=title)
        for row in rows:
            table.add_row(row.name, str(row.count), pct(row.share))
        console.print(table)
    clusters = Table(
        "#",
        "asked",
        "question (representative)",
        "why",
        "examples",
        title="unanswered or low-confidence questions, clustered",
    )
    for number, cluster in enumerate(report.clusters, start=1):
        clusters.add_row(
            str(number),
            str(cluster.count),
            cluster.representative,
            ", ".join(f"{k} {v}" for k, v in cluster.reasons.items()),
            "\n".join(f"{e.conversation_id}#{e.seq}" for e in cluster.examples[:3]),
        )
    console.print(clusters)
    console.print(
        "[dim]Draft an FAQ entry from one: assistant faq draft --conversation ID [--seq N][/dim]"
    )


def faq_draft(
    conversation: Annotated[str, typer.Option("--conversation", help="conversation id")],
    seq: Annotated[
        int | None,
        typer.Option(help="the investor message (or the bot reply to it) to draft from"),
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="FAQ category (default: the question's intent)")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="drafts CSV to append to (default: settings faq_drafts)"),
    ] = None,
    database_url: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Turn an investor's question and the agent's reply into a draft FAQ row for review."""
    import asyncio

    from assistant.faq_drafts import append_drafts, draft_from_conversation
    from assistant.persistence.repositories import StorageError
    from assistant.persistence.sql import open_store
    from assistant.quality import QualityError

    settings = load_settings()
    url = database_url or settings.database
    target = out or settings.faq_drafts_sheet

    async def read() -> Any:
        store = await open_store(url, migrate=False)
        try:
            return await draft_from_conversation(
                store.conversations, conversation, seq=seq, category=category
            )
        finally:
            await store.close()

    try:
        draft = asyncio.run(read())
        append_drafts(target, [draft])
    except (StorageError, QualityError) as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        print_json({"draft": draft.model_dump(), "appended_to": str(target)})
        return
    console.print(f"[b]Q:[/b] {draft.question}")
    for similar in draft.similar_questions:
        console.print(f"   [dim]also asked:[/dim] {similar}")
    console.print(f"[b]A:[/b] {draft.answer}")
    console.print(f"[dim]category={draft.category or '-'} lang={draft.lang}[/dim]")
    console.print(f"appended to {target}: review it, then `assistant ingest {target}`")
