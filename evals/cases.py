"""Evaluation cases: the JSONL format curators write, and its loader.

A case file is UTF-8 JSONL: one JSON object per line, one case per object.
Blank lines are ignored; line numbers in error messages count every physical
line, blank ones included, so they match what an editor shows.

Fields (``evals/CASES.md`` is the same reference, for curators):

==================== ================= ==============================================
field                type              meaning
==================== ================= ==============================================
``question``         string            a single-turn question
``turns``            list of strings   the investor's messages of a multi-turn
                                       conversation, oldest first; the last is the
                                       one being judged
``id``               string            stable name for reports; default ``line-N``
                                       (N = the line number); must be unique
``expected_intent``  string            the intent the classifier should return
``expected_sources`` list of strings   FAQ or chunk ids that answer it, best first
``reference_answer`` string            a good answer, for key-fact recall
``must_include``     list of strings   phrases the answer must contain
``must_not_include`` list of strings   phrases the answer must never contain
``expect_escalation`` bool             whether the assistant should hand over to staff
``lang``             ``"zh"``/``"en"`` language of the case
``tags``             list of strings   free labels for slicing reports
``split``            ``"dev"``/        ``heldout`` cases are never used for tuning;
                     ``"heldout"``     default ``dev``
==================== ================= ==============================================

Exactly one of ``question`` and ``turns`` must be given. Every other field is
optional; a field left out means "not judged" (``expect_escalation`` absent is
not the same as ``false``). Strings must not be empty or blank, and lists must
not contain empty strings; surrounding whitespace is stripped. A phrase may not
be both in ``must_include`` and ``must_not_include``.

Types are checked strictly: ``"expect_escalation": "yes"`` or ``"tags": "vip"``
is an error, not a guess. Unknown fields are errors too, so a typo such as
``expected_intnet`` cannot silently turn a check off.

Example::

    {"id": "fee-1", "question": "佣金多少？", "expected_intent": "fees", "lang": "zh",
     "must_include": ["万分之"], "expected_sources": ["faq-fees-01"]}
    {"turns": ["I want to open an account", "I'm 17"], "expect_escalation": false,
     "must_include": ["18"], "lang": "en", "split": "heldout"}

:func:`load_cases` reads a file and raises :class:`~evals.errors.CaseFileError`
listing every bad line (invalid JSON, unknown field, missing or doubled
question/turns, wrong type, duplicate id) with its line number.

Intent benchmarks need no hand-written JSONL: a ``.csv`` file with a ``text``
(or ``question``) column and an ``intent`` (or ``category``) column loads as
single-turn cases judged on the intent only, so a public test split such as
BANKING77's ``test.csv`` runs unchanged. Optional columns ``id``, ``lang``,
``split`` and ``tags`` (separated by ``|``) are read too.

So does a *split file* named with a selector, ``train_val.json#val+oos_val``:
a JSON object of named lists of ``[text, intent]`` pairs, as CLINC150 ships
them (:func:`intents.catalogue.read_split_file`, which also reads the same file
as a catalogue). Each pair of the selected lists becomes an intent-only case
with the id ``SPLIT[INDEX]`` (``val[16]``, counted from 0) and the split's name
as its tag; ``oos`` labels become ``out_of_scope``.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from evals.errors import CaseFileError, LineProblem
from intents.catalogue import SplitFileError, read_split_file, split_names, split_selection

Language = Literal["zh", "en"]
Split = Literal["dev", "heldout"]
NonBlankText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class EvalCase(BaseModel):
    """One evaluation case: what the investor says and what a good reply must satisfy."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: NonBlankText
    question: NonBlankText | None = None
    turns: Annotated[list[NonBlankText], Field(min_length=1)] | None = None
    expected_intent: NonBlankText | None = None
    expected_sources: list[NonBlankText] = Field(default_factory=list)
    reference_answer: NonBlankText | None = None
    must_include: list[NonBlankText] = Field(default_factory=list)
    must_not_include: list[NonBlankText] = Field(default_factory=list)
    expect_escalation: bool | None = None
    lang: Language | None = None
    tags: list[NonBlankText] = Field(default_factory=list)
    split: Split = "dev"

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        shape = _shape_problem(self.question, self.turns)
        if shape is not None:
            raise PydanticCustomError("question_or_turns", shape)
        contradictory = sorted(set(self.must_include) & set(self.must_not_include))
        if contradictory:
            raise PydanticCustomError(
                "contradictory_phrases",
                "phrases in both 'must_include' and 'must_not_include': {phrases}",
                {"phrases": ", ".join(repr(p) for p in contradictory)},
            )
        return self

    @property
    def user_turns(self) -> list[str]:
        """The investor's messages in order; a single-turn case gives a one-element list."""
        if self.turns is not None:
            return list(self.turns)
        assert self.question is not None  # guaranteed by the validator
        return [self.question]

    @property
    def is_multi_turn(self) -> bool:
        """Whether the case is a conversation (``turns``) rather than one question."""
        return self.turns is not None


_FIELDS = tuple(EvalCase.model_fields)


