"""The ``assistant`` command line: knowledge-base management and search.

Every command that touches a knowledge base takes ``--kb DIR`` (default from
settings), so several bases can live side by side.
"""

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from assistant.settings import Settings, get_settings
from knowledge.errors import KnowledgeError

app = typer.Typer(
    help="Customer-service assistant for securities brokerages.", no_args_is_help=True
)
kb_app = typer.Typer(help="Inspect and maintain a knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")

console = Console()
errors = Console(stderr=True)

KbOption = Annotated[
    Path | None, typer.Option("--kb", help="knowledge-base directory (default: settings)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]


def _settings() -> Settings:
    return get_settings()


def _fail(exc: KnowledgeError) -> None:
    errors.print(f"[red]error[/red] ({exc.code}): {exc.message}")
    raise typer.Exit(2)


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
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

    settings = _settings()
    directory = kb or settings.knowledge_dir
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        errors.print(f"[red]error[/red]: no such file or folder: {', '.join(missing)}")
        raise typer.Exit(2)
    try:
        if rebuild:
            KnowledgeBase.erase(directory, chroma_url=settings.chroma_url)
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
            report = base.ingest(
                paths,
                prune=prune,
                on_plan=lambda total: progress.update(task, total=total),
                on_progress=lambda n: progress.advance(task, n),
            )
    except KnowledgeError as exc:
        _fail(exc)
        return
    if as_json:
        _print_json(report.model_dump())
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


@app.command()
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
    settings = _settings()
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
        _fail(exc)
        return
    if as_json:
        _print_json(
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


@kb_app.command("stats")
def kb_stats(kb: KbOption = None, as_json: JsonOption = False) -> None:
    """Sources, units, vectors and the embedder that built the knowledge base."""
    from assistant.components import open_knowledge_base

    try:
        stats = open_knowledge_base(_settings(), kb).stats()
    except KnowledgeError as exc:
        _fail(exc)
        return
    if as_json:
        _print_json(stats)
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


@kb_app.command("delete")
def kb_delete(
    source: Annotated[str, typer.Argument(help="source id as `kb stats` lists it")],
    kb: KbOption = None,
) -> None:
    """Remove a source and everything indexed from it."""
    from assistant.components import open_knowledge_base

    try:
        removed = open_knowledge_base(_settings(), kb).delete_source(source)
    except KnowledgeError as exc:
        _fail(exc)
        return
    console.print(f"removed {source}: {removed} units")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="what the investor says")],
    kb: KbOption = None,
    intents: Annotated[
        Path | None, typer.Option("--intents", help="intent catalogue (YAML, CSV or JSONL)")
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(help="conversation state file: continue a multi-turn conversation"),
    ] = None,
    investor: Annotated[str | None, typer.Option(help="investor id in the account system")] = None,
    as_json: JsonOption = False,
) -> None:
    """One investor turn through the real dialogue policy: answer, intent, sources, action."""
    import asyncio
    import uuid

    from assistant.conversation import ConversationState
    from assistant.service import build_assistant
    from intents.errors import IntentError

    settings = _settings()
    try:
        bot = build_assistant(settings, kb_dir=kb, catalogue_path=intents)
    except (KnowledgeError, IntentError) as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc
    if state is not None and state.exists():
        conversation = ConversationState.model_validate_json(state.read_text("utf-8"))
    else:
        conversation = ConversationState(conversation_id=uuid.uuid4().hex, investor_id=investor)
    reply = asyncio.run(bot.policy.respond(conversation, question))
    if state is not None:
        state.write_text(conversation.model_dump_json(indent=2), "utf-8")
    payload = {
        "answer": reply.text,
        "intent": reply.intent.model_dump() if reply.intent else None,
        "sources": [s.model_dump() for s in reply.sources],
        "action": reply.action.value,
        "escalate": reply.escalate,
        "escalation": reply.escalation.model_dump() if reply.escalation else None,
        "quick_replies": reply.quick_replies,
        "flags": reply.flags,
        "latency_ms": reply.latency_ms,
    }
    if as_json:
        _print_json(payload)
        return
    console.print(reply.text)
    for option in reply.quick_replies:
        console.print(f"  [cyan]▸ {option}[/cyan]")
    intent = f"{reply.intent.name} ({reply.intent.confidence:.2f})" if reply.intent else "-"
    console.print(
        f"[dim]action={reply.action.value} intent={intent} escalate={reply.escalate} "
        f"{reply.latency_ms:.0f} ms[/dim]"
    )


