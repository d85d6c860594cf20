"""The limiter's rules, decided on a fake clock (no waiting), and its concurrency slots."""

from __future__ import annotations

import asyncio
import itertools
import math

import pytest

from haybale.batch import Limiter, Permit
from haybale.batch._limiter import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def starts(limiter: Limiter, count: int, tokens: int = 0) -> list[float]:
    """The start times the pacing rules hand out to ``count`` requests asked for at once."""
    now = limiter.clock()
    return [limiter._reserve(now, tokens) for _ in range(count)]


@pytest.mark.parametrize("rpm", [1, 30, 60, 600, 10_000])
def test_rpm_starts_are_even_and_never_burst(rpm: int) -> None:
    limiter = Limiter(concurrency=10_000, rpm=rpm, clock=Clock())
    times = starts(limiter, 3 * rpm if rpm < 1000 else 2000)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(60 / rpm)
    for index, start in enumerate(times):  # no window of 60 s holds more than rpm starts
        assert sum(1 for t in times[index:] if t < start + 60 - 1e-9) <= rpm
        assert sum(1 for t in times[index:] if t < start + 1 - 1e-9) <= math.ceil(rpm / 60) + 1


def test_tpm_spaces_starts_by_their_tokens_and_usage_corrects_it() -> None:
    clock = Clock()
    limiter = Limiter(concurrency=100, tpm=6000, clock=clock)  # 100 tokens per second
    first, second = starts(limiter, 2, tokens=50)
    assert second - first == pytest.approx(0.5)
    limiter.release(Permit(second, 50), ok=True, used={"prompt_tokens": 100, "completion_tokens": 100})
    (third,) = starts(limiter, 1, tokens=50)
    assert third - second == pytest.approx(0.5 + 1.5)  # it cost 200 tokens, not 50: 1.5 s more


def test_rpm_and_tpm_together_keep_both_spacings() -> None:
    limiter = Limiter(concurrency=100, rpm=60, tpm=60_000, clock=Clock())  # 1 request/s, 1000 tokens/s
    big, small, after = starts(limiter, 1, tokens=5000) + starts(limiter, 2, tokens=1)
    assert small - big == pytest.approx(5.0)  # the tokens of the big one hold it back
    assert after - small == pytest.approx(1.0)  # and the request pace still applies after that


def test_estimates_use_the_cap_else_the_average_reply() -> None:
    limiter = Limiter(clock=Clock())
    assert limiter.estimate(10, 100) == 110
    assert limiter.estimate(10, None) == 10 + 256
    limiter.release(Permit(0, 0), ok=True, used={"prompt_tokens": 5, "completion_tokens": 40})
    limiter.release(Permit(0, 0), ok=True, used={"prompt_tokens": 5, "completion_tokens": 60})
    assert limiter.estimate(10, None) == 60


def test_a_429_sets_a_shared_cool_down_and_halves_concurrency_once() -> None:
    clock = Clock()
    limiter = Limiter(concurrency=16, clock=clock)
    early = [Permit(clock.now, 0) for _ in range(5)]
    limiter.in_flight = 5
    clock.now += 1
    limiter.release(early[0], ok=False, rate_limited=True, retry_after=2.0)
    assert limiter.limit == 8
    assert limiter.blocked_until(clock.now, 0) == clock.now + 2.0
    for permit in early[1:]:  # the same congestion: started before the halving
        limiter.release(permit, ok=False, rate_limited=True, retry_after=0.5)
    assert limiter.limit == 8
    assert limiter.cooling_until == clock.now + 2.0  # a shorter ask never shortens the cool-down
    clock.now += 3
    limiter.in_flight = 1
    limiter.release(Permit(clock.now, 0), ok=False, rate_limited=True, retry_after=None)  # a new event
    assert limiter.limit == 4
    # No Retry-After: our backoff, one step up for a second congestion event without a success between.
    assert clock.now + 0.5 < limiter.cooling_until <= clock.now + 1.0
    limiter.in_flight = 1
    limiter.release(Permit(clock.now, 0), ok=True)
    clock.now += 5
    limiter.in_flight = 1
    limiter.release(Permit(clock.now, 0), ok=False, rate_limited=True, retry_after=None)
    assert clock.now < limiter.cooling_until <= clock.now + 0.5  # after a success: the first step again


