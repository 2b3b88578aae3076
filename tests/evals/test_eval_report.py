"""The HTML evaluation report: its numbers on hand-made outcomes, escaping, and a real browser."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from evals.compare import MetricThreshold, compare
from evals.errors import EvalError
from evals.report import REPORT_FILE, render_report, write_report
from evals.report import main as report_main
from evals.report.charts import histogram
from evals.report.markup import element, escape
from evals.report.rankings import (
    failed_checks,
    intent_rows,
    missed_phrases,
    slowest_cases,
    worst_cases,
)
from evals.runner import PassageView, summarise
from tests.utils.eval_outcomes import case_outcome

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts" / "evals"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
HOSTILE = '<script>alert("x")</script><img src=x onerror="document.title=\'pwned\'">'


# Four cases, worked out by hand:
#   fees: a right, b → account_opening, c right          => fees 2/3, confused with account_opening
#   account_opening: d → nothing (counts as out_of_scope) => 0/1
# intent accuracy 2/4 = 0.500. Latencies 10, 30, 20, 40, 50 ms: p50 = 30,
# p95 at position 4·0.95 = 3.8 of [10, 20, 30, 40, 50] = 40 + 0.8·10 = 48.
OUTCOMES = [
    case_outcome("a", similarity=0.92, confidence=0.9),
    case_outcome(
        "b",
        predicted_intent="account_opening",
        confidence=0.4,
        turn_latency_ms=[30.0],
        must_include_ok=False,
        must_include_missing=["万分之2.5"],
        expected_sources=["faq-fees"],
        ranked_sources=["faq-open", "faq-fees"],
        passages=[
            PassageView(
                id="faq-open",
                title="How do I open an account?",
                source="faq.csv",
                score=0.031,
                confidence=0.42,
                excerpt="Open it in the app.",
            ),
            PassageView(
                id="faq-fees",
                title="What is the commission?",
                source="faq.csv",
                score=0.029,
                confidence=0.4,
                excerpt="0.025%, minimum 5 yuan.",
            ),
        ],
        passed=False,
        score=0.6,
    ),
    case_outcome("c", turn_latency_ms=[20.0], confidence=0.8, similarity=0.71),
    case_outcome(
        "d",
        question=HOSTILE,
        answer="reply with </p><b>bold</b>",
        expected_intent="account_opening",
        predicted_intent=None,
        expect_escalation=True,
        escalated=False,
        turn_latency_ms=[40.0, 50.0],
        must_include_ok=False,
        must_include_missing=["万分之2.5", "<em>"],
        tags=["adversarial"],
        passed=False,
        score=0.25,
    ),
]
THRESHOLDS = {
    "intent.accuracy": MetricThreshold(min=0.74, max_drop=0.03),
    "compliance.violations": MetricThreshold(max=0),
}
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Page(HTMLParser):
    """Elements with their attributes and text, for finding things by data-* attributes."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self._open: list[list[str]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "br"):
            return
        texts: list[str] = []
        self.elements.append((tag, dict(attrs), texts))
        self._open.append(texts)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("meta", "br") and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for texts in self._open:
            texts.append(data)

    def find(self, tag: str | None = None, **attrs: str) -> list[tuple[dict[str, str | None], str]]:
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            (a, "".join(t))
            for name, a, t in self.elements
            if tag in (None, name) and all(a.get(k) == v for k, v in wanted.items())
        ]

    def text_of(self, tag: str | None = None, **attrs: str) -> str:
        [(_, text)] = self.find(tag, **attrs)
        return text


@pytest.fixture(scope="module")
def html_text() -> str:
    return render_report(
        OUTCOMES,
        summarise(OUTCOMES),
        THRESHOLDS,
        title="Nightly eval",
        subtitle="cases.jsonl · split heldout",
        generated_at=WHEN,
    )


@pytest.fixture(scope="module")
def page(html_text: str) -> Page:
    return Page(html_text)


