"""A Chat Completions message dict -> ChatMessage (pure): ``ChatMessage.from_openai_dict_format``.

The reverse of ``messages``: it reads what that module writes, and what OpenAI-compatible clients
and servers send. Tool-call arguments go through the response parser (``response.parse_arguments``),
so they are read exactly as in a reply: ``""``, null or a missing value mean ``{}``, a dict is taken
as is, and text that is not a JSON object keeps the call, with the raw text in
``ToolCall.extra["raw_arguments"]``. A reply's reasoning fields (``reasoning_content``,
``reasoning``, ``reasoning_details``) are read back too.

User content parts must be ``text``, ``image_url`` with a base64 data URL, or ``file`` with inline
``file_data``: web URLs and uploaded-file ids have no ChatMessage equivalent and are refused.
"""

from __future__ import annotations

from typing import Any, TypeVar

from haybale._wire.response import parse_arguments, reasoning_from
from haybale.dataclasses import ChatMessage, FileContent, ImageContent, TextContent, ToolCall

M = TypeVar("M", bound=ChatMessage)
_ROLES = ("assistant", "user", "system", "developer", "tool")


def message_from_openai(cls: type[M], message: Any) -> M:
    """The ChatMessage (of class ``cls``) that an OpenAI-format message dict describes."""
    role, content = _checked(message)
    name = message.get("name")
    if role == "assistant":
        return _assistant(cls, message, content, name)
    if role == "user":
        if isinstance(content, str):
            return cls.from_user(text=content, name=name)  # type: ignore[return-value]
        return cls.from_user(content_parts=_user_parts(content), name=name)  # type: ignore[return-value]
    if role in ("system", "developer"):  # ChatMessage has no developer role: it is a system message
        text = content if isinstance(content, str) else _joined(content, role, ("text",))["text"]
        return cls.from_system(text=text, name=name)  # type: ignore[return-value]
    result: Any = content
    if isinstance(content, list):
        result = [TextContent(text) for text in _texts(content, "tool", ("text",))]
    origin = ToolCall(tool_name="", arguments={}, id=message.get("tool_call_id"))
    return cls.from_tool(tool_result=result, origin=origin)  # type: ignore[return-value]


def _checked(message: Any) -> tuple[str, Any]:
    if not isinstance(message, dict):
        raise TypeError(f"An OpenAI message must be a dict, got {type(message).__name__}.")
    if "role" not in message:
        raise ValueError(f"An OpenAI message needs a 'role' (one of {', '.join(_ROLES)}): {message!r:.200}")
    role, content = message["role"], message.get("content")
    if role not in _ROLES:
        raise ValueError(f"Unknown role {role!r} in an OpenAI message: use one of {', '.join(_ROLES)}.")
    if content is not None and not isinstance(content, str | list):
        raise ValueError(f"'content' must be a string or a list of parts, got {type(content).__name__}.")
    if role == "assistant":
        calls = message.get("tool_calls") or []
        if not content and content != "" and not calls and not message.get("refusal"):
            raise ValueError("An assistant message needs 'content', 'tool_calls' or a 'refusal'.")
        if any(not isinstance(call, dict) or "function" not in call for call in calls):
            raise ValueError("Each entry of 'tool_calls' needs a 'function' with the name and arguments.")
    elif not content:
        raise ValueError(f"A {role} message needs a non-empty 'content'.")
    return role, content


def _assistant(cls: type[M], message: dict[str, Any], content: Any, name: Any) -> M:
    calls = [_tool_call(call) for call in message.get("tool_calls") or ()]
    text = content
    refusals = [message["refusal"]] if isinstance(message.get("refusal"), str) and message["refusal"] else []
    if isinstance(content, list):
        joined = _joined(content, "assistant", ("text", "refusal"))
        text = joined.get("text")
        if "refusal" in joined:
            refusals.append(joined["refusal"])
    meta = {"refusal": "\n".join(dict.fromkeys(refusals))} if refusals else None  # each refusal once
    reasoning = reasoning_from(
        message.get("reasoning_content") or message.get("reasoning"), message.get("reasoning_details")
    )
    return cls.from_assistant(  # type: ignore[return-value]
        text=text, meta=meta, name=name, tool_calls=calls or None, reasoning=reasoning
    )


def _tool_call(call: dict[str, Any]) -> ToolCall:
    function = call["function"]
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ValueError(f"A tool call's 'function' needs a 'name': {call!r:.200}")
    arguments, extra = parse_arguments([function.get("arguments")], function["name"])
    return ToolCall(tool_name=function["name"], arguments=arguments, id=call.get("id"), extra=extra)


def _texts(content: list[Any], role: str, kinds: tuple[str, ...]) -> list[str]:
    return [text for _, text in _typed_texts(content, role, kinds)]


def _typed_texts(content: list[Any], role: str, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    found = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in kinds or not isinstance(part.get(kind), str):
            allowed = " or ".join(f"{{'type': '{k}', '{k}': str}}" for k in kinds)
            raise ValueError(f"A {role} message's content parts must be {allowed}; got {part!r:.200}")
        found.append((kind, part[kind]))
    return found


def _joined(content: list[Any], role: str, kinds: tuple[str, ...]) -> dict[str, str]:
    """The texts of each kind, newline-joined (the format sends a single text for these roles)."""
    by_kind: dict[str, list[str]] = {}
    for kind, text in _typed_texts(content, role, kinds):
        by_kind.setdefault(kind, []).append(text)
    return {kind: "\n".join(texts) for kind, texts in by_kind.items()}


def _user_parts(content: list[Any]) -> list[TextContent | ImageContent | FileContent]:
    parts: list[TextContent | ImageContent | FileContent] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            parts.append(TextContent(part["text"]))
        elif kind == "image_url" and isinstance(part.get("image_url"), dict):
            mime_type, data = _data_url(part["image_url"].get("url"))
            parts.append(ImageContent(data, mime_type=mime_type, detail=part["image_url"].get("detail")))
        elif kind == "file" and isinstance(part.get("file"), dict) and part["file"].get("file_data"):
            mime_type, data = _data_url(part["file"]["file_data"])
            parts.append(FileContent(data, mime_type=mime_type, filename=part["file"].get("filename")))
        else:
            raise ValueError(
                "A user message's content parts must be text, image_url with a base64 data URL, or file "
                f"with inline file_data (uploaded file ids cannot be converted); got {part!r:.200}"
            )
    return parts


def _data_url(url: Any) -> tuple[str | None, str]:
    """(MIME type or None, base64 text) of ``data:<type>;base64,<data>``."""
    if not isinstance(url, str) or not url.startswith("data:") or ";base64," not in url:
        raise ValueError(
            f"Only base64 data URLs ('data:<type>;base64,<data>') can become message parts, got "
            f"{url!r:.100}. Download the content and build the part with ImageContent.from_url(...) "
            "or FileContent.from_url(...)."
        )
    header, data = url.split(";base64,", 1)
    return header[len("data:") :] or None, data
