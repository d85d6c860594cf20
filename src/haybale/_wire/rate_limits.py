"""Rate-limit facts and the request id from a reply's headers (pure; no I/O).

OpenAI, Azure OpenAI, OpenRouter and Groq send ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``.
Limits and remaining counts are plain numbers; the reset times differ: OpenAI and Groq write Go-style
durations (``"1s"``, ``"6m0s"``, ``"20ms"``, ``"2m59.56s"``), others a plain number of seconds. Both
become seconds (float), so a bulk client can wait for them without knowing who sent them.

``reply_meta`` is what every non-streamed reply carries in its meta: ``rate_limit`` (only the keys the
server sent) and ``request_id`` (when the server named the request).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from haybale._wire._http_errors import request_id

# header -> (meta key, parser); the key names say what each number means.
_COUNTS = {
    "x-ratelimit-limit-requests": "limit_requests",
    "x-ratelimit-remaining-requests": "remaining_requests",
    "x-ratelimit-limit-tokens": "limit_tokens",
    "x-ratelimit-remaining-tokens": "remaining_tokens",
}
_RESETS = {
    "x-ratelimit-reset-requests": "reset_requests",
    "x-ratelimit-reset-tokens": "reset_tokens",
}

_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
# One "<number><unit>" part of a Go duration; longer units first so "ms" is not read as "m" + "s".
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|ns|h|m|s)")


def parse_duration(text: str) -> float | None:
    """Seconds from ``"6m0s"``/``"20ms"``/``"1h2m3.5s"`` or a plain number of seconds; None if unreadable."""
    text = text.strip()
    seconds: float | None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _go_duration(text)
    if seconds is None or seconds != seconds or seconds < 0:  # unreadable, NaN or negative
        return None
    return seconds


def _go_duration(text: str) -> float | None:
    total, position = 0.0, 0
    for match in _PART.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    return total if position == len(text) and position > 0 else None


def _count(text: str) -> int | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return int(value) if value == value and value >= 0 else None  # drops NaN and negatives


def parse_rate_limits(headers: Mapping[str, str]) -> dict[str, float]:
    """The ``x-ratelimit-*`` facts in ``headers`` (only those present and readable)."""
    found: dict[str, float] = {}
    for header, key in _COUNTS.items():
        raw = headers.get(header)
        if raw is not None and (count := _count(raw)) is not None:
            found[key] = count
    for header, key in _RESETS.items():
        raw = headers.get(header)
        if raw is not None and (seconds := parse_duration(raw)) is not None:
            found[key] = seconds
    return found


def reply_meta(headers: Mapping[str, str]) -> dict[str, Any]:
    """``rate_limit`` and ``request_id`` for a reply's meta, each only when the server sent it."""
    meta: dict[str, Any] = {}
    limits = parse_rate_limits(headers)
    if limits:
        meta["rate_limit"] = limits
    named = request_id(headers)
    if named:
        meta["request_id"] = named
    return meta
