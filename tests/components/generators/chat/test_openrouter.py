"""OpenRouterChatGenerator against the fake server: headers, pass-through fields, reasoning, cost,
the serving provider, and errors inside a stream; then to_dict / from_dict.

The generic protocol (streaming, tools, tools_strict at run, faults) runs for OpenRouter too,
through ``make_generator``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fake_server import Reply
from haybale.components.generators import openrouter
from haybale.components.generators.chat import OpenRouterChatGenerator
from haybale.components.generators.utils import print_streaming_chunk
from haybale.core.serialization import component_from_dict
from haybale.dataclasses import ChatMessage, ReasoningContent, StreamingChunk
from haybale.errors import APIResponseError, ConfigurationError, SerializationError
from haybale.tools import Tool
from haybale.utils import Secret
from payloads import completion

TYPE = "haybale.components.generators.chat.openrouter.OpenRouterChatGenerator"
HAYSTACK_TYPE = (
    "haystack_integrations.components.generators.openrouter.chat.chat_generator.OpenRouterChatGenerator"
)
PARAMS = {"type": "object", "properties": {"x": {"type": "string"}}}
USAGE = {
    "prompt_tokens": 14,
    "completion_tokens": 9,
    "total_tokens": 23,
    "cost": 0.0000421,
    "is_byok": False,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "cost_details": {"upstream_inference_cost": None},
    "completion_tokens_details": {"reasoning_tokens": 5, "image_tokens": 0},
}
DETAILS = [
    {"type": "reasoning.text", "text": "Two and two make four.", "format": "anthropic-claude-v1", "index": 0},
    {"type": "reasoning.encrypted", "data": "gAAAAB-opaque", "format": "anthropic-claude-v1", "index": 1},
]


def chunk(delta: dict[str, Any] | None, finish: str | None = None, **top: Any) -> dict[str, Any]:
    """A chunk as OpenRouter streams it: the serving provider named on every chunk."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": "gen-123",
        "provider": "Anthropic",
        "model": "anthropic/claude-sonnet-4",
        "object": "chat.completion.chunk",
        "created": 1,
        "choices": choices,
        **top,
    }


def reasoning_completion() -> dict[str, Any]:
    return completion(
        "4",
        model="anthropic/claude-sonnet-4",
        usage=USAGE,
        provider="Anthropic",
        extra_message={"reasoning": "Two and two make four.", "reasoning_details": DETAILS},
    )


def reasoning_events() -> list[dict[str, Any] | str]:
    text, encrypted = DETAILS
    return [
        ": OPENROUTER PROCESSING\n\n",
        chunk(
            {
                "role": "assistant",
                "content": "",
                "reasoning": "Two and two ",
                "reasoning_details": [{**text, "text": "Two and two "}],
            }
        ),
        ": OPENROUTER PROCESSING\n\n",
        chunk(
            {"content": "", "reasoning": "make four.", "reasoning_details": [{**text, "text": "make four."}]}
        ),
        chunk({"content": "", "reasoning_details": [encrypted]}),
        chunk({"content": "4"}),
        chunk({}, "stop"),
        chunk(None, usage=USAGE),
    ]


# ---- configuration ------------------------------------------------------------------------------


def test_defaults_point_at_openrouter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://wrong.example/v1")  # must not be used
    for generator in (OpenRouterChatGenerator(), OpenRouterChatGenerator(api_base_url=None)):
        assert generator.model == "openai/gpt-4o-mini"
        assert (
            generator._make_endpoint().url_for("/chat/completions")
            == "https://openrouter.ai/api/v1/chat/completions"
        )
    assert openrouter.OpenRouterChatGenerator is OpenRouterChatGenerator


def test_init_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        OpenRouterChatGenerator(Secret.from_token("k"))  # type: ignore[misc]


