"""The three components against Haystack's own classes: the same init parameters, run signatures and
sockets; Azure and OpenRouter specifics; and haybale's core never importing Haystack."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
import typing
from typing import Any

import pytest
from haystack.components.generators.chat import AzureOpenAIChatGenerator, OpenAIChatGenerator
from haystack.dataclasses import ChatMessage
from haystack.utils import Secret

import haybale.components.generators.chat as haybale_chat
from fake_server import Reply
from haybale.errors import ConfigurationError, RateLimitError
from haystack_integrations.components.generators.haybale import (
    HaybaleAzureOpenAIChatGenerator,
    HaybaleOpenAIChatGenerator,
    HaybaleOpenRouterChatGenerator,
)
from payloads import completion, text_chunks

PAIRS = [
    (OpenAIChatGenerator, HaybaleOpenAIChatGenerator),
    (AzureOpenAIChatGenerator, HaybaleAzureOpenAIChatGenerator),
]


def shape(function: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize(("theirs", "ours"), PAIRS)
@pytest.mark.parametrize("method", ["__init__", "run", "run_async"])
def test_the_same_parameters_as_haystacks_class(theirs: Any, ours: Any, method: str) -> None:
    assert shape(getattr(ours, method)) == shape(getattr(theirs, method))


@pytest.mark.parametrize(("theirs", "ours"), PAIRS)
def test_run_annotations_are_haystacks_types(theirs: Any, ours: Any) -> None:
    assert typing.get_type_hints(ours.run) == typing.get_type_hints(theirs.run)


def test_openrouter_takes_the_integrations_parameters() -> None:
    # The openrouter-haystack integration's class has the signature haybale's generator mirrors.
    ours = shape(HaybaleOpenRouterChatGenerator.__init__)
    reference = shape(haybale_chat.OpenRouterChatGenerator.__init__)
    assert [(name, kind) for name, kind, _ in ours] == [(name, kind) for name, kind, _ in reference]
    defaults = {name: default for name, _, default in ours}
    assert defaults["api_key"] == Secret.from_env_var("OPENROUTER_API_KEY")
    assert defaults["model"] == "openai/gpt-4o-mini"


@pytest.mark.parametrize(("theirs", "ours"), PAIRS)
def test_the_same_sockets_as_haystacks_class(theirs: Any, ours: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
    kwargs = {"azure_endpoint": "https://x.openai.azure.com"} if theirs is AzureOpenAIChatGenerator else {}
    mine, reference = ours(**kwargs), theirs(**kwargs)
    for attribute in ("__haystack_input__", "__haystack_output__"):
        got = {name: socket.type for name, socket in getattr(mine, attribute)._sockets_dict.items()}
        expected = {name: socket.type for name, socket in getattr(reference, attribute)._sockets_dict.items()}
        assert got
        assert got == expected
    assert ours.SUPPORTED_MODELS  # class attribute, as on Haystack's classes


def test_azure_builds_without_credentials_and_names_them_at_warm_up(fake_server: Any) -> None:
    llm = HaybaleAzureOpenAIChatGenerator(azure_endpoint=f"http://127.0.0.1:{fake_server.port}")
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_API_KEY"):
        llm.warm_up()
    with pytest.raises(ConfigurationError, match="azure_ad_token_provider"):
        llm.run([ChatMessage.from_user("hi")])
    assert fake_server.requests == []


def test_azure_talks_to_the_deployment(make_azure_llm: Any, fake_server: Any) -> None:
    fake_server.script(Reply.sse(text_chunks(["o", "k"])))
    seen: list[str] = []
    llm = make_azure_llm(api_version="2024-10-21", default_headers={"X-Team": "a"})
    reply = llm.run([ChatMessage.from_user("hi")], streaming_callback=lambda c: seen.append(c.content))
    assert reply["replies"][0].text == "ok"
    assert "".join(seen) == "ok"
    sent = fake_server.requests[0]
    assert sent.path == "/openai/deployments/gpt-test/chat/completions"
    assert sent.query == {"api-version": "2024-10-21"}
    assert sent.headers["api-key"] == "sk-test-SECRET-77c1"
    assert sent.headers["x-team"] == "a"


def test_azure_secrets_for_endpoint_and_version_round_trip(
    monkeypatch: pytest.MonkeyPatch, fake_server: Any
) -> None:
    monkeypatch.setenv("MY_ENDPOINT", f"http://127.0.0.1:{fake_server.port}")
    monkeypatch.setenv("MY_VERSION", "2025-01-01")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "env-key")
    llm = HaybaleAzureOpenAIChatGenerator(
        azure_endpoint=Secret.from_env_var("MY_ENDPOINT"),
        api_version=Secret.from_env_var("MY_VERSION"),
        azure_ad_token_provider=None,
    )
    data = llm.to_dict()
    init = data["init_parameters"]
    assert init["azure_endpoint"] == {"type": "env_var", "env_vars": ["MY_ENDPOINT"], "strict": True}
    assert init["api_version"] == {"type": "env_var", "env_vars": ["MY_VERSION"], "strict": True}
    restored = HaybaleAzureOpenAIChatGenerator.from_dict(data)
    assert restored.to_dict() == data
    fake_server.script(Reply.json(completion("ok")))
    assert restored.run("hi")["replies"][0].text == "ok"
    assert fake_server.requests[0].query == {"api-version": "2025-01-01"}
    assert fake_server.requests[0].headers["api-key"] == "env-key"


def test_openrouter_sends_its_headers_and_keeps_reasoning(make_openrouter_llm: Any, fake_server: Any) -> None:
    details = [{"type": "reasoning.text", "text": "hm"}]
    fake_server.script(
        Reply.json(
            completion("ok", extra_message={"reasoning": "hm", "reasoning_details": details}, provider="X")
        )
    )
    llm = make_openrouter_llm(model="deepseek/deepseek-r1", extra_headers={"X-Title": "app"})
    (reply,) = asyncio.run(llm.run_async([ChatMessage.from_user("hi")]))["replies"]
    assert reply.reasoning is not None
    assert reply.reasoning.extra == {"reasoning_details": details}
    assert reply.meta["provider"] == "X"
    assert fake_server.requests[0].headers["x-title"] == "app"
    # and the reasoning goes back on the next turn, as haybale sends it
    fake_server.script(Reply.json(completion("again")))
    llm.run([ChatMessage.from_user("hi"), reply, ChatMessage.from_user("more")])
    assert fake_server.requests[1].json["messages"][1]["reasoning_details"] == details


def test_openrouter_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "k")
    llm = HaybaleOpenRouterChatGenerator(model="openai/gpt-4o", extra_headers={"X-Title": "app"}, timeout=3.0)
    data = llm.to_dict()
    assert data["type"] == (
        "haystack_integrations.components.generators.haybale.openrouter.HaybaleOpenRouterChatGenerator"
    )
    assert HaybaleOpenRouterChatGenerator.from_dict(data).to_dict() == data


def test_errors_are_haybales(make_llm: Any, fake_server: Any) -> None:
    fake_server.script(Reply.json({"error": {"message": "slow down"}}, status=429))
    with pytest.raises(RateLimitError) as info:
        make_llm().run("hi")
    assert info.value.status_code == 429
    assert "sk-test-SECRET" not in str(info.value)


def test_bad_arguments_fail_at_construction_with_haybales_messages() -> None:
    with pytest.raises(TypeError, match="Secret"):
        HaybaleOpenAIChatGenerator(api_key="sk-plain")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        HaybaleOpenAIChatGenerator(api_key=Secret.from_token("k"), timeout=-1)
    with pytest.raises(TypeError, match="streaming_callback"):
        HaybaleOpenAIChatGenerator(api_key=Secret.from_token("k"), streaming_callback="print")  # type: ignore[arg-type]


def test_async_callbacks_are_refused_by_sync_runs(make_llm: Any) -> None:
    async def callback(chunk: Any) -> None:
        pass

    with pytest.raises(ValueError, match="coroutine"):  # Haystack's own check, Haystack's message
        make_llm().run("hi", streaming_callback=callback)


def test_haybale_never_imports_haystack() -> None:
    code = (
        "import sys\n"
        "import haybale\n"
        "from haybale.components.generators.chat import OpenAIChatGenerator, AzureOpenAIChatGenerator\n"
        "from haybale.dataclasses import ChatMessage\n"
        "ChatMessage.from_user('x').to_openai_dict_format()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('haystack', 'haystack_integrations')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
