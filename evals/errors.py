"""Errors raised by the evals package.

Every error carries a stable ``code`` (for CLI output and reports) and the HTTP
status it would map to, so callers can react without parsing messages. Errors
about input files collect every problem found, so a curator fixes a file in one
pass instead of one line per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Enough to show what kind of mistake was made; the full list stays on ``problems``.
_PROBLEMS_IN_MESSAGE = 50


class EvalError(Exception):
    """Root of every error the evals package raises on purpose."""

    code: str = "eval_error"
    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LineProblem:
    """One thing wrong in a line-oriented file; ``line`` is 1-based, None for the whole file."""

    line: int | None
    reason: str

    def __str__(self) -> str:
        return self.reason if self.line is None else f"line {self.line}: {self.reason}"


class CaseFileError(EvalError):
    """An evaluation case file cannot be read or has invalid lines; lists every bad line."""

    code = "bad_eval_cases"
    http_status = 422

    def __init__(self, source: str | Path, problems: Sequence[LineProblem]) -> None:
        self.source = str(source)
        self.problems = tuple(problems)
        super().__init__(_describe(self.source, [str(p) for p in self.problems]))


class ThresholdFileError(EvalError):
    """A regression-gate threshold file cannot be read or is invalid; lists every problem."""

    code = "bad_eval_thresholds"
    http_status = 422

    def __init__(self, source: str | Path, problems: Sequence[str]) -> None:
        self.source = str(source)
        self.problems = tuple(problems)
        super().__init__(_describe(self.source, list(self.problems)))


class CaseResultError(EvalError):
    """Per-case results handed to the case-by-case comparison are malformed."""

    code = "bad_case_results"
    http_status = 422


class MetricInputError(EvalError, ValueError):
    """A metric was called with inputs it cannot be defined on (mismatched lengths, bad k or q).

    Also a :class:`ValueError`, since that is what a caller of a numeric function expects.
    """

    code = "bad_metric_input"
    http_status = 422


class JudgmentError(EvalError):
    """The LLM judge gave no usable verdict on one answer; the case is counted as not judged.

    ``reason`` is a short code for the summary: ``timeout``, ``http_500``,
    ``malformed_json``, ``wrong_shape``, ``no_statements`` and the like.
    """

    code = "not_judged"
    http_status = 502

    def __init__(self, reason: str) -> None:
        super().__init__(f"the LLM judge gave no usable verdict ({reason})")
        self.reason = reason


def _describe(source: str, problems: list[str]) -> str:
    if len(problems) == 1 and problems[0].startswith("line "):
        return f"{source}, {problems[0]}"
    if len(problems) == 1:
        return f"{source}: {problems[0]}"
    shown = problems[:_PROBLEMS_IN_MESSAGE]
    lines = [f"{source}: {len(problems)} problems"]
    lines.extend(f"  {p}" for p in shown)
    if len(problems) > len(shown):
        lines.append(f"  ... and {len(problems) - len(shown)} more")
    return "\n".join(lines)
