"""axe-core in the real page: what a screen-reader user, a keyboard user or a reader with
low vision would trip over.

:func:`blocking_violations` injects the axe-core bundled with ``axe-playwright-python``
(no network) into a page, runs it over the whole document, shadow roots included (the
widget lives in one), and returns the serious and critical violations, each with the
elements it found. Every scan is also written to ``var/test-artifacts/accessibility/``
with all impacts, so a report can say what was left at moderate and minor.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.utils.browser import PROJECT_ROOT
from tests.utils.processes import wait_until

REPORT_DIR = PROJECT_ROOT / "var" / "test-artifacts" / "accessibility"
BLOCKING = frozenset({"serious", "critical"})

# axe's default rule set: WCAG 2.0-2.2 A and AA (contrast, names, target size, ...) and its
# best practices (landmarks, one h1, ...); experimental rules stay off.
_OPTIONS = {"resultTypes": ["violations"]}


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.impact} {self.rule} ({self.help}): {', '.join(self.targets)}"


# Colours measured halfway through a fade-in are not the colours anyone reads: wait for the
# finite animations and transitions of the page and the widget's shadow root to finish.
_AT_REST = """async () => {
  const roots = [document];
  if (window.BrokerDeskWidget) roots.push(BrokerDeskWidget.root);
  const running = roots.flatMap((root) => root.getAnimations())
    .filter((a) => a.effect && a.effect.getComputedTiming().iterations !== Infinity);
  await Promise.all(running.map((a) => a.finished.catch(() => null)));
}"""


def scan(page: Page, name: str) -> list[Violation]:
    """Every violation axe finds in ``page`` once it is at rest, also written to
    ``REPORT_DIR/<name>.json``."""
    page.evaluate(_AT_REST)
    response = Axe().run(page, options=_OPTIONS).response
    violations = [
        Violation(
            rule=v["id"],
            impact=v["impact"] or "unknown",
            help=v["help"],
            targets=tuple(json.dumps(node["target"], ensure_ascii=False) for node in v["nodes"]),
        )
        for v in response["violations"]
    ]
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    counts = Counter(v.impact for v in violations for _ in v.targets)
    (REPORT_DIR / f"{name}.json").write_text(
        json.dumps(
            {
                "url": page.url,
                "nodes_by_impact": dict(counts),
                "violations": [v.__dict__ for v in violations],
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    return violations


def blocking_violations(page: Page, name: str) -> list[str]:
    """The serious and critical violations in ``page``, one line each (empty: none)."""
    return [str(v) for v in scan(page, name) if v.impact in BLOCKING]


# Run in a page: from now on, every node added to the live region at ``selector`` (in the
# widget's shadow root when the page has the widget) is kept in ``window.announced`` as
# [seq, text]: what a screen reader would read, in order.
RECORD_ANNOUNCEMENTS = """(selector) => {
  window.announced = [];
  const root = window.BrokerDeskWidget ? BrokerDeskWidget.root : document;
  new MutationObserver((changes) => changes.forEach((change) => change.addedNodes.forEach(
    (node) => window.announced.push([Number(node.dataset.seq), node.textContent]))))
    .observe(root.querySelector(selector), {childList: true});
}"""

# Run in a page with the widget: the data-testid (or else the class) of the widget element
# that has the keyboard focus, or null.
WIDGET_FOCUS = """() => {
  const node = BrokerDeskWidget.root.activeElement;
  return node && (node.getAttribute('data-testid') || node.className);
}"""


def wait_for_widget_focus(page: Page, expected: str, timeout: float = 30.0) -> None:
    """Until :data:`WIDGET_FOCUS` is ``expected``. Polled with ``page.evaluate``, not
    ``page.wait_for_function``: Playwright's polling predicate calls ``eval`` in the page,
    which the demo page's Content-Security-Policy (no 'unsafe-eval') refuses."""
    wait_until(
        lambda: page.evaluate(WIDGET_FOCUS) == expected,
        timeout=timeout,
        what=f"the widget's focus on {expected}",
    )
