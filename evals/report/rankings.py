"""Which cases and intents the report puts in front of a curator, and in what order."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from evals.runner import OUT_OF_SCOPE, CaseOutcome, case_checks

WORST_CASES = 25


SLOWEST_CASES = 10


class IntentRow(NamedTuple):
    """How the cases of one expected intent fared."""

    intent: str
    cases: int
    correct: int
    most_confused_with: str | None

    @property
    def accuracy(self) -> float:
        """Share of this intent's cases classified right."""
        return self.correct / self.cases


def intent_rows(outcomes: Sequence[CaseOutcome]) -> list[IntentRow]:
    """Per expected intent: cases, correct predictions, and the commonest wrong prediction.

    Worst accuracy first, then by intent name. A case predicted as nothing counts
    as out of scope, as the runner scores it.
    """
    predicted_by_intent: dict[str, list[str]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.expected_intent is not None:
            predicted_by_intent[outcome.expected_intent].append(
                outcome.predicted_intent or OUT_OF_SCOPE
            )
    rows = []
    for intent, predicted in predicted_by_intent.items():
        wrong = Counter(p for p in predicted if p != intent)
        confused = min(wrong, key=lambda p: (-wrong[p], p)) if wrong else None
        rows.append(IntentRow(intent, len(predicted), predicted.count(intent), confused))
    return sorted(rows, key=lambda r: (r.accuracy, r.intent))


def failed_checks(outcome: CaseOutcome) -> list[str]:
    """Names of the checks a case failed, in the runner's order."""
    return [name for name, met in case_checks(outcome).items() if not met]


def worst_cases(outcomes: Sequence[CaseOutcome], limit: int = WORST_CASES) -> list[CaseOutcome]:
    """Failed cases, lowest score first (then most checks failed, then id)."""
    failed = [o for o in outcomes if not o.passed]
    return sorted(failed, key=lambda o: (o.score or 0.0, -len(failed_checks(o)), o.id))[:limit]


def slowest_cases(outcomes: Sequence[CaseOutcome], limit: int = SLOWEST_CASES) -> list[CaseOutcome]:
    """Cases with the slowest single turn, slowest first."""
    timed = [o for o in outcomes if o.turn_latency_ms]
    return sorted(timed, key=lambda o: (-max(o.turn_latency_ms), o.id))[:limit]


def missed_phrases(outcomes: Sequence[CaseOutcome]) -> list[tuple[str, list[str]]]:
    """``must_include`` phrases the answers left out, with the cases, most often missed first."""
    cases_by_phrase: dict[str, list[str]] = defaultdict(list)
    for outcome in outcomes:
        for phrase in outcome.must_include_missing:
            cases_by_phrase[phrase].append(outcome.id)
    return sorted(cases_by_phrase.items(), key=lambda item: (-len(item[1]), item[0]))


def pass_rate(cases: Sequence[CaseOutcome]) -> float:
    return sum(c.passed for c in cases) / len(cases)
