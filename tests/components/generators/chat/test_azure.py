"""AzureOpenAIChatGenerator against the fake server: URL, authentication, content-filter replies.

The generic protocol (streaming, tools, faults) runs for Azure too, through ``make_generator``.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from fake_server import Reply
from haybale.components.generators.chat import AzureOpenAIChatGenerator
from haybale.dataclasses import StreamingChunk
from haybale.errors import AuthenticationError, BadRequestError, ConfigurationError
from haybale.utils import Secret
from payloads import completion, text_chunks

AZURE_TOKEN = "eyJ-ad-token-SECRET-77"
PROMPT_FILTER = [
    {
        "prompt_index": 0,
        "content_filter_results": {
            "hate": {"filtered": False, "severity": "safe"},
            "jailbreak": {"filtered": False, "detected": False},
            "violence": {"filtered": False, "severity": "safe"},
        },
    }
]
CONTENT_FILTER = {
    "hate": {"filtered": False, "severity": "safe"},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "low"},
}


class Tokens:
    """A sync token provider that hands out a new token on every call."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f"ad-token-{self.calls}"


def no_key(**kwargs: Any) -> dict[str, Any]:
    """Init arguments with no API key and no static AD token (only what is passed)."""
    return {"api_key": None, "azure_ad_token": None, **kwargs}


def streamed(stream: bool) -> dict[str, Any]:
    return {"streaming_callback": lambda chunk: None} if stream else {}


def ok_reply(stream: bool) -> Reply:
    return Reply.sse(text_chunks(["ok"])) if stream else Reply.json(completion("ok"))


# ---- URL and authentication -------------------------------------------------------------------


def test_deployment_url_api_version_and_key_header(
    make_azure: Any, fake_server: Any, parity: Any, openai_key: str
) -> None:
    fake_server.script(Reply.json(completion("hi")))
    generator = make_azure(azure_deployment="prod-gpt", organization="org-7", default_headers={"X-Team": "a"})
    assert parity.run(generator, "hello")["replies"][0].text == "hi"
    (request,) = fake_server.requests
    assert request.path == "/openai/deployments/prod-gpt/chat/completions"
    assert request.query == {"api-version": "2024-12-01-preview"}
    assert request.headers["api-key"] == openai_key
    assert "authorization" not in request.headers
    assert request.headers["openai-organization"] == "org-7"
    assert request.headers["x-team"] == "a"
    assert request.json["model"] == "prod-gpt"


def test_deployment_and_version_are_quoted_and_default(make_azure: Any, fake_server: Any) -> None:
    fake_server.script(Reply.json(completion()), Reply.json(completion()))
    make_azure(azure_deployment="my dep/1", api_version="2025-01-01&x=y").run("hi")
    make_azure(azure_deployment=None).run("hi")
    first, second = fake_server.requests
    assert first.path == "/openai/deployments/my%20dep%2F1/chat/completions"
    assert first.query == {"api-version": "2025-01-01&x=y"}
    assert second.path == "/openai/deployments/gpt-4.1-mini/chat/completions"
    assert second.json["model"] == "gpt-4.1-mini"


@pytest.mark.parametrize(
    ("credentials", "header", "value"),
    [
        ({"azure_ad_token": Secret.from_token(AZURE_TOKEN), "api_key": None}, "authorization", AZURE_TOKEN),
        # Like the official SDK: an AD token is preferred to the key when both are given.
        ({"azure_ad_token": Secret.from_token(AZURE_TOKEN)}, "authorization", AZURE_TOKEN),
        ({"azure_ad_token": None}, "api-key", None),
    ],
)
def test_key_or_static_token(
    make_azure: Any,
    fake_server: Any,
    parity: Any,
    openai_key: str,
    credentials: dict[str, Any],
    header: str,
    value: str | None,
) -> None:
    fake_server.script(Reply.json(completion()))
    parity.run(make_azure(**credentials), "hi")
    headers = fake_server.requests[0].headers
    assert headers[header] == (f"Bearer {value}" if value else openai_key)
    other = "api-key" if header == "authorization" else "authorization"
    assert other not in headers


