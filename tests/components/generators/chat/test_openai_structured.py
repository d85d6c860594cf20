"""Structured output: pydantic models, JSON-schema dicts and json_object, streamed or not."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from pydantic import BaseModel

from fake_server import Reply
from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.errors import BadRequestError


class City(BaseModel):
    name: str
    population: int


class Answer(BaseModel):
    city: City
    sources: list[str]


def body(content: str | None, **message: Any) -> dict[str, Any]:
    return {
        "id": "x",
        "object": "chat.completion",
        "model": "m-1",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content, **message},
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def text_stream(text: str, pieces: int = 3) -> list[dict[str, Any]]:
    size = max(1, len(text) // pieces)
    parts = [text[i : i + size] for i in range(0, len(text), size)]
    chunks = [{"id": "s", "model": "m-1", "choices": [{"index": 0, "delta": {"content": p}}]} for p in parts]
    return [
        *chunks,
        {"id": "s", "model": "m-1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]


VALID = json.dumps({"city": {"name": "Paris", "population": 2100000}, "sources": ["wiki"]})


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_pydantic_model_becomes_strict_json_schema_and_reply_validates(
    make_openai: Any, fake_server: Any, parity: Any, stream: bool, caplog: pytest.LogCaptureFixture
) -> None:
    fake_server.script(Reply.sse(text_stream(VALID)) if stream else Reply.json(body(VALID)))
    generator = make_openai(generation_kwargs={"response_format": Answer})
    kwargs = {"streaming_callback": lambda chunk: None} if stream else {}
    with caplog.at_level(logging.WARNING, logger="haybale"):
        reply = parity.run(generator, "Largest French city?", **kwargs)["replies"][0]
    assert Answer.model_validate_json(reply.text).city.name == "Paris"
    assert "structured_output_error" not in reply.meta
    assert caplog.text == ""
    fmt = fake_server.requests[0].json["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Answer"
    assert fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["city", "sources"]
    assert schema["$defs"]["City"]["additionalProperties"] is False


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_invalid_structured_reply_is_kept_with_the_error_in_meta(
    make_openai: Any, fake_server: Any, parity: Any, stream: bool, caplog: pytest.LogCaptureFixture
) -> None:
    bad = '{"city": {"name": "Paris"}}'
    fake_server.script(Reply.sse(text_stream(bad)) if stream else Reply.json(body(bad)))
    kwargs = {"streaming_callback": lambda chunk: None} if stream else {}
    with caplog.at_level(logging.WARNING, logger="haybale"):
        reply = parity.run(make_openai(), "hi", generation_kwargs={"response_format": Answer}, **kwargs)[
            "replies"
        ][0]
    assert reply.text == bad
    assert "population" in reply.meta["structured_output_error"]
    assert "response_format Answer" in caplog.text


def test_json_schema_dict_and_json_object_pass_through(
    make_openai: Any, fake_server: Any, parity: Any
) -> None:
    schema_format = {
        "type": "json_schema",
        "json_schema": {"name": "t", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}},
    }
    fake_server.script(Reply.json(body('{"a": "x"}')), Reply.json(body("{}")))
    generator = make_openai()
    assert (
        parity.run(generator, "hi", generation_kwargs={"response_format": schema_format})["replies"][0].text
        == '{"a": "x"}'
    )
    parity.run(generator, "hi", generation_kwargs={"response_format": {"type": "json_object"}})
    assert fake_server.requests[0].json["response_format"] == schema_format
    assert fake_server.requests[1].json["response_format"] == {"type": "json_object"}


def test_refusal_goes_to_meta(make_openai: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.json(body(None, refusal="I can't help with that.")))
    reply = parity.run(make_openai(), "hi", generation_kwargs={"response_format": Answer})["replies"][0]
    assert reply.meta["refusal"] == "I can't help with that."
    assert reply.text is None
    assert "structured_output_error" not in reply.meta


def test_streamed_refusal_goes_to_meta(make_openai: Any, fake_server: Any, parity: Any) -> None:
    events = [
        {"id": "s", "model": "m-1", "choices": [{"index": 0, "delta": {"refusal": "No"}}]},
        {
            "id": "s",
            "model": "m-1",
            "choices": [{"index": 0, "delta": {"refusal": " way."}, "finish_reason": "stop"}],
        },
    ]
    fake_server.script(Reply.sse(events))
    reply = parity.run(make_openai(), "hi", streaming_callback=lambda c: None)["replies"][0]
    assert reply.meta["refusal"] == "No way."


def test_to_dict_stores_a_pydantic_response_format_as_its_schema() -> None:
    generator = OpenAIChatGenerator(generation_kwargs={"response_format": Answer, "temperature": 0})
    data = generator.to_dict()
    fmt = data["init_parameters"]["generation_kwargs"]["response_format"]
    assert fmt["json_schema"]["name"] == "Answer"
    assert fmt["type"] == "json_schema"
    json.dumps(data)
    restored = OpenAIChatGenerator.from_dict(data)
    assert restored.generation_kwargs["response_format"] == fmt
    assert generator.generation_kwargs["response_format"] is Answer


# What llama-cpp-python's server answers to a json_schema response format (status 500, sic).
LLAMA_CPP_REJECTION = {
    "error": {
        "message": "1 validation error:\n  {'type': 'literal_error', "
        "'loc': ('body', 'response_format', 'type'), "
        "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}",
        "type": "internal_server_error",
    }
}


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_rejected_json_schema_falls_back_to_json_object_and_is_remembered(
    make_openai: Any, fake_server: Any, parity: Any, stream: bool
) -> None:
    answer = Reply.sse(text_stream(VALID)) if stream else Reply.json(body(VALID))
    again = Reply.sse(text_stream(VALID)) if stream else Reply.json(body(VALID))
    fake_server.script(Reply.json(LLAMA_CPP_REJECTION, status=500), answer, again)
    callback = (lambda chunk: None) if stream else None
    # Retries are on: the rejection is final, so it must go straight to the fallback.
    generator = make_openai(
        generation_kwargs={"response_format": Answer}, streaming_callback=callback, max_retries=3
    )
    reply = parity.run(generator, "Biggest city?")["replies"][0]
    assert json.loads(reply.text) == json.loads(VALID)
    assert "structured_output_error" not in reply.meta
    rejected, retried = (request.json["response_format"] for request in fake_server.requests)
    assert rejected["type"] == "json_schema"
    assert retried == {"type": "json_object", "schema": rejected["json_schema"]["schema"]}
    parity.run(generator, "Again?")  # the verdict is remembered: no second rejection
    assert fake_server.requests[2].json["response_format"] == retried


def test_other_rejections_of_a_response_format_are_raised(make_openai: Any, fake_server: Any) -> None:
    fake_server.script(Reply.json({"error": {"message": "schema too deep"}}, status=400))
    with pytest.raises(BadRequestError, match="schema too deep"):
        make_openai(generation_kwargs={"response_format": Answer}).run("hi")
    assert len(fake_server.requests) == 1
