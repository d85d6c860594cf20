"""The limiter: how many requests may be in flight, and when the next one may start.

Every attempt of every row asks for a ``Permit`` (``acquire``) and hands it back with its outcome
(``release``). Four rules decide, each named after what it protects against:

- **Concurrency** (AIMD): at most ``limit`` attempts in flight. A 429 halves ``limit`` (once per
  congestion event: a 429 from an attempt that started before the last halving does not halve
  again); each run of ``limit`` successes of attempts started since adds one back, up to the
  configured concurrency.
- **Pacing** (``rpm``/``tpm``): starts are spread evenly, one request every 60/rpm seconds, and a
  request estimated at ``n`` tokens holds the next start back by n * 60/tpm seconds. So no 60-second
  window ever sees more than rpm starts (or tpm tokens, estimates corrected by the reported usage)
  and no second sees a burst. Retries are starts like any other.
- **Shared cool-down**: on a 429 nobody starts until it is over: the server's Retry-After when it
  sent one (followed, however long), else an exponential backoff over consecutive 429s.
- **Server budgets**: the ``remaining``/``reset`` counts of ``x-ratelimit-*`` headers (see
  ``haybale._wire.rate_limits``). When the server says no request (or too few tokens) is left before
  its reset, starts wait for the reset.

Time comes from ``clock`` (monotonic seconds) so the rules can be tested without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from haybale._wire._retry import backoff_delay

# Until replies report usage, a request without a max_tokens cap is assumed to produce this many.
_FIRST_OUTPUT_GUESS = 256
_NEVER = float("-inf")


@dataclass(slots=True)
class Permit:
    """One attempt's right to be in flight: when it started and the tokens it was charged."""

    started_at: float
    tokens: int


class RowLimiter(Protocol):
    """What ``run_row`` needs of a limiter: ``Limiter`` here, or the Ray runner's cluster-wide one."""

    def estimate(self, prompt_tokens: int, max_output_tokens: int | None) -> int: ...

    async def acquire(self, tokens: int = 0) -> Permit: ...

    def release(
        self,
        permit: Permit,
        *,
        ok: bool,
        rate_limited: bool = False,
        retry_after: float | None = None,
        used: Mapping[str, object] | None = None,
        rate_limit: Mapping[str, float] | None = None,
    ) -> None: ...


class Pacer:
    """Even spacing for a budget of ``per_minute`` units (requests or tokens) per minute (pure)."""

    def __init__(self, per_minute: float) -> None:
        self.seconds_per_unit = 60.0 / per_minute
        self.next_at = _NEVER

    def commit(self, start: float, units: float) -> None:
        """Record a start at ``start`` costing ``units``: the next may start that much later."""
        self.next_at = start + units * self.seconds_per_unit

    def correct(self, units: float) -> None:
        """A start cost ``units`` more (or, negative, fewer) than it was charged."""
        self.next_at += units * self.seconds_per_unit


@dataclass(slots=True)
class _Budget:
    remaining: float
    reset_at: float


