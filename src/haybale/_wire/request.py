"""Request bodies: messages + tools + generation kwargs -> the JSON body (pure).

``generation_kwargs`` pass through unchanged (any Chat Completions parameter works), except:
``response_format`` is converted (see ``response_format``), ``stream`` is decided by the caller
(callback or not), and ``stream_options`` is only sent with streaming. When streaming, usage is
requested (``stream_options.include_usage``) unless the caller set ``stream_options`` or the
server has already rejected the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from haybale._wire.messages import messages_to_wire
from haybale._wire.response_format import as_json_object_format, is_pydantic_model, response_format_to_wire
from haybale._wire.strict_schema import to_strict_schema
from haybale.core._json_check import json_problem

if TYPE_CHECKING:
    from haybale.dataclasses import ChatMessage
    from haybale.tools import Tool

# allow_nan=False: NaN and Infinity are not JSON; servers reject (or worse, misread) a body holding them.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


@dataclass
class ChatRequest:
    """One prepared request: the body (for inspection/retries) and its encoded bytes."""

    body: dict[str, Any]
    payload: bytes
    stream: bool
    response_model: Any = None  # a pydantic model class to validate the reply with
    added_stream_options: bool = False  # True when we, not the caller, asked for usage

    @property
    def uses_json_schema(self) -> bool:
        response_format = self.body.get("response_format")
        return isinstance(response_format, dict) and response_format.get("type") == "json_schema"

    def without_stream_options(self) -> ChatRequest:
        body = {key: value for key, value in self.body.items() if key != "stream_options"}
        return replace(self, body=body, payload=encode_body(body), added_stream_options=False)

    def with_json_object_format(self) -> ChatRequest:
        body = {**self.body, "response_format": as_json_object_format(self.body["response_format"])}
        return replace(self, body=body, payload=encode_body(body))


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The body as UTF-8 JSON; what cannot be encoded raises an error naming the parameter it came from."""
    try:
        return _encode(body).encode()
    except (TypeError, ValueError, RecursionError) as error:  # UnicodeEncodeError is a ValueError
        # Only now is the body walked to find the culprit: the common case pays nothing for it.
        raise _unencodable(body) or error from None


def _unencodable(body: Mapping[str, Any]) -> Exception | None:
    for key, value in body.items():
        found = json_problem(value)
        if found is None:
            continue
        if key == "messages":
            return found.error("messages: the message sent as messages")
        if key == "tools":
            return found.error("tools: the definition sent as tools")
        if key == "model":
            return found.error("model")
        return found.error(f"generation_kwargs[{key!r}]")
    return None


def tool_definitions(tools: Sequence[Tool], strict: bool) -> list[dict[str, Any]]:
    """Function definitions for the ``tools`` field; strict mode rebuilds (never mutates) schemas."""
    definitions = []
    for tool in tools:
        function: dict[str, Any] = {
            "name": tool.name,
            "description": tool.description,
            "parameters": to_strict_schema(tool.parameters) if strict else tool.parameters,
        }
        if strict:
            function["strict"] = True
        definitions.append({"type": "function", "function": function})
    return definitions


def build_request(
    *,
    model: str,
    messages: list[ChatMessage],
    generation_kwargs: Mapping[str, Any],
    tools: list[dict[str, Any]] | None,
    stream: bool,
    include_usage: bool,
    extra_body: Mapping[str, Any] | None = None,
    json_schema: bool = True,
) -> ChatRequest:
    """The request for one call; ``json_schema=False`` sends schemas in the ``json_object`` form."""
    body: dict[str, Any] = {"model": model, "messages": messages_to_wire(messages)}
    if extra_body:
        body.update(extra_body)
    response_model = None
    for key, value in generation_kwargs.items():
        if key == "response_format" and value is not None:
            response_model = value if is_pydantic_model(value) else None
            wire_format = response_format_to_wire(value)
            body[key] = wire_format if json_schema else as_json_object_format(wire_format)
        elif key not in ("stream", "stream_options"):
            body[key] = value
    if tools:
        body["tools"] = tools
    added = False
    if stream:
        body["stream"] = True
        if "stream_options" in generation_kwargs:
            body["stream_options"] = generation_kwargs["stream_options"]
        elif include_usage:
            body["stream_options"] = {"include_usage": True}
            added = True
    return ChatRequest(body, encode_body(body), stream, response_model, added)