def load_cases(path: str | Path) -> list[EvalCase]:
    """Read a JSONL or CSV case file, or a split file's ``FILE.json#split+split``.

    Raise :class:`CaseFileError` listing every bad line (or bad pair of a split file).
    """
    selection = split_selection(path)
    if selection is not None:
        try:
            rows = read_split_file(selection)
        except SplitFileError as exc:
            raise CaseFileError(exc.source, [LineProblem(None, p) for p in exc.problems]) from exc
        return [
            EvalCase(
                id=row.location, question=row.text, expected_intent=row.intent, tags=[row.split]
            )
            for row in rows
        ]
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CaseFileError(
            path, [LineProblem(None, f"cannot read: {exc.strerror or exc}")]
        ) from exc
    try:
        text = raw.decode("utf-8-sig")  # spreadsheet exports often start with a BOM
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = LineProblem(line, f"not UTF-8 (byte {exc.start} of the file); save it as UTF-8")
        raise CaseFileError(path, [problem]) from exc
    if path.suffix.lower() == ".csv":
        return parse_csv_cases(text, source=str(path))
    names = split_names(text) if path.suffix.lower() == ".json" else None
    if names is not None:
        hint = (
            f"a JSON file is read as a split file (it has: {', '.join(names)}): name the "
            f"lists to run after '#', joined by '+', e.g. {path.name}#val+oos_val"
        )
        raise CaseFileError(path, [LineProblem(None, hint)])
    return parse_cases(text, source=str(path))


_CSV_QUESTION = ("text", "question")
_CSV_INTENT = ("intent", "category", "expected_intent")


def parse_csv_cases(text: str, source: str = "<string>") -> list[EvalCase]:
    """Parse an intent-benchmark CSV (``text,intent`` or ``text,category``) into cases.

    Each row becomes a single-turn case whose ``expected_intent`` is the label;
    ids default to ``line-N`` with N the physical line the row ends on.
    """
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    question = next((c for c in _CSV_QUESTION if c in columns), None)
    intent = next((c for c in _CSV_INTENT if c in columns), None)
    if question is None or intent is None:
        found = ", ".join(columns) or "none"
        raise CaseFileError(
            source,
            [
                LineProblem(
                    1,
                    "a CSV case file needs a 'text' (or 'question') column and an "
                    f"'intent' (or 'category') column; found {found}",
                )
            ],
        )
    records: list[tuple[int, dict[str, Any]]] = []
    for row in reader:
        record: dict[str, Any] = {"question": row[question], "expected_intent": row[intent]}
        for column in ("id", "lang", "split"):
            if row.get(column):
                record[column] = row[column]
        if row.get("tags"):
            record["tags"] = [t for t in row["tags"].split("|") if t.strip()]
        records.append((reader.line_num, record))
    return _validated(records, source)


def parse_cases(text: str, source: str = "<string>") -> list[EvalCase]:
    """Parse JSONL text into cases; ``source`` names the text in errors."""
    records: list[tuple[int, dict[str, Any] | list[LineProblem]]] = []
    # Not str.splitlines(): it also breaks on U+2028 and friends, which JSON strings may contain.
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            records.append((number, _decode_line(line, number)))
    return _validated(records, source)


def _validated(
    records: Sequence[tuple[int, dict[str, Any] | list[LineProblem]]], source: str
) -> list[EvalCase]:
    cases: list[EvalCase] = []
    problems: list[LineProblem] = []
    first_line_of_id: dict[str, int] = {}
    for number, record in records:
        case_or_problems = record if isinstance(record, list) else _validate(record, number)
        if isinstance(case_or_problems, list):
            problems.extend(case_or_problems)
            continue
        case = case_or_problems
        if case.id in first_line_of_id:
            problems.append(
                LineProblem(
                    number,
                    f"duplicate id {case.id!r} (first used on line {first_line_of_id[case.id]})",
                )
            )
            continue
        first_line_of_id[case.id] = number
        cases.append(case)
    if problems:
        raise CaseFileError(source, problems)
    return cases


def _decode_line(line: str, number: int) -> dict[str, Any] | list[LineProblem]:
    try:
        data = json.loads(line, object_pairs_hook=_reject_duplicate_keys)
    except _DuplicateKeyError as exc:
        return [LineProblem(number, f"field {exc.key!r} given twice")]
    except json.JSONDecodeError as exc:
        return [LineProblem(number, f"invalid JSON: {exc.msg} (column {exc.colno})")]
    if not isinstance(data, dict):
        return [LineProblem(number, f"expected a JSON object, got {_json_type(data)}")]
    return data


def _validate(data: dict[str, Any], number: int) -> EvalCase | list[LineProblem]:
    try:
        return EvalCase.model_validate({"id": f"line-{number}", **data})
    except ValidationError as exc:
        reasons = [_explain(error) for error in exc.errors(include_url=False)]
    # Field errors stop pydantic before the question/turns check; report both in one pass.
    shape = _shape_problem(data.get("question"), data.get("turns"))
    if shape is not None and shape not in reasons:
        reasons.insert(0, shape)
    return [LineProblem(number, reason) for reason in reasons]


def _shape_problem(question: object, turns: object) -> str | None:
    if question is None and turns is None:
        return "needs either 'question' or 'turns'"
    if question is not None and turns is not None:
        return "has both 'question' and 'turns'; give exactly one"
    return None


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys without a word; a curator would never notice.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _explain(error: ErrorDetails) -> str:
    location = _location(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        hint = difflib.get_close_matches(location, _FIELDS, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"unknown field {location!r}{suggestion}"
    if not location:
        return error["msg"]
    if kind in ("string_too_short", "too_short"):
        return f"field {location!r} must not be empty"
    return f"field {location!r}: {error['msg']}, got {_json_type(error['input'])}"


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
