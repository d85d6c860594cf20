"""Bad input is refused where it enters, construction or the call, with an error that names the
parameter (and the key path inside it) and says what to pass; nothing reaches the server."""

from __future__ import annotations

import asyncio
import datetime
import math
from typing import Any

import pytest

from haybale.components.generators.chat import (
    AzureOpenAIChatGenerator,
    OpenAIChatGenerator,
    OpenRouterChatGenerator,
)
from haybale.dataclasses import ChatMessage, ToolCall
from haybale.errors import ConfigurationError
from haybale.utils import Secret

KEY = Secret.from_token("sk-test-bad-input")


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"model": 123}, TypeError, r"model must be a string such as 'gpt-5-mini', got int"),
        ({"model": " "}, ValueError, r"model is empty"),
        ({"api_base_url": 123}, TypeError, r"api_base_url must be a URL string"),
        ({"timeout": math.inf}, ValueError, r"timeout must be a positive, finite number of seconds"),
        ({"timeout": math.nan}, ValueError, r"timeout must be a positive, finite"),
        ({"timeout": True}, ValueError, r"timeout must be a positive, finite number .* got True"),
        ({"max_retries": True}, ValueError, r"max_retries must be a whole number >= 0 .* got True"),
        ({"max_retries": 2.0}, ValueError, r"max_retries must be a whole number"),
        ({"tools_strict": "yes"}, TypeError, r"tools_strict must be True or False, got 'yes'"),
        ({"organization": 7}, TypeError, r"organization must be a string"),
        ({"organization": "org-1\nX: y"}, ConfigurationError, r"from organization: it holds a control"),
        (
            {"generation_kwargs": {"temperature": math.nan}},
            ValueError,
            r"generation_kwargs\['temperature'\] is nan, which JSON cannot represent: pass a finite number",
        ),
        (
            {"generation_kwargs": {"logit_bias": {"50256": -math.inf}}},
            ValueError,
            r"generation_kwargs\['logit_bias'\]\['50256'\] is -inf",
        ),
        ({"generation_kwargs": {"stop": {"a", "b"}}}, TypeError, r"generation_kwargs\['stop'\] has type set"),
        (
            {"generation_kwargs": {"metadata": {"sent": [datetime.date(2025, 1, 1)]}}},
            TypeError,
            r"generation_kwargs\['metadata'\]\['sent'\]\[0\] has type date, which JSON cannot represent",
        ),
        (
            {"generation_kwargs": {"user": "ab\ud800"}},
            ValueError,
            r"\['user'\] holds a lone surrogate \(U\+D800",
        ),
        ({"generation_kwargs": {"x": _deep(100)}}, ValueError, r"nests deeper than 64 levels"),
        (
            {"http_client_kwargs": {"headers": {"X-A": "b\nc"}}},
            ConfigurationError,
            r"http_client_kwargs\['headers'\]\['X-A'\]",
        ),
    ],
)
def test_bad_init_arguments_are_named(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match) as info:
        OpenAIChatGenerator(api_key=KEY, **kwargs)
    assert "b\nc" not in str(info.value)  # header values are never echoed


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"azure_endpoint": 123}, TypeError, r"azure_endpoint must be a str or a Secret, got int"),
        ({"api_version": 2024}, TypeError, r"api_version must be a str or a Secret, got int"),
        ({"azure_deployment": 5}, TypeError, r"azure_deployment must be a string"),
        (
            {"default_headers": {"X-Team": 1}},
            TypeError,
            r"default_headers\['X-Team'\] must be a str, got int",
        ),
        (
            {"default_headers": {"X Team": "a"}},
            ValueError,
            r"header name 'X Team', which HTTP does not allow",
        ),
        ({"default_headers": {"X-Team": "caf\u00e9"}}, ConfigurationError, r"default_headers\['X-Team'\]"),
        ({"timeout": math.inf}, ValueError, r"timeout"),
    ],
)
def test_bad_azure_arguments_are_named(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    kwargs = {"azure_endpoint": "https://x.example", "api_key": KEY, **kwargs}
    with pytest.raises(error, match=match):
        AzureOpenAIChatGenerator(**kwargs)


def test_openrouter_extra_headers_take_any_value_a_header_can_carry() -> None:
    OpenRouterChatGenerator(api_key=KEY, extra_headers={"X-Title": "my app", "X-Count": 3})
    with pytest.raises(ConfigurationError, match=r"extra_headers\['X-Title'\]") as info:
        OpenRouterChatGenerator(api_key=KEY, extra_headers={"X-Title": "my app\r\nX-Evil: 1"})
    assert "X-Evil" not in str(info.value)


@pytest.mark.parametrize("url", ["localhost:8080/v1", "ftp://x.example", "http://", "http://x .example/v1"])
def test_a_base_url_that_is_not_http_is_refused_before_sending(
    make_generator: Any, flavor: Any, fake_server: Any, parity: Any, url: str
) -> None:
    key = "azure_endpoint" if flavor.name == "azure" else "api_base_url"
    error = parity.raises(ConfigurationError, make_generator(**{key: url}), "hi")
    assert f"{key} must be an http:// or https:// URL" in str(error)
    assert fake_server.requests == []


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OPENAI_BASE_URL", "localhost:8080"),
        ("OPENAI_TIMEOUT", "inf"),
        ("OPENAI_TIMEOUT", "nan"),
        ("OPENAI_TIMEOUT", "0"),
        ("OPENAI_MAX_RETRIES", "-1"),
    ],
)
def test_bad_environment_settings_name_the_variable(
    parity: Any, fake_server: Any, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    generator = OpenAIChatGenerator(api_key=KEY)
    error = parity.raises(ConfigurationError, generator, "hi")
    assert variable in str(error)
    assert fake_server.requests == []


def test_a_bad_azure_endpoint_variable_is_named_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "my-resource.openai.azure.com")
    with pytest.raises(ConfigurationError, match="The environment variable AZURE_OPENAI_ENDPOINT must be"):
        AzureOpenAIChatGenerator(api_key=KEY)


