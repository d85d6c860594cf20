"""StreamingChunk, ToolCallDelta, ComponentInfo and the streaming-callback selection rules."""

from __future__ import annotations

import logging

import pytest

from haybale.dataclasses import (
    ComponentInfo,
    ReasoningContent,
    StreamingChunk,
    ToolCall,
    ToolCallDelta,
    ToolCallResult,
    select_streaming_callback,
)


def test_a_text_chunk_has_haystacks_defaults() -> None:
    chunk = StreamingChunk("hi")
    assert (chunk.content, chunk.meta, chunk.index, chunk.start, chunk.finish_reason) == (
        "hi",
        {},
        None,
        False,
        None,
    )
    assert chunk.tool_calls is None
    assert chunk.tool_call_result is None
    assert chunk.reasoning is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content": "x", "tool_calls": [ToolCallDelta(0, "f")], "index": 0},
        {"content": "x", "reasoning": ReasoningContent("r")},
        {"content": "", "tool_calls": [ToolCallDelta(0)], "reasoning": ReasoningContent("r"), "index": 0},
    ],
)
def test_one_kind_of_payload_per_chunk(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="one kind of payload"):
        StreamingChunk(**kwargs)  # type: ignore[arg-type]


def test_tool_payloads_need_an_index() -> None:
    with pytest.raises(ValueError, match="needs an index"):
        StreamingChunk("", tool_calls=[ToolCallDelta(0, "f")])
    result = ToolCallResult("ok", ToolCall("f", {}))
    with pytest.raises(ValueError, match="needs an index"):
        StreamingChunk("", tool_call_result=result)
    assert StreamingChunk("", tool_call_result=result, index=2).index == 2
    with pytest.raises(ValueError, match="needs an index"):  # reasoning too, as in Haystack
        StreamingChunk("", reasoning=ReasoningContent("hm"))
    assert StreamingChunk("", reasoning=ReasoningContent("hm"), index=0).index == 0


def test_chunk_round_trips_through_dicts() -> None:
    info = ComponentInfo(type="haybale.components.generators.chat.openai.OpenAIChatGenerator", name="llm")
    chunks = [
        StreamingChunk(
            "a", meta={"model": "m"}, component_info=info, index=0, start=True, finish_reason="stop"
        ),
        StreamingChunk("", index=1, start=True, tool_calls=[ToolCallDelta(0, "f", '{"a"', id="c1")]),
        StreamingChunk("", index=2, reasoning=ReasoningContent("hm", {"reasoning_details": [{"t": 1}]})),
        StreamingChunk("", index=3, tool_call_result=ToolCallResult("r", ToolCall("f", {}, id="c1"))),
    ]
    for chunk in chunks:
        assert StreamingChunk.from_dict(chunk.to_dict()) == chunk


def test_component_info_from_component() -> None:
    class Named:
        __component_name__ = "my_llm"

    info = ComponentInfo.from_component(Named())
    assert info.type.endswith(".Named")
    assert info.name == "my_llm"
    assert ComponentInfo.from_component(object()) == ComponentInfo(type="builtins.object", name=None)


def sync_callback(chunk: StreamingChunk) -> None:
    pass


async def async_callback(chunk: StreamingChunk) -> None:
    pass


def test_runtime_callback_wins_over_init() -> None:
    assert select_streaming_callback(sync_callback, None, requires_async=False) is sync_callback
    assert select_streaming_callback(None, sync_callback, requires_async=False) is sync_callback
    assert select_streaming_callback(async_callback, sync_callback, requires_async=True) is sync_callback
    assert select_streaming_callback(None, None, requires_async=True) is None


def test_sync_calls_refuse_async_callbacks_async_calls_take_both() -> None:
    with pytest.raises(ValueError, match="run_async"):
        select_streaming_callback(async_callback, None, requires_async=False)
    assert select_streaming_callback(None, async_callback, requires_async=True) is async_callback
    assert select_streaming_callback(sync_callback, None, requires_async=True) is sync_callback
    with pytest.raises(TypeError, match="callable"):
        select_streaming_callback("print", None, requires_async=False)  # type: ignore[arg-type]


def test_a_sync_callback_in_an_async_call_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="haybale.dataclasses.streaming_chunk"):
        assert select_streaming_callback(None, async_callback, requires_async=True) is async_callback
        assert select_streaming_callback(sync_callback, None, requires_async=False) is sync_callback
    assert caplog.records == []  # the right kind for the call: nothing to say
    with caplog.at_level(logging.WARNING, logger="haybale.dataclasses.streaming_chunk"):
        assert select_streaming_callback(sync_callback, None, requires_async=True) is sync_callback
    assert len(caplog.records) == 1
    assert "sync streaming_callback" in caplog.text
    assert "event loop" in caplog.text


def test_chunks_pickle_copy_and_replace_like_dataclasses() -> None:
    import copy
    import dataclasses
    import pickle

    chunk = StreamingChunk(
        "", index=1, start=True, tool_calls=[ToolCallDelta(0, "f", "{}", id="x")], meta={"m": 1}
    )
    assert pickle.loads(pickle.dumps(chunk)) == chunk
    assert copy.deepcopy(chunk) == chunk
    assert dataclasses.replace(chunk, finish_reason="stop").finish_reason == "stop"
