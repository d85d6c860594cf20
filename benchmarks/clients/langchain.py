"""Benchmark client: langchain-openai's ChatOpenAI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from _common import Peer, main

PROMPT = "Say hello."


def _model(url: str) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model="bench", api_key="bench-key", base_url=url, max_retries=0)


def _text(message: Any) -> str:
    content = message.content
    return content if isinstance(content, str) else str(content)


def sync_calls(url: str) -> tuple[Callable[[], str], Callable[[], tuple[int, str, str | None]]]:
    model = _model(url)

    def call() -> str:
        return _text(model.invoke(PROMPT))

    def stream() -> tuple[int, str, str | None]:
        count, parts = 0, []
        for chunk in model.stream(PROMPT):
            if chunk.content:
                count += 1
                parts.append(_text(chunk))
        return count, "".join(parts), None

    return call, stream


def async_call(url: str) -> Callable[[], Awaitable[str]]:
    model = _model(url)

    async def call() -> str:
        return _text(await model.ainvoke(PROMPT))

    return call


if __name__ == "__main__":
    main(Peer(sync_calls, async_call))
