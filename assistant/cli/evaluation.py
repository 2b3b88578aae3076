"""The evaluation commands: eval, eval-dialogues, eval-scenarios (evals is imported inside them)."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from assistant.cli.common import (
    PROJECT_ROOT,
    JsonOption,
    KbOption,
    console,
    errors,
    fail,
    load_settings,
    print_json,
)
from assistant.step_progress import StepProgress
from knowledge.errors import KnowledgeError

DEFAULT_DIALOGUES = PROJECT_ROOT / "evals/data/dialogues.jsonl"


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

    from assistant.assembly import build_assistant
    from evals.dialogues import load_dialogues, load_grades, run_dialogues, save_records
    from evals.dialogues import summarise as summarise_dialogues

    settings = load_settings()
    try:
        bot = build_assistant(settings, kb_dir=kb)
    except KnowledgeError as exc:
        fail(exc)
        return
    try:
        chosen = load_dialogues(dialogues, split)
        with StepProgress(errors, enabled=not as_json) as progress:
            played = progress.step("dialogues", len(chosen))
            records = asyncio.run(run_dialogues(bot, chosen, on_dialogue=played))
    finally:
        bot.close()
    if out is not None:
        save_records(records, out)
    summary = summarise_dialogues(records, load_grades(grades) if grades else None)
    if as_json:
        print_json(summary.model_dump())
        return
    console.print(summary.model_dump_json(indent=2))


DEFAULT_SCENARIO_UTTERANCES = PROJECT_ROOT / "evals/data/scenario_utterances.jsonl"
DEFAULT_SCENARIOS = PROJECT_ROOT / "data/scenarios"


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

    from assistant.assembly import build_assistant
    from assistant.scenario_utterances import load_scenario_utterances
    from assistant.scenarios import load_scenario_map
    from evals.scenarios import run_scenarios
    from evals.scenarios import summarise as summarise_scenarios

    settings = load_settings()
    read = load_scenario_utterances(utterances)
    chosen = [u for u in read.utterances if split in ("all", u.split)]
    try:
        bot = build_assistant(settings, kb_dir=kb)
    except KnowledgeError as exc:
        fail(exc)
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
        print_json(summary.model_dump())
        return
    console.print(summary.model_dump_json(indent=2))


DEFAULT_CASES = PROJECT_ROOT / "evals/data/cases.jsonl"
DEFAULT_THRESHOLDS = PROJECT_ROOT / "evals/thresholds.toml"


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

    settings = load_settings()
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
        print_json(overview(evaluation))
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
