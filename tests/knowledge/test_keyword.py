"""BM25 keyword search: the top units, and the scores of units asked for by name."""

from __future__ import annotations

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


def test_a_unit_asked_for_gets_its_score_outside_the_top() -> None:
    hits = _index().search("融资融券", k=10, also=["en-margin", "missing-id"])
    scores = {h.unit_id: h.score for h in hits}
    assert scores.get("en-margin", 0.0) > 0.0
    assert "missing-id" not in scores
    assert len(hits) == 11
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
