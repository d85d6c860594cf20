"""OpenAIChatGenerator end to end against the real llama-cpp-python server: structure, not wisdom."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.dataclasses import ChatMessage, ChatRole, StreamingChunk
from haybale.tools import Tool

pytestmark = pytest.mark.e2e

Make = Callable[..., OpenAIChatGenerator]

WEATHER = Tool(
    name="get_weather",
    description="Get the current weather for a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string", "description": "The city name"}},
        "required": ["city"],
    },
    function=lambda city: f"Sunny in {city}",
)
FORCE_WEATHER = {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}}

PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def _check_reply_meta(reply: ChatMessage, model: str) -> None:
    assert reply.role == ChatRole.ASSISTANT
    assert reply.meta["model"] == model
    assert reply.meta["index"] == 0
    assert reply.meta["finish_reason"] in {"stop", "length", "tool_calls"}
    usage = reply.meta["usage"]
    assert usage["prompt_tokens"] > 0
    assert 0 < usage["completion_tokens"] <= 48
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_plain_reply(make_local: Make) -> None:
    generator = make_local()
    replies = generator.run([ChatMessage.from_user("What is the capital of France?")])["replies"]
    assert len(replies) == 1
    assert replies[0].text
    assert replies[0].tool_calls == []
    _check_reply_meta(replies[0], generator.model)


async def test_plain_reply_async_matches_sync(make_local: Make) -> None:
    generator = make_local()
    messages = [ChatMessage.from_system("Answer briefly."), ChatMessage.from_user("Name a colour.")]
    sync_reply = generator.run(messages)["replies"][0]
    async_reply = (await generator.run_async(messages))["replies"][0]
    # Temperature 0 and a fixed seed make the two identical on the same server.
    assert async_reply.text == sync_reply.text


def test_streamed_reply_equals_its_chunks(make_local: Make) -> None:
    chunks: list[StreamingChunk] = []
    generator = make_local(streaming_callback=chunks.append)
    reply = generator.run([ChatMessage.from_user("Tell me about cats in two sentences.")])["replies"][0]
    text_chunks = [chunk.content for chunk in chunks if chunk.content]
    assert len(text_chunks) > 1
    assert "".join(text_chunks) == reply.text
    assert "completion_start_time" in reply.meta
    assert reply.meta["finish_reason"] in {"stop", "length"}


def test_streamed_and_plain_replies_agree(make_local: Make) -> None:
    messages = [ChatMessage.from_user("Say one word.")]
    # llama.cpp reuses the evaluated prefix of the previous prompt, and a prompt evaluated cold
    # can tip greedy decoding to another near-tie token. Send the prompt once first so that both
    # compared calls see the same server state.
    make_local().run(messages)
    plain = make_local().run(messages)["replies"][0]
    streamed = make_local(streaming_callback=lambda chunk: None).run(messages)["replies"][0]
    assert streamed.text == plain.text


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_forced_tool_call_has_the_exact_name_and_dict_arguments(make_local: Make, stream: bool) -> None:
    chunks: list[StreamingChunk] = []
    generator = make_local(tools=[WEATHER], streaming_callback=chunks.append if stream else None)
    reply = generator.run(
        [ChatMessage.from_user("What's the weather like in Paris?")], generation_kwargs=FORCE_WEATHER
    )["replies"][0]
    assert len(reply.tool_calls) == 1
    call = reply.tool_calls[0]
    # llama.cpp repeats the name in every streamed chunk; it must not be concatenated.
    assert call.tool_name == "get_weather"
    assert isinstance(call.arguments, dict)
    assert isinstance(call.arguments["city"], str)
    assert call.id
    assert reply.meta["finish_reason"] == "tool_calls"
    if stream:
        assert any(chunk.tool_calls for chunk in chunks)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_tool_loop_call_result_then_answer(make_local: Make, stream: bool) -> None:
    # The whole loop a user runs: the assistant's tool call and the tool's result go back to the
    # server, whose chat template must accept them (it failed on a missing assistant content).
    generator = make_local(tools=[WEATHER], streaming_callback=(lambda chunk: None) if stream else None)
    question = ChatMessage.from_user("What's the weather like in Paris?")
    assistant = generator.run([question], generation_kwargs=FORCE_WEATHER)["replies"][0]
    call = assistant.tool_calls[0]
    result = ChatMessage.from_tool(WEATHER.invoke(**call.arguments), origin=call)
    answer = generator.run([question, assistant, result], tools=[])["replies"][0]
    assert answer.text
    assert not answer.tool_calls
    assert answer.meta["finish_reason"] in {"stop", "length"}


def _check_person(value: Any) -> None:
    assert isinstance(value, dict)
    assert set(PERSON_SCHEMA["required"]) <= set(value)
    assert isinstance(value["name"], str)
    assert isinstance(value["age"], int)
    assert not isinstance(value["age"], bool)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_json_output_follows_the_schema(make_local: Make, stream: bool) -> None:
    generator = make_local(streaming_callback=(lambda chunk: None) if stream else None)
    response_format = {"type": "json_object", "schema": PERSON_SCHEMA}
    reply = generator.run(
        [ChatMessage.from_user("Describe a person called Ann who is 30 years old, as JSON.")],
        generation_kwargs={"response_format": response_format, "max_tokens": 64},
    )["replies"][0]
    assert reply.text is not None
    _check_person(json.loads(reply.text))


class Person(BaseModel):
    name: str
    age: int


def test_pydantic_response_format_works_on_llama_cpp(make_local: Make) -> None:
    # llama.cpp refuses the json_schema type; haybale falls back to json_object with the schema.
    settings = {"temperature": 0, "seed": 7, "max_tokens": 64, "response_format": Person}
    generator = make_local(generation_kwargs=settings)
    reply = generator.run([ChatMessage.from_user("Describe Ann, who is 30 years old, as JSON.")])["replies"][
        0
    ]
    assert "structured_output_error" not in reply.meta
    person = Person.model_validate_json(reply.text or "")
    assert isinstance(person.age, int)
