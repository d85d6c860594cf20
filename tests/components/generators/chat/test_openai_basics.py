"""OpenAIChatGenerator basics against the fake server: what is sent and what comes back.

Tests using ``make_generator`` run once per generator class (OpenAI, Azure, OpenRouter).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import pytest

from fake_server import Reply
from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.dataclasses import ChatMessage, FileContent, ImageContent, TextContent
from haybale.errors import ConfigurationError, InternalServerError
from haybale.tools import Tool
from haybale.utils import Secret
from payloads import completion

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


def test_text_reply_request_and_meta(
    make_openai: Any, fake_server: Any, parity: Any, openai_key: str
) -> None:
    usage = {
        "prompt_tokens": 11,
        "completion_tokens": 2,
        "total_tokens": 13,
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    fake_server.script(Reply.json(completion("Hello!", model="gpt-test-0613", usage=usage)))
    generator = make_openai(organization="org-42")
    result = parity.run(generator, [ChatMessage.from_system("Be nice."), ChatMessage.from_user("Hi")])
    (reply,) = result["replies"]
    assert reply.text == "Hello!"
    assert reply.meta == {"model": "gpt-test-0613", "index": 0, "finish_reason": "stop", "usage": usage}
    (request,) = fake_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.json == {
        "model": "gpt-test",
        "messages": [{"role": "system", "content": "Be nice."}, {"role": "user", "content": "Hi"}],
    }
    assert request.headers["authorization"] == f"Bearer {openai_key}"
    assert request.headers["openai-organization"] == "org-42"
    assert request.headers["content-type"] == "application/json"


def test_a_string_is_one_user_message(
    make_generator: Any, fake_server: Any, parity: Any, flavor: Any
) -> None:
    fake_server.script(Reply.json(completion("ok")))
    parity.run(make_generator(), "Just text")
    (request,) = fake_server.requests
    assert request.json == {"model": "gpt-test", "messages": [{"role": "user", "content": "Just text"}]}
    flavor.check_request(request)


def test_empty_messages_return_no_replies_without_a_request(fake_server: Any, parity: Any) -> None:
    generator = OpenAIChatGenerator(api_base_url=fake_server.base_url)  # no key needed: nothing is sent
    assert parity.run(generator, []) == {"replies": []}
    assert fake_server.requests == []


@pytest.mark.parametrize("bad", [[ChatMessage.from_user("a"), "b"], [{"role": "user", "content": "x"}], 42])
def test_non_chat_messages_are_rejected(make_generator: Any, parity: Any, bad: Any) -> None:
    error = parity.raises(TypeError, make_generator(), bad)
    assert "ChatMessage" in str(error)


def test_generation_kwargs_merge_key_by_key_and_pass_unknown_keys(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(Reply.json(completion("ok")))
    generator = make_generator(generation_kwargs={"temperature": 0.1, "max_completion_tokens": 50, "seed": 1})
    parity.run(generator, "hi", generation_kwargs={"temperature": 0.9, "top_k": 3, "vendor": {"x": [1, 2]}})
    body = fake_server.requests[0].json
    assert body["temperature"] == 0.9
    assert body["max_completion_tokens"] == 50
    assert body["seed"] == 1
    assert body["top_k"] == 3
    assert body["vendor"] == {"x": [1, 2]}
    assert generator.generation_kwargs == {"temperature": 0.1, "max_completion_tokens": 50, "seed": 1}


def test_n_replies(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.json(completion("same", n=3)))
    replies = parity.run(make_generator(), "hi", generation_kwargs={"n": 3})["replies"]
    assert len(replies) == 3
    assert [reply.meta["index"] for reply in replies] == [0, 1, 2]
    assert fake_server.requests[0].json["n"] == 3


def test_n_with_streaming_is_rejected(make_generator: Any, parity: Any, fake_server: Any) -> None:
    error = parity.raises(
        ValueError, make_generator(), "hi", streaming_callback=lambda c: None, generation_kwargs={"n": 2}
    )
    assert "n=2" in str(error)
    assert fake_server.requests == []
    with pytest.raises(ValueError, match="n=2"):
        make_generator(streaming_callback=print, generation_kwargs={"n": 2})


def test_missing_api_key_fails_at_warm_up_not_construction(fake_server: Any, parity: Any) -> None:
    generator = OpenAIChatGenerator(
        api_base_url=fake_server.base_url
    )  # OPENAI_API_KEY is cleared by conftest
    error = parity.raises(ConfigurationError, generator, "hi")
    assert str(error) == "No API key for OpenAI: set OPENAI_API_KEY or pass api_key=Secret.from_token(...)"
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        generator.warm_up()
    assert fake_server.requests == []


def test_environment_supplies_key_base_url_and_retries(
    fake_server: Any, parity: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_server.base_url)
    monkeypatch.setenv("OPENAI_MAX_RETRIES", "1")
    monkeypatch.setenv("OPENAI_TIMEOUT", "5")
    fake_server.script(
        Reply.json({"error": {"message": "boom"}}, status=500), Reply.json(completion("second"))
    )
    generator = OpenAIChatGenerator(model="m")
    assert parity.run(generator, "hi")["replies"][0].text == "second"
    assert len(fake_server.requests) == 2
    assert fake_server.requests[1].headers["authorization"] == "Bearer sk-env-key"
    generator.close()


def test_max_retries_argument_wins_over_environment(
    make_generator: Any, fake_server: Any, parity: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_MAX_RETRIES", "3")
    fake_server.script(Reply.json({"error": {"message": "down"}}, status=500))
    parity.raises(InternalServerError, make_generator(max_retries=0), "hi")
    assert len(fake_server.requests) == 1


def test_invalid_timeout_in_environment_is_a_configuration_error(
    fake_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_TIMEOUT", "soon")
    generator = OpenAIChatGenerator(api_key=Secret.from_token("k"), api_base_url=fake_server.base_url)
    with pytest.raises(ConfigurationError, match="OPENAI_TIMEOUT"):
        generator.warm_up()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"api_key": "sk-plain"}, TypeError, "Secret"),
        ({"timeout": 0}, ValueError, "timeout"),
        ({"max_retries": -1}, ValueError, "max_retries"),
        ({"generation_kwargs": "temperature=1"}, TypeError, "generation_kwargs"),
        ({"http_client_kwargs": ["proxy"]}, TypeError, "http_client_kwargs"),
        ({"streaming_callback": "print"}, TypeError, "streaming_callback"),
    ],
)
def test_invalid_init_parameters(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        OpenAIChatGenerator(**kwargs)


def test_plain_api_key_error_never_echoes_the_key() -> None:
    with pytest.raises(TypeError) as info:
        OpenAIChatGenerator(api_key="sk-do-not-print")  # type: ignore[arg-type]
    assert "sk-do-not-print" not in str(info.value)


class CountingTool(Tool):
    warmed = 0

    def warm_up(self) -> None:
        CountingTool.warmed += 1


def test_warm_up_is_idempotent_and_warms_tools_once(make_generator: Any) -> None:
    CountingTool.warmed = 0
    tool = CountingTool(
        name="t", description="d", parameters={"type": "object", "properties": {}}, function=print
    )
    generator = make_generator(tools=[tool])
    generator.warm_up()
    generator.warm_up()
    assert CountingTool.warmed == 1


def test_close_and_context_managers_allow_reuse(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.json(completion("one")), Reply.json(completion("two")))
    with make_generator() as generator:
        assert parity.run(generator, "a")["replies"][0].text == "one"
    assert parity.run(generator, "b")["replies"][0].text == "two"


async def test_async_context_manager_closes(make_generator: Any, fake_server: Any) -> None:
    fake_server.script(Reply.json(completion("async")))
    async with make_generator() as generator:
        reply = (await generator.run_async("a"))["replies"][0]
    assert reply.text == "async"
    await generator.close_async()  # closing twice is harmless


@pytest.mark.parametrize(
    ("finish_reason", "hint"), [("length", "max_completion_tokens"), ("content_filter", "content filter")]
)
def test_truncation_finish_reasons_log_a_warning(
    make_generator: Any,
    fake_server: Any,
    parity: Any,
    caplog: pytest.LogCaptureFixture,
    finish_reason: str,
    hint: str,
) -> None:
    fake_server.script(Reply.json(completion("cut", finish_reason=finish_reason)))
    with caplog.at_level(logging.WARNING, logger="haybale"):
        reply = parity.run(make_generator(), "hi")["replies"][0]
    assert reply.meta["finish_reason"] == finish_reason
    assert hint in caplog.text


def test_logprobs_are_in_meta(make_generator: Any, fake_server: Any, parity: Any) -> None:
    body = completion("a")
    logprobs = {
        "content": [{"token": "a", "logprob": -0.01, "bytes": [97], "top_logprobs": []}],
        "refusal": None,
    }
    body["choices"][0]["logprobs"] = logprobs
    fake_server.script(Reply.json(body))
    reply = parity.run(make_generator(), "hi", generation_kwargs={"logprobs": True})["replies"][0]
    assert reply.meta["logprobs"] == logprobs
    assert fake_server.requests[0].json["logprobs"] is True


def test_multimodal_user_message_is_sent_as_parts(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.json(completion("a cat")))
    message = ChatMessage.from_user(
        content_parts=[
            TextContent("What is this?"),
            ImageContent(base64_image=PNG, mime_type="image/png", detail="high"),
            FileContent(base64_data="JVBERi0xLjQ=", mime_type="application/pdf", filename="doc.pdf"),
        ]
    )
    parity.run(make_generator(), [message])
    (sent,) = fake_server.requests[0].json["messages"]
    assert sent["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "high"}},
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBERi0xLjQ=", "filename": "doc.pdf"},
        },
    ]


def test_reasoning_reply_is_sent_back_next_turn(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(
        Reply.json(completion("4", reasoning_content="2+2 is 4")), Reply.json(completion("yes"))
    )
    generator = make_generator()
    first = parity.run(generator, "2+2?")["replies"][0]
    assert first.reasoning is not None
    assert first.reasoning.reasoning_text == "2+2 is 4"
    parity.run(generator, [ChatMessage.from_user("2+2?"), first, ChatMessage.from_user("sure?")])
    assistant = fake_server.requests[1].json["messages"][1]
    assert assistant == {"role": "assistant", "content": "4", "reasoning_content": "2+2 is 4"}


def test_http_client_kwargs_reach_the_client(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.json(completion("ok")))
    parity.run(make_generator(http_client_kwargs={"headers": {"X-Custom": "yes"}}), "hi")
    assert fake_server.requests[0].headers["x-custom"] == "yes"


@pytest.mark.parametrize(
    "construct",
    [
        "OpenAIChatGenerator(model='m')",
        "AzureOpenAIChatGenerator(azure_endpoint='https://x.example', api_key=Secret.from_token('k'))",
        "OpenRouterChatGenerator(model='m')",
    ],
)
def test_import_and_construction_stay_light(construct: str) -> None:
    code = (
        "import sys\n"
        "from haybale.components.generators.chat import *\n"
        "from haybale.utils import Secret\n"
        f"{construct}\n"
        "heavy = [m for m in ('pydantic', 'httpx2', 'httpcore2', 'pyreqwest', 'asyncio', 'anyio', 'ssl',\n"
        "                     'haybale._wire.stream', 'haybale._wire.transport', 'datetime', 'logging',\n"
        "                     'threading')\n"
        "         if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_importing_one_generator_loads_only_its_module() -> None:
    code = (
        "import sys\n"
        "from haybale.components.generators.chat import OpenAIChatGenerator\n"
        "extra = [m for m in ('haybale.components.generators.chat.azure', 'haybale._wire.azure',\n"
        "                     'haybale.components.generators.chat.openrouter', 'pathlib', 'base64',\n"
        "                     'urllib.parse', 'email.utils', 'random') if m in sys.modules]\n"
        "print(','.join(extra))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
