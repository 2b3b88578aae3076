"""One evaluation of the shipped cases as a library call: the assistant built for it, the
cases run (and judged, when a judge is given), the metrics compared with a baseline, the
results saved and the HTML report written. ``assistant eval`` parses its arguments, calls
these and prints."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.assembly import Assistant, build_assistant
from assistant.settings import Settings
from evals.cases import EvalCase, load_cases
from evals.compare import ComparisonReport, MetricThreshold, compare, compare_cases
from evals.intent_benchmarks import sample_catalogue
from evals.judge import JudgeSummary, LlmJudge, summarise_judgments
from evals.report import render_report, write_report
from evals.runner import CaseOutcome, judge_outcomes, judgeable, run_case, summarise
from intents.catalogue import load_catalogue


def evaluated_assistant(
    settings: Settings,
    *,
    kb_dir: Path | None = None,
    intents: Path | None = None,
    shots: int | None = None,
    seed: int = 0,
) -> Assistant:
    """The assistant under evaluation; with ``shots``, its catalogue keeps that many
    examples per intent (the few-shot benchmarks)."""
    with tempfile.TemporaryDirectory() as scratch:
        catalogue_path = intents
        if shots is not None:
            # The policy reads its catalogue from a file; JSON is valid YAML.
            sampled = sample_catalogue(
                load_catalogue(intents or settings.intents_catalogue), shots, seed
            )
            catalogue_path = Path(scratch) / f"catalogue-{shots}-shot.yaml"
            catalogue_path.write_text(sampled.model_dump_json(), "utf-8")
        return build_assistant(settings, kb_dir=kb_dir, catalogue_path=catalogue_path)


def select_cases(path: Path, split: str) -> list[EvalCase]:
    """The cases of ``split`` (``dev``, ``heldout``, or ``all``)."""
    return [case for case in load_cases(path) if split in ("all", case.split)]


async def run_cases(
    bot: Assistant,
    cases: Sequence[EvalCase],
    judge: LlmJudge | None = None,
    *,
    on_case: Callable[[], None] = lambda: None,
    on_judging: Callable[[int], None] = lambda total: None,
    on_judged: Callable[[], None] = lambda: None,
) -> list[CaseOutcome]:
    """Every case through the real assistant, then the judgeable answers judged."""
    outcomes = []
    for case in cases:
        outcomes.append(await run_case(bot, case))
        on_case()
    if judge is not None:
        on_judging(sum(map(judgeable, outcomes)))
        outcomes = await judge_outcomes(bot, judge, cases, outcomes, on_judged=on_judged)
    return outcomes


@dataclass
class Evaluation:
    """The measured metrics, the judged ones apart (they never gate), and the comparison
    with a baseline. ``results`` is what :func:`save` writes (metrics, judged numbers and
    every case); ``compared`` the comparison's gist (failures, cases that moved)."""

    outcomes: list[CaseOutcome]
    summary: dict[str, float | None]
    judged: JudgeSummary | None
    results: dict[str, Any]
    comparison: ComparisonReport | None = None
    compared: dict[str, Any] | None = None
    regressed: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """The gate: no threshold broken against the baseline (no baseline, no gate)."""
        return self.comparison is None or self.comparison.passed


def evaluate(
    outcomes: list[CaseOutcome],
    *,
    judge: LlmJudge | None,
    gates: dict[str, MetricThreshold],
    baseline: Path | None = None,
) -> Evaluation:
    """Summarise ``outcomes`` and, with a ``baseline`` (a saved evaluation), compare."""
    summary = summarise(outcomes)
    # LLM-judged numbers stay apart from the measured metrics, so they never gate.
    judged = (
        summarise_judgments(judge.model_name, [o.judgment for o in outcomes]) if judge else None
    )
    results: dict[str, Any] = {"metrics": summary}
    if judged is not None:
        results["llm_judge"] = judged.model_dump()
    results["cases"] = [
        o.model_dump(exclude={"judgment"} if o.judgment is None else None) for o in outcomes
    ]
    evaluation = Evaluation(outcomes, summary, judged, results)
    if baseline is not None:
        saved = json.loads(baseline.read_text("utf-8"))
        report = compare(summary, saved["metrics"], gates, allow_missing=True)
        changes = compare_cases(results["cases"], saved["cases"])
        evaluation.comparison = report
        evaluation.regressed = [c.id for c in changes.regressed]
        evaluation.compared = {
            "passed": report.passed,
            "failures": [f.model_dump() for f in report.failures],
            "regressed": [c.model_dump() for c in changes.regressed],
            "improved": [c.model_dump() for c in changes.improved],
        }
    return evaluation


def overview(evaluation: Evaluation) -> dict[str, Any]:
    """Everything but the cases: the metrics, the judged numbers, the comparison."""
    shown = {k: v for k, v in evaluation.results.items() if k != "cases"}
    if evaluation.compared is not None:
        shown["comparison"] = evaluation.compared
    return shown


def save(evaluation: Evaluation, path: Path) -> None:
    """Metrics and per-case results as JSON (a later run's ``baseline``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(evaluation.results, ensure_ascii=False, indent=1), "utf-8")


def write_html_report(
    evaluation: Evaluation,
    directory: Path,
    gates: dict[str, MetricThreshold],
    *,
    subtitle: str,
) -> Path:
    """``DIR/report.html``, self-contained; its path."""
    return write_report(
        directory,
        render_report(
            evaluation.outcomes,
            evaluation.summary,
            gates,
            title="Evaluation report",
            subtitle=subtitle,
            comparison=evaluation.comparison,
            regressed=evaluation.regressed,
            judge=evaluation.judged,
        ),
    )
