"""The simulated week, small: a population through the real rules, outbox and policy sends
pushes and answers questions, and not one push is wrong for its investor."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from evals.proactive_week import simulate
from evals.synthetic_investors import generate
from knowledge.index import KnowledgeBase
from tests.knowledge.test_index import ROWS
from tests.utils.files import write_csv


def test_the_population_is_the_same_for_the_same_seed() -> None:
    first = generate(100, random.Random(7))
    again = generate(100, random.Random(7))

    assert [i.holdings for i in first] == [i.holdings for i in again]
    assert any(i.margin_ratio for i in first) and any(i.holdings for i in first)


@pytest.mark.timeout(900)
async def test_a_small_week_sends_pushes_and_none_is_wrong(e5, tmp_path: Path) -> None:
    sources = tmp_path / "faq"
    sources.mkdir()
    write_csv(sources / "faq.csv", ROWS)
    kb = KnowledgeBase(tmp_path / "kb", e5)
    kb.ingest([sources])
    kb.close()
    work = tmp_path / "week"
    work.mkdir()

    report = await simulate(60, seed=1, kb=tmp_path / "kb", workdir=work)

    assert report.pushes > 0 and report.questions > 0
    assert report.wrong_pushes == {
        "not_eligible": 0,
        "quiet_hours": 0,
        "over_daily_limit": 0,
        "muted": 0,
        "advisory": 0,
    }
