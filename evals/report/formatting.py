"""How the report writes numbers, thresholds and clipped text."""

from __future__ import annotations

from evals.compare import (
    MetricThreshold,
)


def format_value(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    if name.endswith("_ms"):
        return f"{value:.1f} ms"
    if name in ("cases", "compliance.violations"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.3f}"


def describe_threshold(threshold: MetricThreshold | None) -> str:
    if threshold is None:
        return "—"
    parts = []
    if threshold.min is not None:
        parts.append(f"≥ {threshold.min:g}")
    if threshold.max is not None:
        parts.append(f"≤ {threshold.max:g}")
    if threshold.max_drop is not None:
        parts.append(f"drop ≤ {threshold.max_drop:g}")
    if threshold.max_rise is not None:
        parts.append(f"rise ≤ {threshold.max_rise:g}")
    return ", ".join(parts) or f"reported ({threshold.direction} is better)"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"
