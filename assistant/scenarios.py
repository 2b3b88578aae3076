"""The scenario map: what investors come to a brokerage's help desk for, and how each is served.

A *scenario* is one thing an investor wants ("my transfer has not arrived", "what
is stamp duty?", "my father died, what happens to his shares?"). Each says how
the assistant serves it, its *route*:

* ``faq``: answered from FAQ entries (``entries``; empty is a gap the content team fills);
* ``flow``: a multi-turn flow (``flow``, a name :func:`~assistant.flows.build_flows` knows);
* ``account``: the investor's own records (``account_query``, a kind of
  :data:`~assistant.account_queries.ACCOUNT_QUERY_KINDS`);
* ``handoff``: a person must do it (``reason`` says why); its ``entries``, if any,
  tell the investor what happens and what to prepare while the conversation goes
  to the staff queue (FAQ rows marked 转人工).

Each also names the ``intent`` that recognises it: one of the intent catalogue,
or one *proposed* in ``proposed_intents.yaml`` for the catalogue to add.

The map lives in a folder (``data/scenarios/``), one YAML file per category
(the file is named after its ``category``), plus ``proposed_intents.yaml``.
:func:`load_scenario_map` reads it and reports every bad file, line and field
at once (:class:`ScenarioMapError`);
:func:`assistant.scenario_coverage.check_references` then checks what the map points at
(FAQ ids, flows, intents) against the running configuration. The evaluation utterances of
each scenario are read by :mod:`assistant.scenario_utterances`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from assistant.account_queries import AccountQueryKind
from assistant.errors import AssistantError
from intents.catalogue import Handler

Route = Literal["faq", "flow", "account", "handoff"]
ROUTES: tuple[Route, ...] = ("faq", "flow", "account", "handoff")
Priority = Literal["common", "occasional", "rare"]
PRIORITIES: tuple[Priority, ...] = ("common", "occasional", "rare")
Severity = Literal["error", "warning"]

PROPOSED_INTENTS_FILE = "proposed_intents.yaml"
"""The one file of a scenario folder that holds proposed intents, not a category."""

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
ScenarioId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z0-9][a-z0-9_]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Scenario(BaseModel):
    """One situation the help desk handles, and how the assistant serves it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ScenarioId = Field(description="stable `<category>.<name>`: bank_transfer.not_arrived")
    category: Name
    title_zh: Text
    title_en: Text
    description: Text = Field(description="one line: what the investor wants")
    route: Route
    entries: tuple[Text, ...] = Field(
        default=(),
        description="faq: the FAQ ids that answer it (empty is a content gap); "
        "handoff: the 转人工 entries said before a person takes over",
    )
    flow: Name | None = Field(default=None, description="flow: the flow that serves it")
    account_query: AccountQueryKind | None = Field(
        default=None, description="account: the account-query kind that answers it"
    )
    reason: Text | None = Field(default=None, description="handoff: why a person must do it")
    intent: Name = Field(description="the catalogue intent, or a proposed one")
    priority: Priority = Field(description="how often a help desk sees it")

    @model_validator(mode="after")
    def _route_fields(self) -> Scenario:
        if not self.id.startswith(f"{self.category}."):
            raise ValueError(f"id {self.id!r} must start with its category, {self.category!r}.")
        needed = {"flow": self.flow, "account": self.account_query, "handoff": self.reason}
        names = {"flow": "flow", "account": "account_query", "handoff": "reason"}
        for route, value in needed.items():
            if route == self.route and value is None:
                raise ValueError(f"route {route!r} needs {names[route]!r}")
            if route != self.route and value is not None:
                raise ValueError(f"{names[route]!r} is only for route {route!r}")
        if self.entries and self.route not in ("faq", "handoff"):
            raise ValueError("'entries' is only for routes 'faq' and 'handoff'")
        if len(set(self.entries)) != len(self.entries):
            raise ValueError("an entry is listed twice")
        return self


class ScenarioCategory(BaseModel):
    """A category of scenarios: one file of the map."""

    model_config = ConfigDict(frozen=True)

    name: Name
    title_zh: Text
    title_en: Text
    source: str = Field(description="the file it was read from")


class ProposedIntent(BaseModel):
    """An intent the map needs and the catalogue does not have yet."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    description: Text
    handler: Handler = "knowledge"
    examples: dict[Literal["zh", "en"], list[Text]] = Field(
        default_factory=dict, description="training examples for the catalogue, by language"
    )


class Location(BaseModel):
    """Where something was written: a file and a 1-based line."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int | None = None