def test_per_intent_rows_are_worked_out_by_hand() -> None:
    assert intent_rows(OUTCOMES) == [
        ("account_opening", 1, 0, "out_of_scope"),
        ("fees", 3, 2, "account_opening"),
    ]
    assert intent_rows(OUTCOMES)[1].accuracy == pytest.approx(2 / 3)


def test_the_report_shows_the_hand_computed_numbers(page: Page) -> None:
    assert page.text_of(data_metric="intent.accuracy").startswith("intent.accuracy0.500≥ 0.74")
    assert page.find(data_metric="intent.accuracy")[0][1].endswith(
        "intent.accuracy = 0.5 is below min 0.74"
    )
    assert "4" in page.text_of(data_metric="cases")
    [(fees, fees_text)] = page.find(data_intent="fees")
    assert (fees["data-cases"], fees["data-correct"]) == ("3", "2")
    assert "2/3 · 67% · often → account_opening" in fees_text
    [(opening, _)] = page.find(data_intent="account_opening")
    assert (opening["data-cases"], opening["data-correct"]) == ("1", "0")
    assert {a["data-pair"]: a["data-count"] for _, a, _ in page.elements if "data-pair" in a} == {
        "account_opening→out_of_scope": "1",
        "fees→account_opening": "1",
    }
    assert page.text_of(data_latency="p50") == "30.0 ms"
    assert page.text_of(data_latency="p95") == "48.0 ms"
    assert page.text_of(data_latency="max") == "50.0 ms"
    [(_, phrase_row)] = page.find(data_phrase="万分之2.5")
    assert "2" in phrase_row and "b, d" in phrase_row
    assert page.find(data_gate="failed")[0][1] == "1 threshold(s) broken"


def test_worst_cases_come_first_with_what_was_expected_and_retrieved(page: Page) -> None:
    assert [o.id for o in worst_cases(OUTCOMES)] == ["d", "b"]
    assert failed_checks(OUTCOMES[3]) == ["intent", "escalation", "must include"]
    [(_, card)] = page.find("details", data_case="b")
    assert "How do I open an account?" in card and "0.031" in card and "Open it in the app." in card
    assert "faq-fees" in card
    assert [t for _, a, t in page.elements if a.get("class") == "tag good"] == [["expected"]]
    cards = [a["data-case"] for tag, a, _ in page.elements if tag == "details"]
    assert cards == ["d", "b"]
    assert [o.id for o in slowest_cases(OUTCOMES)] == ["d", "b", "c", "a"]
    assert missed_phrases(OUTCOMES) == [("万分之2.5", ["b", "d"]), ("<em>", ["d"])]


def test_a_comparison_adds_the_baseline_and_the_regressed_cases() -> None:
    summary = summarise(OUTCOMES)
    baseline = {**summary, "intent.accuracy": 0.75}
    html_text = render_report(
        OUTCOMES,
        summary,
        THRESHOLDS,
        comparison=compare(summary, baseline, THRESHOLDS),
        regressed=["b", "d"],
    )
    page = Page(html_text)
    row = page.text_of(data_metric="intent.accuracy")

    assert "0.750" in row and "-0.250" in row and "dropped by 0.25" in row
    assert "2 case(s) regressed since the baseline: b, d" in page.text_of(id="summary")


def test_case_text_is_escaped_everywhere(html_text: str, page: Page) -> None:
    assert "<script" not in html_text.lower()
    assert "<img" not in html_text.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html_text
    assert "<b>bold</b>" not in html_text and "&lt;/p&gt;&lt;b&gt;bold&lt;/b&gt;" in html_text
    assert not [a for _, a, _ in page.elements if "onerror" in a]
    [(_, card)] = page.find("details", data_case="d")
    assert HOSTILE in card  # shown to the curator as the text it is


def test_attribute_values_cannot_break_out() -> None:
    hostile_intent = 'x" onmouseover="alert(1)'
    html_text = render_report(
        [case_outcome("e", expected_intent=hostile_intent, predicted_intent="fees", passed=False)],
        {},
        {},
    )
    page = Page(html_text)

    assert not [a for _, a, _ in page.elements if "onmouseover" in a]
    assert page.find(data_intent=hostile_intent)


