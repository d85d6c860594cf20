"""The Ray runner's limits: concurrency in each worker, everything else once for the whole cluster.

One ``RateKeeper`` actor holds the ``Limiter`` rules that must see every request of the job: the
even pacing of ``rpm``/``tpm``, the shared cool-down after a 429 (with the server's Retry-After) and
the server's ``x-ratelimit`` budgets. Each worker's ``ClusterLimiter`` keeps its own concurrency
(with the AIMD halving on 429s it sees) and asks the keeper for every start, so one worker's 429
pauses all of them, and the rpm holds however unevenly the rows are spread.

Why a keeper rather than splitting rpm/tpm evenly between workers: a split wastes the budget while
workers are unevenly busy (the last blocks of a dataset, a slow replica) and keeps a 429 to the
worker that met it. The keeper costs one round trip per attempt (about a millisecond), small next to
a model call. All waiting happens in the keeper, on its clock, so the clocks of other nodes do not
matter. A worker that dies with attempts in flight leaves nothing held: the keeper counts no slots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from haybale.batch._limiter import Limiter, Permit

_UNCOUNTED = 1 << 30  # the keeper paces starts; it does not count requests in flight


class RateKeeper:
    """The cluster's pacing, cool-down and server budgets; run as a Ray actor (``keeper_actor``)."""

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self._limiter = Limiter(_UNCOUNTED, rpm, tpm)

    async def start(self, tokens: int) -> tuple[float, int]:
        """Wait until a request of ``tokens`` may start; returns its permit as a tuple."""
        permit = await self._limiter.acquire(tokens)
        return permit.started_at, permit.tokens

    def finish(
        self,
        permit: tuple[float, int],
        ok: bool,
        rate_limited: bool,
        retry_after: float | None,
        used: Mapping[str, object] | None,
        rate_limit: Mapping[str, float] | None,
    ) -> None:
        """What became of a started request (see ``Limiter.release``)."""
        self._limiter.release(
            Permit(*permit),
            ok=ok,
            rate_limited=rate_limited,
            retry_after=retry_after,
            used=used,
            rate_limit=rate_limit,
        )

    def cooling_for(self) -> float:
        """Seconds left of the shared cool-down (0 when there is none)."""
        return max(0.0, self._limiter.cooling_until - self._limiter.clock())


def keeper_actor(rpm: float | None, tpm: float | None) -> Any:
    """Start a ``RateKeeper`` actor on the connected cluster; returns its handle."""
    import ray

    # Every attempt in flight on the cluster may be waiting in start() at once.
    options = {"num_cpus": 0, "max_concurrency": 100_000}
    return ray.remote(RateKeeper).options(**options).remote(rpm, tpm)


@dataclass(slots=True)
class ClusterPermit(Permit):
    """A worker's permit and the keeper's permit for the same attempt."""

    keeper_permit: tuple[float, int] = (0.0, 0)


class ClusterLimiter:
    """A worker's limiter (``RowLimiter``): local concurrency, the keeper for every start."""

    def __init__(self, keeper: Any, concurrency: int) -> None:
        self._local = Limiter(concurrency)
        self._keeper = keeper

    def estimate(self, prompt_tokens: int, max_output_tokens: int | None) -> int:
        return self._local.estimate(prompt_tokens, max_output_tokens)

    async def acquire(self, tokens: int = 0) -> Permit:
        local = await self._local.acquire(tokens)
        try:
            started_at, charged = await self._keeper.start.remote(tokens)
        except BaseException:
            self._local.release(local, ok=False)
            raise
        # AIMD compares start times on the local clock: the attempt starts now, after the keeper.
        return ClusterPermit(self._local.clock(), tokens, (started_at, charged))

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
        self._local.release(
            permit,
            ok=ok,
            rate_limited=rate_limited,
            retry_after=retry_after,
            used=used,
            rate_limit=rate_limit,
        )
        if isinstance(permit, ClusterPermit):
            # Fire and forget: nobody waits for the keeper to take note.
            self._keeper.finish.remote(permit.keeper_permit, ok, rate_limited, retry_after, used, rate_limit)
