"""A Chat Completions response body -> ``list[ChatMessage]`` (pure), plus helpers the stream
assembler shares: tool-call arguments and reasoning.

Each reply's meta: ``model``, ``index``, ``finish_reason``, ``usage`` (the server's dict, details
included), ``logprobs`` when the choice has them, ``refusal`` when the model refused, and whatever
the endpoint's ``reply_meta``/``choice_meta`` hooks add.

Tool-call arguments that are not a JSON object never make a call vanish: the ToolCall is kept with
``arguments={}`` and the raw text in ``ToolCall.extra["raw_arguments"]``, and a warning is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jiter import from_json

from haybale._logging import get_logger
from haybale.dataclasses import ChatMessage, ReasoningContent, ToolCall
from haybale.errors import APIResponseError

if TYPE_CHECKING:
    from haybale._wire.endpoint import OpenAIEndpoint

logger = get_logger(__name__)

_NOT_JSON = object()


def parse_completion(data: Any, endpoint: OpenAIEndpoint) -> list[ChatMessage]:
    """The replies in a non-streamed completion."""
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list):
        error = data.get("error") if isinstance(data, dict) else None
        detail = f": {error.get('message')}" if isinstance(error, dict) else ""
        raise APIResponseError(
            f"The server answered 200 but the body is not a chat completion (no 'choices'){detail}. "
            "Check that api_base_url points at an OpenAI-compatible /v1 endpoint.",
            body=data,
            provider=endpoint.provider,
        )
    model = data.get("model")
    usage = data.get("usage")
    extra = endpoint.reply_meta(data)
    return [
        _choice_message(choice, position, model, usage, extra, endpoint)
        for position, choice in enumerate(choices)
    ]


def _choice_message(
    choice: Mapping[str, Any],
    position: int,
    model: str | None,
    usage: Any,
    extra: dict[str, Any] | None,
    endpoint: OpenAIEndpoint,
) -> ChatMessage:
    message = choice.get("message") or {}
    meta: dict[str, Any] = {
        "model": model,
        "index": choice.get("index", position),
        "finish_reason": choice.get("finish_reason"),
        "usage": usage,
    }
    if choice.get("logprobs") is not None:
        meta["logprobs"] = choice["logprobs"]
    if message.get("refusal"):
        meta["refusal"] = message["refusal"]
    if extra:
        meta.update(extra)
    choice_extra = endpoint.choice_meta(choice)
    if choice_extra:
        meta.update(choice_extra)
    calls = [_tool_call(call) for call in message.get("tool_calls") or ()]
    text, thinking, others = split_content(message.get("content"))
    if others:
        meta["other_content_parts"] = others
    return ChatMessage.from_assistant(
        text=text or None,
        meta=meta,
        tool_calls=calls or None,
        reasoning=reasoning_from(
            message.get("reasoning_content") or message.get("reasoning") or thinking,
            message.get("reasoning_details"),
        ),
    )


def split_content(content: Any) -> tuple[str, str, list[Any]]:
    """(text, thinking, other parts) of a message's or a delta's ``content``.

    Most servers send a string. Mistral sends a list of parts, both whole and streamed:
    ``{"type": "text", "text": ...}`` and ``{"type": "thinking", "thinking": [<text parts>]}``.
    Thinking becomes reasoning; parts of any other kind are returned apart, so that they are kept
    in the reply's meta but never passed on as text.
    """
    if isinstance(content, str):
        return content, "", []
    if not isinstance(content, list):
        return "", "", []
    text: list[str] = []
    thinking: list[str] = []
    others: list[Any] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            text.append(part["text"])
        elif kind == "thinking":
            inner, _, _ = split_content(part.get("thinking"))
            thinking.append(inner)
        else:
            others.append(part)
    return "".join(text), "".join(thinking), others


def _tool_call(call: Mapping[str, Any]) -> ToolCall:
    function = call.get("function") or {}
    name = function.get("name") or ""
    arguments, extra = parse_arguments([function.get("arguments")], name)
    return ToolCall(tool_name=name, arguments=arguments, id=call.get("id"), extra=extra)


def parse_arguments(
    fragments: list[Any], tool_name: str, *, warn: bool = True
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Arguments from the argument text of a call (several fragments when streamed).

    Servers differ: ``""`` for a tool without parameters means ``{}``; Gemini's compatible API
    streams ``"{}"`` and then the whole object, and some servers resend the whole object in every
    chunk. So when the concatenation is not JSON, the last fragment alone, and then the
    concatenation without a leading ``{}``, are tried before giving up.
    """
    if len(fragments) == 1 and isinstance(fragments[0], dict):  # some servers send an object
        return fragments[0], None
    raw = "".join(part for part in fragments if isinstance(part, str))
    if not raw.strip():
        return {}, None
    value = _json_object(raw)
    if value is _NOT_JSON and len(fragments) > 1:
        value = _json_object(fragments[-1])
        if value is _NOT_JSON and raw.startswith("{}"):
            value = _json_object(raw[2:])
    if value is _NOT_JSON:
        if warn:
            logger.warning(
                "The arguments of the call to tool %r are not a JSON object; the call is kept with "
                "arguments={} and the raw text in ToolCall.extra['raw_arguments']: %.200r",
                tool_name,
                raw,
            )
        return {}, {"raw_arguments": raw}
    return value, None  # _json_object only returns dicts or _NOT_JSON


def _json_object(text: Any) -> Any:
    if not isinstance(text, str):
        return _NOT_JSON
    try:
        value = from_json(text.encode())
        if isinstance(value, str):  # arguments encoded twice by the server
            value = from_json(value.encode())
    except ValueError:
        return _NOT_JSON
    return value if isinstance(value, dict) else _NOT_JSON


def reasoning_from(text: Any, details: Any) -> ReasoningContent | None:
    """ReasoningContent from ``reasoning_content``/``reasoning`` text and OpenRouter's details."""
    if not isinstance(text, str):
        text = None
    if not details or not isinstance(details, list):
        details = None
    if not text and details:
        text = "".join(
            str(detail.get("text") or detail.get("summary") or "")
            for detail in details
            if isinstance(detail, dict)
        )
    if not text and not details:
        return None
    return ReasoningContent(
        reasoning_text=text or "", extra={"reasoning_details": details} if details else {}
    )
