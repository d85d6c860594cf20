"""haybale: lean chat generators for OpenAI, Azure OpenAI and OpenRouter with Haystack's public API.

The most used names are re-exported here. They load on first access, so ``import haybale`` stays
cheap: nothing heavier than the module you actually touch is imported.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from haybale._version import __version__

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "ChatMessage": "haybale.dataclasses",
    "ChatRole": "haybale.dataclasses",
    "StreamingChunk": "haybale.dataclasses",
    "ToolCall": "haybale.dataclasses",
    "Secret": "haybale.utils",
    "Tool": "haybale.tools",
    "Toolset": "haybale.tools",
    "tool": "haybale.tools",
    "create_tool_from_function": "haybale.tools",
    "component": "haybale.core.component",
    "default_to_dict": "haybale.core.serialization",
    "default_from_dict": "haybale.core.serialization",
    "OpenAIChatGenerator": "haybale.components.generators.chat",
    "AzureOpenAIChatGenerator": "haybale.components.generators.chat",
    "OpenRouterChatGenerator": "haybale.components.generators.chat",
    "print_streaming_chunk": "haybale.components.generators.utils",
}

if TYPE_CHECKING:
    from haybale.components.generators.chat import (
        AzureOpenAIChatGenerator,
        OpenAIChatGenerator,
        OpenRouterChatGenerator,
    )
    from haybale.components.generators.utils import print_streaming_chunk
    from haybale.core.component import component
    from haybale.core.serialization import default_from_dict, default_to_dict
    from haybale.dataclasses import ChatMessage, ChatRole, StreamingChunk, ToolCall
    from haybale.tools import Tool, Toolset, create_tool_from_function, tool
    from haybale.utils import Secret


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'haybale' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "AzureOpenAIChatGenerator",
    "ChatMessage",
    "ChatRole",
    "OpenAIChatGenerator",
    "OpenRouterChatGenerator",
    "Secret",
    "StreamingChunk",
    "Tool",
    "ToolCall",
    "Toolset",
    "__version__",
    "component",
    "create_tool_from_function",
    "default_from_dict",
    "default_to_dict",
    "print_streaming_chunk",
    "tool",
]
