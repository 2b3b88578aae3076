"""The regression gate: a run's metrics against a baseline, under thresholds.

Metrics are named with dots by area (``intent.accuracy``, ``retrieval.hit_at_5``,
``compliance.violations``). :func:`compare` reports, for every metric, how it
moved from the baseline (better / worse / unchanged within a tolerance) and
lists the failures: a metric outside its absolute bounds, one that moved too far
the wrong way, or one the thresholds name but the run did not measure.
:func:`compare_cases` lists the individual cases that got better or worse.

Thresholds come from a TOML file (:func:`load_thresholds`); ``evals/thresholds.toml``
is the default and documents the format at its top. In short, each metric gets
an inline table with any of these keys:

* ``min`` / ``max``: absolute bounds; a value below ``min`` or above ``max`` fails.
* ``max_drop`` / ``max_rise``: the largest allowed decrease / increase from the
  baseline value; a larger move fails. Exactly ``max_drop`` passes. Skipped
  when the baseline lacks the metric.
* ``better``: ``"higher"`` or ``"lower"``, for labelling a move better or worse.
  When left out it is ``"lower"`` if the table has only ``max`` / ``max_rise``
  bounds, else ``"higher"``. Metrics without a table are taken as higher-is-better.
* ``tolerance``: moves no larger than this are "unchanged" (default: the
  ``tolerance`` argument of :func:`compare`).
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from evals.errors import CaseResultError, ThresholdFileError

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.toml")
"""The thresholds file shipped with the package."""

Direction = Literal["higher", "lower"]
Change = Literal["better", "worse", "unchanged", "new", "missing"]
Rule = Literal["min", "max", "max_drop", "max_rise", "missing", "not_a_number"]

# Slack for binary floating point: 0.87 - 0.89 is -0.020000000000000018, which
# must not fail a max_drop of 0.02.
_EPSILON = 1e-9


class MetricThreshold(BaseModel):
    """Bounds for one metric; every key is optional (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    min: float | None = None
    max: float | None = None
    max_drop: float | None = Field(default=None, ge=0)
    max_rise: float | None = Field(default=None, ge=0)
    better: Direction | None = None
    tolerance: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check_bounds(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError(
                "empty_range",
                "min ({low}) is above max ({high})",
                {"low": self.min, "high": self.max},
            )
        return self

    @property
    def direction(self) -> Direction:
        """Which way is better: as given, else inferred from the bounds that are set."""
        if self.better is not None:
            return self.better
        caps_only = (self.max is not None or self.max_rise is not None) and (
            self.min is None and self.max_drop is None
        )
        return "lower" if caps_only else "higher"


class MetricDelta(BaseModel):
    """How one metric moved between the baseline and the current run."""

    model_config = ConfigDict(frozen=True)

    name: str
    current: float | None
    baseline: float | None
    delta: float | None
    change: Change


class GateFailure(BaseModel):
    """One broken threshold: which metric, which rule, the value and the limit it broke."""

    model_config = ConfigDict(frozen=True)

    metric: str
    rule: Rule
    value: float | None
    limit: float | None
    message: str


class ComparisonReport(BaseModel):
    """Every metric's move, and the thresholds broken; the gate passes when there are none."""

    model_config = ConfigDict(frozen=True)

    deltas: list[MetricDelta]
    failures: list[GateFailure]

    @property
    def passed(self) -> bool:
        """Whether no threshold was broken."""
        return not self.failures

    def summary(self) -> str:
        """Plain-text table of the deltas followed by the failures, for CLI output and CI logs."""
        width = max((len(d.name) for d in self.deltas), default=6)
        lines = [f"{'metric':<{width}}  {'baseline':>10}  {'current':>10}  {'delta':>10}  change"]
        for d in self.deltas:
            delta = "" if d.delta is None else f"{d.delta:+.4g}"
            lines.append(
                f"{d.name:<{width}}  {_show(d.baseline):>10}  {_show(d.current):>10}  "
                f"{delta:>10}  {d.change}"
            )
        lines.append("PASSED" if self.passed else f"FAILED ({len(self.failures)})")
        lines.extend(f"  {f.message}" for f in self.failures)
        return "\n".join(lines)


def compare(
    current: Mapping[str, float | None],
    baseline: Mapping[str, float | None],
    thresholds: Mapping[str, MetricThreshold],
    *,
    tolerance: float = 1e-3,
    allow_missing: bool = False,
) -> ComparisonReport:
    """Compare a run's metrics with a baseline and check them against thresholds.

    A metric whose value is None counts as not measured. A metric named in
    ``thresholds`` but not measured is a failure unless ``allow_missing``
    (for runs that measure only some areas). ``baseline`` may be empty (a first
    run): drop and rise rules are then skipped.
    """
    names = sorted(
        {n for n, v in current.items() if v is not None}
        | {n for n, v in baseline.items() if v is not None}
        | set(thresholds)
    )
    deltas: list[MetricDelta] = []
    failures: list[GateFailure] = []
    for name in names:
        threshold = thresholds.get(name, MetricThreshold())
        value, before = current.get(name), baseline.get(name)
        deltas.append(_delta(name, value, before, threshold, tolerance))
        if name in thresholds and not (value is None and allow_missing):
            failures.extend(_check(name, value, before, threshold))
    return ComparisonReport(deltas=deltas, failures=failures)


def _delta(
    name: str,
    value: float | None,
    before: float | None,
    threshold: MetricThreshold,
    tolerance: float,
) -> MetricDelta:
    if value is None:
        return MetricDelta(name=name, current=None, baseline=before, delta=None, change="missing")
    if before is None:
        return MetricDelta(name=name, current=value, baseline=None, delta=None, change="new")
    delta = value - before
    limit = threshold.tolerance if threshold.tolerance is not None else tolerance
    change: Change
    if abs(delta) <= limit + _EPSILON:
        change = "unchanged"
    elif (delta > 0) == (threshold.direction == "higher"):
        change = "better"
    else:
        change = "worse"
    return MetricDelta(name=name, current=value, baseline=before, delta=delta, change=change)


def _check(
    name: str, value: float | None, before: float | None, threshold: MetricThreshold
) -> list[GateFailure]:
    if value is None:
        return [_failure(name, "missing", None, None, f"{name} was not measured")]
    if math.isnan(value):
        return [_failure(name, "not_a_number", value, None, f"{name} is NaN")]
    failures = []
    if threshold.min is not None and value < threshold.min - _EPSILON:
        failures.append(
            _failure(
                name,
                "min",
                value,
                threshold.min,
                f"{name} = {value:.4g} is below min {threshold.min:.4g}",
            )
        )
    if threshold.max is not None and value > threshold.max + _EPSILON:
        failures.append(
            _failure(
                name,
                "max",
                value,
                threshold.max,
                f"{name} = {value:.4g} is above max {threshold.max:.4g}",
            )
        )
    if before is None or math.isnan(before):
        return failures
    if threshold.max_drop is not None and before - value > threshold.max_drop + _EPSILON:
        failures.append(
            _failure(
                name,
                "max_drop",
                value,
                threshold.max_drop,
                f"{name} dropped by {before - value:.4g} ({before:.4g} -> {value:.4g}), "
                f"more than max_drop {threshold.max_drop:.4g}",
            )
        )
    if threshold.max_rise is not None and value - before > threshold.max_rise + _EPSILON:
        failures.append(
            _failure(
                name,
                "max_rise",
                value,
                threshold.max_rise,
                f"{name} rose by {value - before:.4g} ({before:.4g} -> {value:.4g}), "
                f"more than max_rise {threshold.max_rise:.4g}",
            )
        )
    return failures


def _failure(
    metric: str, rule: Rule, value: float | None, limit: float | None, message: str
) -> GateFailure:
    return GateFailure(metric=metric, rule=rule, value=value, limit=limit, message=message)


def _show(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def load_thresholds(path: str | Path = DEFAULT_THRESHOLDS) -> dict[str, MetricThreshold]:
    """Read a thresholds TOML file into ``{metric name: threshold}``.

    Raises :class:`ThresholdFileError` listing every problem (invalid TOML,
    unknown keys, wrong types, ``min`` above ``max``).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThresholdFileError(path, [f"cannot read: {exc.strerror or exc}"]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ThresholdFileError(path, [f"invalid TOML: {exc}"]) from exc
    return parse_thresholds(data, source=str(path))


def parse_thresholds(
    data: Mapping[str, Any], source: str = "<thresholds>"
) -> dict[str, MetricThreshold]:
    """Turn parsed TOML (nested tables) into ``{dotted metric name: threshold}``.

    A table whose values are all tables is a group of metrics; a table whose
    values are all plain values (or an empty table) is one metric's threshold.
    """
    thresholds: dict[str, MetricThreshold] = {}
    problems: list[str] = []
    _collect(data, "", thresholds, problems)
    if problems:
        raise ThresholdFileError(source, problems)
    return thresholds


def _collect(
    table: Mapping[str, Any],
    prefix: str,
    thresholds: dict[str, MetricThreshold],
    problems: list[str],
) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if not isinstance(value, dict):
            problems.append(f"{name}: expected a table such as {{ min = 0.9 }}, got {value!r}")
            continue
        nested = [isinstance(v, dict) for v in value.values()]
        if value and all(nested):
            _collect(value, name, thresholds, problems)
        elif any(nested):
            problems.append(f"{name}: mixes metric tables and threshold keys")
        else:
            try:
                thresholds[name] = MetricThreshold.model_validate(value)
            except ValidationError as exc:
                problems.extend(_explain(name, e) for e in exc.errors(include_url=False))


def _explain(metric: str, error: ErrorDetails) -> str:
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        hint = difflib.get_close_matches(key, tuple(MetricThreshold.model_fields), n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"{metric}: unknown key {key!r}{suggestion}"
    where = f"{metric}.{key}" if key else metric
    detail = f" (got {error['input']!r})" if key else ""
    return f"{where}: {error['msg']}{detail}"


class CaseResult(BaseModel):
    """One case's outcome in a run: did it pass, and with what score (higher is better)."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    id: str
    passed: bool
    score: float | None = None


class CaseChange(BaseModel):
    """A case whose outcome differs between the baseline and the current run."""

    model_config = ConfigDict(frozen=True)

    id: str
    baseline_passed: bool
    current_passed: bool
    baseline_score: float | None
    current_score: float | None

    @property
    def flipped(self) -> bool:
        """Whether the case changed between passing and failing."""
        return self.baseline_passed != self.current_passed

    @property
    def score_delta(self) -> float | None:
        """Current minus baseline score; None when either run has no score."""
        if self.baseline_score is None or self.current_score is None:
            return None
        return self.current_score - self.baseline_score


class CaseComparison(BaseModel):
    """Cases that got better or worse, and cases only one run has."""

    model_config = ConfigDict(frozen=True)

    improved: list[CaseChange]
    regressed: list[CaseChange]
    added: list[str]
    removed: list[str]
    unchanged: int


def compare_cases(
    current: Iterable[CaseResult | Mapping[str, Any]],
    baseline: Iterable[CaseResult | Mapping[str, Any]],
    *,
    tolerance: float = 1e-3,
) -> CaseComparison:
    """List the cases that got better or worse between two runs, matched by ``id``.

    A case that starts passing improved and one that stops passing regressed,
    whatever its score did. Otherwise a score move larger than ``tolerance``
    decides. Each list puts pass/fail flips first, then larger score moves, then
    sorts by id. Results may be :class:`CaseResult` or dicts with ``id``,
    ``passed`` and optionally ``score`` (other keys are ignored); malformed ones
    or a repeated id raise :class:`CaseResultError`.
    """
    now = _index(current, "current")
    before = _index(baseline, "baseline")
    improved: list[CaseChange] = []
    regressed: list[CaseChange] = []
    unchanged = 0
    for case_id in sorted(now.keys() & before.keys()):
        new, old = now[case_id], before[case_id]
        change = CaseChange(
            id=case_id,
            baseline_passed=old.passed,
            current_passed=new.passed,
            baseline_score=old.score,
            current_score=new.score,
        )
        direction = _case_direction(change, tolerance)
        if direction > 0:
            improved.append(change)
        elif direction < 0:
            regressed.append(change)
        else:
            unchanged += 1
    return CaseComparison(
        improved=sorted(improved, key=_case_order),
        regressed=sorted(regressed, key=_case_order),
        added=sorted(now.keys() - before.keys()),
        removed=sorted(before.keys() - now.keys()),
        unchanged=unchanged,
    )


def _case_direction(change: CaseChange, tolerance: float) -> int:
    if change.flipped:
        return 1 if change.current_passed else -1
    delta = change.score_delta
    if delta is None or abs(delta) <= tolerance + _EPSILON:
        return 0
    return 1 if delta > 0 else -1


def _case_order(change: CaseChange) -> tuple[bool, float, str]:
    return (not change.flipped, -abs(change.score_delta or 0.0), change.id)


def _index(results: Iterable[CaseResult | Mapping[str, Any]], which: str) -> dict[str, CaseResult]:
    indexed: dict[str, CaseResult] = {}
    for position, item in enumerate(results):
        try:
            result = item if isinstance(item, CaseResult) else CaseResult.model_validate(dict(item))
        except ValidationError as exc:
            reasons = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
            )
            raise CaseResultError(f"{which} result #{position + 1}: {reasons}") from exc
        if result.id in indexed:
            raise CaseResultError(f"{which} results contain id {result.id!r} twice")
        indexed[result.id] = result
    return indexed
