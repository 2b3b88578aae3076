"""The ``assistant`` command line: knowledge-base management and search.

Every command that touches a knowledge base takes ``--kb DIR`` (default from
settings), so several bases can live side by side.
"""

import json
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from assistant.settings import Settings, get_settings
from assistant.step_progress import StepProgress
from knowledge.errors import KnowledgeError

app = typer.Typer(
    help="Customer-service assistant for securities brokerages.", no_args_is_help=True
)
kb_app = typer.Typer(help="Inspect and maintain a knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
db_app = typer.Typer(help="Create and migrate the conversation database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
staff_app = typer.Typer(help="Manage agent-console staff accounts.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
push_app = typer.Typer(help="Proactive pushes: check what would go out.", no_args_is_help=True)
app.add_typer(push_app, name="push")

console = Console()
errors = Console(stderr=True)

KbOption = Annotated[
    Path | None, typer.Option("--kb", help="knowledge-base directory (default: settings)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]


def _settings(**overrides: Any) -> Settings:
    """The settings (with ``overrides`` validated like the rest); unusable ones end the
    command with what is wrong, never a traceback, and never the values (a secret)."""
    try:
        if not overrides:
            return get_settings()
        return Settings.model_validate({**get_settings().model_dump(), **overrides})
    except ValidationError as exc:
        problems = "\n".join(
            f"  {'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        errors.print(f"[red]error[/red]: the settings cannot be used:\n{problems}")
        raise typer.Exit(2) from None


def _fail(exc: KnowledgeError) -> None:
    errors.print(f"[red]error[/red] ({exc.code}): {exc.message}")
    raise typer.Exit(2)


class ProgressLines:
    """Progress as a line now and then where no bar can be drawn (a log file, a pipe)."""

    def __init__(self, what: str, *, enabled: bool, every_s: float = 10.0) -> None:
        self.what = what
        self.enabled = enabled
        self.every_s = every_s
        self.total = 0
        self.done = 0
        self._last = time.monotonic()

    def plan(self, total: int) -> None:
        self.total = total
        if self.enabled and total:
            errors.print(f"{self.what}: {total} to do")

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self.enabled and (now - self._last >= self.every_s or self.done == self.total):
            self._last = now
            share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
            errors.print(f"{self.what}: {self.done}/{self.total}{share}")


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
            lines = ProgressLines("embedding", enabled=not as_json and not errors.is_terminal)

            def planned(total: int) -> None:
                progress.update(task, total=total)
                lines.plan(total)

            def embedded(count: int) -> None:
                progress.advance(task, count)
                lines.advance(count)

            report = base.ingest(paths, prune=prune, on_plan=planned, on_progress=embedded)
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
    """Sources, units, vectors, the embedder that built the knowledge base, and the FAQ
    entries past their review date (review_by, else updated_at + KNOWLEDGE_MAX_AGE_DAYS)."""
    from assistant.accounts import exchange_today
    from assistant.components import open_knowledge_base
    from knowledge.freshness import freshness_report

    settings = _settings()
    try:
        base = open_knowledge_base(settings, kb)
        stats = base.stats()
        freshness = freshness_report(
            base.all_units(), today=exchange_today(), max_age_days=settings.knowledge_max_age_days
        )
    except KnowledgeError as exc:
        _fail(exc)
        return
    if as_json:
        _print_json({**stats, "freshness": freshness.model_dump(mode="json")})
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


DEFAULT_DIALOGUES = Path(__file__).resolve().parent.parent / "evals/data/dialogues.jsonl"


@app.command("eval-dialogues")
def evaluate_dialogues(
    dialogues: Annotated[
        Path, typer.Argument(help="dialogue file (JSONL, see evals/data/RUBRIC.md)")
    ] = DEFAULT_DIALOGUES,
    split: Annotated[str, typer.Option(help="dev, heldout or all")] = "dev",
    out: Annotated[
        Path | None, typer.Option(help="write every turn and reply here (JSON), for grading")
    ] = None,
    grades: Annotated[
        Path | None, typer.Option(help="a reader's grades (JSON) to count with the replies")
    ] = None,
    kb: KbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Play the blind conversations turn by turn; label what rules can, count the rest."""
    import asyncio

    from assistant.service import build_assistant
    from evals.dialogues import load_dialogues, load_grades, run_dialogues, save_records
    from evals.dialogues import summarise as summarise_dialogues

    settings = _settings()
    try:
        bot = build_assistant(settings, kb_dir=kb)
    except KnowledgeError as exc:
        _fail(exc)
        return
    chosen = load_dialogues(dialogues, split)
    try:
        with StepProgress(errors, enabled=not as_json) as progress:
            played = progress.step("dialogues", len(chosen))
            records = asyncio.run(run_dialogues(bot, chosen, on_dialogue=played))
    finally:
        bot.close()
    if out is not None:
        save_records(records, out)
    summary = summarise_dialogues(records, load_grades(grades) if grades else None)
    if as_json:
        _print_json(summary.model_dump())
        return
    console.print(summary.model_dump_json(indent=2))


DEFAULT_SCENARIO_UTTERANCES = (
    Path(__file__).resolve().parent.parent / "evals/data/scenario_utterances.jsonl"
)
DEFAULT_SCENARIOS = Path(__file__).resolve().parent.parent / "data/scenarios"


@app.command("eval-scenarios")
def evaluate_scenarios(
    utterances: Annotated[
        Path, typer.Argument(help="scenario utterances (JSONL: scenario, text, lang, split)")
    ] = DEFAULT_SCENARIO_UTTERANCES,
    scenarios: Annotated[Path, typer.Option(help="the scenario map folder")] = DEFAULT_SCENARIOS,
    split: Annotated[str, typer.Option(help="dev, heldout or all")] = "heldout",
    kb: KbOption = None,
    out: Annotated[Path | None, typer.Option(help="write every outcome here (JSON)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Each scenario's utterances as first messages: the route taken, FAQ hit@1, account answers."""
    import asyncio
    import json

    from assistant.scenarios import load_scenario_map, load_scenario_utterances
    from assistant.service import build_assistant
    from evals.scenarios import run_scenarios
    from evals.scenarios import summarise as summarise_scenarios

    settings = _settings()
    read = load_scenario_utterances(utterances)
    chosen = [u for u in read.utterances if split in ("all", u.split)]
    try:
        bot = build_assistant(settings, kb_dir=kb)
    except KnowledgeError as exc:
        _fail(exc)
        return
    try:
        with StepProgress(errors, enabled=not as_json) as progress:
            asked = progress.step("utterances", len(chosen))
            outcomes = asyncio.run(
                run_scenarios(bot, load_scenario_map(scenarios), chosen, on_utterance=asked)
            )
    finally:
        bot.close()
    if out is not None:
        out.write_text(
            json.dumps([o.model_dump() for o in outcomes], ensure_ascii=False, indent=1),
            "utf-8",
        )
    summary = summarise_scenarios(outcomes)
    if as_json:
        _print_json(summary.model_dump())
        return
    console.print(summary.model_dump_json(indent=2))


DEFAULT_CASES = Path(__file__).resolve().parent.parent / "evals/data/cases.jsonl"
DEFAULT_THRESHOLDS = Path(__file__).resolve().parent.parent / "evals/thresholds.toml"


@app.command("eval")
def evaluate_cases(
    cases: Annotated[
        Path,
        typer.Argument(
            help="evaluation cases: JSONL (evals/CASES.md), CSV, or FILE.json#SPLIT+..."
        ),
    ] = DEFAULT_CASES,
    kb: KbOption = None,
    intents: Annotated[
        Path | None,
        typer.Option("--intents", help="intent catalogue: YAML, CSV, JSONL or FILE.json#SPLIT+..."),
    ] = None,
    split: Annotated[str, typer.Option(help="dev, heldout or all")] = "all",
    compare: Annotated[
        Path | None, typer.Option(help="baseline JSON from --save: report changes, gate on them")
    ] = None,
    thresholds: Annotated[Path, typer.Option(help="gate thresholds (TOML)")] = DEFAULT_THRESHOLDS,
    save: Annotated[Path | None, typer.Option(help="write metrics and per-case results")] = None,
    shots: Annotated[
        int | None,
        typer.Option(min=1, help="keep this many examples per intent (few-shot benchmarks)"),
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed of the --shots draw")] = 0,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report", help="write a self-contained HTML report, DIR/report.html"),
    ] = None,
    judge_url: Annotated[
        str | None,
        typer.Option(
            "--judge-url",
            help="OpenAI-compatible endpoint of an LLM judge for faithfulness and answer "
            "relevance (default: settings judge_base_url; unset: no judge)",
        ),
    ] = None,
    judge_model: Annotated[
        str | None,
        typer.Option("--judge-model", help="the judge's model (default: settings judge_model)"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run cases through the real assistant: intent, retrieval, answer, escalation, compliance.

    CASES is JSONL (evals/CASES.md) or, for intent benchmarks, a CSV with text and
    intent (or category) columns, such as BANKING77's test.csv, or lists of a JSON
    split file such as CLINC150's: train_val.json#val+oos_val (and, as the
    catalogue, --intents train_val.json#train+oos_train).
    """
    import asyncio

    from evals.compare import load_thresholds
    from evals.errors import EvalError
    from evals.evaluation import (
        evaluate,
        evaluated_assistant,
        overview,
        run_cases,
        select_cases,
        write_html_report,
    )
    from evals.evaluation import save as save_evaluation
    from evals.judge import build_judge
    from evals.runner import OUT_OF_SCOPE
    from intents.errors import IntentError

    settings = _settings()
    try:
        selected = select_cases(cases, split)
        gates = load_thresholds(thresholds)
        bot = evaluated_assistant(settings, kb_dir=kb, intents=intents, shots=shots, seed=seed)
    except (KnowledgeError, IntentError, EvalError) as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc
    judge = build_judge(settings, base_url=judge_url, model=judge_model)
    if judge is not None:
        errors.print(
            f"LLM judge: model {judge.model_name} at {judge_url or settings.judge_base_url}"
        )

    async def run_all() -> list[Any]:
        with StepProgress(errors, enabled=not as_json) as progress:
            judging: list[Callable[[], None]] = []
            return await run_cases(
                bot,
                selected,
                judge,
                on_case=progress.step("cases", len(selected)),
                on_judging=lambda total: judging.append(progress.step("judging", total)),
                on_judged=lambda: judging[0](),
            )

    outcomes = asyncio.run(run_all())
    evaluation = evaluate(outcomes, judge=judge, gates=gates, baseline=compare)
    summary, judged = evaluation.summary, evaluation.judged
    if save:
        save_evaluation(evaluation, save)
    report_text = evaluation.comparison.summary() if evaluation.comparison is not None else ""
    exit_code = 0 if evaluation.passed else 1
    if report_dir is not None:
        described = [str(cases), f"split {split}"]
        if intents is not None or shots is not None:
            catalogue = str(intents or settings.intents_catalogue)
            described.append(catalogue + (f", {shots}-shot (seed {seed})" if shots else ""))
        if compare is not None:
            described.append(f"compared with {compare}")
        page = write_html_report(evaluation, report_dir, gates, subtitle=" · ".join(described))
        errors.print(f"report: {page}")
    if as_json:
        _print_json(overview(evaluation))
    else:
        table = Table("metric", "value", title=f"{len(outcomes)} cases ({split})")
        for name, value in summary.items():
            if value is not None:  # an intent-only run measures no retrieval or answers
                table.add_row(name, f"{value:.4f}")
        console.print(table)
        if judged is not None:
            verdicts = Table("metric", "value", title=f"LLM-judged (model {judged.model})")
            for label, number in (
                ("faithfulness", judged.faithfulness_mean),
                ("answer relevance", judged.answer_relevance_mean),
            ):
                verdicts.add_row(label, "-" if number is None else f"{number:.4f}")
            verdicts.add_row("answers judged", str(judged.judged))
            reasons = ", ".join(f"{r} ×{n}" for r, n in judged.not_judged_reasons.items())
            verdicts.add_row(
                "not judged", f"{judged.not_judged}" + (f" ({reasons})" if reasons else "")
            )
            console.print(verdicts)
        in_scope, oos_recall = summary["intent.in_scope_accuracy"], summary["intent.oos_recall"]
        if in_scope is not None and oos_recall is not None:
            oos_cases = sum(o.expected_intent == OUT_OF_SCOPE for o in outcomes)
            in_cases = sum(o.expected_intent is not None for o in outcomes) - oos_cases
            console.print(
                f"in-scope accuracy [b]{in_scope:.2%}[/b] ({in_cases} cases), "
                f"out-of-scope recall [b]{oos_recall:.2%}[/b] ({oos_cases} cases)"
            )
        failed = [o for o in outcomes if not o.passed]
        for outcome in failed[:15]:
            console.print(
                f"[yellow]✗[/yellow] {outcome.id} {outcome.question[:50]} → "
                f"{outcome.predicted_intent} ({outcome.action})"
            )
        if report_text:
            console.print(report_text)
    raise typer.Exit(exit_code)


DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (default: settings database_url)"),
]


@app.command("report")
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

    settings = _settings()
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
        _print_json(report.model_dump(mode="json"))
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
            f"{pushes.delivered} delivered, {pct(pushes.followed_share)} followed, "
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


faq_app = typer.Typer(help="Draft FAQ entries from real conversations.", no_args_is_help=True)
app.add_typer(faq_app, name="faq")


@faq_app.command("draft")
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

    from assistant.persistence.repositories import StorageError
    from assistant.persistence.sql import open_store
    from assistant.quality import QualityError, append_drafts, draft_from_conversation

    settings = _settings()
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
        _print_json({"draft": draft.model_dump(), "appended_to": str(target)})
        return
    console.print(f"[b]Q:[/b] {draft.question}")
    for similar in draft.similar_questions:
        console.print(f"   [dim]also asked:[/dim] {similar}")
    console.print(f"[b]A:[/b] {draft.answer}")
    console.print(f"[dim]category={draft.category or '-'} lang={draft.lang}[/dim]")
    console.print(f"appended to {target}: review it, then `assistant ingest {target}`")


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
                "hybrid, weighted": HybridRetriever(
                    base,
                    keyword_weight=settings.retrieval_keyword_weight,
                    cross_lingual_bonus=bonus,
                    rerank=False,
                ),
                "hybrid, weighted, answerability rerank (default)": HybridRetriever(
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


@kb_app.command("coverage")
def kb_coverage(
    scenarios: Annotated[
        Path | None,
        typer.Option(help="scenario map folder (default: data/scenarios)"),
    ] = None,
    utterances: Annotated[
        Path | None,
        typer.Option(
            help="evaluation utterances, JSONL of scenario/text/lang/split "
            "(default: evals/data/scenario_utterances.jsonl; may be missing)"
        ),
    ] = None,
    sources: Annotated[
        list[Path] | None,
        typer.Option(
            "--sources", help="knowledge sources the FAQ ids come from (default: settings)"
        ),
    ] = None,
    intents: Annotated[
        Path | None, typer.Option(help="intent catalogue (default: settings)")
    ] = None,
    min_scenarios: Annotated[int, typer.Option(help="exit 1 when the map has fewer scenarios")] = 0,
    min_categories: Annotated[
        int, typer.Option(help="exit 1 when the map has fewer categories")
    ] = 0,
    as_json: JsonOption = False,
) -> None:
    """Scenarios per category and route, and the gaps: faq-routed scenarios with no FAQ entry,
    intents with no examples, scenarios with fewer than two evaluation utterances.

    Exits 1 when the map points at entries, flows or intents that do not exist, or is
    smaller than --min-scenarios / --min-categories; gaps alone do not fail it.
    """
    from assistant.scenario_coverage import (
        DEFAULT_SCENARIOS_DIR,
        DEFAULT_UTTERANCES,
        available_flows,
        build_coverage,
        read_faq_entries,
    )
    from assistant.scenarios import (
        ScenarioMapError,
        load_scenario_map,
        load_scenario_utterances,
    )
    from intents.catalogue import load_catalogue
    from intents.errors import IntentError

    settings = _settings()
    try:
        scenario_map = load_scenario_map(scenarios or DEFAULT_SCENARIOS_DIR)
        catalogue = load_catalogue(intents or settings.intents_catalogue)
    except ScenarioMapError as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            errors.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    except IntentError as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc
    entries, source_problems = read_faq_entries(sources or [settings.knowledge_sources])
    report = build_coverage(
        scenario_map,
        faq_entries=entries,
        intent_examples={intent.name: len(intent.texts()) for intent in catalogue.intents},
        flows=available_flows(),
        utterances=load_scenario_utterances(utterances or DEFAULT_UTTERANCES),
        problems=source_problems,
    )
    short: list[str] = []
    if report.scenarios < min_scenarios:
        short.append(f"{report.scenarios} scenarios, fewer than --min-scenarios {min_scenarios}")
    if report.categories < min_categories:
        short.append(
            f"{report.categories} categories, fewer than --min-categories {min_categories}"
        )
    if as_json:
        _print_json({**report.model_dump(mode="json"), "below_minimum": short})
    else:
        _print_coverage(report)
    for line in short:
        errors.print(f"[red]below minimum[/red]: {line}")
    if report.errors or short:
        raise typer.Exit(1)


def _print_coverage(report: Any) -> None:
    def grouped(refs: list[Any]) -> None:
        by_category: dict[str, list[str]] = {}
        for ref in refs:
            by_category.setdefault(ref.category, []).append(ref.id.split(".", 1)[1])
        for category, names in by_category.items():
            console.print(f"  {category} ({len(names)}): {', '.join(names)}", highlight=False)

    routes = " · ".join(f"{route} {n}" for route, n in report.routes.items())
    priorities = " · ".join(f"{name} {n}" for name, n in report.priorities.items())
    console.print(
        f"[b]{report.scenarios} scenarios in {report.categories} categories[/b] "
        f"({report.directory})\nroutes: {routes}\npriority: {priorities}\n"
        f"faq-routed: {report.faq_scenarios}, {report.faq_with_entries} with entries, "
        f"{len(report.faq_gaps)} gaps; {report.faq_entries} FAQ entries in the sources, "
        f"{len(report.unmapped_entries)} not mapped to a scenario",
        highlight=False,
    )
    console.print(
        "\n[b]scenarios per category and route[/b] (acct: account query), and the gaps: "
        "faq-routed with no entry, intent with no examples, fewer than 2 evaluation utterances"
    )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("category", no_wrap=True)
    for header in ("all", "faq", "flow", "acct", "handoff", "no\nentry", "no\nintent", "<2\nutt"):
        table.add_column(header, justify="right", min_width=max(map(len, header.split())))
    for row in report.per_category:
        table.add_row(
            row.name,
            str(row.scenarios),
            *(str(row.routes[route]) for route in ("faq", "flow", "account", "handoff")),
            str(row.faq_gaps),
            str(row.no_intent_example),
            str(row.under_two_utterances),
        )
    console.print(table)
    console.print(f"\n[b]faq-routed scenarios with no FAQ entry[/b] ({len(report.faq_gaps)})")
    grouped(report.faq_gaps)
    console.print(
        f"\n[b]scenarios whose intent has no examples[/b] ({len(report.no_intent_example)})"
    )
    for intent in report.proposed_intents:
        state = "in the catalogue" if intent.in_catalogue else "proposed"
        console.print(f"  {intent.name} ({state}): {intent.scenarios} scenarios", highlight=False)
    others = [
        ref
        for ref in report.no_intent_example
        if ref.intent not in {intent.name for intent in report.proposed_intents}
    ]
    if others:
        grouped(others)
    found = report.utterances
    where = found.path if found.present else f"{found.path} (missing)"
    console.print(
        f"\n[b]evaluation utterances[/b]: {found.total} in {where}; "
        f"{len(report.no_evaluation)} scenarios have none, "
        f"{len(report.under_two_utterances)} have fewer than two",
        highlight=False,
    )
    if found.total:
        console.print(f"  by language {found.by_lang}, by split {found.by_split}", highlight=False)
        grouped(report.under_two_utterances)
    elif report.under_two_utterances:
        console.print("  (every scenario: the file holds no utterances yet)")
    console.print(
        f"\n[b]common faq-routed scenarios with no English entry[/b] "
        f"({len(report.common_without_english)})"
    )
    grouped(report.common_without_english)
    if report.unmapped_entries:
        console.print(
            f"\n[b]FAQ entries no scenario lists[/b]: {', '.join(report.unmapped_entries)}",
            highlight=False,
        )
    if report.problems:
        console.print(f"\n[b]problems[/b] ({len(report.problems)})")
        for problem in report.problems:
            colour = "red" if problem.severity == "error" else "yellow"
            console.print(f"  [{colour}]{problem.severity}[/{colour}] ", end="")
            console.print(str(problem), markup=False, highlight=False, soft_wrap=True)


@kb_app.command("answerability")
def kb_answerability(
    catalogue: Annotated[
        Path, typer.Option(help="intent catalogue whose out-of-scope examples are negatives")
    ] = DEFAULT_CATALOGUE,
    kb: KbOption = None,
    bundle: Annotated[
        bool,
        typer.Option(
            help="also store it as the bundled default (knowledge/data/answerability.json)"
        ),
    ] = False,
    ablation: Annotated[
        bool,
        typer.Option(
            help="measure what each kind of evidence adds on the labelled dev questions "
            "(sample knowledge base)"
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Refit the answerability model on the knowledge base's own phrasings and show it."""
    if ablation:
        _answerability_ablation(catalogue, kb, as_json)
        return
    import json
    from importlib import resources

    from assistant.components import open_knowledge_base, out_of_scope_examples
    from knowledge.answerability_training import fit
    from knowledge.lexicon import bundled_lexicon
    from knowledge.retrieval import HybridRetriever

    settings = _settings()
    try:
        base = open_knowledge_base(settings, kb)
        ranking = HybridRetriever(
            base,
            keyword_weight=settings.retrieval_keyword_weight,
            cross_lingual_bonus=settings.retrieval_cross_lingual_bonus,
        ).ranking_parameters
        fitted = fit(base, bundled_lexicon(), ranking, negatives=out_of_scope_examples(catalogue))
    except KnowledgeError as exc:
        _fail(exc)
        return
    if fitted is None:
        console.print("too few phrasings to fit: the bundled model is used")
        return
    _print_json(fitted.model_dump())
    if bundle:
        target = Path(str(resources.files("knowledge.data").joinpath("answerability.json")))
        entry = fitted.model_dump() | {
            "fitted_on": f"the sample knowledge base: {fitted.fitted_on}"
        }
        target.write_text(
            json.dumps({"default": entry}, ensure_ascii=False, indent=2) + "\n", "utf-8"
        )
        console.print(f"written to {target}")


def _answerability_ablation(catalogue: Path, kb: Path | None, as_json: bool) -> None:
    from assistant.answers import GroundedComposer
    from assistant.components import open_knowledge_base, out_of_scope_examples
    from evals.answerability import ablation

    settings = _settings()
    composer = GroundedComposer()
    try:
        scores = ablation(
            open_knowledge_base(settings, kb),
            keyword_weight=settings.retrieval_keyword_weight,
            cross_lingual_bonus=settings.retrieval_cross_lingual_bonus,
            negatives=out_of_scope_examples(catalogue),
            answer_at=composer.answer_at,
            clarify_at=composer.clarify_at,
        )
    except KnowledgeError as exc:
        _fail(exc)
        return
    if as_json:
        _print_json([s.model_dump() for s in scores])
        return
    table = Table(title="answerability evidence, dev questions (shares of the answerable)")
    for column in (
        "evidence",
        "top-1",
        "right",
        "wrong",
        "not known",
        "unanswerable answered",
        "right / wrong at 10% unanswerable answered",
    ):
        table.add_column(column)
    for s in scores:
        table.add_row(
            s.variant,
            *(
                f"{v:.3f}"
                for v in (
                    s.top1,
                    s.answered_right,
                    s.answered_wrong,
                    s.not_known,
                    s.unanswerable_answered,
                )
            ),
            f"{s.right_at_tenth:.3f} / {s.wrong_at_tenth:.3f}",
        )
    console.print(table)
    console.print(f"{scores[0].answerable} answerable, {scores[0].unanswerable} unanswerable")


@db_app.command("upgrade")
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

    url = database_url or _settings().database
    try:
        revision = asyncio.run(migrate_database(url))
    except StorageError as exc:
        errors.print(f"[red]error[/red] ({exc.code}): {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{display_url(url)} is at revision {revision}")


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

    settings = _settings()

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


@push_app.command("preview")
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

    settings = _settings()
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
        _print_json(preview.model_dump(mode="json"))
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


@staff_app.command("create")
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


@staff_app.command("role")
def staff_role(
    username: Annotated[str, typer.Argument(help="the account's sign-in name")],
    role: Annotated[str, typer.Argument(help="agent, supervisor or admin")],
    database_url: DatabaseOption = None,
) -> None:
    """Give an account another role (the first administrator is made this way)."""
    chosen = _role(role)
    account = _staff_auth_run(database_url, lambda auth: auth.change_account(username, role=chosen))
    console.print(f"{account.username} is now {account.role.value}")


@app.command()
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
    from assistant.settings import is_loopback

    overrides: dict[str, Any] = {
        "host": host,
        "port": port,
        "kb_dir": kb,
        "database_url": database_url,
        "bus_url": bus_url,
        "log_format": log_format,
    }
    # Validated again (model_copy would not): the served address decides the origins.
    settings = _settings(**{key: value for key, value in overrides.items() if value is not None})
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


if __name__ == "__main__":
    app()
