"""How well the scenario map is covered: by FAQ entries, intent examples and evaluation cases.

:func:`build_coverage` is a pure function over the loaded map, the FAQ entries of
the knowledge sources, the intent catalogue's example counts, the flows and the
evaluation utterances; ``assistant kb coverage`` prints it. A *gap* is work for
someone, not an error: a faq-routed scenario with no entry (the content team),
an intent with no examples (whoever edits the catalogue), a scenario with fewer
than :data:`MIN_UTTERANCES` evaluation utterances (whoever writes them). Broken
references (an entry id, flow or intent that does not exist) are errors, found by
:func:`check_references`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.scenario_utterances import ScenarioUtterances
from assistant.scenarios import (
    PRIORITIES,
    PROPOSED_INTENTS_FILE,
    ROUTES,
    Location,
    Scenario,
    ScenarioMap,
    ScenarioProblem,
)
from assistant.settings import PROJECT_ROOT
from knowledge.documents import UnitKind
from knowledge.errors import SourceError
from knowledge.index import discover
from knowledge.loaders import load_source

DEFAULT_SCENARIOS_DIR = PROJECT_ROOT / "data" / "scenarios"
DEFAULT_UTTERANCES = PROJECT_ROOT / "evals" / "data" / "scenario_utterances.jsonl"
MIN_UTTERANCES = 2
"""Evaluation utterances each scenario should have (issue 11: at least two)."""


class FaqEntry(BaseModel):
    """An FAQ entry as the map refers to it."""

    id: str
    lang: str
    source: str
    title: str


def read_faq_entries(sources: Iterable[Path]) -> tuple[dict[str, FaqEntry], list[ScenarioProblem]]:
    """The FAQ entries of the knowledge sources (files or folders), read without indexing;
    files or rows that cannot be read come back as warnings."""
    entries: dict[str, FaqEntry] = {}
    problems: list[ScenarioProblem] = []
    for path, source in discover(sources):
        try:
            loaded = load_source(path, source)
        except SourceError as exc:
            problems.append(ScenarioProblem(file=source, message=exc.message, severity="warning"))
            continue
        for error in loaded.row_errors:
            problems.append(
                ScenarioProblem(
                    file=source, line=error.row, message=error.message, severity="warning"
                )
            )
        for unit in loaded.units:
            if unit.kind is UnitKind.FAQ:
                entries.setdefault(
                    unit.id, FaqEntry(id=unit.id, lang=unit.lang, source=source, title=unit.title)
                )
    return entries, problems


def available_flows() -> set[str]:
    """The names of the flows the assistant runs, from the flow registry itself."""
    from assistant.accounts import JsonAccountSystem
    from assistant.flows import build_flows
    from assistant.watchlist import WatchList

    # Building reads nothing: the account file is opened on first lookup, the watch list is empty.
    return set(build_flows(JsonAccountSystem(Path("unused.json")), WatchList([])))


class ScenarioRef(BaseModel):
    """A scenario as a coverage list shows it."""

    id: str
    category: str
    title_zh: str
    title_en: str
    route: str
    intent: str
    priority: str
    utterances: int


class CategoryCoverage(BaseModel):
    """One category's scenarios by route, and its gaps."""

    name: str
    title_zh: str
    title_en: str
    scenarios: int
    routes: dict[str, int]
    faq_with_entries: int
    faq_gaps: int
    no_intent_example: int
    under_two_utterances: int


class ProposedIntentUse(BaseModel):
    """A proposed intent and how many scenarios wait for it."""

    name: str
    handler: str
    scenarios: int
    in_catalogue: bool


class UtteranceSummary(BaseModel):
    """What the evaluation file holds."""

    path: str
    present: bool
    total: int
    by_lang: dict[str, int]
    by_split: dict[str, int]
    unknown_scenarios: list[str] = Field(description="scenario ids in the file the map lacks")