class ScenarioProblem(BaseModel):
    """One thing wrong (``error``) or worth a look (``warning``) in the scenario map."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int | None = None
    where: str = Field(default="", description="the scenario id or field path, when known")
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        where = f" {self.where}:" if self.where else ""
        return f"{place}:{where} {self.message}"


class ScenarioMapError(AssistantError):
    """The scenario map cannot be used; ``problems`` lists everything wrong, not just the first."""

    code = "scenario_map_invalid"
    internal = True

    def __init__(self, problems: list[ScenarioProblem]) -> None:
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) in the scenario map:\n"
            + "\n".join(f"  {p}" for p in problems)
        )


class ScenarioMap(BaseModel):
    """Every scenario, its categories, and the intents it proposes, as read from one folder."""

    model_config = ConfigDict(frozen=True)

    directory: str
    categories: list[ScenarioCategory]
    scenarios: list[Scenario]
    proposed_intents: list[ProposedIntent]
    locations: dict[str, Location] = Field(
        default_factory=dict,
        description="where each scenario (by id) and proposed intent (`intent:NAME`) is written",
    )

    def __len__(self) -> int:
        return len(self.scenarios)

    def get(self, scenario_id: str) -> Scenario | None:
        """The scenario with this id, or ``None``."""
        for scenario in self.scenarios:
            if scenario.id == scenario_id:
                return scenario
        return None

    def in_category(self, category: str) -> list[Scenario]:
        """The scenarios of one category, in file order."""
        return [s for s in self.scenarios if s.category == category]

    @property
    def proposed_intent_names(self) -> set[str]:
        return {intent.name for intent in self.proposed_intents}

    def shared_answers(self) -> dict[str, frozenset[str]]:
        """Entry id -> the other entries listed for an FAQ scenario it serves: they answer
        the same questions (most often the same entry in the other language)."""
        shared: dict[str, set[str]] = {}
        for scenario in self.scenarios:
            if scenario.route != "faq":
                continue
            for entry in scenario.entries:
                shared.setdefault(entry, set()).update(e for e in scenario.entries if e != entry)
        return {entry: frozenset(others) for entry, others in shared.items() if others}


# Loading --------------------------------------------------------------------


class _CategoryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Name
    title_zh: Text
    title_en: Text
    scenarios: list[Any] = Field(min_length=1)


class _ProposedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proposed_intents: list[Any] = Field(default_factory=list)


def load_scenario_map(directory: str | Path) -> ScenarioMap:
    """Read every category file and the proposed intents under ``directory``.

    Raises :class:`ScenarioMapError` listing every problem found: YAML syntax,
    missing or unknown fields, bad values, route fields that do not fit the
    route, a file not named after its category, and ids used twice.
    """
    folder = Path(directory)
    problems: list[ScenarioProblem] = []
    if not folder.is_dir():
        raise ScenarioMapError(
            [ScenarioProblem(file=str(folder), message="no such folder of scenario files")]
        )
    categories: list[ScenarioCategory] = []
    scenarios: list[Scenario] = []
    proposed: list[ProposedIntent] = []
    locations: dict[str, Location] = {}
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        problems.append(ScenarioProblem(file=str(folder), message="no scenario files (*.yaml)"))
    for path in files:
        shown = shown_path(path)
        parsed = _parse_yaml(path, shown, problems)
        if parsed is None:
            continue
        data, root = parsed
        if path.name == PROPOSED_INTENTS_FILE:
            proposed.extend(_read_proposed(data, root, shown, problems, locations))
            continue
        read = _read_category(path, data, root, shown, problems, locations)
        if read is not None:
            categories.append(read[0])
            scenarios.extend(read[1])
    _check_unique_categories(categories, problems)
    if problems:
        raise ScenarioMapError(problems)
    return ScenarioMap(
        directory=shown_path(folder),
        categories=categories,
        scenarios=scenarios,
        proposed_intents=proposed,
        locations=locations,
    )


def shown_path(path: Path) -> str:
    """A path as problems show it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _parse_yaml(
    path: Path, shown: str, problems: list[ScenarioProblem]
) -> tuple[Any, yaml.Node] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ScenarioProblem(file=shown, message=f"cannot read: {exc}"))
        return None
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            problems.append(ScenarioProblem(file=shown, message="empty file"))
            return None
        return loader.construct_document(root), root
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        message = str(getattr(exc, "problem", None) or exc)
        problems.append(ScenarioProblem(file=shown, line=line, message=f"invalid YAML: {message}"))
        return None
    finally:
        loader.dispose()


