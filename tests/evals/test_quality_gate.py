"""The shipped held-out cases, through the real assistant, against the checked-in baseline.

A change that makes answers, intents, retrieval or escalation measurably worse fails here,
with the table of deltas and the cases that regressed.
"""

from __future__ import annotations

import json

import pytest

from assistant.assembly import build_assistant
from assistant.settings import PROJECT_ROOT, Settings
from evals.cases import load_cases
from evals.compare import compare, compare_cases, load_thresholds
from evals.runner import run_case, summarise


@pytest.mark.slow
# Ingesting the sample knowledge base (the fixture) and 106 cases take 7 minutes on two busy cores.
@pytest.mark.timeout(1200)
async def test_heldout_cases_pass_the_regression_gate(sample_kb, tmp_path) -> None:
    bot = build_assistant(Settings(state_dir=tmp_path), kb_dir=sample_kb.directory)
    cases = [c for c in load_cases(PROJECT_ROOT / "evals/data/cases.jsonl") if c.split == "heldout"]
    outcomes = [await run_case(bot, case) for case in cases]
    baseline = json.loads((PROJECT_ROOT / "evals/baseline.json").read_text("utf-8"))
    report = compare(summarise(outcomes), baseline["metrics"], load_thresholds())
    regressed = compare_cases([o.model_dump() for o in outcomes], baseline["cases"]).regressed
    assert report.passed, report.summary() + "\nregressed: " + ", ".join(c.id for c in regressed)
