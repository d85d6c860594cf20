"""ChatMessage -> the Chat Completions message dict (pure): the one converter for both callers.

- ``messages_to_wire``: the ``messages`` array of a request haybale sends;
- ``message_to_openai``: ``ChatMessage.to_openai_dict_format``, the shape Haystack users build their
  own requests from.

Both share every part conversion; a request adds what real servers need beyond that shape (marked
"request only" below). Shapes:

- system / user text: ``{"role", "content": str}``; a user message with images or files, or with
  several text parts, has a list of content parts (``text``, ``image_url`` with a data URL and
  optional ``detail``, ``file`` with ``file_data`` as a data URL and a ``filename``, which OpenAI
  requires next to inline data: ``"filename"`` when the part has none).
- assistant: ``content`` (the texts, joined by newlines), ``tool_calls`` with their ids and the
  arguments JSON-encoded. Request only: ``content`` is always sent (``""`` without text: chat templates
  of local servers read it unconditionally, and it is the one value OpenAI, Ollama and LM Studio all
  accept beside tool calls), and the reasoning goes back as ``reasoning_content`` (DeepSeek rejects the
  next turn of a thinking model without it; other servers ignore it) plus OpenRouter's
  ``reasoning_details``. Otherwise, as Haystack: ``meta["refusal"]`` is sent as ``refusal`` (or as a
  refusal content part when there is no text), and ``content`` is ``""`` only when nothing else is.
- tool: one ``{"role": "tool", "tool_call_id", "content"}`` message per ToolCallResult, content
  being the text or a list of text parts. Request only: several results per message, and image and
  file parts in results (servers that take them); as Haystack, otherwise one result per message,
  text only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from haybale._logging import get_logger
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

# requests: no spare bytes, and no NaN/Infinity (not JSON; servers reject or misread them)
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_dumps_spaced = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps' layout, as Haystack writes it
logger = get_logger(__name__)


@dataclass(frozen=True)
class _Style:
    request: bool  # a request haybale sends (True) or Haystack's to_openai_dict_format shape
    require_ids: bool = True


_REQUEST = _Style(request=True)


def messages_to_wire(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """The ``messages`` array of a request body."""
    wire: list[dict[str, Any]] = []
    for message in messages:
        if message.role is ChatRole.TOOL:
            wire.extend(_tool_messages(message, _REQUEST))
        else:
            wire.append(_message(message, _REQUEST))
    return wire


def message_to_openai(message: ChatMessage, *, require_tool_call_ids: bool = True) -> dict[str, Any]:
    """One message in the shape of ``ChatMessage.to_openai_dict_format`` (see the module docstring)."""
    style = _Style(request=False, require_ids=require_tool_call_ids)
    content = message._content
    if message.tool_call_results and len(content) > 1:
        raise ValueError(
            "A message with a ToolCallResult cannot carry other parts in the OpenAI format: build one "
            "tool message per result with ChatMessage.from_tool(...)."
        )
    has_payload = any(not isinstance(part, ReasoningContent) for part in content)
    if not has_payload and message.role is not ChatRole.ASSISTANT:
        raise ValueError(
            f"A {message.role.value} message needs at least one text, tool call, tool result, image or "
            "file part to be sent (only assistant messages may be empty)."
        )
    if message.tool_call_results:
        return _tool_messages(message, style)[0]
    return _message(message, style)


def _message(message: ChatMessage, style: _Style) -> dict[str, Any]:
    role = message.role
    if role is ChatRole.ASSISTANT:
        return _assistant_message(message, style)
    if role is ChatRole.USER:
        return _user_message(message)
    if role is ChatRole.TOOL:  # only reached without results (the request path handles tool messages)
        raise ValueError(
            "A tool message must carry a ToolCallResult: build it with ChatMessage.from_tool(...)."
        )
    return _named({"role": role.value, "content": _joined_text(message)}, message)


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
    data = f"data:{file.mime_type or 'application/pdf'};base64,{file.base64_data}"
    return {"type": "file", "file": {"file_data": data, "filename": file.filename or "filename"}}


def _assistant_message(message: ChatMessage, style: _Style) -> dict[str, Any]:
    entry: dict[str, Any] = {"role": "assistant"}
    texts = [part.text for part in message._content if isinstance(part, TextContent)]
    calls = [_tool_call(part, style) for part in message._content if isinstance(part, ToolCall)]
    if texts or style.request:
        entry["content"] = "\n".join(texts)
    if not style.request:
        _add_refusal(entry, message, has_calls=bool(calls))
    if calls:
        entry["tool_calls"] = calls
    if "content" not in entry and not calls:
        entry["content"] = ""  # the API refuses a message with neither
    reasoning = message.reasoning
    if style.request and reasoning is not None:
        entry["reasoning_content"] = reasoning.reasoning_text
        details = reasoning.extra.get("reasoning_details") if reasoning.extra else None
        if details:
            entry["reasoning_details"] = details
    return _named(entry, message)


def _add_refusal(entry: dict[str, Any], message: ChatMessage, *, has_calls: bool) -> None:
    refusal = message.meta.get("refusal")
    if not isinstance(refusal, str) or not refusal:  # any other value is ordinary meta
        return
    if has_calls:
        # OpenAI ignores the tool calls of a message that refuses, then rejects their results
        logger.warning("The refusal of an assistant message with tool calls is not sent: the calls are.")
        return
    if "content" in entry:
        entry["refusal"] = refusal
    else:
        entry["content"] = [{"type": "refusal", "refusal": refusal}]


def _tool_call(call: ToolCall, style: _Style) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if call.id:
        entry["id"] = call.id
    elif style.require_ids:
        raise ValueError(
            f"The tool call to {call.tool_name!r} has no id, but the API needs one to match its result. "
            "Pass the ToolCall received from the model (it carries the id), or set ToolCall(id=...)."
        )
    entry["type"] = "function"
    dumps = _dumps if style.request else _dumps_spaced
    try:
        arguments = dumps(call.arguments)
    except (TypeError, ValueError, RecursionError) as error:
        found = json_problem(call.arguments)
        if found is None:
            raise
        raise found.error(f"messages: in the tool call to {call.tool_name!r}, arguments") from error
    entry["function"] = {"name": call.tool_name, "arguments": arguments}
    return entry


def _tool_messages(message: ChatMessage, style: _Style) -> list[dict[str, Any]]:
    results = [part for part in message._content if isinstance(part, ToolCallResult)]
    if not results:
        raise ValueError(
            "A tool message must carry a ToolCallResult: build it with ChatMessage.from_tool(...)."
        )
    wire = []
    for result in results:
        entry: dict[str, Any] = {"role": "tool"}
        if result.origin.id:
            entry["tool_call_id"] = result.origin.id
        elif style.require_ids:
            raise ValueError(
                f"The result of tool {result.origin.tool_name!r} has an origin ToolCall without id; the API "
                "needs the id to match it. Use the ToolCall received from the model as origin."
            )
        entry["content"] = _tool_content(result, style)
        wire.append(entry)
    return wire


def _tool_content(result: ToolCallResult, style: _Style) -> str | list[dict[str, Any]]:
    if isinstance(result.result, str):
        return result.result
    parts: list[dict[str, Any]] = []
    for part in result.result:
        if isinstance(part, TextContent):
            parts.append({"type": "text", "text": part.text})
        elif not style.request:
            raise ValueError(
                f"A tool result with {type(part).__name__} parts has no OpenAI dict format (Chat "
                "Completions tool messages hold text only). haybale's generators send them to servers "
                "that accept them; for this format, describe the image or file in text."
            )
        elif isinstance(part, ImageContent):
            parts.append(_image_part(part))
        else:
            parts.append(_file_part(part))
    return parts
