"""BM25 keyword search: the top units, and a group of units' own top besides."""

from __future__ import annotations

import numpy as np

from knowledge.keyword import KeywordIndex


def _index() -> KeywordIndex:
    index = KeywordIndex()
    # Thirty short Chinese entries on margin trading, and one long English entry that names it
    # once among many other words: BM25 puts it below all thirty.
    ids = [f"zh-{n}" for n in range(30)] + ["en-margin"]
    long_text = ["融资融券", *(f"word{n}" for n in range(40))]
    tokens = [["融资融券", f"问题{n}"] for n in range(30)] + [long_text]
    index.build(ids, tokens)
    return index


def test_the_top_units_crowd_out_a_unit_that_scores_lower() -> None:
    hits = _index().search("融资融券", k=10)
    assert len(hits) == 10
    assert "en-margin" not in [h.unit_id for h in hits]


def test_a_group_of_units_gets_its_own_top_besides() -> None:
    english = np.array([False] * 30 + [True])
    hits = _index().search("融资融券", k=10, also_among=english)
    assert [h.unit_id for h in hits][-1] == "en-margin" and len(hits) == 11
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
