"""Parsing non-streamed completions into ChatMessages (pure, no network)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from haybale._wire.endpoint import OpenAIEndpoint
from haybale._wire.response import parse_arguments, parse_completion
from haybale.dataclasses import ReasoningContent, ToolCall
from haybale.errors import APIResponseError

USAGE = {
    "prompt_tokens": 9,
    "completion_tokens": 3,
    "total_tokens": 12,
    "prompt_tokens_details": {"cached_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0},
}


def endpoint() -> OpenAIEndpoint:
    return OpenAIEndpoint(base_url="http://127.0.0.1:1/v1", api_key=None)


def completion(*choices: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "id": "x",
        "object": "chat.completion",
        "model": "m1",
        "choices": list(choices),
        "usage": USAGE,
        **top,
    }


def choice(message: dict[str, Any], *, index: int = 0, finish: str = "stop", **extra: Any) -> dict[str, Any]:
    return {"index": index, "message": {"role": "assistant", **message}, "finish_reason": finish, **extra}


def test_text_reply_and_meta() -> None:
    (reply,) = parse_completion(completion(choice({"content": "Hi there"})), endpoint())
    assert reply.text == "Hi there"
    assert reply.meta == {"model": "m1", "index": 0, "finish_reason": "stop", "usage": USAGE}


def test_n_choices_become_n_replies() -> None:
    replies = parse_completion(
        completion(choice({"content": "a"}), choice({"content": "b"}, index=1)), endpoint()
    )
    assert [r.text for r in replies] == ["a", "b"]
    assert [r.meta["index"] for r in replies] == [0, 1]


def test_tool_calls_keep_ids_and_parse_arguments() -> None:
    calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
        },
        {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": ""}},
    ]
    (reply,) = parse_completion(
        completion(choice({"content": None, "tool_calls": calls}, finish="tool_calls")), endpoint()
    )
    assert reply.text is None
    assert reply.tool_calls == [
        ToolCall(tool_name="weather", arguments={"city": "Paris"}, id="call_1"),
        ToolCall(tool_name="now", arguments={}, id="call_2"),
    ]


def test_invalid_arguments_keep_the_call_visible(caplog: pytest.LogCaptureFixture) -> None:
    calls = [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "not json"}}]
    with caplog.at_level(logging.WARNING, logger="haybale"):
        (reply,) = parse_completion(completion(choice({"tool_calls": calls})), endpoint())
    assert reply.tool_calls == [
        ToolCall(tool_name="f", arguments={}, id="c", extra={"raw_arguments": "not json"})
    ]
    assert "raw_arguments" in caplog.text


def test_logprobs_and_refusal_in_meta() -> None:
    logprobs = {"content": [{"token": "a", "logprob": -0.5, "bytes": [97], "top_logprobs": []}]}
    (reply,) = parse_completion(
        completion(choice({"content": None, "refusal": "I can't help with that."}, logprobs=logprobs)),
        endpoint(),
    )
    assert reply.meta["logprobs"] == logprobs
    assert reply.meta["refusal"] == "I can't help with that."


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_fields(field: str) -> None:
    (reply,) = parse_completion(completion(choice({"content": "42", field: "I thought"})), endpoint())
    assert reply.reasoning == ReasoningContent(reasoning_text="I thought")
    assert reply.text == "42"


def test_reasoning_details_are_kept_in_extra() -> None:
    details = [{"type": "reasoning.text", "text": "step", "index": 0}]
    (reply,) = parse_completion(
        completion(choice({"content": "ok", "reasoning": "step", "reasoning_details": details})), endpoint()
    )
    assert reply.reasoning == ReasoningContent(reasoning_text="step", extra={"reasoning_details": details})


def test_reasoning_details_alone_give_their_text() -> None:
    details = [{"type": "reasoning.summary", "summary": "short", "index": 0}]
    (reply,) = parse_completion(
        completion(choice({"content": "ok", "reasoning_details": details})), endpoint()
    )
    assert reply.reasoning.reasoning_text == "short"


def test_content_parts_are_joined() -> None:
    parts = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    (reply,) = parse_completion(completion(choice({"content": parts})), endpoint())
    assert reply.text == "ab"


@pytest.mark.parametrize(
    "body", [{"error": {"message": "model overloaded"}}, {"object": "list"}, [1, 2], "text"], ids=str
)
def test_body_without_choices_raises_response_error(body: Any) -> None:
    with pytest.raises(APIResponseError) as info:
        parse_completion(body, endpoint())
    assert "choices" in str(info.value)
    assert info.value.provider == "openai"
    if isinstance(body, dict) and "error" in body:
        assert "model overloaded" in str(info.value)


@pytest.mark.parametrize(
    ("fragments", "expected"),
    [
        ([""], {}),
        (["  "], {}),
        ([None], {}),
        (['{"a": 1}'], {"a": 1}),
        ([{"a": 1}], {"a": 1}),
        (['"{\\"a\\": 1}"'], {"a": 1}),
        (["{}", '{"a": 1}'], {"a": 1}),
        (['{"a"', ": 1}"], {"a": 1}),
    ],
)
def test_parse_arguments_variants(fragments: list[Any], expected: dict[str, Any]) -> None:
    assert parse_arguments(fragments, "t") == (expected, None)


@pytest.mark.parametrize("raw", ["[1, 2]", "42", "{bad"])
def test_parse_arguments_non_objects_are_kept_raw(raw: str) -> None:
    assert parse_arguments([raw], "t") == ({}, {"raw_arguments": raw})


class MetaEndpoint(OpenAIEndpoint):
    def reply_meta(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        return {"provider": payload.get("provider")}

    def choice_meta(self, choice: dict[str, Any]) -> dict[str, Any] | None:
        return {"content_filter_results": choice.get("content_filter_results")}


def test_endpoint_meta_hooks_are_merged() -> None:
    body = completion(choice({"content": "x"}, content_filter_results={"hate": {}}), provider="Groq")
    (reply,) = parse_completion(body, MetaEndpoint(base_url="http://x", api_key=None))
    assert reply.meta["provider"] == "Groq"
    assert reply.meta["content_filter_results"] == {"hate": {}}
