"""Benchmark client: haystack-ai's OpenAIChatGenerator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from _common import Peer, in_haystack_pipeline, main


def _generator(url: str) -> tuple[Any, list[Any]]:
    from haystack.components.generators.chat import OpenAIChatGenerator
    from haystack.dataclasses import ChatMessage
    from haystack.utils import Secret

    generator = OpenAIChatGenerator(api_key=Secret.from_token("bench-key"), model="bench", api_base_url=url)
    return generator, [ChatMessage.from_user("Say hello.")]


def sync_calls(url: str) -> tuple[Callable[[], str], Callable[[], tuple[int, str, str | None]]]:
    generator, messages = _generator(url)

    def call() -> str:
        return generator.run(messages)["replies"][0].text or ""

    def stream() -> tuple[int, str, str | None]:
        parts: list[str] = []

        def on_chunk(chunk: Any) -> None:
            if chunk.content:
                parts.append(chunk.content)

        reply = generator.run(messages, streaming_callback=on_chunk)["replies"][0].text
        return len(parts), "".join(parts), reply

    return call, stream


def async_call(url: str) -> Callable[[], Awaitable[str]]:
    generator, messages = _generator(url)

    async def call() -> str:
        return (await generator.run_async(messages))["replies"][0].text or ""

    return call


def pipeline_call(url: str) -> Callable[[], str]:
    from haystack.components.generators.chat import OpenAIChatGenerator
    from haystack.utils import Secret

    generator = OpenAIChatGenerator(api_key=Secret.from_token("bench-key"), model="bench", api_base_url=url)
    return in_haystack_pipeline(generator)


if __name__ == "__main__":
    main(Peer(sync_calls, async_call, pipeline_call))
