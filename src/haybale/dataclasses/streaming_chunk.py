"""StreamingChunk and friends: what a streaming callback receives, one per piece of a reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from haybale.dataclasses.content import ReasoningContent, ToolCallResult

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "tool_call_results"]


@dataclass(slots=True)
class ToolCallDelta:
    """A piece of a streamed tool call.

    ``index`` tells the calls of one reply apart; ``tool_name`` and ``id`` arrive once, at the
    start of a call, and ``arguments`` is a fragment of the JSON argument text.
    """

    index: int
    tool_name: str | None = None
    arguments: str | None = None
    id: str | None = None
    extra: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "tool_name": self.tool_name,
            "arguments": self.arguments,
            "id": self.id,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCallDelta:
        return cls(
            index=data["index"],
            tool_name=data.get("tool_name"),
            arguments=data.get("arguments"),
            id=data.get("id"),
            extra=data.get("extra"),
        )


@dataclass(slots=True)
class ComponentInfo:
    """Which component produced a chunk: its class path and, when it has one, its name."""

    type: str
    name: str | None = None

    @classmethod
    def from_component(cls, component: Any) -> ComponentInfo:
        kind = type(component)
        return cls(
            type=f"{kind.__module__}.{kind.__name__}", name=getattr(component, "__component_name__", None)
        )

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ComponentInfo:
        return cls(type=data["type"], name=data.get("name"))


@dataclass(slots=True)
class StreamingChunk:
    """One piece of a streamed reply.

    A chunk carries one kind of payload: text (``content``), tool-call deltas, a tool result or
    reasoning. ``index`` numbers the content blocks of the reply and ``start`` marks a block's
    first chunk; ``finish_reason`` is set on the chunk that ends the reply. ``meta`` has the
    server's per-chunk data (model, usage when it arrives...).
    """

    content: str
    meta: dict[str, Any] = field(default_factory=dict, hash=False)
    component_info: ComponentInfo | None = None
    index: int | None = None
    tool_calls: list[ToolCallDelta] | None = None
    tool_call_result: ToolCallResult | None = None
    start: bool = False
    finish_reason: FinishReason | None = None
    reasoning: ReasoningContent | None = None

    def __post_init__(self) -> None:
        # Runs for every chunk of every stream: the common text-only case returns at once.
        if not self.tool_calls and self.tool_call_result is None and self.reasoning is None:
            return
        kinds = [
            name
            for name, value in (
                ("content", self.content),
                ("tool_calls", self.tool_calls),
                ("tool_call_result", self.tool_call_result),
                ("reasoning", self.reasoning),
            )
            if value
        ]
        if len(kinds) > 1:
            raise ValueError(
                f"A StreamingChunk carries one kind of payload, but {' and '.join(kinds)} are set: "
                "emit one chunk per kind."
            )
        if self.index is None:  # as in Haystack: these kinds always belong to a numbered block
            raise ValueError("A StreamingChunk with tool calls, a tool result or reasoning needs an index.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "meta": self.meta,
            "component_info": self.component_info.to_dict() if self.component_info else None,
            "index": self.index,
            "tool_calls": [delta.to_dict() for delta in self.tool_calls] if self.tool_calls else None,
            "tool_call_result": self.tool_call_result.to_dict() if self.tool_call_result else None,
            "start": self.start,
            "finish_reason": self.finish_reason,
            "reasoning": self.reasoning.to_dict() if self.reasoning else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StreamingChunk:
        info, calls, result, reasoning = (
            data.get(key) for key in ("component_info", "tool_calls", "tool_call_result", "reasoning")
        )
        return cls(
            content=data.get("content", ""),
            meta=data.get("meta") or {},
            component_info=ComponentInfo.from_dict(info) if info else None,
            index=data.get("index"),
            tool_calls=[ToolCallDelta.from_dict(delta) for delta in calls] if calls else None,
            tool_call_result=ToolCallResult.from_dict(result) if result else None,
            start=data.get("start", False),
            finish_reason=data.get("finish_reason"),
            reasoning=ReasoningContent.from_dict(reasoning) if reasoning else None,
        )


SyncStreamingCallbackT: TypeAlias = Callable[[StreamingChunk], None]
AsyncStreamingCallbackT: TypeAlias = Callable[[StreamingChunk], Awaitable[None]]
StreamingCallbackT: TypeAlias = SyncStreamingCallbackT | AsyncStreamingCallbackT


def select_streaming_callback(
    init_callback: StreamingCallbackT | None,
    runtime_callback: StreamingCallbackT | None,
    requires_async: bool,
) -> StreamingCallbackT | None:
    """The callback to use for one call: the one passed to the call, else the one from ``__init__``.

    A sync call cannot await, so it refuses async callbacks; an async call takes both kinds, and
    logs a warning for a sync one (it runs on the event loop, which waits for it).
    """
    callback = runtime_callback if runtime_callback is not None else init_callback
    if callback is None:
        return None
    if not callable(callback):
        raise TypeError(f"streaming_callback must be callable, got {type(callback).__name__}.")
    is_async = _is_async(callback)
    if not requires_async and is_async:
        raise ValueError(
            "The streaming_callback is an async function, which run() cannot await: "
            "call run_async() instead, or pass a regular function."
        )
    if requires_async and not is_async:
        import logging  # only on this path: the data model imports nothing it does not need

        logging.getLogger(__name__).warning(
            "A sync streaming_callback is used in an async call: it runs on the event loop, which "
            "waits while it works. Pass an `async def` callback to keep the loop free."
        )
    return callback


def _is_async(callback: Any) -> bool:
    from inspect import iscoroutinefunction  # inspect is costly to import and rarely needed

    return iscoroutinefunction(callback)