DEFAULT_CASES = Path(__file__).resolve().parent.parent / "evals/data/cases.jsonl"
DEFAULT_THRESHOLDS = Path(__file__).resolve().parent.parent / "evals/thresholds.toml"


@app.command("eval")
def evaluate_cases(
    cases: Annotated[Path, typer.Argument(help="evaluation cases (JSONL, evals/CASES.md)")] = (
        DEFAULT_CASES
    ),
    kb: KbOption = None,
    intents: Annotated[
        Path | None, typer.Option("--intents", help="intent catalogue (YAML, CSV or JSONL)")
    ] = None,
    split: Annotated[str, typer.Option(help="dev, heldout or all")] = "all",
    compare: Annotated[
        Path | None, typer.Option(help="baseline JSON from --save: report changes, gate on them")
    ] = None,
    thresholds: Annotated[Path, typer.Option(help="gate thresholds (TOML)")] = DEFAULT_THRESHOLDS,
    save: Annotated[Path | None, typer.Option(help="write metrics and per-case results")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run cases through the real assistant: intent, retrieval, answer, escalation, compliance."""
    import asyncio

    from assistant.service import build_assistant
    from evals.cases import load_cases
    from evals.compare import compare as compare_metrics
    from evals.compare import compare_cases, load_thresholds
    from evals.errors import EvalError
    from evals.runner import run_case, summarise
    from intents.errors import IntentError

    settings = _settings()
    try:
        selected = [c for c in load_cases(cases) if split in ("all", c.split)]
        gates = load_thresholds(thresholds)
        bot = build_assistant(settings, kb_dir=kb, catalogue_path=intents)
    except (KnowledgeError, IntentError, EvalError) as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc

    async def run_all() -> list[Any]:
        outcomes = []
        with Progress(
            TextColumn("cases"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=errors,
            transient=True,
            disable=not errors.is_terminal,
        ) as progress:
            task = progress.add_task("cases", total=len(selected))
            for case in selected:
                outcomes.append(await run_case(bot, case))
                progress.advance(task)
        return outcomes

    outcomes = asyncio.run(run_all())
    summary = summarise(outcomes)
    results = {"metrics": summary, "cases": [o.model_dump() for o in outcomes]}
    if save:
        save.parent.mkdir(parents=True, exist_ok=True)
        save.write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    exit_code = 0
    report_text = ""
    if compare is not None:
        baseline = json.loads(compare.read_text("utf-8"))
        report = compare_metrics(summary, baseline["metrics"], gates, allow_missing=True)
        changes = compare_cases(results["cases"], baseline["cases"])
        report_text = report.summary()
        results["comparison"] = {
            "passed": report.passed,
            "failures": [f.model_dump() for f in report.failures],
            "regressed": [c.model_dump() for c in changes.regressed],
            "improved": [c.model_dump() for c in changes.improved],
        }
        exit_code = 0 if report.passed else 1
    if as_json:
        _print_json({k: v for k, v in results.items() if k != "cases"})
    else:
        table = Table("metric", "value", title=f"{len(outcomes)} cases ({split})")
        for name, value in summary.items():
            table.add_row(name, "-" if value is None else f"{value:.3f}")
        console.print(table)
        failed = [o for o in outcomes if not o.passed]
        for outcome in failed[:15]:
            console.print(
                f"[yellow]✗[/yellow] {outcome.id} {outcome.question[:50]} → "
                f"{outcome.predicted_intent} ({outcome.action})"
            )
        if report_text:
            console.print(report_text)
    raise typer.Exit(exit_code)


DEFAULT_RETRIEVAL_QUERIES = Path(__file__).resolve().parent.parent / "evals/data/retrieval.jsonl"
DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "intents/catalogue/brokerage.yaml"


@kb_app.command("evaluate")
def kb_evaluate(
    queries: Annotated[Path, typer.Argument(help="retrieval queries (JSONL)")] = (
        DEFAULT_RETRIEVAL_QUERIES
    ),
    split: Annotated[str, typer.Option(help="dev, test or all")] = "test",
    kb: KbOption = None,
    as_json: JsonOption = False,
) -> None:
    """hit@1, hit@5 and MRR of dense, keyword and hybrid retrieval, per language setting."""
    from assistant.components import open_knowledge_base
    from evals.retrieval import evaluate, load_queries
    from knowledge.retrieval import HybridRetriever

    settings = _settings()
    try:
        base = open_knowledge_base(settings, kb)
        cases = load_queries(queries, split)
        bonus = settings.retrieval_cross_lingual_bonus
        table = evaluate(
            {
                "dense": HybridRetriever(base, mode="dense", cross_lingual_bonus=0.0),
                "dense + language bonus": HybridRetriever(
                    base, mode="dense", cross_lingual_bonus=bonus
                ),
                "keyword": HybridRetriever(base, mode="keyword"),
                "hybrid, rrf": HybridRetriever(base, fusion="rrf", cross_lingual_bonus=bonus),
                "hybrid, weighted (default)": HybridRetriever(
                    base,
                    keyword_weight=settings.retrieval_keyword_weight,
                    cross_lingual_bonus=bonus,
                ),
            },
            cases,
        )
    except KnowledgeError as exc:
        _fail(exc)
        return
    if as_json:
        _print_json(
            {
                name: {setting: s.model_dump() for setting, s in row.items()}
                for name, row in table.items()
            }
        )
        return
    first = next(iter(table.values()))
    out = Table(title=f"retrieval, {split} split: hit@1 / hit@5 / MRR")
    out.add_column("retriever")
    for setting, scores in first.items():
        out.add_column(f"{setting} (n={scores.queries})")
    for name, row in table.items():
        out.add_row(
            name, *(f"{s.hit_at_1:.3f} / {s.hit_at_5:.3f} / {s.mrr:.3f}" for s in row.values())
        )
    console.print(out)


@kb_app.command("calibrate")
def kb_calibrate(
    queries: Annotated[Path, typer.Argument(help="retrieval queries (JSONL)")] = (
        DEFAULT_RETRIEVAL_QUERIES
    ),
    catalogue: Annotated[
        Path, typer.Option(help="intent catalogue whose out-of-scope examples are negatives")
    ] = DEFAULT_CATALOGUE,
    kb: KbOption = None,
    write: Annotated[
        bool, typer.Option(help="store it in knowledge/data/calibration.json")
    ] = False,
) -> None:
    """Fit the confidence calibration for the configured embedder on the dev split."""
    from importlib import resources

    from assistant.components import build_retriever, open_knowledge_base
    from evals.retrieval import calibrate, load_queries
    from intents.catalogue import load_catalogue
    from knowledge.calibration import save_calibration

    settings = _settings()
    negatives = [
        text
        for intent in load_catalogue(catalogue).intents
        if intent.handler == "out_of_scope"
        for text in intent.texts()
    ]
    try:
        base = open_knowledge_base(settings, kb)
        fitted = calibrate(build_retriever(base, settings), load_queries(queries, "dev"), negatives)
    except KnowledgeError as exc:
        _fail(exc)
        return
    _print_json(fitted.model_dump())
    if write:
        target = Path(str(resources.files("knowledge.data").joinpath("calibration.json")))
        save_calibration(fitted, target)
        console.print(f"written to {target}")


if __name__ == "__main__":
    app()
