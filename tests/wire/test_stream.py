"""Stream assembly from chunk payloads, including every real-world quirk (pure, no network)."""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haybale._wire.endpoint import OpenAIEndpoint
from haybale._wire.response import parse_completion
from haybale._wire.stream import StreamAssembler
from haybale.dataclasses import ComponentInfo, StreamingChunk, ToolCall
from haybale.errors import APIResponseError

INFO = ComponentInfo(type="haybale.components.generators.chat.openai.OpenAIChatGenerator", name="llm")


def endpoint() -> OpenAIEndpoint:
    return OpenAIEndpoint(base_url="http://127.0.0.1:1/v1", api_key=None)


def chunk(delta: dict[str, Any] | None = None, *, finish: str | None = None, **top: Any) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
    if delta is not None:
        choice["delta"] = delta
    return {"id": "c1", "object": "chat.completion.chunk", "model": "m1", "choices": [choice], **top}


def call_delta(
    index: int | None = 0, *, id: str | None = None, name: str | None = None, args: str | None = None
) -> dict:
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    delta: dict[str, Any] = {"function": function}
    if index is not None:
        delta["index"] = index
    if id is not None:
        delta["id"] = id
        delta["type"] = "function"
    return delta


def run(chunks: list[dict[str, Any]]) -> tuple[StreamAssembler, list[StreamingChunk]]:
    assembler = StreamAssembler(endpoint(), INFO)
    out: list[StreamingChunk] = []
    for payload in chunks:
        out.extend(assembler.feed(json.dumps(payload)))
    return assembler, out


USAGE = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7, "completion_tokens_details": {"x": 1}}


def test_text_stream_chunks_and_final_message() -> None:
    assembler, out = run(
        [
            chunk({"role": "assistant", "content": ""}),
            chunk({"content": "Hel"}),
            chunk({"content": "lo"}),
            chunk({}, finish="stop"),
            {"id": "c1", "model": "m1", "choices": [], "usage": USAGE},
        ]
    )
    assert [c.content for c in out] == ["", "Hel", "lo", "", ""]
    assert [c.start for c in out] == [False, True, False, False, False]
    assert out[1].index == 0
    assert out[3].finish_reason == "stop"
    assert out[4].meta["usage"] == USAGE
    assert all(c.component_info == INFO for c in out)
    message = assembler.message()
    assert message.text == "Hello"
    assert message.meta["finish_reason"] == "stop"
    assert message.meta["usage"] == USAGE
    assert message.meta["model"] == "m1"
    assert message.meta["index"] == 0
    assert isinstance(message.meta["completion_start_time"], str)


def test_usage_in_a_non_final_chunk_is_kept() -> None:
    assembler, _ = run([chunk({"content": "a"}, usage=USAGE), chunk({}, finish="stop", usage=None)])
    assert assembler.message().meta["usage"] == USAGE


def test_chunks_without_delta_and_empty_choices_are_tolerated() -> None:
    azure_filter = {"id": "", "model": "", "choices": [], "prompt_filter_results": [{"prompt_index": 0}]}
    assembler, out = run([azure_filter, chunk({"content": "x"}), chunk(None, finish="stop")])
    assert assembler.message().text == "x"
    assert assembler.message().meta["model"] == "m1"
    assert out[-1].finish_reason == "stop"


def test_tool_call_streamed_normally() -> None:
    assembler, out = run(
        [
            chunk({"role": "assistant", "tool_calls": [call_delta(0, id="call_1", name="weather", args="")]}),
            chunk({"tool_calls": [call_delta(0, args='{"ci')]}),
            chunk({"tool_calls": [call_delta(0, args='ty": "Paris"}')]}),
            chunk({}, finish="tool_calls"),
        ]
    )
    assert out[0].start is True
    assert out[0].tool_calls is not None
    assert out[0].tool_calls[0].tool_name == "weather"
    assert out[0].tool_calls[0].id == "call_1"
    assert out[1].start is False
    assert out[1].tool_calls[0].tool_name is None
    assert "".join(c.tool_calls[0].arguments or "" for c in out if c.tool_calls) == '{"city": "Paris"}'
    message = assembler.message()
    assert message.tool_calls == [ToolCall(tool_name="weather", arguments={"city": "Paris"}, id="call_1")]
    assert message.meta["finish_reason"] == "tool_calls"
    assert message.text is None


def test_repeated_name_and_id_are_set_once_llama_cpp() -> None:
    repeated = [
        chunk({"tool_calls": [call_delta(0, id="c9", name="get_weather", args=piece)]})
        for piece in ['{"city"', ': "Oslo"', "}"]
    ]
    assembler, out = run(repeated)
    assert assembler.message().tool_calls == [
        ToolCall(tool_name="get_weather", arguments={"city": "Oslo"}, id="c9")
    ]
    names = [d.tool_name for c in out for d in c.tool_calls or [] if d.tool_name]
    assert names == ["get_weather"]


