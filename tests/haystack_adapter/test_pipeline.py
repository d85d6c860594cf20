"""HaybaleOpenAIChatGenerator inside real Haystack pipelines: ChatPromptBuilder -> generator, run
against the fake server, streamed and not, with Pipeline.run and Pipeline.run_async; and the saved
pipeline (to_dict and YAML)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from haystack import Pipeline
from haystack.components.builders import ChatPromptBuilder
from haystack.dataclasses import ChatMessage, ComponentInfo, StreamingChunk, TextContent
from haystack.utils import Secret

from fake_server import Reply
from haystack_integrations.components.generators.haybale import HaybaleOpenAIChatGenerator
from payloads import completion, text_chunks

TEMPLATE = [ChatMessage.from_system("Answer briefly."), ChatMessage.from_user("Capital of {{ country }}?")]
LLM_TYPE = "haystack_integrations.components.generators.haybale.openai.HaybaleOpenAIChatGenerator"


def build(llm: Any) -> Pipeline:
    pipe = Pipeline()
    pipe.add_component("prompt", ChatPromptBuilder(template=TEMPLATE, required_variables=["country"]))
    pipe.add_component("llm", llm)
    pipe.connect("prompt.prompt", "llm.messages")
    return pipe


def run(pipe: Pipeline, data: dict[str, Any], mode: str) -> dict[str, Any]:
    if mode == "async":  # the pipeline then calls the component's run_async
        result: dict[str, Any] = asyncio.run(pipe.run_async(data))
        return result
    return pipe.run(data)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_pipeline_gets_haystack_replies(make_llm: Any, fake_server: Any, mode: str) -> None:
    fake_server.script(Reply.json(completion("Paris.")))
    result = run(build(make_llm()), {"prompt": {"country": "France"}}, mode)
    (reply,) = result["llm"]["replies"]
    assert type(reply) is ChatMessage  # Haystack's class, ready for the next component
    assert reply.text == "Paris."
    assert reply.meta["finish_reason"] == "stop"
    assert reply.meta["usage"]["total_tokens"] == 17
    sent = fake_server.requests[0]
    assert sent.headers["authorization"] == "Bearer sk-test-SECRET-77c1"
    assert sent.json["messages"] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Capital of France?"},
    ]
    assert "stream" not in sent.json


def test_a_streamed_pipeline_calls_a_haystack_callback(make_llm: Any, fake_server: Any, mode: str) -> None:
    fake_server.script(Reply.sse(text_chunks(["Pa", "ris", "."])))
    seen: list[StreamingChunk] = []
    if mode == "sync":
        callback: Any = seen.append
    else:

        async def callback(chunk: StreamingChunk) -> None:
            seen.append(chunk)

    pipe = build(make_llm(streaming_callback=callback))
    result = run(pipe, {"prompt": {"country": "France"}}, mode)
    assert all(type(chunk) is StreamingChunk for chunk in seen)
    assert "".join(chunk.content for chunk in seen) == "Paris."
    texts = [chunk for chunk in seen if chunk.content]
    assert [chunk.start for chunk in texts] == [True, False, False]
    assert seen[-1].meta["usage"]["total_tokens"] == 17
    # the chunks name the Haystack component, by its name in the pipeline
    assert all(chunk.component_info == ComponentInfo(type=LLM_TYPE, name="llm") for chunk in seen)
    (reply,) = result["llm"]["replies"]
    assert reply.text == "Paris."
    assert "completion_start_time" in reply.meta
    assert fake_server.requests[0].json["stream"] is True


def test_run_time_inputs_reach_haybale(make_llm: Any, fake_server: Any, mode: str) -> None:
    fake_server.script(Reply.sse(text_chunks(["ok"])))
    seen: list[StreamingChunk] = []

    async def async_seen(chunk: StreamingChunk) -> None:
        seen.append(chunk)

    llm = make_llm(generation_kwargs={"temperature": 0.1, "max_tokens": 5})
    data = {
        "prompt": {"country": "Peru"},
        "llm": {
            "generation_kwargs": {"temperature": 0.7},
            "streaming_callback": seen.append if mode == "sync" else async_seen,
        },
    }
    result = run(build(llm), data, mode)
    body = fake_server.requests[0].json
    assert (body["temperature"], body["max_tokens"]) == (0.7, 5)  # merged per key, the call's win
    assert result["llm"]["replies"][0].text == "ok"
    assert "".join(chunk.content for chunk in seen) == "ok"


def test_a_string_and_a_message_list_both_work_outside_pipelines(make_llm: Any, fake_server: Any) -> None:
    fake_server.script(Reply.json(completion("a")), Reply.json(completion("b")))
    llm = make_llm()
    assert llm.run("hi")["replies"][0].text == "a"
    assert asyncio.run(llm.run_async([ChatMessage.from_user("hi")]))["replies"][0].text == "b"
    assert llm.run([])["replies"] == []  # nothing to send, nothing sent
    assert len(fake_server.requests) == 2


def test_the_pipeline_round_trips_through_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    llm = HaybaleOpenAIChatGenerator(
        model="gpt-5-mini",
        api_base_url="http://127.0.0.1:9/v1",
        generation_kwargs={"temperature": 0.2},
        timeout=12.0,
        tools_strict=True,
    )
    pipe = build(llm)
    text = pipe.dumps()
    assert LLM_TYPE in text
    assert "sk-from-env" not in text  # the key is written as the variable's name only
    loaded = Pipeline.loads(text)  # Haystack's default allowlist covers haystack_integrations
    restored = loaded.get_component("llm")
    assert type(restored) is HaybaleOpenAIChatGenerator
    assert restored.api_key == Secret.from_env_var("OPENAI_API_KEY")
    assert restored.to_dict() == llm.to_dict()
    assert loaded.to_dict() == pipe.to_dict()


def test_to_dict_has_haystacks_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import BaseModel

    class City(BaseModel):
        name: str

    monkeypatch.setenv("OPENAI_API_KEY", "k")
    data = HaybaleOpenAIChatGenerator(generation_kwargs={"response_format": City}).to_dict()
    assert data["type"] == LLM_TYPE
    init = data["init_parameters"]
    assert init["api_key"] == {"type": "env_var", "env_vars": ["OPENAI_API_KEY"], "strict": True}
    assert init["generation_kwargs"]["response_format"]["type"] == "json_schema"  # a model becomes its schema
    assert init["generation_kwargs"]["response_format"]["json_schema"]["name"] == "City"
    assert set(init) == {
        "model",
        "streaming_callback",
        "api_base_url",
        "organization",
        "generation_kwargs",
        "api_key",
        "timeout",
        "max_retries",
        "tools",
        "tools_strict",
        "http_client_kwargs",
    }
    json.dumps(data)  # JSON-ready


def test_a_token_secret_refuses_to_be_saved(make_llm: Any) -> None:
    with pytest.raises(ValueError, match="token"):
        make_llm().to_dict()


def test_replies_keep_every_part_and_meta(make_llm: Any, fake_server: Any) -> None:
    fake_server.script(Reply.json(completion("Yes.", reasoning_content="think first")))
    (reply,) = make_llm().run([ChatMessage.from_user("?")])["replies"]
    assert reply.reasoning is not None
    assert reply.reasoning.reasoning_text == "think first"
    assert reply._content[1] == TextContent("Yes.")
