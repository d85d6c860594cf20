"""Benchmark client: a pydantic-ai ``Agent`` on an OpenAI-compatible chat model pointed at the server.

Streaming uses ``run_stream_sync`` (the sync counterpart of ``run_stream``, as the phase is sync for
every peer) and ``stream_text(delta=True, debounce_by=None)``: by default pydantic-ai groups the
deltas of each 0.1 s, which would hide the per-chunk cost the phase measures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from _common import Peer, main

PROMPT = "Say hello."


def _agent(url: str) -> Any:
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    provider = OpenAIProvider(base_url=url, api_key="bench-key")
    return Agent(OpenAIChatModel("bench", provider=provider))


def sync_calls(url: str) -> tuple[Callable[[], str], Callable[[], tuple[int, str, str | None]]]:
    agent = _agent(url)

    def call() -> str:
        return str(agent.run_sync(PROMPT).output)

    def stream() -> tuple[int, str, str | None]:
        result = agent.run_stream_sync(PROMPT)
        parts = [text for text in result.stream_text(delta=True, debounce_by=None) if text]
        return len(parts), "".join(parts), str(result.get_output())

    return call, stream


def async_call(url: str) -> Callable[[], Awaitable[str]]:
    agent = _agent(url)

    async def call() -> str:
        return str((await agent.run(PROMPT)).output)

    return call


if __name__ == "__main__":
    main(Peer(sync_calls, async_call))
