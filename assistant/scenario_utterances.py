"""The evaluation utterances of the scenario map: ways an investor might say each scenario.

They are kept in a JSONL file (``evals/data/scenario_utterances.jsonl``), one
``{"scenario", "text", "lang", "split"}`` object a line; :func:`load_scenario_utterances`
reads it and reports each bad line as a :class:`~assistant.scenarios.ScenarioProblem`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.scenarios import ScenarioProblem, Text, field_path, shown_path


class ScenarioUtterance(BaseModel):
    """One way an investor might say a scenario, for evaluation.

    A line of ``evals/data/scenario_utterances.jsonl``:
    ``{"scenario": "bank_transfer.not_arrived", "text": "我昨天转的钱怎么还没到",
    "lang": "zh", "split": "heldout"}``. Other keys are kept for the evaluator and
    ignored here.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    scenario: Text
    text: Text
    lang: Literal["zh", "en"]
    split: Literal["dev", "heldout"]


class ScenarioUtterances(BaseModel):
    """The utterances read from one file, and the lines that could not be used."""

    path: str
    present: bool = Field(description="False when the file does not exist (yet)")
    utterances: list[ScenarioUtterance] = Field(default_factory=list)
    problems: list[ScenarioProblem] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """scenario id -> number of utterances."""
        found: dict[str, int] = {}
        for utterance in self.utterances:
            found[utterance.scenario] = found.get(utterance.scenario, 0) + 1
        return found


def load_scenario_utterances(path: str | Path) -> ScenarioUtterances:
    """Read the evaluation utterances; a missing file is not an error (nothing written yet),
    and a bad line is reported with its number while the rest still count."""
    file = Path(path)
    shown = shown_path(file)
    if not file.exists():
        return ScenarioUtterances(path=shown, present=False)
    read = ScenarioUtterances(path=shown, present=True)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        read.problems.append(ScenarioProblem(file=shown, message=f"cannot read: {exc}"))
        return read
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            read.utterances.append(ScenarioUtterance.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            read.problems.append(
                ScenarioProblem(file=shown, line=number, message=f"invalid JSON ({exc.msg})")
            )
        except ValidationError as exc:
            for item in exc.errors():
                field = field_path(tuple(item["loc"])) or "line"
                read.problems.append(
                    ScenarioProblem(file=shown, line=number, where=field, message=item["msg"])
                )
    return read