def _line_of(root: yaml.Node, path: tuple[int | str, ...]) -> int:
    """The line of the deepest node along ``path`` (a missing field: the line of its parent)."""
    node = root
    for step in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                    child = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(step, int)
            and 0 <= step < len(node.value)
        ):
            child = node.value[step]
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def field_path(path: tuple[int | str, ...]) -> str:
    """A validation error's location as problems show it: ``scenarios[2].route``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _validation_problems(
    error: ValidationError,
    root: yaml.Node,
    prefix: tuple[int | str, ...],
    shown: str,
    where: str | None = None,
) -> list[ScenarioProblem]:
    found: list[ScenarioProblem] = []
    for item in error.errors():
        loc = (*prefix, *item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        field = field_path(tuple(item["loc"]))
        label = f"{where}.{field}" if where and field else (where or field_path(loc))
        found.append(
            ScenarioProblem(file=shown, line=_line_of(root, loc), where=label, message=message)
        )
    return found


def _read_category(
    path: Path,
    data: Any,
    root: yaml.Node,
    shown: str,
    problems: list[ScenarioProblem],
    locations: dict[str, Location],
) -> tuple[ScenarioCategory, list[Scenario]] | None:
    if not isinstance(data, dict):
        problems.append(
            ScenarioProblem(
                file=shown,
                line=1,
                message="a category file is a mapping: category, title_zh, title_en, scenarios",
            )
        )
        return None
    try:
        header = _CategoryFile.model_validate(data)
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, root, (), shown))
        # Read the scenarios anyway, so one run reports their problems too.
        header = None
    category = header.category if header else str(data.get("category") or path.stem)
    if header is not None and path.stem != header.category:
        problems.append(
            ScenarioProblem(
                file=shown,
                line=_line_of(root, ("category",)),
                where="category",
                message=f"the file is named {path.name!r} but holds category {category!r}: "
                f"name it {category}.yaml",
            )
        )
    items = data.get("scenarios")
    read: list[Scenario] = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        at: tuple[int | str, ...] = ("scenarios", index)
        if not isinstance(item, dict):
            problems.append(
                ScenarioProblem(
                    file=shown,
                    line=_line_of(root, at),
                    where=field_path(at),
                    message="a scenario is a mapping of fields",
                )
            )
            continue
        label = str(item.get("id") or field_path(at))
        if "category" in item and item["category"] != category:
            problems.append(
                ScenarioProblem(
                    file=shown,
                    line=_line_of(root, (*at, "category")),
                    where=f"{label}.category",
                    message=f"{item['category']!r} differs from the file's category {category!r}",
                )
            )
            continue
        try:
            scenario = Scenario.model_validate({**item, "category": category})
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, root, at, shown, where=label))
            continue
        place = Location(file=shown, line=_line_of(root, at))
        first = locations.get(scenario.id)
        if first is not None:
            problems.append(
                ScenarioProblem(
                    file=shown,
                    line=place.line,
                    where=scenario.id,
                    message=f"id used twice (first at {first.file}:{first.line})",
                )
            )
            continue
        read.append(scenario)
        locations[scenario.id] = place
    if header is None:
        return None
    return (
        ScenarioCategory(
            name=header.category, title_zh=header.title_zh, title_en=header.title_en, source=shown
        ),
        read,
    )


def _read_proposed(
    data: Any,
    root: yaml.Node,
    shown: str,
    problems: list[ScenarioProblem],
    locations: dict[str, Location],
) -> list[ProposedIntent]:
    try:
        listed = _ProposedFile.model_validate(data).proposed_intents
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, root, (), shown))
        return []
    read: list[ProposedIntent] = []
    for index, item in enumerate(listed):
        at: tuple[int | str, ...] = ("proposed_intents", index)
        try:
            intent = ProposedIntent.model_validate(item)
        except ValidationError as exc:
            label = str(item.get("name")) if isinstance(item, dict) and item.get("name") else None
            problems.extend(_validation_problems(exc, root, at, shown, where=label))
            continue
        key = f"intent:{intent.name}"
        if key in locations:
            problems.append(
                ScenarioProblem(
                    file=shown,
                    line=_line_of(root, at),
                    where=intent.name,
                    message="proposed intent listed twice",
                )
            )
            continue
        read.append(intent)
        locations[key] = Location(file=shown, line=_line_of(root, at))
    return read


def _check_unique_categories(
    categories: list[ScenarioCategory], problems: list[ScenarioProblem]
) -> None:
    seen: dict[str, str] = {}
    for category in categories:
        if category.name in seen:
            problems.append(
                ScenarioProblem(
                    file=category.source,
                    where="category",
                    message=f"category {category.name!r} is also defined in {seen[category.name]}",
                )
            )
        seen.setdefault(category.name, category.source)