def test_missing_index_ollama_new_id_starts_a_new_call() -> None:
    assembler, _ = run(
        [
            chunk({"tool_calls": [call_delta(None, id="a", name="one", args='{"x": 1}')]}),
            chunk({"tool_calls": [call_delta(None, id="b", name="two", args='{"y"')]}),
            chunk({"tool_calls": [call_delta(None, args=": 2}")]}),
        ]
    )
    assert assembler.message().tool_calls == [
        ToolCall(tool_name="one", arguments={"x": 1}, id="a"),
        ToolCall(tool_name="two", arguments={"y": 2}, id="b"),
    ]


def test_same_index_with_a_different_id_is_a_new_call() -> None:
    assembler, _ = run(
        [
            chunk({"tool_calls": [call_delta(0, id="a", name="one", args="{}")]}),
            chunk({"tool_calls": [call_delta(0, id="b", name="two", args="{}")]}),
        ]
    )
    assert [c.tool_name for c in assembler.message().tool_calls] == ["one", "two"]


def test_gemini_empty_object_then_whole_json() -> None:
    assembler, _ = run(
        [
            chunk({"tool_calls": [call_delta(0, id="g", name="f", args="{}")]}),
            chunk({"tool_calls": [call_delta(0, args='{"q": "x", "n": 2}')]}),
        ]
    )
    assert assembler.message().tool_calls[0].arguments == {"q": "x", "n": 2}


def test_gemini_empty_object_then_json_in_pieces() -> None:
    assembler, _ = run(
        [
            chunk({"tool_calls": [call_delta(0, id="g", name="f", args=piece)]})
            for piece in ["{}", '{"q":', ' "x"}']
        ]
    )
    assert assembler.message().tool_calls[0].arguments == {"q": "x"}


def test_whole_object_resent_in_every_chunk() -> None:
    assembler, _ = run([chunk({"tool_calls": [call_delta(0, id="g", name="f", args='{"a": 1}')]})] * 3)
    assert assembler.message().tool_calls[0].arguments == {"a": 1}


def test_zero_argument_tool_gets_empty_dict() -> None:
    assembler, _ = run([chunk({"tool_calls": [call_delta(0, id="z", name="now", args="")]})])
    call = assembler.message().tool_calls[0]
    assert call.arguments == {}
    assert call.extra is None


def test_several_tool_calls_in_one_chunk() -> None:
    assembler, out = run(
        [
            chunk(
                {
                    "tool_calls": [
                        call_delta(0, id="a", name="one", args='{"x": 1}'),
                        call_delta(1, id="b", name="two", args='{"y": 2}'),
                    ]
                }
            )
        ]
    )
    assert [d.index for d in out[0].tool_calls] == [0, 1]
    assert [c.id for c in assembler.message().tool_calls] == ["a", "b"]


def test_invalid_json_arguments_are_kept_visible(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="haybale"):
        assembler, _ = run([chunk({"tool_calls": [call_delta(0, id="bad", name="f", args='{"a": ')]})])
        call = assembler.message().tool_calls[0]
    assert call.tool_name == "f"
    assert call.id == "bad"
    assert call.arguments == {}
    assert call.extra == {"raw_arguments": '{"a": '}
    assert "not a JSON object" in caplog.text
    assert "'f'" in caplog.text


def test_text_then_tool_call_in_one_chunk_is_split() -> None:
    assembler, out = run(
        [chunk({"content": "Let me check.", "tool_calls": [call_delta(0, id="a", name="f")]})]
    )
    assert out[0].tool_calls
    assert out[1].content == "Let me check."
    message = assembler.message()
    assert message.text == "Let me check."
    assert message.tool_calls[0].tool_name == "f"


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_deltas(field: str) -> None:
    assembler, out = run(
        [chunk({field: "think "}), chunk({field: "hard"}), chunk({"content": "42"}), chunk({}, finish="stop")]
    )
    assert [c.reasoning.reasoning_text for c in out[:2]] == ["think ", "hard"]
    assert [c.start for c in out[:3]] == [True, False, True]
    assert [c.index for c in out[:3]] == [0, 0, 1]
    message = assembler.message()
    assert message.reasoning.reasoning_text == "think hard"
    assert message.text == "42"


def test_openrouter_reasoning_details_are_merged_into_extra() -> None:
    def detail(text: str) -> dict:
        return {"type": "reasoning.text", "text": text, "format": "x", "index": 0}

    assembler, out = run(
        [
            chunk({"reasoning": "ab", "reasoning_details": [detail("ab")]}),
            chunk({"reasoning": "cd", "reasoning_details": [{**detail("cd"), "signature": "sig"}]}),
        ]
    )
    assert out[0].reasoning.extra == {"reasoning_details": [detail("ab")]}
    reasoning = assembler.message().reasoning
    assert reasoning.reasoning_text == "abcd"
    assert reasoning.extra == {"reasoning_details": [{**detail("abcd"), "signature": "sig"}]}


