"""Sending one row: ``run_row(generator, row, limiter)``, the unit of work of every runner.

The request goes through the generator's ``run_async``, so the wire layer's rules (request building,
fallbacks for refused fields, reply parsing, error classes) apply unchanged. Only *where* retries
happen moves: the runner sends with a copy of the generator whose transport does not retry
(``batch_generator``) and retries here instead, up to the same budget (``retry_budget``: the
generator's ``max_retries``, else ``OPENAI_MAX_RETRIES``, else 5) and by the same rule of what is
transient (``errors.is_transient``). That is what lets a 429 be seen by the limiter at once: every
worker waits out one shared cool-down and concurrency halves, instead of a hundred requests each
sleeping and retrying on their own while new ones keep hitting the limit. Each retry is a new
attempt through the limiter, so pacing counts it too. A pause the server asks for is followed
however long it is (a bulk job can wait; the transport gives up on pauses past its timeout).
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

from haybale._wire._retry import backoff_delay
from haybale._wire.call import names_refused_field
from haybale._wire.rate_limits import parse_rate_limits
from haybale.batch._limiter import Limiter, Permit, RowLimiter
from haybale.batch._results import BatchResult, RowError
from haybale.batch._rows import RowRequest
from haybale.errors import APIStatusError, is_transient

_NO_REPLY = RowError("APIResponseError", "the server answered without any reply (empty 'choices')")


def batch_generator(generator: Any, concurrency: int = 0) -> Any:
    """The copy of ``generator`` a runner sends with: no transport retries, no streaming callback.

    Replies then come whole, with their rate-limit headers, and each failure reaches ``run_row``.
    With more than 100 requests in flight (the transport's default pool), the pool grows to
    ``concurrency`` connections, unless the generator sets its own ``limits``: a request waiting for
    a connection would otherwise spend its timeout in the queue. The copy has its own connections
    (close them with ``close_async()``); the caller's generator is left untouched. Objects that are
    not haybale generators are used as they are.
    """
    from haybale._http._options import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_KEEPALIVE
    from haybale.components.generators.chat import OpenAIChatGenerator

    if not isinstance(generator, OpenAIChatGenerator):
        return generator
    clone = copy.copy(generator)
    clone.max_retries = 0
    clone.streaming_callback = None
    client_kwargs = dict(generator.http_client_kwargs or {})
    if "limits" not in client_kwargs and concurrency > DEFAULT_MAX_CONNECTIONS:
        client_kwargs["limits"] = {
            "max_connections": concurrency,
            "max_keepalive_connections": DEFAULT_MAX_KEEPALIVE,
        }
        clone.http_client_kwargs = client_kwargs
    clone._client = None  # a fresh client, built on first use from the settings above
    return clone


def retry_budget(generator: Any) -> int:
    """How often a failed attempt is retried: what the generator's own transport would do."""
    from haybale.components.generators.chat import OpenAIChatGenerator

    if not isinstance(generator, OpenAIChatGenerator):
        return 0
    # _make_transport is the generators' hook for retry settings (env variables included).
    max_retries: int = generator._make_transport("openai").retry.max_retries
    return max_retries


async def run_row(
    generator: Any, row: RowRequest, limiter: RowLimiter | None = None, *, retries: int = 0
) -> BatchResult:
    """Send ``row`` (retrying transient failures up to ``retries`` times) and return its result.

    Never raises for a failed request: the failure is the result's ``error``. Cancellation
    propagates (the row then has no result and a later run sends it again).
    """
    if row.error is not None or row.messages is None:
        return _result(row, None, row.error or _NO_REPLY, 0, 0.0)
    limiter = limiter if limiter is not None else Limiter(concurrency=1 << 30)
    tokens = limiter.estimate(row.prompt_tokens, row.max_output_tokens)
    attempts, started = 0, 0.0
    while True:
        permit = await limiter.acquire(tokens)
        if not attempts:
            started = time.perf_counter()
        attempts += 1
        try:
            result = await generator.run_async(row.messages, generation_kwargs=row.generation_kwargs)
        except Exception as error:
            delay = _after_failure(limiter, permit, error, attempt=attempts, retries=retries)
            if delay is None:
                return _result(row, None, RowError.from_exception(error), attempts, started)
            await asyncio.sleep(delay)
            continue
        except BaseException:
            limiter.release(permit, ok=False)
            raise
        replies = result.get("replies") if isinstance(result, dict) else None
        reply = replies[0] if replies else None
        meta = reply.meta if reply is not None else {}
        usage, rate_limit = meta.get("usage"), meta.get("rate_limit")
        limiter.release(permit, ok=reply is not None, used=usage, rate_limit=rate_limit)
        return _result(row, reply, None if reply is not None else _NO_REPLY, attempts, started)


def _after_failure(
    limiter: RowLimiter, permit: Permit, error: Exception, *, attempt: int, retries: int
) -> float | None:
    """Tell the limiter about failed attempt number ``attempt`` (1-based); return the pause before
    the next one, or None to give up. What is worth retrying is the transport's rule
    (``errors.is_transient``), minus refusals of a field the client already fell back from."""
    retry_after: float | None = None
    if isinstance(error, APIStatusError):
        retry_after = error.retry_after
        limiter.release(
            permit,
            ok=False,
            rate_limited=error.status_code == 429,
            retry_after=retry_after,
            rate_limit=parse_rate_limits(error.headers),
        )
        if error.status_code == 429 and is_transient(error) and attempt <= retries:
            return 0.0  # the shared cool-down is the pause: acquire() waits it out
        if names_refused_field(error):
            return None
    else:
        limiter.release(permit, ok=False)
    if attempt > retries or not is_transient(error):
        return None
    # A bulk job can afford the pause a server asks for, however long (the transport gives up on
    # pauses past its timeout).
    return retry_after if retry_after is not None else backoff_delay(attempt - 1)


def _result(
    row: RowRequest, reply: Any, error: RowError | None, attempts: int, started: float
) -> BatchResult:
    latency = time.perf_counter() - started if attempts else 0.0
    return BatchResult(row.id, reply, error, attempts, latency, row.request_hash, row.kept)