def test_escape_and_element_build_only_safe_markup() -> None:
    assert escape("<a href='x'>&") == "&lt;a href=&#x27;x&#x27;&gt;&amp;"
    assert escape(escape("<b>")) == "&lt;b&gt;"  # already markup: not escaped twice
    cell = element(
        "td", "1 < 2", None, [" & ", element("b", "x")], class_="num", data_case="a&b", hidden=True
    )
    assert cell == '<td class="num" data-case="a&amp;b" hidden>1 &lt; 2 &amp; <b>x</b></td>'
    assert element("rect", x=1.5, width=None, open=False) == '<rect x="1.5"></rect>'


def test_histogram_bins_are_closed_at_the_top_and_clamp_strays() -> None:
    # Bins of 0.25 over [0, 1]: 0 and 0.1 in the first, 0.25 starts the second, 1.0 in the last.
    assert histogram([0.0, 0.1, 0.25, 0.5, 0.99, 1.0, -3.0, 7.0], 0.0, 1.0, 4) == [3, 1, 1, 3]
    with pytest.raises(EvalError):
        histogram([1.0], 1.0, 1.0, 4)


def test_write_report_creates_the_directory(tmp_path: Path, html_text: str) -> None:
    target = write_report(tmp_path / "nested" / "out", html_text)

    assert target == tmp_path / "nested" / "out" / REPORT_FILE
    assert target.read_text(encoding="utf-8") == html_text


def test_an_empty_run_still_renders(tmp_path: Path) -> None:
    page = Page(render_report([], summarise([]), THRESHOLDS))

    assert page.text_of(id="intents").endswith("No case names an expected intent.")
    assert page.text_of(id="worst").endswith("Every case passed.")


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: `make system-packages` installs it")
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "chromium-profile"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context.new_page()
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.browser
def test_the_report_opens_in_chromium_without_errors(
    browser_page: Any, html_text: str, tmp_path: Path
) -> None:
    report = write_report(tmp_path / "report", html_text)
    url = report.as_uri()
    problems: list[str] = []
    browser_page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    browser_page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    browser_page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    browser_page.on(
        "request",
        lambda request: problems.append(f"fetched: {request.url}") if request.url != url else None,
    )

    browser_page.goto(url, wait_until="load")

    assert browser_page.title() == "Nightly eval"  # the hostile question's onerror never ran
    assert browser_page.locator('[data-metric="intent.accuracy"] .value').inner_text() == "0.500"
    assert browser_page.locator('[data-intent="fees"] rect').count() == 2
    assert browser_page.locator("details[open]").count() == 2
    assert browser_page.get_by_text(HOSTILE).first.is_visible()
    box = browser_page.locator("#intents svg").bounding_box()
    assert box is not None and box["width"] > 600  # the chart is drawn, not collapsed
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(ARTIFACTS / "eval-report.png"), full_page=True)
    assert not problems, problems


def test_the_report_has_no_external_references(html_text: str) -> None:
    """Self-contained: no script, no stylesheet or image link, and a policy forbidding fetches."""
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html_text, re.IGNORECASE)
    assert not re.search(r"\b(src|href)=\"(?!#)", html_text)
    assert "default-src 'none'" in html_text


def test_a_saved_run_renders_without_running_again(tmp_path: Path) -> None:
    saved = tmp_path / "run.json"
    old_case = case_outcome("z").model_dump(
        exclude={"passages", "confidence", "must_include_missing"}
    )
    saved.write_text(
        json.dumps(
            {
                "metrics": summarise(OUTCOMES),
                "cases": [*(o.model_dump() for o in OUTCOMES), old_case],
            }
        ),
        encoding="utf-8",
    )

    assert report_main([str(saved), "--out", str(tmp_path / "out"), "--title", "Saved"]) == 0

    page = Page((tmp_path / "out" / REPORT_FILE).read_text(encoding="utf-8"))
    assert (
        page.find("title")[0][1] == "Saved"
    )  # the first is the document's; SVG bars have their own
    assert page.text_of(data_metric="intent.accuracy").startswith("intent.accuracy0.500")
