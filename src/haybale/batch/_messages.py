"""A row's ``messages`` value -> ``list[ChatMessage]``.

Rows come from files people write by hand or export from elsewhere, so three shapes are read:

- OpenAI's message format: ``{"role": "user", "content": "Hi"}``, content as a string or a list of
  ``{"type": "text" | "image_url", ...}`` parts, assistant ``tool_calls`` and ``tool`` messages with
  ``tool_call_id``; ``developer`` is sent as a system message (haybale's roles have no developer);
- ``ChatMessage.to_dict()`` output, haybale's or Haystack's (content parts without a ``type``);
- ``ChatMessage`` objects themselves (rows given in Python).

Anything else raises ``ValueError`` with a message naming the message's position and the fix; the
caller turns it into that row's error.
"""

from __future__ import annotations

import json
from typing import Any

from haybale.dataclasses import ChatMessage, ImageContent, TextContent, ToolCall

_CHAT_MESSAGE_PART_KEYS = frozenset({"text", "tool_call", "tool_call_result", "reasoning", "image", "file"})


def messages_from_value(value: Any) -> list[ChatMessage]:
    """The conversation a row holds (a list, or its JSON text as CSV cells carry it)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError("messages is text but not JSON: give a JSON list of messages") from None
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(
            f"messages must be a non-empty list of messages, got {_kind(value)}; "
            'e.g. [{"role": "user", "content": "Hi"}]'
        )
    messages: list[ChatMessage] = []
    calls: dict[str, str] = {}  # tool call id -> tool name, for OpenAI tool messages
    for position, item in enumerate(value):
        try:
            message = _one(item, calls)
        except (ValueError, TypeError, KeyError) as error:
            raise ValueError(f"messages[{position}]: {error}") from None
        for call in message.tool_calls:
            if call.id:
                calls[call.id] = call.tool_name
        messages.append(message)
    return messages


def _kind(value: Any) -> str:
    return "an empty list" if isinstance(value, list | tuple) else type(value).__name__


def _one(item: Any, calls: dict[str, str]) -> ChatMessage:
    if isinstance(item, ChatMessage):
        return item
    if not isinstance(item, dict):
        raise TypeError(f"a message must be an object with 'role' and 'content', got {type(item).__name__}")
    if _is_chat_message_dict(item):
        return ChatMessage.from_dict(item)
    return _from_openai(item, calls)


def _is_chat_message_dict(item: dict[str, Any]) -> bool:
    if "_role" in item or "meta" in item:
        return True
    content = item.get("content")
    return (
        isinstance(content, list)
        and bool(content)
        and all(
            isinstance(part, dict) and "type" not in part and part.keys() & _CHAT_MESSAGE_PART_KEYS
            for part in content
        )
    )


def _from_openai(item: dict[str, Any], calls: dict[str, str]) -> ChatMessage:
    role = item.get("role")
    name = item.get("name")
    content = item.get("content")
    if role in ("system", "developer"):
        return ChatMessage.from_system(_text_of(content), name=name)
    if role == "user":
        if isinstance(content, str):
            return ChatMessage.from_user(content, name=name)
        return ChatMessage.from_user(content_parts=_user_parts(content), name=name)
    if role == "assistant":
        text = _text_of(content) if content is not None else None
        tool_calls = [_tool_call(call) for call in item.get("tool_calls") or ()]
        return ChatMessage.from_assistant(text or None, name=name, tool_calls=tool_calls or None)
    if role == "tool":
        call_id = item.get("tool_call_id")
        if not isinstance(call_id, str):
            raise ValueError("a tool message needs 'tool_call_id' (the id of the call it answers)")
        origin = ToolCall(tool_name=calls.get(call_id, ""), arguments={}, id=call_id)
        return ChatMessage.from_tool(_text_of(content), origin=origin)
    raise ValueError(f"unknown role {role!r}: use 'system', 'developer', 'user', 'assistant' or 'tool'")


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(_part_text(part) for part in content)
    raise TypeError(f"content must be a string or a list of text parts, got {type(content).__name__}")


def _part_text(part: Any) -> str:
    if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
        return str(part["text"])
    raise ValueError(f"only text parts are allowed here, got {part!r:.100}")


def _user_parts(content: Any) -> list[TextContent | ImageContent]:
    if not isinstance(content, list):
        raise TypeError(f"content must be a string or a list of parts, got {type(content).__name__}")
    parts: list[TextContent | ImageContent] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            parts.append(TextContent(_part_text(part)))
        elif kind == "image_url":
            parts.append(_image(part.get("image_url") or {}))
        else:
            raise ValueError(f"unsupported content part {part!r:.100}: use 'text' or 'image_url' parts")
    return parts


def _image(image_url: dict[str, Any]) -> ImageContent:
    url = str(image_url.get("url") or "")
    head, _, data = url.partition(",")
    if not (head.startswith("data:") and head.endswith(";base64")):
        raise ValueError("an image_url must be a data: URL with base64 data (web addresses are not fetched)")
    mime_type = head[len("data:") : -len(";base64")] or None
    return ImageContent(base64_image=data, mime_type=mime_type, detail=image_url.get("detail"))


def _tool_call(call: Any) -> ToolCall:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ValueError(f"a tool call needs function.name, got {call!r:.100}")
    arguments = function.get("arguments") or {}
    if isinstance(arguments, str):
        arguments = json.loads(arguments) if arguments.strip() else {}
    return ToolCall(tool_name=function["name"], arguments=arguments, id=call.get("id"))
