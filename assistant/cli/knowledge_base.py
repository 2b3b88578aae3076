"""Commands that build and search a knowledge base: ingest, search, kb stats, kb delete."""

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from assistant.cli.common import (
    JsonOption,
    KbOption,
    ProgressLines,
    console,
    errors,
    fail,
    load_settings,
    print_json,
)
from knowledge.errors import KnowledgeError


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders to index")],
    kb: KbOption = None,
    rebuild: Annotated[bool, typer.Option(help="erase the knowledge base first")] = False,
    prune: Annotated[
        bool, typer.Option(help="remove sources no longer present under the given folders")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Index FAQ sheets (CSV, XLSX, JSONL) and documents (Markdown, text, HTML, PDF)."""
    from assistant.components import open_knowledge_base
    from knowledge.index import KnowledgeBase

    settings = load_settings()
    directory = kb or settings.knowledge_dir
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        errors.print(f"[red]error[/red]: no such file or folder: {', '.join(missing)}")
        raise typer.Exit(2)
    try:
        if rebuild:
            KnowledgeBase.erase(
                directory,
                chroma_url=settings.chroma_url,
                shared_manifest=settings.knowledge_manifest_url,
                collection=settings.chroma_collection,
            )
        base = open_knowledge_base(settings, directory)
        with Progress(
            TextColumn("embedding"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=errors,
            transient=True,
            disable=as_json or not errors.is_terminal,
        ) as progress:
            task = progress.add_task("embed", total=None)
            lines = ProgressLines("embedding", enabled=not as_json and not errors.is_terminal)

            def planned(total: int) -> None:
                progress.update(task, total=total)
                lines.plan(total)

            def embedded(count: int) -> None:
                progress.advance(task, count)
                lines.advance(count)

            report = base.ingest(paths, prune=prune, on_plan=planned, on_progress=embedded)
    except KnowledgeError as exc:
        fail(exc)
        return
    if as_json:
        print_json(report.model_dump())
    else:
        for message in report.failed:
            errors.print(f"[yellow]skipped[/yellow] {message}")
        console.print(
            f"{report.files} files: {report.entries} FAQ entries, {report.chunks} chunks; "
            f"{report.embedded} vectors embedded, {report.unchanged} units unchanged, "
            f"{report.skipped_files} files unchanged, {report.removed} removed, "
            f"{len(report.failed)} failed"
        )
    if report.failed and not (report.entries or report.chunks):
        raise typer.Exit(1)


def search(
    query: Annotated[str, typer.Argument(help="the question, in Chinese or English")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="how many passages")] = 5,
    kb: KbOption = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or keyword")] = "hybrid",
    category: Annotated[list[str] | None, typer.Option(help="only these categories")] = None,
    lang: Annotated[list[str] | None, typer.Option(help="only these languages (zh, en)")] = None,
    product: Annotated[list[str] | None, typer.Option(help="only these products")] = None,
    since: Annotated[
        str | None, typer.Option(help="only entries updated on/after YYYY-MM-DD")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Rank passages for a question: id, source, text, fused score and confidence."""
    from assistant.components import build_retriever, open_knowledge_base
    from knowledge.index import SearchFilters

    if mode not in ("hybrid", "dense", "keyword"):
        errors.print("[red]error[/red]: --mode is hybrid, dense or keyword")
        raise typer.Exit(2)
    settings = load_settings()
    try:
        filters = SearchFilters(
            category=category or None,
            lang=lang or None,
            product=product or None,
            updated_since=date.fromisoformat(since) if since else None,
        )
    except ValueError as exc:
        errors.print(f"[red]error[/red]: --since must be YYYY-MM-DD ({exc})")
        raise typer.Exit(2) from exc
    try:
        base = open_knowledge_base(settings, kb)
        retriever = build_retriever(base, settings, mode=mode)  # type: ignore[arg-type]
        results = retriever.search(query, k=k, filters=filters)
    except KnowledgeError as exc:
        fail(exc)
        return
    if as_json:
        print_json(
            [
                {
                    "id": r.unit.id,
                    "kind": r.unit.kind.value,
                    "source": r.unit.source,
                    "title": r.unit.title,
                    "text": r.unit.text,
                    "category": r.unit.category,
                    "lang": r.unit.lang,
                    "updated_at": r.unit.updated_at,
                    "score": round(r.score, 4),
                    "confidence": round(r.confidence, 4),
                    "dense_score": r.dense_score,
                    "keyword_score": r.keyword_score,
                    "matched": r.matched,
                }
                for r in results
            ]
        )
        return
    table = Table(title=f"{query}  ({mode})", show_lines=True)
    for column in ("#", "id", "source", "passage", "score", "conf."):
        table.add_column(column, overflow="fold")
    for rank, r in enumerate(results, start=1):
        text = r.unit.text if len(r.unit.text) <= 160 else r.unit.text[:157] + "..."
        table.add_row(
            str(rank),
            r.unit.id,
            r.unit.source,
            f"[b]{r.unit.title}[/b]\n{text}",
            f"{r.score:.3f}",
            f"{r.confidence:.2f}",
        )
    console.print(table)


def kb_stats(kb: KbOption = None, as_json: JsonOption = False) -> None:
    """Sources, units, vectors, the embedder that built the knowledge base, and the FAQ
    entries past their review date (review_by, else updated_at + KNOWLEDGE_MAX_AGE_DAYS)."""
    from assistant.accounts import exchange_today
    from assistant.components import open_knowledge_base
    from knowledge.freshness import freshness_report

    settings = load_settings()
    try:
        base = open_knowledge_base(settings, kb)
        stats = base.stats()
        freshness = freshness_report(
            base.all_units(), today=exchange_today(), max_age_days=settings.knowledge_max_age_days
        )
    except KnowledgeError as exc:
        fail(exc)
        return
    if as_json:
        print_json({**stats, "freshness": freshness.model_dump(mode="json")})
        return
    for key in (
        "directory",
        "embedder",
        "collection",
        "sources",
        "units",
        "faq_entries",
        "chunks",
        "vectors",
        "orphan_vectors",
    ):
        console.print(f"{key:>15}: {stats[key]}")
    console.print(f"{'languages':>15}: {stats['languages']}")
    table = Table("source", "units", "ingested at")
    for row in stats["per_source"]:
        table.add_row(row["source"], str(row["units"]), row["ingested_at"])
    console.print(table)
    _print_freshness(freshness)


def _print_freshness(freshness: Any) -> None:
    console.print(
        f"{'stale entries':>15}: {freshness.stale_count} of {freshness.entries} FAQ entries "
        f"past their review date on {freshness.checked_on} (review_by, else updated_at + "
        f"{freshness.max_age_days} days)"
    )
    if freshness.undated:
        console.print(f"{'undated':>15}: {len(freshness.undated)} ({', '.join(freshness.undated)})")
    if not freshness.stale:
        return
    table = Table("id", "question", "due", "days over", "basis", title="due for review")
    for entry in freshness.stale:
        table.add_row(
            entry.id, entry.title, str(entry.due), str(entry.days_overdue), entry.basis or "-"
        )
    console.print(table)


def kb_delete(
    source: Annotated[str, typer.Argument(help="source id as `kb stats` lists it")],
    kb: KbOption = None,
) -> None:
    """Remove a source and everything indexed from it."""
    from assistant.components import open_knowledge_base

    try:
        removed = open_knowledge_base(load_settings(), kb).delete_source(source)
    except KnowledgeError as exc:
        fail(exc)
        return
    console.print(f"removed {source}: {removed} units")
