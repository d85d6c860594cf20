"""Argument checks and setting lookups shared by the chat generators (cheap; no I/O)."""

from __future__ import annotations

import os
from typing import Any

from haybale.dataclasses import ChatMessage
from haybale.errors import ConfigurationError
from haybale.tools import Tool, ToolsType, flatten_tools_or_toolsets
from haybale.utils import Secret


def as_messages(messages: Any) -> list[ChatMessage]:
    if isinstance(messages, str):
        return [ChatMessage.from_user(messages)]
    if isinstance(messages, ChatMessage):
        return [messages]
    if not isinstance(messages, list | tuple):
        raise TypeError(
            f"messages must be a list of ChatMessage (or a string), got {type(messages).__name__}. "
            "Build messages with ChatMessage.from_user(...) / from_system(...)."
        )
    for position, message in enumerate(messages):
        if not isinstance(message, ChatMessage):
            raise TypeError(
                f"messages[{position}] is a {type(message).__name__}, not a ChatMessage. "
                "Wrap text with ChatMessage.from_user(...) (or another ChatMessage constructor)."
            )
    return list(messages)


def check_tools(tools: ToolsType | None) -> list[Tool]:
    if not tools:
        return []
    flat = flatten_tools_or_toolsets(tools)
    names = [tool.name for tool in flat]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(
            f"Duplicate tool names: {', '.join(duplicates)}. "
            "Each tool needs a unique name: rename or drop one."
        )
    return flat


def check_streamable(generation_kwargs: dict[str, Any]) -> None:
    n = generation_kwargs.get("n")
    if isinstance(n, int) and n > 1:
        raise ValueError(
            f"Streaming returns a single reply, but generation_kwargs has n={n}. "
            "Remove the streaming callback (or use stream() without n), or set n=1."
        )


def check_secret(name: str, value: Any, env_var: str) -> None:
    if value is not None and not isinstance(value, Secret):
        raise TypeError(
            f"{name} must be a Secret, not a plain {type(value).__name__} (so it is never serialized by "
            f"accident): use {name}=Secret.from_token('...') or Secret.from_env_var('{env_var}')."
        )


def check_headers(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict of header names to values, got {type(value).__name__}.")


def check_init(
    api_key: Any,
    generation_kwargs: Any,
    streaming_callback: Any,
    timeout: Any,
    max_retries: Any,
    http_client_kwargs: Any,
    *,
    key_env_var: str,
) -> None:
    check_secret("api_key", api_key, key_env_var)
    if generation_kwargs is not None and not isinstance(generation_kwargs, dict):
        raise TypeError(f"generation_kwargs must be a dict, got {type(generation_kwargs).__name__}.")
    if streaming_callback is not None and not callable(streaming_callback):
        raise TypeError("streaming_callback must be a function that takes a StreamingChunk.")
    if streaming_callback is not None and generation_kwargs:
        check_streamable(generation_kwargs)
    if timeout is not None and not (isinstance(timeout, int | float) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}.")
    if max_retries is not None and not (isinstance(max_retries, int) and max_retries >= 0):
        raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}.")
    if http_client_kwargs is not None:
        if not isinstance(http_client_kwargs, dict):
            raise TypeError(
                "http_client_kwargs must be a dict of httpx2.Client arguments, "
                f"got {type(http_client_kwargs).__name__}."
            )
        from haybale._http import check_keys

        check_keys(http_client_kwargs)


def env_number(name: str, value: float | None, default: float, kind: type[float] | type[int]) -> Any:
    """``value`` if given, else the environment variable ``name``, else ``default``."""
    if value is not None:
        return value
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return kind(default)
    try:
        return kind(raw)
    except ValueError:
        raise ConfigurationError(
            f"The environment variable {name}={raw!r} is not a valid {kind.__name__}: set it to a number "
            f"or unset it to use the default ({default})."
        ) from None
