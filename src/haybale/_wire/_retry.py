"""When to retry a failed request, and how long to wait first (pure; no I/O).

A pause the server asks for (``retry-after-ms``, ``Retry-After`` in seconds or as an HTTP date) is
honoured whatever its length, as long as it fits in what is left of the call's time budget (the
generator's ``timeout``); past it the transport fails at once, with the pause on the error's
``retry_after``, instead of knocking again before the server is ready. Without such a header the
transport uses its own jittered exponential backoff.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from time import time

BASE_DELAY = 0.5
MAX_DELAY = 8.0

_RETRIED_STATUSES = frozenset({408, 409, 429})


def status_is_retryable(status: int, headers: Mapping[str, str]) -> bool:
    """Whether a non-2xx answer is worth another attempt; ``x-should-retry`` overrides the status rule."""
    verdict = headers.get("x-should-retry")
    if verdict == "true":
        return True
    if verdict == "false":
        return False
    return status in _RETRIED_STATUSES or status >= 500


def server_delay(headers: Mapping[str, str] | None) -> float | None:
    """The pause in seconds the server asked for (``retry-after-ms`` or ``Retry-After``), if any."""
    if not headers:
        return None
    delay: float | None = None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            delay = float(millis) / 1000.0
        except ValueError:
            delay = None
    if delay is None:
        delay = _parse_retry_after(headers.get("retry-after"))
    if delay is None or not 0.0 <= delay < float("inf"):  # NaN and negative values ask for nothing
        return None
    return delay


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - time()
    except (TypeError, ValueError, IndexError):
        return None


def backoff_delay(retry_index: int) -> float:
    """Seconds to wait before retry number ``retry_index`` (0-based) when the server named no pause.

    Exponential backoff with partial jitter, so many clients hitting the same limit spread out.
    """
    ceiling = min(BASE_DELAY * 2.0**retry_index, MAX_DELAY)
    return ceiling * (1.0 - 0.25 * random.random())
