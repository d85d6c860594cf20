"""Loggers that import ``logging`` only when something is logged.

haybale logs rarely (a retry, a fallback, a malformed tool call), while ``logging`` and what it
pulls in (traceback, linecache, tokenize...) cost about 5 ms of import that importing a generator
should not pay up front. A deferred logger looks the real one up on each use, so handlers, levels
and pytest's caplog behave exactly as with ``logging.getLogger(name)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import logging


class _DeferredLogger:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        import logging

        return getattr(logging.getLogger(self._name), attribute)


def get_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)``, without importing ``logging`` until the first message."""
    return cast("logging.Logger", _DeferredLogger(name))
