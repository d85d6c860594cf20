"""Conversions between Haystack's data classes and haybale's, in both directions.

The two libraries' classes have the same names and fields, so one field-by-field copier serves
every content part; nothing goes through dicts. Binary parts are copied without validating their
base64 again (the other side did it). Dicts inside the values (meta, arguments, extra) are shared,
not copied: neither side mutates what it receives.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import haystack.dataclasses as hs
from haystack.tools.tool import Tool as HaystackTool
from haystack.tools.toolset import Toolset as HaystackToolset
from haystack.tools.utils import flatten_tools_or_toolsets
from haystack.utils import Secret as HaystackSecret

import haybale.dataclasses as hb
from haybale.tools import Tool as HaybaleTool
from haybale.tools import Toolset as HaybaleToolset
from haybale.utils import Secret as HaybaleSecret

_PART_NAMES = ("TextContent", "ToolCall", "ToolCallResult", "ReasoningContent", "ImageContent", "FileContent")
_TO_HAYBALE: dict[type[Any], type[Any]] = {getattr(hs, n): getattr(hb, n) for n in _PART_NAMES}
_TO_HAYSTACK: dict[type[Any], type[Any]] = {getattr(hb, n): getattr(hs, n) for n in _PART_NAMES}
_FIELDS = {cls: tuple(field.name for field in fields(cls)) for cls in (*_TO_HAYBALE, *_TO_HAYSTACK)}


def _part(part: Any, classes: dict[type[Any], type[Any]]) -> Any:
    target = classes.get(type(part))
    if target is None:
        raise TypeError(f"Cannot convert a {type(part).__name__} message part between Haystack and haybale.")
    values = {name: getattr(part, name) for name in _FIELDS[type(part)]}
    if "validation" in values:
        values["validation"] = False  # checked already, on the side it comes from
    if "origin" in values:
        values["origin"] = _part(values["origin"], classes)
    if isinstance(values.get("result"), list):
        values["result"] = [_part(item, classes) for item in values["result"]]
    return target(**values)


def to_haybale_messages(messages: Any) -> list[hb.ChatMessage] | str:
    """Haystack messages (or one user message as a str) as haybale's."""
    if isinstance(messages, str):
        return messages
    if not isinstance(messages, list | tuple):
        raise TypeError(
            f"messages must be a list of ChatMessage (or a string), got {type(messages).__name__}. "
            "Build messages with haystack.dataclasses.ChatMessage.from_user(...)."
        )
    return [_to_haybale_message(message, position) for position, message in enumerate(messages)]


def _to_haybale_message(message: Any, position: int) -> hb.ChatMessage:
    if isinstance(message, hb.ChatMessage):  # already haybale's: nothing to convert
        return message
    if not isinstance(message, hs.ChatMessage):
        raise TypeError(
            f"messages[{position}] is a {type(message).__name__}, not a ChatMessage. Wrap text with "
            "ChatMessage.from_user(...) (or another ChatMessage constructor)."
        )
    return hb.ChatMessage(
        _role=hb.ChatRole(message.role.value),
        _content=[_part(part, _TO_HAYBALE) for part in message._content],
        _name=message.name,
        _meta=message.meta,
    )


def to_haystack_message(message: hb.ChatMessage) -> hs.ChatMessage:
    """A haybale reply as Haystack's ChatMessage."""
    return hs.ChatMessage(
        _role=hs.ChatRole(message.role.value),
        _content=[_part(part, _TO_HAYSTACK) for part in message._content],
        _name=message.name,
        _meta=message.meta,
    )


def to_haystack_chunk(chunk: hb.StreamingChunk, info: hs.ComponentInfo | None) -> hs.StreamingChunk:
    """A haybale StreamingChunk as Haystack's, naming ``info`` (the Haystack component) as its source."""
    if chunk.tool_calls is None and chunk.reasoning is None and chunk.tool_call_result is None:
        # text and bookkeeping chunks, the bulk of every stream: no nested parts to convert
        return hs.StreamingChunk(
            content=chunk.content,
            meta=chunk.meta,
            component_info=info,
            index=chunk.index,
            start=chunk.start,
            finish_reason=chunk.finish_reason,
        )
    deltas = [
        hs.ToolCallDelta(index=d.index, tool_name=d.tool_name, arguments=d.arguments, id=d.id, extra=d.extra)
        for d in chunk.tool_calls or ()
    ]
    return hs.StreamingChunk(
        content=chunk.content,
        meta=chunk.meta,
        component_info=info,
        index=chunk.index,
        tool_calls=deltas or None,
        tool_call_result=_part(chunk.tool_call_result, _TO_HAYSTACK) if chunk.tool_call_result else None,
        start=chunk.start,
        finish_reason=chunk.finish_reason,
        reasoning=_part(chunk.reasoning, _TO_HAYSTACK) if chunk.reasoning is not None else None,
    )


def to_haybale_secret(secret: Any, name: str) -> HaybaleSecret | None:
    """A Haystack Secret as haybale's: an env-var secret stays a reference, read at warm-up."""
    if secret is None or isinstance(secret, HaybaleSecret):
        return secret
    if not isinstance(secret, HaystackSecret):
        raise TypeError(
            f"{name} must be a haystack.utils.Secret, not a plain {type(secret).__name__}: use "
            f"{name}=Secret.from_env_var('...') or Secret.from_token('...')."
        )
    if secret.type.value == "token":
        return HaybaleSecret.from_token(secret.resolve_value() or "")
    return HaybaleSecret.from_dict(secret.to_dict())


def to_haybale_setting(value: Any, name: str) -> Any:
    """A str-or-Secret setting (Azure's endpoint and API version) with the Secret converted."""
    return to_haybale_secret(value, name) if isinstance(value, HaystackSecret) else value


class ToolConverter:
    """Haystack tools as haybale Tools (name, description, schema), converted once per set of tools.

    haybale's generator only describes the tools to the model; Haystack (a ToolInvoker or Agent)
    runs them, so each haybale Tool's function is the Haystack tool's own ``invoke``. The last
    conversion is kept, so a generator called with the same tools reuses it (and haybale's own
    cache of the request's tool definitions stays warm).
    """

    def __init__(self) -> None:
        self._last: tuple[tuple[HaystackTool, ...], list[HaybaleTool | HaybaleToolset]] | None = None

    def __call__(self, tools: Any) -> list[HaybaleTool | HaybaleToolset] | None:
        if tools is None:
            return None
        flat = tuple(flatten_tools_or_toolsets(tools))
        last = self._last
        if last is not None and len(last[0]) == len(flat) and all(map(operator.is_, last[0], flat)):
            return last[1]
        converted: list[HaybaleTool | HaybaleToolset] = [_to_haybale_tool(tool) for tool in flat]
        self._last = (flat, converted)
        return converted


def _to_haybale_tool(tool: HaystackTool) -> HaybaleTool:
    spec = tool.tool_spec
    invoke: Callable[..., Any] = tool.invoke
    description = spec.get("description") or ""
    return HaybaleTool(spec["name"], description, spec["parameters"], function=invoke)


def check_tools(tools: Any) -> None:
    """Haystack's own check of a ``tools`` argument (types, duplicate names), at construction."""
    if tools is None:
        return
    if not isinstance(tools, list | HaystackToolset):
        raise TypeError(f"tools must be a list of Tool/Toolset or a Toolset, got {type(tools).__name__}.")
    names = [tool.name for tool in flatten_tools_or_toolsets(tools)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"Duplicate tool names: {', '.join(duplicates)}. Each tool needs a unique name.")
