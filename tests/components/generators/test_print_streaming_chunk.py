"""print_streaming_chunk: labels, block separation, tool calls, tool results and reasoning."""

from __future__ import annotations

import builtins
import contextlib
import io

import pytest

from haybale.components.generators.utils import print_streaming_chunk
from haybale.dataclasses import ReasoningContent, StreamingChunk, ToolCall, ToolCallDelta, ToolCallResult


def printed(chunks: list[StreamingChunk], capsys: pytest.CaptureFixture[str]) -> str:
    for chunk in chunks:
        print_streaming_chunk(chunk)
    return capsys.readouterr().out


def test_text_is_labelled_once_and_the_end_leaves_a_gap(capsys: pytest.CaptureFixture[str]) -> None:
    out = printed(
        [
            StreamingChunk("Hel", index=0, start=True),
            StreamingChunk("lo", index=0),
            StreamingChunk("", finish_reason="stop"),
        ],
        capsys,
    )
    assert out == "[ASSISTANT]\nHello\n\n"


def test_reasoning_then_text_are_separate_blocks(capsys: pytest.CaptureFixture[str]) -> None:
    out = printed(
        [
            StreamingChunk("", index=0, start=True, reasoning=ReasoningContent("think")),
            StreamingChunk("", index=0, reasoning=ReasoningContent("ing")),
            StreamingChunk("Yes", index=1, start=True),
        ],
        capsys,
    )
    assert out == "[REASONING]\nthinking\n\n[ASSISTANT]\nYes"


def test_tool_calls_show_name_then_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    out = printed(
        [
            StreamingChunk("", index=0, start=True, tool_calls=[ToolCallDelta(0, "weather", id="c1")]),
            StreamingChunk("", index=0, tool_calls=[ToolCallDelta(0, arguments='{"city": ')]),
            StreamingChunk("", index=0, tool_calls=[ToolCallDelta(0, arguments='"Paris"}')]),
            StreamingChunk(
                "",
                index=1,
                start=True,
                tool_calls=[ToolCallDelta(1, "time", "{}", id="c2"), ToolCallDelta(2, "date", "{}", id="c3")],
            ),
        ],
        capsys,
    )
    assert out == (
        '[TOOL CALL]\nTool: weather \nArguments: {"city": "Paris"}'
        "\n\n[TOOL CALL]\nTool: time \nArguments: {}"
        "\n\n[TOOL CALL]\nTool: date \nArguments: {}"
    )


def test_tool_results_are_printed_whole(capsys: pytest.CaptureFixture[str]) -> None:
    result = ToolCallResult("22 C", ToolCall("weather", {}, id="c1"))
    out = printed(
        [StreamingChunk("", index=0, start=True, tool_call_result=result, finish_reason="tool_call_results")],
        capsys,
    )
    assert out == "[TOOL RESULT]\n22 C\n\n"


def test_empty_chunks_print_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert printed([StreamingChunk("", meta={"usage": {"total_tokens": 3}})], capsys) == ""


def test_output_goes_through_print_so_a_patched_print_sees_it(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(builtins, "print", lambda *args, **kwargs: calls.append((args, kwargs)))
    print_streaming_chunk(StreamingChunk("Hi", index=0, start=True))
    assert calls == [
        (("[ASSISTANT]\n",), {"flush": True, "end": ""}),
        (("Hi",), {"flush": True, "end": ""}),
    ]


def test_redirected_stdout_receives_the_output() -> None:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        print_streaming_chunk(StreamingChunk("", index=0, start=True, reasoning=ReasoningContent("hm")))
    assert buffer.getvalue() == "[REASONING]\nhm"