# ---- at the call: run, run_async, stream and stream_async alike ----------------------------------


def _call(mode: str, generator: Any, messages: Any, **kwargs: Any) -> None:
    if mode == "run":
        generator.run(messages, **kwargs)
    elif mode == "run_async":
        asyncio.run(generator.run_async(messages, **kwargs))
    elif mode == "stream":
        with generator.stream(messages, **kwargs) as stream:
            list(stream)
    else:

        async def consume() -> None:
            async with generator.stream_async(messages, **kwargs) as stream:
                async for _ in stream:
                    pass

        asyncio.run(consume())


CALL_MODES = ["run", "run_async", "stream", "stream_async"]
ASSISTANT_NAN = ChatMessage.from_assistant(tool_calls=[ToolCall("f", {"x": math.nan}, id="c1")])


@pytest.mark.parametrize("mode", CALL_MODES)
@pytest.mark.parametrize(
    ("messages", "kwargs", "error", "match"),
    [
        (
            "hi",
            {"generation_kwargs": "temperature=1"},
            TypeError,
            r"generation_kwargs passed to run\(\)/stream\(\) must be a dict",
        ),
        (
            "hi",
            {"generation_kwargs": {"temperature": math.inf}},
            ValueError,
            r"generation_kwargs\['temperature'\] is inf",
        ),
        (
            "hi",
            {"generation_kwargs": {"seed": object()}},
            TypeError,
            r"generation_kwargs\['seed'\] has type object",
        ),
        ("hi", {"tools_strict": "yes"}, TypeError, r"tools_strict must be True or False"),
        (
            [ChatMessage.from_system("ok"), ChatMessage.from_user("caf\u00e9 \ud83d")],
            {},
            ValueError,
            r"messages: the message sent as messages\[1\]\['content'\] holds a lone surrogate "
            r"\(U\+D83D at index 5\)",
        ),
        (
            [ChatMessage.from_user("hi"), ASSISTANT_NAN],
            {},
            ValueError,
            r"messages: in the tool call to 'f', arguments\['x'\] is nan",
        ),
    ],
)
def test_bad_call_input_is_named_before_sending(
    make_openai: Any,
    fake_server: Any,
    mode: str,
    messages: Any,
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        _call(mode, make_openai(), messages, **kwargs)
    assert fake_server.requests == []