def test_credentials_and_endpoint_from_the_environment(
    fake_server: Any, parity: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"http://127.0.0.1:{fake_server.port}/"
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", endpoint)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "env-key")
    fake_server.script(Reply.json(completion()), Reply.json(completion()))
    generator = AzureOpenAIChatGenerator(max_retries=0)
    assert generator.azure_endpoint == endpoint
    parity.run(generator, "hi")
    assert fake_server.requests[0].headers["api-key"] == "env-key"
    assert fake_server.requests[0].path == "/openai/deployments/gpt-4.1-mini/chat/completions"
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", "env-ad-token")
    with AzureOpenAIChatGenerator(max_retries=0) as by_token:
        parity.run(by_token, "hi")
    assert fake_server.requests[1].headers["authorization"] == "Bearer env-ad-token"
    generator.close()


@pytest.mark.parametrize("stream", [False, True])
def test_token_provider_is_called_for_every_attempt(
    make_azure: Any, fake_server: Any, parity: Any, stream: bool
) -> None:
    tokens = Tokens()
    busy = Reply.json({"error": {"message": "busy"}}, status=500, headers={"Retry-After": "0"})
    fake_server.script(busy, ok_reply(stream), ok_reply(stream))
    generator = make_azure(api_key=Secret.from_token("unused"), azure_ad_token_provider=tokens, max_retries=1)
    parity.run(generator, "hi", **streamed(stream))
    parity.run(generator, "again", **streamed(stream))
    sent = [request.headers["authorization"] for request in fake_server.requests]
    assert sent == ["Bearer ad-token-1", "Bearer ad-token-2", "Bearer ad-token-3"]
    assert all("api-key" not in request.headers for request in fake_server.requests)


@pytest.mark.parametrize("stream", [False, True])
async def test_async_token_provider_with_run_async(make_azure: Any, fake_server: Any, stream: bool) -> None:
    calls: list[int] = []

    async def provider() -> str:
        calls.append(1)
        return f"async-token-{len(calls)}"

    busy = Reply.json({"error": {"message": "busy"}}, status=503, headers={"Retry-After": "0"})
    fake_server.script(busy, ok_reply(stream))
    generator = make_azure(**no_key(azure_ad_token_provider=provider, max_retries=1))
    kwargs: dict[str, Any] = {}
    if stream:

        async def callback(chunk: StreamingChunk) -> None:
            pass

        kwargs["streaming_callback"] = callback
    reply = (await generator.run_async("hi", **kwargs))["replies"][0]
    assert reply.text == "ok"
    sent = [request.headers["authorization"] for request in fake_server.requests]
    assert sent == ["Bearer async-token-1", "Bearer async-token-2"]


@pytest.mark.parametrize("stream", [False, True])
def test_async_token_provider_is_refused_by_run(
    make_azure: Any, fake_server: Any, stream: bool, recwarn: pytest.WarningsRecorder
) -> None:
    async def provider() -> str:
        return "never"

    generator = make_azure(**no_key(azure_ad_token_provider=provider))
    with pytest.raises(ConfigurationError, match="run_async"):
        generator.run("hi", **streamed(stream))
    assert fake_server.requests == []
    assert not [w for w in recwarn if "never awaited" in str(w.message)]


class Credential:
    """Stands in for a credential object returned by mistake instead of its token."""

    def __repr__(self) -> str:
        return "Credential(token='SECRET-in-repr')"


@pytest.mark.parametrize("returned", [None, "", Credential()])
def test_token_provider_must_return_a_string(
    make_azure: Any, fake_server: Any, parity: Any, returned: Any
) -> None:
    generator = make_azure(**no_key(azure_ad_token_provider=lambda: returned))
    error = parity.raises(ConfigurationError, generator, "hi")
    assert "azure_ad_token_provider" in str(error)
    assert "SECRET" not in str(error)
    assert fake_server.requests == []


def test_errors_from_the_token_provider_propagate_unchanged(make_azure: Any, parity: Any) -> None:
    class SignInFailed(Exception):
        pass

    def provider() -> str:
        raise SignInFailed("no managed identity")

    for kwargs in ({}, streamed(True)):
        parity.raises(SignInFailed, make_azure(**no_key(azure_ad_token_provider=provider)), "hi", **kwargs)


# ---- configuration errors -----------------------------------------------------------------------


def test_missing_endpoint_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        AzureOpenAIChatGenerator(api_key=Secret.from_token("k"))


@pytest.mark.parametrize("credentials", [{}, {"api_key": None, "azure_ad_token": None}])
def test_missing_credentials_fail_at_warm_up_not_construction(
    credentials: dict[str, Any],
    make_azure: Any,
    fake_server: Any,
    parity: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As Haystack 3 (and haybale's other generators): a pipeline can be built and saved without keys.
    default_key = Secret.from_env_var("AZURE_OPENAI_API_KEY", strict=False)  # the signature's default
    generator = make_azure(**{"api_key": default_key, **credentials})
    assert generator.to_dict()["init_parameters"]["azure_endpoint"].startswith("http://127.0.0.1")
    for fail in (generator.warm_up, lambda: parity.run(generator, "hi")):
        with pytest.raises(ConfigurationError) as info:
            fail()
        message = str(info.value)
        for name in ("api_key", "azure_ad_token", "azure_ad_token_provider", "AZURE_OPENAI_API_KEY"):
            assert name in message
        assert "AZURE_OPENAI_AD_TOKEN" in message
    assert fake_server.requests == []
    if not credentials:  # the default Secrets read the environment when the generator warms up
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "late-key")
        fake_server.script(Reply.json(completion()))
        parity.run(generator, "hi")
        assert fake_server.requests[0].headers["api-key"] == "late-key"


def test_endpoint_and_api_version_may_be_secrets_resolved_at_warm_up(
    make_azure: Any, fake_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_AZURE_ENDPOINT", "https://unused.example")
    monkeypatch.setenv("MY_AZURE_VERSION", "2024-10-21")
    generator = make_azure(
        azure_endpoint=Secret.from_env_var("MY_AZURE_ENDPOINT"),
        api_version=Secret.from_env_var("MY_AZURE_VERSION"),
    )
    # the values are read when the generator warms up, not when it is built
    monkeypatch.setenv("MY_AZURE_ENDPOINT", f"http://127.0.0.1:{fake_server.port}")
    fake_server.script(Reply.json(completion()))
    generator.run("hi")
    assert fake_server.requests[0].path == "/openai/deployments/gpt-test/chat/completions"
    assert fake_server.requests[0].query == {"api-version": "2024-10-21"}


def test_an_endpoint_secret_must_resolve_at_construction() -> None:
    # Haystack checks it there too (a ValueError); haybale's error names the variable.
    with pytest.raises(ConfigurationError, match="UNSET_AZURE_ENDPOINT"):
        AzureOpenAIChatGenerator(azure_endpoint=Secret.from_env_var("UNSET_AZURE_ENDPOINT"))
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        AzureOpenAIChatGenerator(azure_endpoint=Secret.from_env_var("UNSET_AZURE_ENDPOINT", strict=False))


def test_api_version_none_reads_openai_api_version(
    make_azure: Any, fake_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="OPENAI_API_VERSION"):
        make_azure(api_version=None).warm_up()
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    fake_server.script(Reply.json(completion()))
    make_azure(api_version=None).run("hi")
    assert fake_server.requests[0].query == {"api-version": "2024-10-21"}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"api_key": "sk-plain-SECRET"}, TypeError, "AZURE_OPENAI_API_KEY"),
        ({"azure_ad_token": "ad-plain-SECRET"}, TypeError, "AZURE_OPENAI_AD_TOKEN"),
        ({"azure_ad_token_provider": "module.func"}, TypeError, "azure_ad_token_provider"),
        ({"default_headers": [("a", "b")]}, TypeError, "default_headers"),
        ({"timeout": -1}, ValueError, "timeout"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match) as info:
        AzureOpenAIChatGenerator(azure_endpoint="https://example.openai.azure.com", **kwargs)
    assert "SECRET" not in str(info.value)


def test_secrets_never_leak(make_azure: Any, fake_server: Any, parity: Any, openai_key: str) -> None:
    fake_server.script(Reply.json({"error": {"message": "Access denied: bad token"}}, status=401))
    generator = make_azure(azure_ad_token=Secret.from_token(AZURE_TOKEN))
    error = parity.raises(AuthenticationError, generator, "hi")
    shown = f"{error} {error!r} {error.body} {generator!r} {generator._client.endpoint!r}"
    assert AZURE_TOKEN not in shown
    assert openai_key not in shown


# ---- content filter -----------------------------------------------------------------------------


def test_filter_results_are_kept_in_meta(make_azure: Any, fake_server: Any, parity: Any) -> None:
    body = completion("Safe answer", prompt_filter_results=PROMPT_FILTER)
    body["choices"][0]["content_filter_results"] = CONTENT_FILTER
    fake_server.script(Reply.json(body))
    reply = parity.run(make_azure(), "hi")["replies"][0]
    assert reply.text == "Safe answer"
    assert reply.meta["prompt_filter_results"] == PROMPT_FILTER
    assert reply.meta["content_filter_results"] == CONTENT_FILTER


def test_streamed_filter_results_and_empty_choices(make_azure: Any, fake_server: Any, parity: Any) -> None:
    def piece(delta: dict[str, Any] | None, results: Any, finish: str | None = None) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish, "content_filter_results": results}
        if delta is not None:
            choice["delta"] = delta
        return {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4o",
            "choices": [choice],
        }

    events: list[dict[str, Any] | str] = [
        {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "choices": [],
            "prompt_filter_results": PROMPT_FILTER,
        },
        piece({"role": "assistant", "content": ""}, {}),
        piece({"content": "Hel"}, CONTENT_FILTER),
        piece({"content": "lo"}, CONTENT_FILTER),
        piece(None, CONTENT_FILTER),  # asynchronous filter annotations come without a delta
        piece({}, {}, finish="stop"),
    ]
    fake_server.script(Reply.sse(events))
    seen: list[StreamingChunk] = []
    reply = parity.run(make_azure(), "hi", streaming_callback=seen.append)["replies"][0]
    assert reply.text == "Hello" == "".join(chunk.content for chunk in seen)
    assert reply.meta["model"] == "gpt-4o"
    assert reply.meta["finish_reason"] == "stop"
    assert reply.meta["prompt_filter_results"] == PROMPT_FILTER
    assert reply.meta["content_filter_results"] == CONTENT_FILTER


