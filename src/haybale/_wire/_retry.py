"""When to retry a failed request, and how long to wait first (pure; no I/O): ``RetryPolicy``.

A pause the server asks for (``retry-after-ms``, ``Retry-After`` in seconds or as an HTTP date) is
honoured whatever its length, as long as it fits in what is left of the call's time budget (the
generator's ``timeout``); past it the transport fails at once, with the pause on the error's
``retry_after``, instead of knocking again before the server is ready. Without such a header the
transport uses its own jittered exponential backoff.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from time import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from haybale.errors import APIStatusError

BASE_DELAY = 0.5
MAX_DELAY = 8.0


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


class RetryPolicy:
    """How many attempts a call gets and how long to wait between them.

    ``max_retries`` attempts after the first; ``budget`` seconds of waiting in all for pauses the
    server asks for (see the module docstring); ``never_retry`` names errors the caller knows are
    final whatever their status (a server reporting a validation error as 500, say).
    """

    __slots__ = ("budget", "max_retries", "never_retry")

    def __init__(
        self,
        max_retries: int,
        budget: float,
        never_retry: Callable[[APIStatusError], bool] | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.budget = budget
        self.never_retry = never_retry

    def delay(self, attempt: int, error: Exception, waited: float) -> float | None:
        """Seconds to wait before retry ``attempt`` (0-based) after ``error``, or None to give up.

        ``waited`` is what this call has already spent waiting between attempts.
        """
        from haybale.errors import APIStatusError, is_transient

        if attempt >= self.max_retries or not is_transient(error):
            return None
        if isinstance(error, APIStatusError):
            if self.never_retry is not None and self.never_retry(error):
                return None
            if error.retry_after is not None:
                # the server will not be ready within our budget: better to say so now
                return error.retry_after if waited + error.retry_after <= self.budget else None
        return backoff_delay(attempt)