def test_key_from_openrouter_api_key(fake_server: Any, parity: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = OpenRouterChatGenerator(api_base_url=fake_server.base_url, max_retries=0)
    error = parity.raises(ConfigurationError, generator, "hi")
    assert (
        str(error)
        == "No API key for OpenRouter: set OPENROUTER_API_KEY or pass api_key=Secret.from_token(...)"
    )
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-env")
    fake_server.script(Reply.json(completion()))
    with OpenRouterChatGenerator(api_base_url=fake_server.base_url, max_retries=0) as generator:
        parity.run(generator, "hi")
    assert fake_server.requests[0].headers["authorization"] == "Bearer sk-or-env"


def test_plain_string_key_is_refused_without_echo() -> None:
    with pytest.raises(TypeError, match="OPENROUTER_API_KEY") as info:
        OpenRouterChatGenerator(api_key="sk-or-SECRET")  # type: ignore[arg-type]
    assert "SECRET" not in str(info.value)


@pytest.mark.parametrize("stream", [False, True])
def test_extra_headers_on_every_request_and_retry(
    make_openrouter: Any, fake_server: Any, parity: Any, openai_key: str, stream: bool
) -> None:
    ok = Reply.sse([chunk({"content": "hi"}, "stop")]) if stream else Reply.json(completion("hi"))
    fake_server.script(Reply.json({"error": {"message": "overloaded"}}, status=502), ok)
    headers = {"HTTP-Referer": "https://myapp.example", "X-Title": "My App", "X-Build": 42}
    generator = make_openrouter(extra_headers=headers, max_retries=1)
    kwargs = {"streaming_callback": lambda c: None} if stream else {}
    assert parity.run(generator, "hi", **kwargs)["replies"][0].text == "hi"
    for request in fake_server.requests:
        assert request.path == "/v1/chat/completions"
        assert request.headers["http-referer"] == "https://myapp.example"
        assert request.headers["x-title"] == "My App"
        assert request.headers["x-build"] == "42"
        assert request.headers["authorization"] == f"Bearer {openai_key}"
    assert len(fake_server.requests) == 2


def test_openrouter_fields_pass_through_unchanged(
    make_openrouter: Any, fake_server: Any, parity: Any
) -> None:
    fields = {
        "provider": {"order": ["anthropic", "openai"], "allow_fallbacks": False, "data_collection": "deny"},
        "models": ["anthropic/claude-sonnet-4", "openai/gpt-4o"],
        "route": "fallback",
        "transforms": ["middle-out"],
        "reasoning": {"effort": "high", "exclude": False},
        "usage": {"include": True},
        "top_k": 40,
    }
    fake_server.script(Reply.json(completion()))
    generator = make_openrouter(generation_kwargs={"transforms": [], "max_tokens": 50})
    parity.run(generator, "hi", generation_kwargs=fields)
    assert fake_server.requests[0].json == {
        "model": "gpt-test",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 50,
        **fields,
    }


# ---- replies ------------------------------------------------------------------------------------


def test_reasoning_cost_and_provider_non_streamed(
    make_openrouter: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(Reply.json(reasoning_completion()))
    reply = parity.run(make_openrouter(), "2+2?")["replies"][0]
    assert reply.text == "4"
    assert reply.reasoning == ReasoningContent(
        reasoning_text="Two and two make four.", extra={"reasoning_details": DETAILS}
    )
    assert reply.meta["usage"] == USAGE
    assert reply.meta["provider"] == "Anthropic"
    assert reply.meta["model"] == "anthropic/claude-sonnet-4"


def test_streamed_reasoning_equals_the_non_streamed_reply(
    make_openrouter: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(Reply.json(reasoning_completion()), Reply.sse(reasoning_events()))
    generator = make_openrouter()
    plain = parity.run(generator, "2+2?")["replies"][0]
    seen: list[StreamingChunk] = []
    streamed = parity.run(generator, "2+2?", streaming_callback=seen.append)["replies"][0]
    assert [c.reasoning.reasoning_text for c in seen if c.reasoning] == ["Two and two ", "make four.", ""]
    assert "".join(c.content for c in seen) == "4"
    assert streamed.reasoning == plain.reasoning
    assert streamed.text == plain.text
    for key in ("usage", "provider", "model", "finish_reason"):
        assert streamed.meta[key] == plain.meta[key], key


def test_reasoning_details_are_sent_back_next_turn(
    make_openrouter: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(Reply.sse(reasoning_events()), Reply.json(completion("yes")))
    generator = make_openrouter()
    question = ChatMessage.from_user("2+2?")
    first = parity.run(generator, [question], streaming_callback=lambda c: None)["replies"][0]
    parity.run(generator, [question, first, ChatMessage.from_user("Sure?")])
    assistant = fake_server.requests[1].json["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["content"] == "4"
    assert assistant["reasoning_details"] == DETAILS


def test_error_inside_the_stream_keeps_the_partial_reply(
    make_openrouter: Any, fake_server: Any, parity: Any
) -> None:
    failure = chunk(
        {"content": ""},
        "error",
        error={"code": "server_error", "message": "Provider disconnected unexpectedly"},
    )
    events = [": OPENROUTER PROCESSING\n\n", chunk({"content": "Once "}), chunk({"content": "upon"}), failure]
    fake_server.script(Reply.sse(events))
    seen: list[StreamingChunk] = []
    error = parity.raises(
        APIResponseError, make_openrouter(max_retries=2), "story", streaming_callback=seen.append
    )
    assert "Provider disconnected unexpectedly" in str(error)
    assert "server_error" in str(error)
    assert error.provider == "openrouter"
    assert error.partial.text == "".join(c.content for c in seen) == "Once upon"
    assert error.partial.meta["provider"] == "Anthropic"
    assert error.body["error"]["code"] == "server_error"
    assert len(fake_server.requests) == 1


# ---- serialization ------------------------------------------------------------------------------


def test_defaults_to_dict() -> None:
    assert OpenRouterChatGenerator().to_dict() == {
        "type": TYPE,
        "init_parameters": {
            "api_key": {"type": "env_var", "env_vars": ["OPENROUTER_API_KEY"], "strict": True},
            "model": "openai/gpt-4o-mini",
            "streaming_callback": None,
            "api_base_url": "https://openrouter.ai/api/v1",
            "generation_kwargs": {},
            "extra_headers": None,
            "timeout": None,
            "max_retries": None,
            "tools": None,
            "http_client_kwargs": None,
        },
    }


def test_every_parameter_round_trips() -> None:
    generator = OpenRouterChatGenerator(
        api_key=Secret.from_env_var("MY_OR_KEY"),
        model="anthropic/claude-sonnet-4",
        streaming_callback=print_streaming_chunk,
        api_base_url="http://127.0.0.1:9/api/v1",
        generation_kwargs={"provider": {"order": ["anthropic"]}, "reasoning": {"effort": "low"}},
        tools=[Tool(name="echo", description="Echo x", parameters=PARAMS, function=print)],
        timeout=20.0,
        extra_headers={"HTTP-Referer": "https://myapp.example", "X-Title": "My App"},
        max_retries=3,
        http_client_kwargs={"proxy": "http://localhost:8080"},
    )
    data = generator.to_dict()
    json.dumps(data)
    restored = OpenRouterChatGenerator.from_dict(data)
    assert restored.to_dict() == data
    assert restored.extra_headers == {"HTTP-Referer": "https://myapp.example", "X-Title": "My App"}
    assert restored.streaming_callback is print_streaming_chunk
    assert restored.tools is not None
    assert restored.tools[0].name == "echo"


def test_token_secret_refuses_to_serialize_without_leaking() -> None:
    with pytest.raises(SerializationError) as info:
        OpenRouterChatGenerator(api_key=Secret.from_token("sk-or-SECRET")).to_dict()
    assert "SECRET" not in str(info.value)


def test_reads_the_dict_haystack_writes() -> None:
    data = {
        "type": HAYSTACK_TYPE,
        "init_parameters": {
            "api_key": {"env_vars": ["OPENROUTER_API_KEY"], "strict": True, "type": "env_var"},
            "model": "openai/gpt-4o-mini",
            "api_base_url": "test-base-url",
            "streaming_callback": "haystack.components.generators.utils.print_streaming_chunk",
            "generation_kwargs": {"max_tokens": 10, "some_test_param": "test-params"},
            "extra_headers": {"test-header": "test-value"},
            "timeout": 10,
            "max_retries": 10,
            "tools": [
                {
                    "type": "haystack.tools.tool.Tool",
                    "data": {
                        "name": "n",
                        "description": "d",
                        "parameters": PARAMS,
                        "function": "builtins.print",
                    },
                }
            ],
            "http_client_kwargs": {"proxy": "http://localhost:8080"},
        },
    }
    snapshot = json.dumps(data, sort_keys=True)
    generator = OpenRouterChatGenerator.from_dict(data)
    assert json.dumps(data, sort_keys=True) == snapshot
    assert generator.api_base_url == "test-base-url"
    assert generator.streaming_callback is print_streaming_chunk
    assert generator.extra_headers == {"test-header": "test-value"}
    assert (generator.timeout, generator.max_retries) == (10, 10)
    assert generator.api_key == Secret.from_env_var("OPENROUTER_API_KEY")
    assert generator.tools is not None
    assert generator.tools[0].function is print
    assert generator.to_dict()["type"] == TYPE
    assert isinstance(component_from_dict(data), OpenRouterChatGenerator)
