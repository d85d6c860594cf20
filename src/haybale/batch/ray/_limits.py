"""The Ray runner's limits: concurrency in each worker, the shared parts once for the whole cluster.

One ``RateKeeper`` actor holds what must see every request of the job: the even pacing of
``rpm``/``tpm`` and the shared cool-down after a 429 (with the server's Retry-After). Each worker's
``ClusterLimiter`` keeps the rest of the local runner's ``Limiter`` to itself: its concurrency,
halved on the 429s it meets and grown back on successes, and the server's ``x-ratelimit`` budgets,
which every worker reads from the headers of its own replies.

Why a keeper rather than splitting rpm/tpm evenly between workers: a split wastes the budget while
workers are unevenly busy (the last blocks of a dataset, a slow replica) and keeps a 429 to the
worker that met it. Why not a keeper call per request: a first version asked it for every start
and told it every outcome, and those two calls cost more CPU than the request itself (about 1 ms in
the worker and 1 ms in the keeper per row, 8x the local runner's whole cost). So the keeper is
asked as little as the rules allow:

- **Cool-down**: a worker that meets a 429 tells the keeper at once (``cool_down``); before a start,
  a worker whose copy of the cluster's cool-down is older than ``SYNC_SECONDS`` fetches it
  (``sync``, which also carries its token corrections). A 429 holds every worker within about that.
- **Pacing** (only with ``rpm``/``tpm``): the keeper reserves starts on its pacers for all the
  requests waiting in a worker at once (``grant``: one round trip for many), and each request waits
  for its own start in its worker. Starts are reserved on the keeper's clock and waited for on the
  worker's, so other nodes' clocks do not matter; the round trip only makes a start later, never
  earlier. A worker that dies holds nothing: the keeper counts no slots.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from haybale.batch._limiter import Limiter, Permit

SYNC_SECONDS = 0.1  # how stale a worker's copy of the cluster's cool-down may be before a start
_UNCOUNTED = 1 << 30  # the keeper paces starts; it does not count requests in flight
_NEVER = float("-inf")


class RateKeeper:
    """The cluster's pacing and cool-down; run as a Ray actor (``keeper_actor``)."""

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self._limiter = Limiter(_UNCOUNTED, rpm, tpm)

    async def grant(self, tokens: Sequence[int]) -> list[float]:
        """Reserve a start for each request (estimated at ``tokens[i]``): seconds until each."""
        return await self._limiter.reserve_starts(tokens)

    def cool_down(self, seconds: float) -> None:
        """A worker met a 429: nobody starts for ``seconds``."""
        limiter = self._limiter
        limiter.cooling_until = max(limiter.cooling_until, limiter.clock() + seconds)

    def sync(self, token_correction: float) -> float:
        """Take a worker's token corrections (used minus charged); return ``cooling_for()``."""
        self._limiter.correct_tokens(token_correction)
        return self.cooling_for()

    def cooling_for(self) -> float:
        """Seconds left of the shared cool-down (0 when there is none)."""
        return max(0.0, self._limiter.cooling_until - self._limiter.clock())


def keeper_actor(rpm: float | None, tpm: float | None) -> Any:
    """Start a ``RateKeeper`` actor on the connected cluster; returns its handle."""
    import ray

    # Every worker may have a grant or a sync waiting at once.
    options = {"num_cpus": 0, "max_concurrency": 10_000}
    return ray.remote(RateKeeper).options(**options).remote(rpm, tpm)


class ClusterLimiter:
    """A worker's limiter (a ``RowLimiter``); see the module docstring. ``paced``: whether the job
    has an rpm or tpm, i.e. whether starts must be granted by the keeper."""

    def __init__(self, keeper: Any, concurrency: int, *, paced: bool) -> None:
        self._local = Limiter(concurrency)
        self._keeper = keeper
        self._paced = paced
        self._waiting: list[tuple[int, asyncio.Future[float]]] = []  # requests waiting for a grant
        self._granting: asyncio.Task[None] | None = None
        self._syncing: asyncio.Task[None] | None = None
        self._synced_at = _NEVER
        self._token_correction = 0.0

    def estimate(self, prompt_tokens: int, max_output_tokens: int | None) -> int:
        return self._local.estimate(prompt_tokens, max_output_tokens)

    async def acquire(self, tokens: int = 0) -> Permit:
        permit = await self._local.acquire(tokens)  # a slot, past this worker's own cool-down
        try:
            if self._local.clock() - self._synced_at >= SYNC_SECONDS:
                if self._syncing is None:
                    self._syncing = asyncio.ensure_future(self._sync())
                await asyncio.shield(self._syncing)  # one sync for every request that needs it
            start = await self._granted(tokens) if self._paced else _NEVER
            await self._wait_until(start, tokens)
        except BaseException:
            self._local.release(permit, ok=False)
            raise
        # AIMD compares start times on the local clock: the attempt starts now.
        return Permit(self._local.clock(), tokens)

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
        local = self._local
        local.release(
            permit,
            ok=ok,
            rate_limited=rate_limited,
            retry_after=retry_after,
            used=used,
            rate_limit=rate_limit,
        )
        if self._paced and used is not None:
            prompt, completion = used.get("prompt_tokens"), used.get("completion_tokens")
            if isinstance(prompt, int) and isinstance(completion, int):
                self._token_correction += prompt + completion - permit.tokens
        if rate_limited:  # fire and forget: the other workers learn it at their next sync
            self._keeper.cool_down.remote(max(0.0, local.cooling_until - local.clock()))

    async def _sync(self) -> None:
        try:
            correction, self._token_correction = self._token_correction, 0.0
            cooling_for = await self._keeper.sync.remote(correction)
            now = self._local.clock()
            self._local.cooling_until = max(self._local.cooling_until, now + cooling_for)
            self._synced_at = now
        finally:
            self._syncing = None

    async def _granted(self, tokens: int) -> float:
        """The start the keeper reserves for this request (local clock)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting.append((tokens, future))
        if self._granting is None:
            self._granting = asyncio.ensure_future(self._grant_waiting())
        return await future

    async def _grant_waiting(self) -> None:
        """Ask for the starts of every waiting request in one call, until none is waiting."""
        batch: list[tuple[int, asyncio.Future[float]]] = []
        try:
            while self._waiting:
                batch, self._waiting = [item for item in self._waiting if not item[1].done()], []
                if not batch:
                    continue
                delays = await self._keeper.grant.remote([tokens for tokens, _ in batch])
                now = self._local.clock()
                for (_, future), delay in zip(batch, delays, strict=True):
                    if not future.done():
                        future.set_result(now + delay)
        except BaseException as error:  # the keeper is gone: the waiting requests fail with it
            for _, future in [*batch, *self._waiting]:
                if not future.done():
                    future.cancel() if isinstance(error, asyncio.CancelledError) else future.set_exception(
                        error
                    )
        finally:
            self._granting = None

    async def _wait_until(self, start: float, tokens: int) -> None:
        """Wait for ``start`` and for any cool-down or empty budget (one may come meanwhile)."""
        while True:
            now = self._local.clock()
            until = max(start, self._local.blocked_until(now, tokens))
            if until <= now:
                return
            await asyncio.sleep(until - now)
