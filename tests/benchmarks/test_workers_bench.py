"""The workers benchmark's arithmetic."""

from __future__ import annotations

from benchmarks.workers_bench import paired_ratio


def test_the_ratio_is_the_median_of_each_rounds_pair() -> None:
    assert paired_ratio([10.0, 8.0, 12.0], [15.0, 16.0, 12.0]) == 1.5


def test_a_round_that_answered_nothing_is_left_out() -> None:
    assert paired_ratio([10.0, 0.0], [20.0, 5.0]) == 2.0
    assert paired_ratio([0.0], [3.0]) is None