def test_error_inside_a_200_stream_raises_with_partial() -> None:
    assembler = StreamAssembler(endpoint(), INFO)
    assembler.feed(json.dumps(chunk({"content": "partial text"})))
    error_chunk = {
        "id": "x",
        "model": "m1",
        "error": {"code": 502, "message": "Provider disconnected"},
        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
    }
    with pytest.raises(APIResponseError) as info:
        assembler.feed(json.dumps(error_chunk))
    assert "Provider disconnected" in str(info.value)
    assert "502" in str(info.value)
    assert info.value.partial is not None
    assert info.value.partial.text == "partial text"
    assert info.value.body == error_chunk


def test_malformed_json_chunk_raises_with_partial() -> None:
    assembler = StreamAssembler(endpoint(), INFO)
    assembler.feed(json.dumps(chunk({"content": "so far"})))
    with pytest.raises(APIResponseError) as info:
        assembler.feed('{"choices": [')
    assert "not valid JSON" in str(info.value)
    assert info.value.partial.text == "so far"


def test_partial_before_any_chunk_is_none() -> None:
    assert StreamAssembler(endpoint(), INFO).partial() is None


def test_refusal_and_logprobs_are_accumulated() -> None:
    lp = {"content": [{"token": "a", "logprob": -0.1}]}
    assembler, _ = run(
        [
            {
                **chunk({"refusal": "I can't"}),
                "choices": [{"index": 0, "delta": {"refusal": "I can't"}, "logprobs": lp}],
            },
            {**chunk({}), "choices": [{"index": 0, "delta": {"refusal": " help"}, "logprobs": lp}]},
        ]
    )
    meta = assembler.message().meta
    assert meta["refusal"] == "I can't help"
    assert meta["logprobs"] == {"content": lp["content"] * 2}


class MetaEndpoint(OpenAIEndpoint):
    provider = "test"
    inspects_chunks = True

    def reply_meta(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        return {"provider_name": payload["provider"]} if "provider" in payload else None

    def choice_meta(self, choice: dict[str, Any]) -> dict[str, Any] | None:
        return {"filter": choice["content_filter_results"]} if "content_filter_results" in choice else None


def test_endpoint_hooks_see_every_chunk_when_asked() -> None:
    assembler = StreamAssembler(MetaEndpoint(base_url="http://x/v1", api_key=None), INFO)
    assembler.feed(json.dumps({**chunk({"content": "a"}), "provider": "Groq"}))
    with_filter = chunk({"content": "b"})
    with_filter["choices"][0]["content_filter_results"] = {"hate": {"filtered": False}}
    assembler.feed(json.dumps(with_filter))
    meta = assembler.message().meta
    assert meta["provider_name"] == "Groq"
    assert meta["filter"] == {"hate": {"filtered": False}}


# ---- property: however a reply is cut into chunks, the assembled message is the same -------------


def _cuts(text: str, points: list[int]) -> list[str]:
    marks = sorted({p % (len(text) + 1) for p in points} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(marks) if b > a]


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=60),
    arguments=st.dictionaries(
        st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=10)), max_size=4
    ),
    text_cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=8),
    arg_cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=8),
)
def test_any_chunking_assembles_to_the_non_streamed_reply(
    text: str, arguments: dict[str, Any], text_cuts: list[int], arg_cuts: list[int]
) -> None:
    raw_args = json.dumps(arguments)
    completion = {
        "model": "m1",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": text,
                    "tool_calls": [
                        {"id": "c", "type": "function", "function": {"name": "f", "arguments": raw_args}}
                    ],
                },
            }
        ],
        "usage": USAGE,
    }
    chunks = [chunk({"role": "assistant"})]
    chunks += [chunk({"content": piece}) for piece in _cuts(text, text_cuts)]
    chunks.append(chunk({"tool_calls": [call_delta(0, id="c", name="f", args="")]}))
    chunks += [chunk({"tool_calls": [call_delta(0, args=piece)]}) for piece in _cuts(raw_args, arg_cuts)]
    chunks += [chunk({}, finish="tool_calls"), {"model": "m1", "choices": [], "usage": USAGE}]
    assembler, _ = run(chunks)
    streamed = assembler.message()
    (plain,) = parse_completion(completion, endpoint())
    assert streamed.text == plain.text
    assert streamed.tool_calls == plain.tool_calls
    assert {**streamed.meta, "completion_start_time": None} == {**plain.meta, "completion_start_time": None}
