"""The intent catalogue: which intents exist, how each is handled, and example utterances.

A catalogue is data, kept in a file the operator edits. Four formats load:

* ``.yaml`` / ``.yml``: the full form, with handler, flow, priority and
  examples per language (see ``intents/catalogue/brokerage.yaml``);
* ``.jsonl``: one ``{"text": ..., "intent": ..., "lang": ...}`` object a line;
* ``.csv``: columns ``text`` and ``intent`` (or ``category``, so public
  benchmark files such as BANKING77 load unchanged), optional ``lang``;
* a *split file* with a selector, ``train_val.json#train+oos_train``: a JSON
  object of named lists of ``[text, intent]`` pairs, as CLINC150 ships them,
  of which the lists named after ``#`` (joined by ``+``) are read.

Flat files (jsonl, csv, split files) carry only examples, so every intent in
them is answered from the knowledge base, except one named ``out_of_scope`` or
``oos``. Every problem is reported as a :class:`CatalogueError` naming the file
and line (for a split file: the split and the item).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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

from intents.errors import CatalogueError
from text.language import has_cjk

Handler = Literal["knowledge", "flow", "escalate", "smalltalk", "out_of_scope"]
"""How the assistant serves an intent once it is recognised."""

OUT_OF_SCOPE_NAMES = frozenset({"out_of_scope", "oos"})
"""Intent names that flat-file catalogues treat as the out-of-scope class."""

OUT_OF_SCOPE_INTENT = "out_of_scope"
"""What split files call every out-of-scope row, whichever of the names above it had."""

SPLIT_SELECTOR = "#"
SPLIT_JOINER = "+"

ExampleText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
IntentName = Annotated[str, StringConstraints(pattern=r"^\S+$")]


def guess_language(text: str) -> str:
    """``zh`` when the text holds any CJK ideograph, else ``en``: enough to tag examples."""
    return "zh" if has_cjk(text) else "en"


class Intent(BaseModel):
    """One thing an investor may want, with the utterances that express it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: IntentName
    description: str = ""
    handler: Handler = "knowledge"
    flow: str | None = None
    priority: int = Field(default=50, ge=0, le=100)
    examples: dict[str, list[ExampleText]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _flow_matches_handler(self) -> Intent:
        if self.flow is not None and self.handler != "flow":
            raise ValueError(
                f"flow {self.flow!r} is set but handler is {self.handler!r}, not 'flow'"
            )
        if self.handler == "flow" and self.flow is None:
            # A flow intent without an explicit flow runs the flow of the same name.
            object.__setattr__(self, "flow", self.name)
        return self

    def texts(self, language: str | None = None) -> list[str]:
        """The example utterances, of one language or of all."""
        if language is not None:
            return list(self.examples.get(language, []))
        return [text for texts in self.examples.values() for text in texts]


class IntentCatalogue(BaseModel):
    """The set of intents the assistant recognises, in catalogue order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    intents: list[Intent]

    @model_validator(mode="after")
    def _names_are_unique(self) -> IntentCatalogue:
        seen: set[str] = set()
        for intent in self.intents:
            if intent.name in seen:
                raise ValueError(f"intent {intent.name!r} is defined twice")
            seen.add(intent.name)
        return self

    @property
    def names(self) -> list[str]:
        """Intent names in catalogue order."""
        return [intent.name for intent in self.intents]

    def get(self, name: str) -> Intent | None:
        """The intent called ``name``, or ``None`` when the catalogue has none."""
        for intent in self.intents:
            if intent.name == name:
                return intent
        return None

    def __contains__(self, name: object) -> bool:
        return any(intent.name == name for intent in self.intents)

    def examples(self, language: str | None = None) -> list[tuple[str, str]]:
        """Every example as ``(text, intent name)``, optionally of one language only."""
        return [(text, intent.name) for intent in self.intents for text in intent.texts(language)]

    @property
    def out_of_scope_names(self) -> list[str]:
        """Names of the intents handled as out of scope (usually none or one)."""
        return [intent.name for intent in self.intents if intent.handler == "out_of_scope"]


def load_catalogue(path: str | Path) -> IntentCatalogue:
    """Read a catalogue from a ``.yaml``/``.yml``, ``.jsonl`` or ``.csv`` file, or a split file.

    A split file is named with its selector, ``train_val.json#train+oos_train``
    (see :func:`split_selection`).
    """
    selection = split_selection(path)
    if selection is not None:
        rows = [
            (row.text, row.intent, guess_language(row.text), None)
            for row in read_split_file(selection)
        ]
        return _from_rows(Path(str(selection)), rows)
    path = Path(path)
    if not path.is_file():
        raise CatalogueError(path, "no such file")
    suffix = path.suffix.lower()
    if suffix in {".yaml", ".yml"}:
        return _load_yaml(path)
    if suffix == ".jsonl":
        return _from_rows(path, _jsonl_rows(path))
    if suffix == ".csv":
        return _from_rows(path, _csv_rows(path))
    if suffix == ".json":
        raise CatalogueError(path, _selector_needed(path, "train+oos_train"))
    raise CatalogueError(
        path,
        f"unsupported catalogue format {suffix!r}: use .yaml, .yml, .jsonl, .csv "
        "or a JSON split file with a selector (FILE.json#train)",
    )


def catalogue_from_examples(examples: Iterable[tuple[str, str]]) -> IntentCatalogue:
    """Build a flat catalogue from ``(text, intent)`` pairs, as the jsonl and csv loaders do."""
    rows = [
        (text, intent, guess_language(text), index + 1)
        for index, (text, intent) in enumerate(examples)
    ]
    return _from_rows(Path("<examples>"), rows)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogueError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise CatalogueError(path, f"cannot read: {exc.strerror}") from exc


_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser with PyYAML's safe constructor: the same data, ten times faster."""


def _parse_yaml(text: str, loader_class: type[yaml.SafeLoader]) -> tuple[yaml.Node | None, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _load_yaml(path: Path) -> IntentCatalogue:
    text = _read_text(path)
    try:
        try:
            node, data = _parse_yaml(text, _FAST_LOADER)
        except yaml.YAMLError:  # said as PyYAML's own parser says it
            node, data = _parse_yaml(text, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise CatalogueError(path, f"invalid YAML: {exc.problem}", line) from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(path, f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict) or "intents" not in data:
        raise CatalogueError(path, "expected a mapping with an 'intents' list", 1)
    lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        _record_lines(node, (), lines)
    try:
        return IntentCatalogue.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = tuple(error["loc"])
        message = "empty example text" if error["type"] == "string_too_short" else error["msg"]
        raise CatalogueError(
            path, f"{_dotted(location)}: {message}", _line_of(location, lines)
        ) from exc


def _record_lines(
    node: yaml.Node, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]
) -> None:
    """Map each YAML path (keys and list indices) to the 1-based line where its value starts."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                _record_lines(value_node, (*path, key_node.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


def _line_of(location: tuple[Any, ...], lines: dict[tuple[str | int, ...], int]) -> int | None:
    """The line of the deepest recorded node on a pydantic error location."""
    for end in range(len(location), -1, -1):
        line = lines.get(tuple(location[:end]))
        if line is not None:
            return line
    return None


def _dotted(location: tuple[Any, ...]) -> str:
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "catalogue"


Row = tuple[str, str, str, int | None]
"""A flat-file example: text, intent name, language, line number (None in a split file)."""


def _jsonl_rows(path: Path) -> list[Row]:
    rows: list[Row] = []
    for number, raw in enumerate(_read_text(path).splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CatalogueError(path, f"invalid JSON: {exc.msg}", number) from exc
        if not isinstance(record, dict):
            raise CatalogueError(path, "expected a JSON object with 'text' and 'intent'", number)
        missing = [key for key in ("text", "intent") if key not in record]
        if missing:
            raise CatalogueError(path, f"missing {', '.join(repr(k) for k in missing)}", number)
        rows.append(_row(path, record["text"], record["intent"], record.get("lang"), number))
    return rows


def _csv_rows(path: Path) -> list[Row]:
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    columns = set(reader.fieldnames or [])
    label_column = "intent" if "intent" in columns else "category"
    missing = [name for name in ("text", label_column) if name not in columns]
    if missing:
        found = ", ".join(sorted(columns)) or "none"
        raise CatalogueError(
            path,
            f"missing column {' and '.join(missing)} "
            f"(need text and intent or category; found {found})",
            1,
        )
    rows: list[Row] = []
    for record in reader:
        # line_num is the physical line just read: a quoted multi-line cell points at its last line.
        rows.append(
            _row(path, record["text"], record[label_column], record.get("lang"), reader.line_num)
        )
    return rows


def _row(path: Path, text: object, intent: object, lang: object, line: int) -> Row:
    if not isinstance(text, str) or not text.strip():
        raise CatalogueError(path, "empty example text", line)
    if not isinstance(intent, str) or not intent.strip():
        raise CatalogueError(path, "empty intent name", line)
    language = lang.strip() if isinstance(lang, str) and lang.strip() else guess_language(text)
    return text.strip(), intent.strip(), language, line


def _from_rows(path: Path, rows: Sequence[Row]) -> IntentCatalogue:
    if not rows:
        raise CatalogueError(path, "no examples")
    grouped: dict[str, dict[str, list[str]]] = {}
    first_line: dict[str, int | None] = {}
    for text, intent, language, line in rows:
        grouped.setdefault(intent, {}).setdefault(language, []).append(text)
        first_line.setdefault(intent, line)
    intents: list[Intent] = []
    for name, examples in grouped.items():
        handler: Handler = "out_of_scope" if name.lower() in OUT_OF_SCOPE_NAMES else "knowledge"
        try:
            intents.append(Intent(name=name, handler=handler, examples=examples))
        except ValidationError as exc:
            raise CatalogueError(
                path, f"intent {name!r}: {exc.errors()[0]['msg']}", first_line[name]
            ) from exc
    return IntentCatalogue(intents=intents)


# Split files: CLINC150 ships its data as one JSON object of named lists
# ({"train": [[text, intent], ...], "val": [...], "oos_train": [...], ...}), so a
# path names the lists it means after a '#': the same file is then both the
# catalogue (#train+oos_train) and the evaluation cases (#val+oos_val).


class SplitFileError(CatalogueError):
    """A split file or its selector cannot be used; ``problems`` lists everything found.

    The source is the path as given, selector included; each problem names the
    split and, for a bad pair, its index in that list (``val[16]``, counted from 0
    as ``jq`` does).
    """

    def __init__(self, source: str | Path, problems: Sequence[str]) -> None:
        shown = "; ".join(problems[:_PROBLEMS_SHOWN])
        more = len(problems) - _PROBLEMS_SHOWN
        super().__init__(source, shown + (f"; and {more} more" if more > 0 else ""))
        self.problems = tuple(problems)


_PROBLEMS_SHOWN = 10


@dataclass(frozen=True)
class SplitSelection:
    """A split file and the lists of it to read, in order: ``train_val.json#train+oos_train``."""

    path: Path
    splits: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.path}{SPLIT_SELECTOR}{SPLIT_JOINER.join(self.splits)}"


@dataclass(frozen=True)
class SplitRow:
    """One ``[text, intent]`` pair of a split file; ``index`` is its position in its list."""

    text: str
    intent: str
    split: str
    index: int

    @property
    def location(self) -> str:
        """Where the pair sits, as ``jq`` would address it: ``val[16]``."""
        return f"{self.split}[{self.index}]"


def split_selection(path: str | Path) -> SplitSelection | None:
    """The split file and lists a ``FILE.json#a+b`` path names; None for a path without ``#``.

    A path that exists as written is a plain file, never taken apart, so a file
    whose name holds a ``#`` still loads as itself.
    """
    text = str(path)
    file, separator, selector = text.rpartition(SPLIT_SELECTOR)
    if not separator or Path(text).exists():
        return None
    return SplitSelection(Path(file), tuple(selector.split(SPLIT_JOINER)))


def read_split_file(selection: SplitSelection) -> list[SplitRow]:
    """The selected lists' pairs, in selector order; raise :class:`SplitFileError` on any problem.

    Labels ``oos`` and ``out_of_scope`` (any case) become :data:`OUT_OF_SCOPE_INTENT`,
    so out-of-scope rows meet the catalogue's out-of-scope intent under one name.
    Texts and labels are stripped; an empty one, a label with spaces, a pair that
    is not two strings, an unknown, empty or repeated split name are all reported.
    """
    data = _split_file_data(selection)
    problems: list[str] = []
    if "" in selection.splits:
        selector = SPLIT_SELECTOR + SPLIT_JOINER.join(selection.splits)
        problems.append(f"empty split name in {selector!r}")
    named = [name for name in selection.splits if name]
    repeated = sorted({name for name in named if named.count(name) > 1})
    problems.extend(f"split {name!r} named twice" for name in repeated)
    missing = [name for name in dict.fromkeys(named) if name not in data]
    if missing:
        available = ", ".join(data) or "none"
        problems.extend(f"no split {name!r} in the file (it has: {available})" for name in missing)
    rows: list[SplitRow] = []
    for name in dict.fromkeys(named):
        if name in data:
            rows.extend(_split_rows(name, data[name], problems))
    if problems:
        raise SplitFileError(str(selection), problems)
    return rows


def split_names(text: str) -> list[str] | None:
    """The split names of a split file's text, or None when it is not one.

    A split file is a JSON object whose values are all lists of lists; a one-line
    JSONL case file (an object of strings and lists of strings) is not.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not data:
        return None
    shaped = all(
        isinstance(rows, list) and all(isinstance(row, list) for row in rows)
        for rows in data.values()
    )
    return list(data) if shaped else None


def _selector_needed(path: Path, example: str) -> str:
    try:
        names = split_names(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        names = None
    has = f" (it has: {', '.join(names)})" if names else ""
    return (
        f"a JSON file is read as a split file{has}: name the lists to use after "
        f"'{SPLIT_SELECTOR}', joined by '{SPLIT_JOINER}', e.g. {path.name}{SPLIT_SELECTOR}{example}"
    )


def _split_file_data(selection: SplitSelection) -> dict[str, Any]:
    path, source = selection.path, str(selection)
    if path.suffix.lower() != ".json":
        raise SplitFileError(
            source,
            [f"a '{SPLIT_SELECTOR}' split selector reads a .json split file, not {path.name}"],
        )
    if not path.is_file():
        raise SplitFileError(source, [f"no such file: {path}"])
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SplitFileError(
            source, [f"not UTF-8 text ({exc.reason} at byte {exc.start})"]
        ) from exc
    except OSError as exc:
        raise SplitFileError(source, [f"cannot read: {exc.strerror}"]) from exc
    except json.JSONDecodeError as exc:
        raise SplitFileError(
            source, [f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"]
        ) from exc
    if not isinstance(data, dict):
        raise SplitFileError(
            source,
            [f"expected a JSON object of named lists of [text, intent] pairs, got {_kind(data)}"],
        )
    return data


def _split_rows(name: str, pairs: object, problems: list[str]) -> list[SplitRow]:
    if not isinstance(pairs, list):
        problems.append(f"split {name!r} is not a list of [text, intent] pairs: {_kind(pairs)}")
        return []
    if not pairs:
        problems.append(f"split {name!r} is empty")
        return []
    rows: list[SplitRow] = []
    for index, pair in enumerate(pairs):
        where = f"{name}[{index}]"
        if not isinstance(pair, list) or len(pair) != 2:
            problems.append(f"{where}: expected a [text, intent] pair, got {_kind(pair)}")
            continue
        wrong = [
            f"the {part} is {_kind(v)}"
            for part, v in zip(("text", "intent"), pair, strict=True)
            if not isinstance(v, str)
        ]
        if wrong:
            problems.append(f"{where}: {' and '.join(wrong)}, not a string")
            continue
        text, label = pair[0].strip(), pair[1].strip()
        if not text:
            problems.append(f"{where}: empty text")
        elif not label:
            problems.append(f"{where}: empty intent")
        elif re.search(r"\s", label):
            problems.append(f"{where}: intent {label!r} contains a space")
        else:
            intent = OUT_OF_SCOPE_INTENT if label.lower() in OUT_OF_SCOPE_NAMES else label
            rows.append(SplitRow(text, intent, name, index))
    return rows


def _kind(value: object) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return f"a number ({value})"