def test_concurrency_grows_back_by_one_per_window_of_successes() -> None:
    clock = Clock()
    limiter = Limiter(concurrency=8, clock=clock)
    before = [Permit(clock.now, 0) for _ in range(7)]
    clock.now += 1
    limiter.in_flight = 1
    limiter.release(Permit(clock.now, 0), ok=False, rate_limited=True, retry_after=0)
    assert limiter.limit == 4
    for permit in before:  # successes of attempts sent before the 429 say nothing about the new level
        limiter.in_flight = 1
        limiter.release(permit, ok=True)
    assert limiter.limit == 4
    seen = []
    for _ in range(4 + 5 + 6 + 7 + 20):
        limiter.in_flight = 1
        limiter.release(Permit(clock.now, 0), ok=True)
        seen.append(limiter.limit)
    assert seen[3] == 5
    assert seen[8] == 6
    assert seen[14] == 7
    assert seen[21] == 8
    assert max(seen) == 8  # never above the configured concurrency


def test_server_budgets_hold_starts_until_their_reset() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock)
    limiter.observe({"remaining_requests": 1, "reset_requests": 3.0}, clock.now)
    assert limiter.blocked_until(clock.now, 0) == clock.now
    limiter._spend(0)
    assert limiter.blocked_until(clock.now, 0) == clock.now + 3.0
    clock.now += 3.0
    assert limiter.blocked_until(clock.now, 0) == clock.now
    limiter.observe({"remaining_tokens": 100, "reset_tokens": 5.0, "limit_tokens": 9999}, clock.now)
    assert limiter.blocked_until(clock.now, 80) == clock.now
    assert limiter.blocked_until(clock.now, 120) == clock.now + 5.0
    limiter.observe({"remaining_requests": 0}, clock.now)  # no reset time: nothing to wait for
    assert limiter.blocked_until(clock.now, 0) == clock.now


def test_pacer_is_plain_arithmetic() -> None:
    pacer = Pacer(per_minute=120)
    pacer.commit(10.0, 2)
    assert pacer.next_at == 11.0
    pacer.correct(-1)
    assert pacer.next_at == 10.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": 2.5}, "concurrency"),
        ({"rpm": 0}, "rpm"),
        ({"tpm": -5}, "tpm"),
        ({"rpm": True}, "rpm"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Limiter(**kwargs)  # type: ignore[arg-type]


async def test_slots_admit_up_to_the_limit_and_survive_cancellation() -> None:
    limiter = Limiter(concurrency=2)
    first, second = await limiter.acquire(), await limiter.acquire()
    third = asyncio.create_task(limiter.acquire())
    fourth = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.01)
    assert not third.done()
    assert not fourth.done()
    assert limiter.in_flight == 2
    third.cancel()
    limiter.release(first, ok=True)
    await asyncio.wait_for(fourth, 5)  # the freed slot went to the waiter that is still there
    assert limiter.in_flight == 2
    limiter.release(second, ok=True)
    limiter.release(fourth.result(), ok=True)
    assert limiter.in_flight == 0


async def test_a_cool_down_is_waited_out_by_every_acquire() -> None:
    limiter = Limiter(concurrency=8)  # halved to 4 by the 429: room for the three below
    permit = await limiter.acquire()
    limiter.release(permit, ok=False, rate_limited=True, retry_after=0.3)
    waiting = [asyncio.create_task(limiter.acquire()) for _ in range(3)]
    await asyncio.sleep(0.1)
    assert not any(task.done() for task in waiting)  # nobody starts during the cool-down
    permits = await asyncio.wait_for(asyncio.gather(*waiting), 5)
    assert all(p.started_at >= limiter.cooling_until for p in permits)
