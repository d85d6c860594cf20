"""The chat generators: OpenAI, Azure OpenAI and OpenRouter, and the streams their ``stream()`` and
``stream_async()`` return (``ChatStream``, ``AsyncChatStream``).

Each class is imported on first access, so ``from ... import OpenAIChatGenerator`` does not pay for
the Azure and OpenRouter modules.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from haybale._wire.chat_stream import AsyncChatStream, ChatStream
    from haybale.components.generators.chat.azure import AzureOpenAIChatGenerator
    from haybale.components.generators.chat.openai import OpenAIChatGenerator
    from haybale.components.generators.chat.openrouter import OpenRouterChatGenerator

_MODULES = {
    "AsyncChatStream": "haybale._wire.chat_stream",
    "ChatStream": "haybale._wire.chat_stream",
    "AzureOpenAIChatGenerator": "haybale.components.generators.chat.azure",
    "OpenAIChatGenerator": "haybale.components.generators.chat.openai",
    "OpenRouterChatGenerator": "haybale.components.generators.chat.openrouter",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULES])


__all__ = [
    "AsyncChatStream",
    "AzureOpenAIChatGenerator",
    "ChatStream",
    "OpenAIChatGenerator",
    "OpenRouterChatGenerator",
]