def test_filtered_completion_is_returned_with_a_warning(
    make_azure: Any, fake_server: Any, parity: Any, caplog: pytest.LogCaptureFixture
) -> None:
    verdict = {**CONTENT_FILTER, "violence": {"filtered": True, "severity": "high"}}
    body = completion(None, finish_reason="content_filter", prompt_filter_results=PROMPT_FILTER)
    body["choices"][0]["content_filter_results"] = verdict
    fake_server.script(Reply.json(body))
    with caplog.at_level(logging.WARNING, logger="haybale"):
        reply = parity.run(make_azure(), "hi")["replies"][0]
    assert reply.text is None
    assert reply.meta["finish_reason"] == "content_filter"
    assert reply.meta["content_filter_results"] == verdict
    assert "content filter" in caplog.text


def test_filtered_prompt_is_a_bad_request_with_the_verdict(
    make_azure: Any, fake_server: Any, parity: Any
) -> None:
    rejection = {
        "error": {
            "message": "The response was filtered due to the prompt triggering content management policy.",
            "code": "content_filter",
            "status": 400,
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": {"violence": {"filtered": True, "severity": "high"}},
            },
        }
    }
    fake_server.script(Reply.json(rejection, status=400))
    error = parity.raises(BadRequestError, make_azure(max_retries=3), "hi")
    assert error.provider == "azure"
    assert "content management policy" in str(error)
    assert error.body["error"]["innererror"]["content_filter_result"]["violence"]["filtered"] is True
    assert len(fake_server.requests) == 1
