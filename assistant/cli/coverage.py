"""`kb coverage`: which scenarios the knowledge base and the intents answer."""

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from assistant.cli.common import JsonOption, console, errors, load_settings, print_json


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
    from assistant.scenario_utterances import load_scenario_utterances
    from assistant.scenarios import ScenarioMapError, load_scenario_map
    from intents.catalogue import load_catalogue
    from intents.errors import IntentError

    settings = load_settings()
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
        print_json({**report.model_dump(mode="json"), "below_minimum": short})
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
