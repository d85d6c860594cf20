"""Benchmark client: litellm's ``completion`` / ``acompletion``, the server as an OpenAI-compatible model.

``openai/bench`` with ``api_base`` is how litellm is pointed at any OpenAI-compatible endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from _common import Peer, main

MESSAGES: list[Any] = [{"role": "user", "content": "Say hello."}]


def _options(url: str) -> dict[str, Any]:
    return {"model": "openai/bench", "api_base": url, "api_key": "bench-key", "messages": MESSAGES}


def sync_calls(url: str) -> tuple[Callable[[], str], Callable[[], tuple[int, str, str | None]]]:
    import litellm

    options = _options(url)

    def call() -> str:
        return litellm.completion(**options).choices[0].message.content or ""

    def stream() -> tuple[int, str, str | None]:
        count, parts = 0, []
        for chunk in litellm.completion(**options, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                count += 1
                parts.append(chunk.choices[0].delta.content)
        return count, "".join(parts), None

    return call, stream


def async_call(url: str) -> Callable[[], Awaitable[str]]:
    import litellm

    options = _options(url)

    async def call() -> str:
        reply = await litellm.acompletion(**options)
        return reply.choices[0].message.content or ""

    return call


if __name__ == "__main__":
    main(Peer(sync_calls, async_call))