class CoverageReport(BaseModel):
    """The scenario map's size and its gaps; see the module docstring."""

    directory: str
    scenarios: int
    categories: int
    routes: dict[str, int]
    priorities: dict[str, int]
    per_category: list[CategoryCoverage]
    faq_scenarios: int
    faq_with_entries: int
    faq_gaps: list[ScenarioRef] = Field(description="faq route, no entry: for the content team")
    no_intent_example: list[ScenarioRef] = Field(
        description="the intent has no examples in the catalogue (usually: it is only proposed)"
    )
    proposed_intents: list[ProposedIntentUse]
    no_evaluation: list[ScenarioRef] = Field(description="no evaluation utterance at all")
    under_two_utterances: list[ScenarioRef] = Field(
        description=f"fewer than {MIN_UTTERANCES} evaluation utterances (those with none included)"
    )
    common_without_english: list[ScenarioRef] = Field(
        description="common faq-routed scenarios no English entry answers yet"
    )
    faq_entries: int = Field(description="FAQ entries in the knowledge sources")
    unmapped_entries: list[str] = Field(description="FAQ entries no scenario lists")
    utterances: UtteranceSummary
    problems: list[ScenarioProblem]

    @property
    def errors(self) -> list[ScenarioProblem]:
        return [p for p in self.problems if p.severity == "error"]


def build_coverage(
    scenario_map: ScenarioMap,
    *,
    faq_entries: Mapping[str, FaqEntry],
    intent_examples: Mapping[str, int],
    flows: Collection[str],
    utterances: ScenarioUtterances,
    problems: Sequence[ScenarioProblem] = (),
) -> CoverageReport:
    """The coverage of ``scenario_map``.

    ``intent_examples`` maps each catalogue intent to its number of examples;
    ``problems`` (e.g. unreadable knowledge sources) are reported along with the
    map's own reference problems.
    """
    counts = utterances.counts()
    known_ids = {scenario.id for scenario in scenario_map.scenarios}

    def ref(scenario: Scenario) -> ScenarioRef:
        return ScenarioRef(
            id=scenario.id,
            category=scenario.category,
            title_zh=scenario.title_zh,
            title_en=scenario.title_en,
            route=scenario.route,
            intent=scenario.intent,
            priority=scenario.priority,
            utterances=counts.get(scenario.id, 0),
        )

    def has_examples(scenario: Scenario) -> bool:
        return intent_examples.get(scenario.intent, 0) > 0

    faq = [s for s in scenario_map.scenarios if s.route == "faq"]
    per_category: list[CategoryCoverage] = []
    for category in scenario_map.categories:
        members = scenario_map.in_category(category.name)
        routes = Counter(s.route for s in members)
        per_category.append(
            CategoryCoverage(
                name=category.name,
                title_zh=category.title_zh,
                title_en=category.title_en,
                scenarios=len(members),
                routes={route: routes.get(route, 0) for route in ROUTES},
                faq_with_entries=sum(1 for s in members if s.route == "faq" and s.entries),
                faq_gaps=sum(1 for s in members if s.route == "faq" and not s.entries),
                no_intent_example=sum(1 for s in members if not has_examples(s)),
                under_two_utterances=sum(
                    1 for s in members if counts.get(s.id, 0) < MIN_UTTERANCES
                ),
            )
        )
    routes = Counter(s.route for s in scenario_map.scenarios)
    priorities = Counter(s.priority for s in scenario_map.scenarios)
    waiting = Counter(s.intent for s in scenario_map.scenarios)
    mapped = {entry for s in scenario_map.scenarios for entry in s.entries}
    english = {entry_id for entry_id, entry in faq_entries.items() if entry.lang == "en"}
    languages = Counter(u.lang for u in utterances.utterances)
    splits = Counter(u.split for u in utterances.utterances)
    return CoverageReport(
        directory=scenario_map.directory,
        scenarios=len(scenario_map.scenarios),
        categories=len(scenario_map.categories),
        routes={route: routes.get(route, 0) for route in ROUTES},
        priorities={priority: priorities.get(priority, 0) for priority in PRIORITIES},
        per_category=per_category,
        faq_scenarios=len(faq),
        faq_with_entries=sum(1 for s in faq if s.entries),
        faq_gaps=[ref(s) for s in faq if not s.entries],
        no_intent_example=[ref(s) for s in scenario_map.scenarios if not has_examples(s)],
        proposed_intents=[
            ProposedIntentUse(
                name=intent.name,
                handler=intent.handler,
                scenarios=waiting.get(intent.name, 0),
                in_catalogue=intent.name in intent_examples,
            )
            for intent in scenario_map.proposed_intents
        ],
        no_evaluation=[ref(s) for s in scenario_map.scenarios if counts.get(s.id, 0) == 0],
        under_two_utterances=[
            ref(s) for s in scenario_map.scenarios if counts.get(s.id, 0) < MIN_UTTERANCES
        ],
        common_without_english=[
            ref(s)
            for s in faq
            if s.priority == "common" and not any(entry in english for entry in s.entries)
        ],
        faq_entries=len(faq_entries),
        unmapped_entries=sorted(entry for entry in faq_entries if entry not in mapped),
        utterances=UtteranceSummary(
            path=utterances.path,
            present=utterances.present,
            total=len(utterances.utterances),
            by_lang=dict(sorted(languages.items())),
            by_split=dict(sorted(splits.items())),
            unknown_scenarios=sorted(set(counts) - known_ids),
        ),
        problems=[
            *problems,
            *utterances.problems,
            *(
                ScenarioProblem(
                    file=utterances.path,
                    where=scenario_id,
                    message=f"{counts[scenario_id]} utterance(s) for a scenario the map lacks",
                    severity="warning",
                )
                for scenario_id in sorted(set(counts) - known_ids)
            ),
            *check_references(
                scenario_map,
                faq_ids=faq_entries.keys(),
                flows=flows,
                catalogue_intents=intent_examples.keys(),
            ),
        ],
    )


