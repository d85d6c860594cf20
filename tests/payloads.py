"""Builders for realistic Chat Completions wire payloads (non-streamed replies and stream chunks)."""

from __future__ import annotations

from typing import Any

CREATED = 1_732_000_000
DEFAULT_USAGE: dict[str, Any] = {
    "prompt_tokens": 12,
    "completion_tokens": 5,
    "total_tokens": 17,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
}


def tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    """One entry of ``message.tool_calls`` (``arguments`` is the JSON text the model produced)."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def completion(
    content: str | None = "Hello",
    *,
    model: str = "gpt-test",
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str = "stop",
    usage: dict[str, Any] | None = DEFAULT_USAGE,
    reasoning_content: str | None = None,
    extra_message: dict[str, Any] | None = None,
    n: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    """A ``chat.completion`` object with ``n`` identical choices; ``extra`` adds top-level fields."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None, "annotations": []}
    if tool_calls:
        message["tool_calls"] = tool_calls
    if reasoning_content is not None:
        message["reasoning_content"] = reasoning_content
    message.update(extra_message or {})
    choices = [
        {"index": i, "message": dict(message), "logprobs": None, "finish_reason": finish_reason}
        for i in range(n)
    ]
    body: dict[str, Any] = {
        "id": "chatcmpl-test123",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": choices,
        "system_fingerprint": "fp_test",
        "service_tier": "default",
    }
    if usage is not None:
        body["usage"] = usage
    body.update(extra)
    return body


def chunk(
    delta: dict[str, Any] | None, finish_reason: str | None = None, *, model: str = "gpt-test", index: int = 0
) -> dict[str, Any]:
    """One ``chat.completion.chunk``; ``delta=None`` gives the usage-style chunk with empty ``choices``."""
    choices = (
        []
        if delta is None
        else [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
    )
    return {
        "id": "chatcmpl-test123",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "system_fingerprint": "fp_test",
        "choices": choices,
    }


def _tail(model: str, finish_reason: str, usage: dict[str, Any] | None) -> list[dict[str, Any]]:
    tail = [chunk({}, finish_reason, model=model)]
    if usage is not None:
        last = chunk(None, model=model)
        last["usage"] = usage
        tail.append(last)
    return tail


def text_chunks(
    text_pieces: list[str],
    *,
    model: str = "gpt-test",
    finish_reason: str = "stop",
    usage: dict[str, Any] | None = DEFAULT_USAGE,
) -> list[dict[str, Any]]:
    """What a server streams for a text answer: role chunk, one chunk per piece, finish chunk, usage chunk."""
    head = [chunk({"role": "assistant", "content": "", "refusal": None}, model=model)]
    pieces = [chunk({"content": piece}, model=model) for piece in text_pieces]
    return head + pieces + _tail(model, finish_reason, usage)


def tool_call_chunks(
    calls: list[tuple[str, str, list[str]]],
    *,
    model: str = "gpt-test",
    usage: dict[str, Any] | None = DEFAULT_USAGE,
) -> list[dict[str, Any]]:
    """A streamed tool-call answer; ``calls`` holds (id, name, argument fragments) per call.

    Like OpenAI: the first delta of a call carries id, type and name with empty arguments; later deltas
    carry only the ``index`` and an arguments fragment.
    """
    out = [chunk({"role": "assistant", "content": None}, model=model)]
    for index, (call_id, name, fragments) in enumerate(calls):
        opening = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        out.append(chunk({"tool_calls": [opening]}, model=model))
        for fragment in fragments:
            out.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}, model=model)
            )
    return out + _tail(model, "tool_calls", usage)
