"""The report's charts, drawn here as inline SVG (and the confusion heatmap as a table):
no script and no image fetched."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from evals import metrics
from evals.errors import EvalError
from evals.report.formatting import clip
from evals.report.markup import Html, element

HEATMAP_LABELS = 12


def histogram(values: Sequence[float], low: float, high: float, bins: int) -> list[int]:
    """Counts of ``values`` in ``bins`` equal bins over ``[low, high]``.

    Values outside the range are counted in the first or last bin; the last
    bin includes ``high``.
    """
    if bins < 1 or not high > low:
        raise EvalError(f"a histogram needs bins >= 1 and high > low, got {bins}, {low}..{high}")
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        index = math.floor((value - low) / width)
        counts[min(max(index, 0), bins - 1)] += 1
    return counts


def heatmap(
    gold: Sequence[str], predicted: Sequence[str], pairs: Sequence[metrics.Confusion]
) -> Html:
    weight: Counter[str] = Counter()
    for pair in pairs:
        weight[pair.gold] += pair.occurrences
        weight[pair.predicted] += pair.occurrences
    labels = sorted(weight, key=lambda label: (-weight[label], label))[:HEATMAP_LABELS]
    counts = Counter(zip(gold, predicted, strict=True))
    peak = max((counts[(g, p)] for g in labels for p in labels if g != p), default=1)
    header = element(
        "tr",
        element("th", "expected ↓ / predicted →", class_="corner"),
        [element("th", element("span", clip(p, 22)), class_="rot", title=p) for p in labels],
    )
    rows = []
    for g in labels:
        cells = []
        for p in labels:
            n = counts[(g, p)]
            if g == p:
                cells.append(element("td", n or "", class_="diag", title=f"{g}: {n} right"))
            else:
                alpha = 0.12 + 0.88 * n / peak if n else 0
                cells.append(
                    element(
                        "td",
                        n or "",
                        style=f"background: rgba(197, 48, 48, {alpha:.2f})" if n else None,
                        class_="hot" if n and alpha > 0.55 else None,
                        title=f"{g} → {p}: {n}",
                    )
                )
        rows.append(element("tr", element("th", clip(g, 28), title=g), cells))
    return element("table", header, rows, class_="heatmap")


def histogram_chart(
    title: str,
    low: float,
    high: float,
    series: Sequence[tuple[str, str, Sequence[float]]],
    *,
    bins: int = 20,
    markers: Sequence[tuple[str, float]] = (),
) -> Html:
    """A stacked histogram of one or more series, with optional labelled vertical markers."""
    width, height = 420, 190 + 12 * len(markers)
    left, right, top, bottom = 40, 12, 14 + 12 * len(markers), 30  # marker labels sit on top
    plot_w, plot_h = width - left - right, height - top - bottom
    stacks = [histogram(values, low, high, bins) for _, _, values in series]
    totals = [sum(column) for column in zip(*stacks, strict=True)]
    peak = max(max(totals, default=0), 1)
    bar_w = plot_w / bins
    parts: list[Html] = [
        element("line", x1=left, y1=top + plot_h, x2=left + plot_w, y2=top + plot_h, class_="axis"),
        element("line", x1=left, y1=top, x2=left, y2=top + plot_h, class_="axis"),
        element("text", peak, x=left - 6, y=top + 4, text_anchor="end", class_="tick"),
        element("text", 0, x=left - 6, y=top + plot_h, text_anchor="end", class_="tick"),
    ]
    for fraction in (0.0, 0.5, 1.0):
        value = low + (high - low) * fraction
        parts.append(
            element(
                "text",
                _tick(value, high - low),
                x=round(left + plot_w * fraction, 1),
                y=top + plot_h + 16,
                text_anchor="middle",
                class_="tick",
            )
        )
    for column in range(bins):
        base = 0
        for (name, colour, _), counts in zip(series, stacks, strict=True):
            n = counts[column]
            if not n:
                continue
            bar_h = plot_h * n / peak
            y = top + plot_h - plot_h * (base + n) / peak
            start = low + (high - low) * column / bins
            end = low + (high - low) * (column + 1) / bins
            parts.append(
                element(
                    "rect",
                    element(
                        "title",
                        f"{name}: {n} in {_tick(start, high - low)}–{_tick(end, high - low)}",
                    ),
                    x=round(left + column * bar_w + 0.5, 2),
                    y=round(y, 2),
                    width=round(max(bar_w - 1, 0.5), 2),
                    height=round(bar_h, 2),
                    fill=colour,
                )
            )
            base += n
    for row, (name, value) in enumerate(markers):
        x = round(left + plot_w * min(max((value - low) / (high - low), 0.0), 1.0), 1)
        label_y = 12 + 12 * row
        right_half = x > left + plot_w / 2
        parts.append(element("line", x1=x, y1=label_y + 2, x2=x, y2=top + plot_h, class_="mark"))
        parts.append(
            element(
                "text",
                f"{name} {_tick(value, high - low)}",
                x=x - 3 if right_half else x + 3,
                y=label_y,
                text_anchor="end" if right_half else None,
                class_="tick",
            )
        )
    caption = element(
        "figcaption",
        element("strong", title),
        [
            element(
                "span",
                element("i", style=f"background: {colour}"),
                f"{name} ({len(values)})",
                class_="legend",
            )
            for name, colour, values in series
        ],
    )
    return element("figure", caption, svg(width, height, parts, label=title), class_="chart")


def svg(width: float, height: float, children: Sequence[Html], *, label: str) -> Html:
    return element(
        "svg",
        children,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        role="img",
        aria_label=label,
    )


def _tick(value: float, span: float) -> str:
    if span >= 20:
        return f"{value:.0f}"
    return f"{value:.2f}"
