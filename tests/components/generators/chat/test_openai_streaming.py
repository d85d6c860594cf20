"""Streaming through the fake server: callbacks, the final reply, stream_options and every quirk.

Every test runs once per generator class (``make_generator``), each through its own endpoint.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fake_server import Reply
from haybale.dataclasses import ComponentInfo, StreamingChunk, ToolCall
from haybale.errors import BadRequestError, UnprocessableEntityError
from payloads import completion, text_chunks

# Every test here runs on each HTTP backend (pyreqwest and httpx2).
pytestmark = pytest.mark.usefixtures("http_backend")

USAGE = {
    "prompt_tokens": 7,
    "completion_tokens": 3,
    "total_tokens": 10,
    "completion_tokens_details": {"r": 0},
}


def chunk(delta: dict[str, Any] | None = None, *, finish: str | None = None, **top: Any) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
    if delta is not None:
        choice["delta"] = delta
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m-1",
        "choices": [choice],
        **top,
    }


def usage_chunk(usage: dict[str, Any] = USAGE) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m-1",
        "choices": [],
        "usage": usage,
    }


def call(
    index: int | None, *, id: str | None = None, name: str | None = None, args: str | None = None
) -> dict:
    function = {key: value for key, value in (("name", name), ("arguments", args)) if value is not None}
    delta: dict[str, Any] = {"function": function}
    if index is not None:
        delta["index"] = index
    if id is not None:
        delta.update(id=id, type="function")
    return delta


def collect(parity: Any, generator: Any, *args: Any, **kwargs: Any) -> tuple[list[StreamingChunk], Any]:
    seen: list[StreamingChunk] = []
    result = parity.run(generator, *args, streaming_callback=seen.append, **kwargs)
    return seen, result["replies"]


def test_streamed_text_callback_and_final_reply(
    make_generator: Any, fake_server: Any, parity: Any, flavor: Any
) -> None:
    events = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk({}, finish="stop"),
        usage_chunk(),
    ]
    fake_server.script(Reply.sse(events))
    seen, (reply,) = collect(parity, make_generator(), "hi")
    assert "".join(c.content for c in seen) == "Hello"
    assert len(seen) == len(events)
    assert seen[1].start is True
    assert seen[2].start is False
    assert seen[3].finish_reason == "stop"
    assert seen[4].meta["usage"] == USAGE
    info = seen[0].component_info
    assert isinstance(info, ComponentInfo)
    assert info.type == f"{flavor.cls.__module__}.{flavor.cls.__name__}"
    flavor.check_request(fake_server.requests[0])
    assert reply.text == "Hello"
    assert reply.meta["usage"] == USAGE
    assert reply.meta["finish_reason"] == "stop"
    assert reply.meta["model"] == "m-1"
    assert isinstance(reply.meta["completion_start_time"], str)
    body = fake_server.requests[0].json
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_init_callback_is_used_and_run_callback_wins(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    init_seen: list[StreamingChunk] = []
    fake_server.script(Reply.sse(text_chunks(["a", "b"])), Reply.sse(text_chunks(["c"])))
    generator = make_generator(streaming_callback=init_seen.append)
    assert parity.run(generator, "hi")["replies"][0].text == "ab"
    assert "".join(c.content for c in init_seen) == "ab"
    run_seen, (reply,) = collect(parity, generator, "again")
    assert reply.text == "c"
    assert "".join(c.content for c in run_seen) == "c"
    assert "".join(c.content for c in init_seen) == "ab"


def test_async_callback_in_sync_run_is_rejected(make_generator: Any) -> None:
    async def callback(chunk: StreamingChunk) -> None:
        pass

    with pytest.raises(ValueError, match="run_async"):
        make_generator().run("hi", streaming_callback=callback)


async def test_run_async_awaits_async_callbacks(make_generator: Any, fake_server: Any) -> None:
    fake_server.script(Reply.sse(text_chunks(["x", "y"])))
    seen: list[str] = []

    async def callback(chunk: StreamingChunk) -> None:
        seen.append(chunk.content)

    reply = (await make_generator().run_async("hi", streaming_callback=callback))["replies"][0]
    assert "".join(seen) == "xy" == reply.text


def test_streamed_reply_equals_non_streamed_reply(make_generator: Any, fake_server: Any, parity: Any) -> None:
    calls = [
        {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "tea"}'}}
    ]
    body = completion(
        "", model="m-1", usage=USAGE, finish_reason="tool_calls", tool_calls=calls, reasoning_content="hmm ok"
    )
    body["choices"][0]["message"]["content"] = "Sure."
    events = [
        chunk({"role": "assistant", "reasoning_content": "hmm"}),
        chunk({"reasoning_content": " ok"}),
        chunk({"content": "Sure."}),
        chunk({"tool_calls": [call(0, id="call_1", name="lookup", args="")]}),
        chunk({"tool_calls": [call(0, args='{"q": ')]}),
        chunk({"tool_calls": [call(0, args='"tea"}')]}),
        chunk({}, finish="tool_calls"),
        usage_chunk(),
    ]
    fake_server.script(Reply.json(body), Reply.sse(events))
    generator = make_generator()
    (plain,) = parity.run(generator, "hi")["replies"]
    _, (streamed,) = collect(parity, generator, "hi")
    assert streamed.text == plain.text == "Sure."
    assert (
        streamed.tool_calls
        == plain.tool_calls
        == [ToolCall(tool_name="lookup", arguments={"q": "tea"}, id="call_1")]
    )
    assert streamed.reasoning == plain.reasoning
    for key in ("model", "index", "finish_reason", "usage"):
        assert streamed.meta[key] == plain.meta[key], key
    assert set(streamed.meta) - set(plain.meta) == {"completion_start_time"}
    assert {**streamed.meta, "completion_start_time": None} == {**plain.meta, "completion_start_time": None}
    assert streamed.role == plain.role


def test_caller_stream_options_are_kept(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.sse(text_chunks(["a"])))
    collect(parity, make_generator(), "hi", generation_kwargs={"stream_options": {"include_usage": False}})
    assert fake_server.requests[0].json["stream_options"] == {"include_usage": False}


@pytest.mark.parametrize("status", [400, 422])
def test_rejected_stream_options_are_dropped_and_remembered(
    make_generator: Any, fake_server: Any, parity: Any, status: int
) -> None:
    rejection = {
        "error": {"message": "Unrecognized request argument supplied: stream_options", "type": "invalid"}
    }
    fake_server.script(
        Reply.json(rejection, status=status),
        Reply.sse(text_chunks(["ok"])),
        Reply.sse(text_chunks(["again"])),
    )
    generator = make_generator()
    assert collect(parity, generator, "hi")[1][0].text == "ok"
    assert collect(parity, generator, "hi")[1][0].text == "again"
    first, second, third = (request.json for request in fake_server.requests)
    assert "stream_options" in first
    assert "stream_options" not in second
    assert "stream_options" not in third


def test_other_bad_requests_are_not_retried(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.json({"error": {"message": "model not supported"}}, status=400))
    error = parity.raises(BadRequestError, make_generator(), "hi", streaming_callback=lambda c: None)
    assert "model not supported" in str(error)
    assert len(fake_server.requests) == 1


def test_rejection_of_the_callers_own_stream_options_is_raised(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(Reply.json({"detail": [{"loc": ["body", "stream_options"]}]}, status=422))
    parity.raises(
        UnprocessableEntityError,
        make_generator(),
        "hi",
        streaming_callback=lambda c: None,
        generation_kwargs={"stream_options": {"include_usage": True}},
    )
    assert len(fake_server.requests) == 1


# ---- quirks of real servers, each through the fake server ------------------------------------


def test_llama_cpp_repeats_tool_name_and_id(make_generator: Any, fake_server: Any, parity: Any) -> None:
    pieces = ['{"city":', ' "Oslo"', "}"]
    events = [chunk({"tool_calls": [call(0, id="c1", name="get_weather", args=p)]}) for p in pieces]
    fake_server.script(Reply.sse([*events, chunk({}, finish="tool_calls")]))
    seen, (reply,) = collect(parity, make_generator(), "weather?")
    assert reply.tool_calls == [ToolCall(tool_name="get_weather", arguments={"city": "Oslo"}, id="c1")]
    assert [d.tool_name for c in seen for d in c.tool_calls or [] if d.tool_name] == ["get_weather"]


def test_ollama_omits_tool_call_index(make_generator: Any, fake_server: Any, parity: Any) -> None:
    events = [
        chunk({"tool_calls": [call(None, id="a", name="first", args='{"n": 1}')]}),
        chunk({"tool_calls": [call(None, id="b", name="second", args='{"n"')]}),
        chunk({"tool_calls": [call(None, args=": 2}")]}),
        chunk({}, finish="tool_calls"),
    ]
    fake_server.script(Reply.sse(events))
    _, (reply,) = collect(parity, make_generator(), "go")
    assert [(c.tool_name, c.arguments, c.id) for c in reply.tool_calls] == [
        ("first", {"n": 1}, "a"),
        ("second", {"n": 2}, "b"),
    ]


def test_gemini_sends_empty_object_then_whole_json(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    events = [
        chunk({"tool_calls": [call(0, id="g1", name="search", args="{}")]}),
        chunk({"tool_calls": [call(0, args='{"query": "haybale"}')]}),
        chunk({}, finish="tool_calls"),
    ]
    fake_server.script(Reply.sse(events))
    _, (reply,) = collect(parity, make_generator(), "go")
    assert reply.tool_calls[0].arguments == {"query": "haybale"}
    assert reply.tool_calls[0].extra is None


def test_zero_argument_tool_and_several_calls_in_one_chunk(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    events = [
        chunk({"tool_calls": [call(0, id="a", name="now", args=""), call(1, id="b", name="today", args="")]}),
        chunk({}, finish="tool_calls"),
    ]
    fake_server.script(Reply.sse(events))
    seen, (reply,) = collect(parity, make_generator(), "time?")
    assert [(c.tool_name, c.arguments, c.id) for c in reply.tool_calls] == [
        ("now", {}, "a"),
        ("today", {}, "b"),
    ]
    assert [d.index for d in seen[0].tool_calls] == [0, 1]


def test_invalid_streamed_arguments_are_kept_visible(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    events = [
        chunk({"tool_calls": [call(0, id="x", name="f", args="{'single': quotes}")]}),
        chunk({}, finish="stop"),
    ]
    fake_server.script(Reply.sse(events))
    _, (reply,) = collect(parity, make_generator(), "go")
    assert reply.tool_calls == [
        ToolCall(tool_name="f", arguments={}, id="x", extra={"raw_arguments": "{'single': quotes}"})
    ]


def test_azure_empty_choices_and_chunks_without_delta(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    filter_chunk = {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [],
        "prompt_filter_results": [],
    }
    no_delta = {**chunk(None, finish="stop")}
    fake_server.script(Reply.sse([filter_chunk, chunk({"content": "fine"}), no_delta, usage_chunk()]))
    seen, (reply,) = collect(parity, make_generator(), "go")
    assert reply.text == "fine"
    assert reply.meta["finish_reason"] == "stop"
    assert reply.meta["model"] == "m-1"
    assert reply.meta["usage"] == USAGE
    assert len(seen) == 4


def test_usage_in_a_non_final_chunk(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.sse([chunk({"content": "a"}), chunk({}, finish="stop", usage=USAGE), chunk({})]))
    _, (reply,) = collect(parity, make_generator(), "go")
    assert reply.meta["usage"] == USAGE


def test_sse_comments_and_crlf_are_ignored(make_generator: Any, fake_server: Any, parity: Any) -> None:
    raw = "data: " + json.dumps(chunk({"content": "b"})) + "\r\n\r\n"
    fake_server.script(
        Reply.sse(
            [
                ": OPENROUTER PROCESSING\n\n",
                chunk({"content": "a"}),
                ": keep-alive\n\n",
                raw,
                chunk({}, finish="stop"),
            ]
        )
    )
    seen, (reply,) = collect(parity, make_generator(), "go")
    assert reply.text == "ab"
    assert len(seen) == 3


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_streamed_reasoning(make_generator: Any, fake_server: Any, parity: Any, field: str) -> None:
    fake_server.script(
        Reply.sse(
            [
                chunk({field: "Let me "}),
                chunk({field: "think."}),
                chunk({"content": "42"}),
                chunk({}, finish="stop"),
            ]
        )
    )
    seen, (reply,) = collect(parity, make_generator(), "meaning?")
    assert [c.reasoning.reasoning_text for c in seen if c.reasoning] == ["Let me ", "think."]
    assert reply.reasoning is not None
    assert reply.reasoning.reasoning_text == "Let me think."
    assert reply.text == "42"


def test_stream_without_done_marker_still_completes(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(Reply.sse(text_chunks(["no ", "done"]), done=False))
    _, (reply,) = collect(parity, make_generator(), "go")
    assert reply.text == "no done"
