"""ChatMessage -> the Chat Completions message dict (pure).

Shapes sent:

- system / user text: ``{"role", "content": str}``; a user message with images or files, or with
  several text parts, sends a list of content parts (``text``, ``image_url`` with a data URL and
  optional ``detail``, ``file`` with ``file_data`` as a data URL and ``filename``).
- assistant: ``content`` (``""`` when there is no text), ``tool_calls`` with the ids preserved and
  the arguments JSON-encoded, and the reasoning it produced: ``reasoning_content`` (DeepSeek rejects
  the next turn of a thinking model without it; servers that do not know the field ignore it) plus
  ``reasoning_details`` when the reasoning came from OpenRouter (kept in ``ReasoningContent.extra``).
- tool: one ``{"role": "tool", "tool_call_id", "content"}`` message per ToolCallResult (text, or
  text and image parts when the tool returned them).
"""

from __future__ import annotations

import json
from typing import Any

from haybale.core._json_check import json_problem
from haybale.dataclasses import (
    ChatMessage,
    ChatRole,
    FileContent,
    ImageContent,
    ReasoningContent,
    TextContent,
    ToolCall,
    ToolCallResult,
)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def messages_to_wire(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """The ``messages`` array of a request body."""
    wire: list[dict[str, Any]] = []
    for message in messages:
        role = message.role
        if role is ChatRole.TOOL:
            wire.extend(_tool_messages(message))
        elif role is ChatRole.ASSISTANT:
            wire.append(_assistant_message(message))
        elif role is ChatRole.USER:
            wire.append(_user_message(message))
        else:
            wire.append(_named({"role": role.value, "content": _joined_text(message)}, message))
    return wire


def _named(entry: dict[str, Any], message: ChatMessage) -> dict[str, Any]:
    if message.name:
        entry["name"] = message.name
    return entry


def _joined_text(message: ChatMessage) -> str:
    texts = [part.text for part in message._content if isinstance(part, TextContent)]
    return texts[0] if len(texts) == 1 else "\n".join(texts)


def _user_message(message: ChatMessage) -> dict[str, Any]:
    content = message._content
    if len(content) == 1 and isinstance(content[0], TextContent):
        return _named({"role": "user", "content": content[0].text}, message)
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextContent):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImageContent):
            parts.append(_image_part(part))
        elif isinstance(part, FileContent):
            parts.append(_file_part(part))
        else:
            raise ValueError(
                f"A user message cannot carry {type(part).__name__}: only text, images and "
                "files can be sent as user content. Put tool calls in assistant messages and tool "
                "results in tool messages."
            )
    return _named({"role": "user", "content": parts}, message)


def _image_part(image: ImageContent) -> dict[str, Any]:
    url: dict[str, Any] = {"url": f"data:{image.mime_type or 'image/jpeg'};base64,{image.base64_image}"}
    if image.detail:
        url["detail"] = image.detail
    return {"type": "image_url", "image_url": url}


def _file_part(file: FileContent) -> dict[str, Any]:
    # The Chat Completions API only takes PDFs as files, so that is the sensible default type.
    data: dict[str, Any] = {
        "file_data": f"data:{file.mime_type or 'application/pdf'};base64,{file.base64_data}"
    }
    if file.filename:
        data["filename"] = file.filename
    return {"type": "file", "file": data}


def _assistant_message(message: ChatMessage) -> dict[str, Any]:
    entry: dict[str, Any] = {"role": "assistant"}
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    reasoning: ReasoningContent | None = None
    for part in message._content:
        if isinstance(part, TextContent):
            texts.append(part.text)
        elif isinstance(part, ToolCall):
            calls.append(_tool_call(part))
        elif isinstance(part, ReasoningContent):
            reasoning = part
    # Always send content: chat templates of local servers (llama.cpp, vLLM) read it unconditionally,
    # and "" is the one value OpenAI, Ollama and LM Studio all accept beside tool calls (null is not).
    entry["content"] = "\n".join(texts)
    if calls:
        entry["tool_calls"] = calls
    if reasoning is not None:
        entry["reasoning_content"] = reasoning.reasoning_text
        details = reasoning.extra.get("reasoning_details") if reasoning.extra else None
        if details:
            entry["reasoning_details"] = details
    return _named(entry, message)


def _tool_call(call: ToolCall) -> dict[str, Any]:
    if not call.id:
        raise ValueError(
            f"The tool call to {call.tool_name!r} has no id, but the API needs one to match its result. "
            "Pass the ToolCall received from the model (it carries the id), or set ToolCall(id=...)."
        )
    try:
        arguments = _dumps(call.arguments)
    except (TypeError, ValueError, RecursionError) as error:
        found = json_problem(call.arguments)
        if found is None:
            raise
        raise found.error(f"messages: in the tool call to {call.tool_name!r}, arguments") from error
    return {"id": call.id, "type": "function", "function": {"name": call.tool_name, "arguments": arguments}}


def _tool_messages(message: ChatMessage) -> list[dict[str, Any]]:
    results = [part for part in message._content if isinstance(part, ToolCallResult)]
    if not results:
        raise ValueError(
            "A tool message must carry a ToolCallResult: build it with ChatMessage.from_tool(...)."
        )
    wire = []
    for result in results:
        if not result.origin.id:
            raise ValueError(
                f"The result of tool {result.origin.tool_name!r} has an origin ToolCall without id; the API "
                "needs the id to match it. Use the ToolCall received from the model as origin."
            )
        wire.append({"role": "tool", "tool_call_id": result.origin.id, "content": _tool_content(result)})
    return wire


def _tool_content(result: ToolCallResult) -> str | list[dict[str, Any]]:
    if isinstance(result.result, str):
        return result.result
    return [
        {"type": "text", "text": part.text} if isinstance(part, TextContent) else _image_part(part)
        for part in result.result
    ]
