"""Crossing between sync and async tool functions without importing asyncio at import time."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any


def run_blocking(coroutine_function: Callable[..., Awaitable[Any]], kwargs: dict[str, Any]) -> Any:
    """Run ``coroutine_function(**kwargs)`` to completion from sync code and return its result."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_call(coroutine_function, kwargs))
    # This thread already runs a loop, which asyncio.run refuses to nest in: use a fresh thread
    # (with a loop of its own). The calling loop waits meanwhile, which invoke_async would avoid.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _call(coroutine_function, kwargs)).result()


async def _call(coroutine_function: Callable[..., Awaitable[Any]], kwargs: dict[str, Any]) -> Any:
    return await coroutine_function(**kwargs)


async def run_in_thread(function: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """Run a blocking function in the default executor, keeping the event loop responsive."""
    import asyncio

    return await asyncio.to_thread(functools.partial(function, **kwargs))
