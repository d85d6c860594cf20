"""Benchmark client: the official openai SDK used directly (``chat.completions.create``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from _common import Peer, main

MESSAGES: list[Any] = [{"role": "user", "content": "Say hello."}]


def sync_calls(url: str) -> tuple[Callable[[], str], Callable[[], tuple[int, str, str | None]]]:
    from openai import OpenAI

    client = OpenAI(api_key="bench-key", base_url=url, max_retries=0)

    def call() -> str:
        return (
            client.chat.completions.create(model="bench", messages=MESSAGES).choices[0].message.content or ""
        )

    def stream() -> tuple[int, str, str | None]:
        count, parts = 0, []
        for chunk in client.chat.completions.create(model="bench", messages=MESSAGES, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                count += 1
                parts.append(chunk.choices[0].delta.content)
        return count, "".join(parts), None

    return call, stream


def async_call(url: str) -> Callable[[], Awaitable[str]]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(api_key="bench-key", base_url=url, max_retries=0)

    async def call() -> str:
        reply = await client.chat.completions.create(model="bench", messages=MESSAGES)
        return reply.choices[0].message.content or ""

    return call


if __name__ == "__main__":
    main(Peer(sync_calls, async_call))