class Limiter:
    """Concurrency, pacing, cool-down and server budgets for one run (see the module docstring)."""

    def __init__(
        self,
        concurrency: int = 16,
        rpm: float | None = None,
        tpm: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_count("concurrency", concurrency)
        _check_positive("rpm", rpm)
        _check_positive("tpm", tpm)
        self.max_concurrency = concurrency
        self.limit = concurrency
        self.in_flight = 0
        self.cooling_until = _NEVER
        self.clock = clock
        self._requests = Pacer(rpm) if rpm else None
        self._tokens = Pacer(tpm) if tpm else None
        self._request_budget: _Budget | None = None
        self._token_budget: _Budget | None = None
        self._successes = 0
        self._halved_at = _NEVER
        self._rate_limited_in_a_row = 0  # congestion events without a success between them
        self._output_tokens = (0, 0)  # (sum, count) of reported completion tokens, for estimates
        self._waiters: deque[asyncio.Future[None]] = deque()

    # -- asking -----------------------------------------------------------------------------------

    def estimate(self, prompt_tokens: int, max_output_tokens: int | None) -> int:
        """Tokens to charge a request: its prompt plus its cap, else the average reply so far."""
        if max_output_tokens is not None:
            return prompt_tokens + max_output_tokens
        total, count = self._output_tokens
        return prompt_tokens + (round(total / count) if count else _FIRST_OUTPUT_GUESS)

    async def acquire(self, tokens: int = 0) -> Permit:
        """Wait for a free slot and a start time; the caller must ``release`` the permit."""
        await self._take_slot()
        try:
            start = await self._wait_for_start(tokens)
        except BaseException:
            self._free_slot()
            raise
        return Permit(start, tokens)

    async def reserve_starts(self, tokens: Sequence[int]) -> list[float]:
        """Reserve a start for each request (estimated at ``tokens[i]``), in order, once no cool-down
        holds them back; returns the seconds from now until each. The caller waits for them and
        takes no slot: this is how the Ray runner's keeper paces starts made on other machines."""
        now = self.clock()
        while (until := self.blocked_until(now, 0)) > now:
            await asyncio.sleep(until - now)
            now = self.clock()
        delays = []
        for count in tokens:
            delays.append(self._reserve(now, count) - now)
            self._spend(count)
        return delays

    def correct_tokens(self, tokens: float) -> None:
        """Requests used ``tokens`` more (negative: fewer) than they were charged."""
        if self._tokens is not None:
            self._tokens.correct(tokens)

    async def _wait_for_start(self, tokens: int) -> float:
        while True:
            now = self.clock()
            blocked_until = self.blocked_until(now, tokens)
            if blocked_until > now:
                await asyncio.sleep(blocked_until - now)
                continue
            start = self._reserve(now, tokens)
            if start > now:
                await asyncio.sleep(start - now)
                now = self.clock()
                if self.blocked_until(now, tokens) > now:
                    continue  # a 429 (or an empty budget) came while we waited: that comes first
            self._spend(tokens)
            return start

    def blocked_until(self, now: float, tokens: int) -> float:
        """When the cool-down and the server's budgets next allow a start (``now`` if they do)."""
        until = max(now, self.cooling_until)
        budget = self._request_budget
        if budget is not None and budget.remaining < 1 and budget.reset_at > now:
            until = max(until, budget.reset_at)
        budget = self._token_budget
        if budget is not None and budget.remaining < tokens and budget.reset_at > now:
            until = max(until, budget.reset_at)
        return until

    def _reserve(self, now: float, tokens: int) -> float:
        requests, token_pacer = self._requests, self._tokens
        start = now
        if requests is not None:
            start = max(start, requests.next_at)
        if token_pacer is not None:
            start = max(start, token_pacer.next_at)
        if requests is not None:
            requests.commit(start, 1)
        if token_pacer is not None:
            token_pacer.commit(start, tokens)
        return start

    def _spend(self, tokens: int) -> None:
        if self._request_budget is not None:
            self._request_budget.remaining -= 1
        if self._token_budget is not None:
            self._token_budget.remaining -= tokens

    # -- answering --------------------------------------------------------------------------------

    def release(
        self,
        permit: Permit,
        *,
        ok: bool,
        rate_limited: bool = False,
        retry_after: float | None = None,
        used: Mapping[str, object] | None = None,
        rate_limit: Mapping[str, float] | None = None,
    ) -> None:
        """Hand ``permit`` back with what happened: success, a 429 (with Retry-After), usage, headers."""
        now = self.clock()
        self._free_slot()
        if rate_limit:
            self.observe(rate_limit, now)
        if used is not None:
            self._correct_tokens(permit, used)
        if rate_limited:
            self._on_rate_limited(permit, retry_after, now)
        elif ok and permit.started_at >= self._halved_at:
            # Only attempts started at the reduced level say whether the server copes with it.
            self._on_success()

    def observe(self, rate_limit: Mapping[str, float], now: float) -> None:
        """Follow the server's ``remaining``/``reset`` counts (keys as in a reply's meta["rate_limit"])."""
        if "remaining_requests" in rate_limit and "reset_requests" in rate_limit:
            reset_at = now + rate_limit["reset_requests"]
            self._request_budget = _Budget(rate_limit["remaining_requests"], reset_at)
        if "remaining_tokens" in rate_limit and "reset_tokens" in rate_limit:
            reset_at = now + rate_limit["reset_tokens"]
            self._token_budget = _Budget(rate_limit["remaining_tokens"], reset_at)

    def _correct_tokens(self, permit: Permit, usage: Mapping[str, object]) -> None:
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if not isinstance(prompt, int) or not isinstance(completion, int):
            return
        total, count = self._output_tokens
        self._output_tokens = (total + completion, count + 1)
        self.correct_tokens(prompt + completion - permit.tokens)

    def _on_rate_limited(self, permit: Permit, retry_after: float | None, now: float) -> None:
        if permit.started_at >= self._halved_at:  # a new congestion event, not an echo of the last
            self.limit = max(1, self.limit // 2)
            self._halved_at = now
            self._successes = 0
            self._rate_limited_in_a_row += 1
        steps = max(0, self._rate_limited_in_a_row - 1)
        delay = retry_after if retry_after is not None else backoff_delay(steps)
        self.cooling_until = max(self.cooling_until, now + delay)

    def _on_success(self) -> None:
        self._rate_limited_in_a_row = 0
        if self.limit >= self.max_concurrency:
            return
        self._successes += 1
        if self._successes >= self.limit:
            self.limit += 1
            self._successes = 0
            self._wake()

    # -- the concurrency slots --------------------------------------------------------------------

    async def _take_slot(self) -> None:
        while self.in_flight >= self.limit:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # we were woken but cannot use it: pass it on
                else:
                    self._waiters.remove(waiter)
                raise
        self.in_flight += 1

    def _free_slot(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        free = self.limit - self.in_flight
        while free > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1


def _check_positive(name: str, value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def check_count(name: str, value: object) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
