"""Token-bucket rate limits, driven by a fake clock with hand-computed refills."""

from __future__ import annotations

import pytest

from channels.ratelimit import RateDecision, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_full_bucket_allows_a_burst_then_says_when_to_retry(clock: FakeClock) -> None:
    limiter = RateLimiter(capacity=3, refill_per_s=0.5, clock=clock)  # a token every 2 s
    assert [limiter.check("conn-1").allowed for _ in range(3)] == [True, True, True]
    assert limiter.check("conn-1") == RateDecision(False, 2.0)


def test_tokens_come_back_at_the_refill_rate(clock: FakeClock) -> None:
    limiter = RateLimiter(capacity=3, refill_per_s=0.5, clock=clock)
    for _ in range(3):
        limiter.check("conn-1")
    clock.now = 1.0  # half a token back
    assert limiter.check("conn-1") == RateDecision(False, 1.0)
    clock.now = 2.0  # one token
    assert limiter.check("conn-1") == RateDecision(True, 0.0)
    assert limiter.check("conn-1") == RateDecision(False, 2.0)
    clock.now = 7.0  # 2.5 tokens
    assert [limiter.check("conn-1").allowed for _ in range(3)] == [True, True, False]
    assert limiter.check("conn-1").retry_after_s == pytest.approx(1.0)


def test_a_bucket_never_holds_more_than_its_capacity(clock: FakeClock) -> None:
    limiter = RateLimiter(capacity=2, refill_per_s=1.0, clock=clock)
    limiter.check("conn-1")
    clock.now = 1000.0
    assert [limiter.check("conn-1").allowed for _ in range(3)] == [True, True, False]


def test_per_minute_spreads_the_allowance_over_the_minute(clock: FakeClock) -> None:
    limiter = RateLimiter.per_minute(20, clock=clock)
    assert all(limiter.check("INV-1001").allowed for _ in range(20))
    assert limiter.check("INV-1001") == RateDecision(False, pytest.approx(3.0))
    clock.now = 3.0
    assert limiter.check("INV-1001").allowed
    assert not limiter.check("INV-1001").allowed


def test_keys_have_separate_buckets(clock: FakeClock) -> None:
    limiter = RateLimiter(capacity=1, refill_per_s=0.1, clock=clock)
    assert limiter.check("conn-1").allowed
    assert not limiter.check("conn-1").allowed
    assert limiter.check("conn-2").allowed


def test_a_costlier_request_takes_more_tokens(clock: FakeClock) -> None:
    limiter = RateLimiter(capacity=4, refill_per_s=1.0, clock=clock)
    assert limiter.check("conn-1", cost=3).allowed
    assert limiter.check("conn-1", cost=3) == RateDecision(False, 2.0)
    with pytest.raises(ValueError, match="capacity"):
        limiter.check("conn-1", cost=5)


def test_refilled_keys_are_forgotten(clock: FakeClock) -> None:
    limiter = RateLimiter(capacity=2, refill_per_s=1.0, clock=clock)  # refills in 2 s
    limiter.check("a")
    clock.now = 2.0
    limiter.check("b")
    clock.now = 2.5  # a: 1 + 2.5 tokens, full again; b: 1 + 0.5, not yet
    limiter.check("c")
    assert len(limiter) == 2
    # Forgetting a full bucket changes nothing: it starts full again.
    assert [limiter.check("a").allowed for _ in range(3)] == [True, True, False]


def test_memory_follows_the_keys_active_within_one_refill_period(clock: FakeClock) -> None:
    limiter = RateLimiter(capacity=1, refill_per_s=1.0, clock=clock)
    for i in range(10_000):
        clock.now = i * 0.01
        limiter.check(f"conn-{i}")
    assert len(limiter) <= 101


def test_beyond_max_keys_the_least_recently_seen_is_forgotten(clock: FakeClock) -> None:
    limiter = RateLimiter(capacity=1, refill_per_s=0.001, max_keys=2, clock=clock)
    assert limiter.check("k0").allowed
    assert not limiter.check("k0").allowed
    limiter.check("k1")
    limiter.check("k2")
    assert len(limiter) == 2
    assert limiter.check("k0").allowed  # forgotten, so allowed: the cap errs towards allowing


def test_forget_resets_a_key(clock: FakeClock) -> None:
    limiter = RateLimiter(capacity=1, refill_per_s=0.001, clock=clock)
    limiter.check("conn-1")
    limiter.forget("conn-1")
    assert limiter.check("conn-1").allowed
    assert len(limiter) == 1


@pytest.mark.parametrize(
    ("capacity", "refill", "max_keys", "complaint"),
    [(0, 1.0, 10, "capacity"), (1, 0.0, 10, "refill_per_s"), (1, 1.0, 0, "max_keys")],
)
def test_nonsense_limits_are_refused(
    capacity: float, refill: float, max_keys: int, complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        RateLimiter(capacity, refill, max_keys=max_keys)
