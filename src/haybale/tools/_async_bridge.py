"""Crossing between sync and async tool functions without importing asyncio at import time."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

_ORIGIN_ATTR = "__haybale_async_origin__"


def sync_wrapper(coroutine_function: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """A blocking function that runs ``coroutine_function`` to completion and returns its result."""

    @functools.wraps(coroutine_function)
    def run_blocking(*args: Any, **kwargs: Any) -> Any:
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(_call(coroutine_function, args, kwargs))
        # a loop already runs in this thread: asyncio.run would refuse, so use a fresh thread
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, _call(coroutine_function, args, kwargs)).result()

    setattr(run_blocking, _ORIGIN_ATTR, coroutine_function)
    return run_blocking


async def _call(
    coroutine_function: Callable[..., Awaitable[Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    return await coroutine_function(*args, **kwargs)


def async_origin(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]] | None:
    """The coroutine function behind a ``sync_wrapper`` (None for any other function)."""
    return getattr(function, _ORIGIN_ATTR, None)


async def run_in_thread(function: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """Run a blocking function in the default executor, keeping the event loop responsive."""
    import asyncio

    return await asyncio.to_thread(functools.partial(function, **kwargs))
