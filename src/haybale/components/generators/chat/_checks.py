"""Argument checks and setting lookups shared by the chat generators (cheap; no I/O)."""

from __future__ import annotations

import math
import os
from typing import Any

from haybale._wire.endpoint import header_safe
from haybale.core._json_check import json_problem
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


# The characters HTTP allows in a header name (RFC 9110 "token").
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def check_headers(name: str, value: Any, *, any_value: bool = False) -> None:
    """Header names and values HTTP can carry; values are never echoed (they may be credentials).

    ``any_value``: values may be of any type and are sent as ``str(value)`` (OpenRouter's extra_headers).
    """
    if value is None:
        return
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict of header names to values, got {type(value).__name__}.")
    for header, content in value.items():
        if not isinstance(header, str) or not header or not set(header) <= _TOKEN_CHARS:
            raise ValueError(
                f"{name} has the header name {header!r}, which HTTP does not allow: "
                "use letters, digits and '-', e.g. 'X-Title'."
            )
        if not any_value and not isinstance(content, str):
            raise TypeError(f"{name}[{header!r}] must be a str, got {type(content).__name__}.")
        header_safe(str(content), f"{name}[{header!r}]")


def check_text(name: str, value: Any, *, optional: bool = False, example: str) -> None:
    """A non-empty string (or None when ``optional``)."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string such as {example!r}, got {type(value).__name__}.")
    if not value.strip():
        raise ValueError(f"{name} is empty: pass a name such as {example!r}.")


def check_url_type(name: str, value: Any) -> None:
    """A string or None, checked at construction (the URL's form is checked by ``check_url``)."""
    if value is not None and not isinstance(value, str):
        raise TypeError(
            f"{name} must be a URL string such as 'https://api.openai.com/v1', got {type(value).__name__}."
        )


def check_url(name: str, value: Any, *, show: bool = True) -> None:
    """An http(s) URL without whitespace; None is allowed (the provider's default is used).

    Called when the endpoint is made (warm_up or the first call), not at construction: Haystack
    builds generators with placeholder URLs in tests and saved pipelines, and those must still load.
    Before the first request is enough to spare the caller an error from the HTTP stack (retried
    as if the server were down).
    """
    check_url_type(name, value)
    if value is None:
        return
    scheme, _, rest = value.partition("://")
    if (
        scheme.lower() not in ("http", "https")
        or not rest.strip("/")
        or any(c.isspace() or not c.isprintable() for c in value)
    ):
        got = f", got {value!r}" if show else ""
        raise ConfigurationError(
            f"{name} must be an http:// or https:// URL such as 'https://api.openai.com/v1' (no spaces){got}."
        )


def check_flag(name: str, value: Any, *, optional: bool = False) -> None:
    if (value is None and optional) or isinstance(value, bool):
        return
    raise TypeError(f"{name} must be True or False, got {value!r}.")


def check_generation_kwargs(value: Any) -> None:
    """A dict whose values can all be sent as JSON (a pydantic ``response_format`` is converted later)."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise TypeError(
            f"generation_kwargs must be a dict such as {{'temperature': 0.2}}, got {type(value).__name__}."
        )
    sendable = {k: v for k, v in value.items() if not (k == "response_format" and isinstance(v, type))}
    found = json_problem(sendable)
    if found is not None:
        raise found.error("generation_kwargs")


def check_call_kwargs(value: Any) -> None:
    """The per-call ``generation_kwargs`` type; their values are checked when the body is encoded."""
    if value is not None and not isinstance(value, dict):
        raise TypeError(
            "generation_kwargs passed to run()/stream() must be a dict such as {'temperature': 0.2}, "
            f"got {type(value).__name__}."
        )


def check_timeout(name: str, value: Any) -> None:
    # bool is an int: timeout=True would silently mean one second
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value > 0)
    ):
        raise ValueError(f"{name} must be a positive, finite number of seconds such as 30.0, got {value!r}.")


def check_retries(name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0 such as 3, got {value!r}.")


def check_target(model: Any, api_base_url: Any, organization: Any, tools_strict: Any) -> None:
    """The init arguments that say where requests go and what they ask for."""
    check_text("model", model, example="gpt-5-mini")
    check_url_type("api_base_url", api_base_url)
    check_text("organization", organization, optional=True, example="org-...")
    if organization is not None:
        header_safe(organization, "organization")
    check_flag("tools_strict", tools_strict)


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
    check_generation_kwargs(generation_kwargs)
    if streaming_callback is not None and not callable(streaming_callback):
        raise TypeError("streaming_callback must be a function that takes a StreamingChunk.")
    if streaming_callback is not None and generation_kwargs:
        check_streamable(generation_kwargs)
    check_timeout("timeout", timeout)
    check_retries("max_retries", max_retries)
    if http_client_kwargs is not None:
        if not isinstance(http_client_kwargs, dict):
            raise TypeError(
                "http_client_kwargs must be a dict of httpx2.Client arguments, "
                f"got {type(http_client_kwargs).__name__}."
            )
        from haybale._http import check_keys

        check_keys(http_client_kwargs)
        headers = http_client_kwargs.get("headers")
        if isinstance(headers, dict):  # the backends also take other shapes; those they check themselves
            check_headers("http_client_kwargs['headers']", headers)


def env_url(name: str) -> str | None:
    """The URL in the environment variable ``name`` (checked), or None when it is unset or empty."""
    value = os.environ.get(name) or None
    check_url(f"The environment variable {name}", value)
    return value


def env_number(name: str, value: float | None, default: float, kind: type[float] | type[int]) -> Any:
    """``value`` if given, else the environment variable ``name``, else ``default``."""
    if value is not None:
        return value
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return kind(default)
    try:
        number = kind(raw)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number) or number < 0 or (kind is float and number == 0):
        raise ConfigurationError(
            f"The environment variable {name}={raw!r} is not a valid {kind.__name__}: set it to a "
            f"{'positive' if kind is float else 'whole'} number, or unset it to use the default ({default})."
        )
    return number
