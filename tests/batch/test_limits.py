"""The limits as the server sees them: request timestamps and requests in flight.

Only lower bounds on time are asserted (a request must not start before ...): a slow machine can
make a run longer, never make these fail.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

from echo import Echo, prompts
from haybale.batch import BatchProgress, run_batch
from rowfiles import prompt_rows


def arrivals(fake_server: Any) -> list[float]:
    return sorted(request.received_at for request in fake_server.requests)


def most_in_any_window(times: list[float], seconds: float, weights: list[float] | None = None) -> float:
    weights = weights or [1.0] * len(times)
    return max(
        sum(w for t, w in zip(times, weights, strict=True) if start <= t < start + seconds) for start in times
    )


def test_rpm_paces_starts_evenly(fake_server: Any, make_generator: Any, tmp_path: Path) -> None:
    fake_server.respond_with(Echo())
    rpm = 240  # one start every 0.25 s
    summary = run_batch(make_generator(), prompt_rows(12), tmp_path / "out.jsonl", concurrency=8, rpm=rpm)
    assert summary.succeeded == 12
    times = arrivals(fake_server)
    assert most_in_any_window(times, 1.0) <= math.ceil(rpm / 60) + 1  # never a burst
    for seconds in (2.0, 2.5):  # and no longer window holds more than its share (+1 for its edges)
        assert most_in_any_window(times, seconds) <= seconds * rpm / 60 + 1


def test_tpm_paces_by_tokens_corrected_by_usage(
    fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(usage=(20, 30)))  # every reply reports 50 tokens
    tpm = 6000  # 100 tokens per second
    rows = [{**row, "generation_kwargs": {"max_tokens": 30}} for row in prompt_rows(8)]
    run_batch(make_generator(), rows, tmp_path / "out.jsonl", concurrency=8, tpm=tpm)
    times = arrivals(fake_server)
    tokens_per_request = 50
    assert most_in_any_window(times, 1.0) * tokens_per_request <= tpm / 60 + tokens_per_request
    # Estimated at ~40 tokens (prompt + max_tokens), corrected to 50: gaps of at least 0.35 s (the
    # first start is left out: opening the first connection may delay it).
    assert times[-1] - times[1] >= 6 * 0.35


def test_after_a_429_with_retry_after_nobody_starts_for_that_long(
    fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(faults={"row 0": ["429"]}, retry_after=2, delay=0.3))
    summary = run_batch(make_generator(max_retries=2), prompt_rows(12), tmp_path / "out.jsonl", concurrency=4)
    assert (summary.succeeded, summary.failed) == (12, 0)
    requests = sorted(fake_server.requests, key=lambda request: request.received_at)
    limited = next(r for r in requests if prompts([r]) == ["row 0"])
    assert requests.index(limited) < 4  # one of the first four, sent together
    later = requests[4:]
    assert later, "the other rows must have been sent after the cool-down"
    assert min(r.received_at for r in later) >= limited.received_at + 2.0
    assert max(r.in_flight for r in later[:2]) <= 2  # and the limit went from 4 to 2


def test_concurrency_halves_on_a_429_and_grows_back(
    fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(faults={"row 24": ["429"]}, retry_after=0.3, delay=0.1))
    limits: list[int] = []

    class Record:
        def update(self, counts: BatchProgress) -> None:
            assert counts.limiter is not None
            limits.append(counts.limiter.limit)

        def close(self, counts: BatchProgress) -> None:
            pass

    run_batch(
        make_generator(max_retries=1),
        prompt_rows(80),
        tmp_path / "out.jsonl",
        concurrency=8,
        progress=lambda c: Record(),
    )
    assert limits[0] == 8
    low = limits.index(4)
    assert max(limits[:low]) == 8
    assert 8 in limits[low:]  # grew back to the full concurrency, one step per window of successes
    steps = [b - a for a, b in zip(limits[low:], limits[low + 1 :], strict=False) if b != a]
    assert set(steps) == {1}

    requests = sorted(fake_server.requests, key=lambda request: request.received_at)
    limited = next(r for r in requests if prompts([r]) == ["row 24"])
    before = [r for r in requests if r.received_at < limited.received_at]
    after = [r for r in requests if r.received_at >= limited.received_at + 0.3]
    assert max(r.in_flight for r in before) == 8
    assert max(r.in_flight for r in after[:4]) <= 4
    assert max(r.in_flight for r in after[-30:]) >= 6


def test_rate_limit_headers_hold_starts_until_their_reset(
    fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "800ms"}
    fake_server.respond_with(Echo(headers=headers))
    run_batch(make_generator(), prompt_rows(3), tmp_path / "out.jsonl", concurrency=1)
    times = arrivals(fake_server)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.8  # each reply said: none left for 0.8 s


def test_token_headers_hold_a_request_that_would_not_fit(
    fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    headers = {"x-ratelimit-remaining-tokens": "50", "x-ratelimit-reset-tokens": "0.8"}
    fake_server.respond_with(Echo(headers=headers))
    rows = [{**row, "generation_kwargs": {"max_tokens": 100}} for row in prompt_rows(3)]
    run_batch(make_generator(), rows, tmp_path / "out.jsonl", concurrency=1)
    times = arrivals(fake_server)
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.8


def test_concurrency_above_the_default_pool_really_runs_in_parallel(
    fake_server: Any, make_generator: Any, tmp_path: Path
) -> None:
    fake_server.respond_with(Echo(delay=0.5))
    generator = make_generator()
    summary = run_batch(generator, prompt_rows(150), tmp_path / "out.jsonl", concurrency=150)
    assert summary.succeeded == 150
    assert max(request.in_flight for request in fake_server.requests) > 100  # the pool grew past 100
    assert generator.http_client_kwargs is None  # on the runner's copy, not on the caller's generator