def check_references(
    scenario_map: ScenarioMap,
    *,
    faq_ids: Collection[str],
    flows: Collection[str],
    catalogue_intents: Collection[str],
) -> list[ScenarioProblem]:
    """What the map points at, checked against the knowledge base, the flows and the catalogue.

    Errors: an entry that is no FAQ id of ``faq_ids``, a flow not in ``flows``,
    an intent neither in ``catalogue_intents`` nor proposed. Warnings: a
    proposed intent the catalogue now has (remove it from the proposals), or
    one no scenario uses. Account-query kinds are checked when the map loads.
    """
    problems: list[ScenarioProblem] = []
    known_faq = set(faq_ids)
    known_flows = set(flows)
    catalogue = set(catalogue_intents)
    proposed = scenario_map.proposed_intent_names
    for scenario in scenario_map.scenarios:
        place = scenario_map.locations.get(scenario.id, Location(file=scenario_map.directory))
        messages: list[str] = []
        missing = [entry for entry in scenario.entries if entry not in known_faq]
        if missing:
            messages.append(f"no FAQ entry with id {', '.join(missing)} in the knowledge base")
        if scenario.flow is not None and scenario.flow not in known_flows:
            messages.append(f"no flow {scenario.flow!r} (flows: {', '.join(sorted(known_flows))})")
        if scenario.intent not in catalogue and scenario.intent not in proposed:
            messages.append(
                f"intent {scenario.intent!r} is neither in the intent catalogue nor proposed in "
                f"{PROPOSED_INTENTS_FILE}"
            )
        problems.extend(
            ScenarioProblem(file=place.file, line=place.line, where=scenario.id, message=message)
            for message in messages
        )
    used = {scenario.intent for scenario in scenario_map.scenarios}
    for intent in scenario_map.proposed_intents:
        place = scenario_map.locations.get(
            f"intent:{intent.name}", Location(file=PROPOSED_INTENTS_FILE)
        )
        if intent.name in catalogue:
            message = "is in the intent catalogue now: remove it from the proposals"
        elif intent.name not in used:
            message = "no scenario uses this proposed intent"
        else:
            continue
        problems.append(
            ScenarioProblem(
                file=place.file,
                line=place.line,
                where=intent.name,
                message=message,
                severity="warning",
            )
        )
    return problems
