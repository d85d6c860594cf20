"""Credentials on their way into a header: whitespace is stripped, anything a header cannot carry is
refused with a message naming where the value came from and never the value; no header value
reaches a log line, even at DEBUG (httpcore2 and httpx2 included)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from fake_server import Reply
from haybale.errors import ConfigurationError
from haybale.utils import Secret
from payloads import completion, text_chunks

KEY = "sk-test-SECRET-4f9a1c"
# Each of these reached the HTTP stack before: a newline gave an APIConnectionError (retried) whose
# message and httpcore2's DEBUG log held the whole key; non-ASCII gave a UnicodeEncodeError holding it.
BAD_KEYS = [f"{KEY}\nX-Injected: 1", f"{KEY}\u00e4", f"{KEY}\x00", f"sk-\u2028{KEY}", f"{KEY}\x7f"]


def reply(stream: bool) -> Reply:
    return Reply.sse(text_chunks(["ok"])) if stream else Reply.json(completion("ok"))


def streamed(stream: bool) -> dict[str, Any]:
    return {"streaming_callback": lambda chunk: None} if stream else {}


def no_credentials(**kwargs: Any) -> dict[str, Any]:
    return {"api_key": None, "azure_ad_token": None, **kwargs}


def assert_refused(error: BaseException, source: str) -> None:
    message = str(error)
    assert source in message
    assert "control character or a non-ASCII character" in message
    assert "SECRET" not in message
    assert "SECRET" not in repr(error)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("padding", [("", "\n"), ("  ", " \r\n"), ("\t", "")])
def test_surrounding_whitespace_is_stripped(
    make_generator: Any,
    flavor: Any,
    fake_server: Any,
    parity: Any,
    padding: tuple[str, str],
    stream: bool,
    http_backend: str,
) -> None:
    fake_server.script(reply(stream))
    before, after = padding
    generator = make_generator(api_key=Secret.from_token(f"{before}{KEY}{after}"))
    assert parity.run(generator, "hi", **streamed(stream))["replies"][0].text == "ok"
    flavor.check_request(fake_server.requests[0])


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_a_header_cannot_carry_is_refused_naming_the_parameter(
    make_generator: Any, fake_server: Any, parity: Any, key: str
) -> None:
    generator = make_generator(api_key=Secret.from_token(key))
    error = parity.raises(ConfigurationError, generator, "hi")
    assert_refused(error, "api_key")
    assert fake_server.requests == []


def test_a_key_from_the_environment_is_stripped_or_refused_naming_the_variable(
    make_generator: Any, flavor: Any, fake_server: Any, parity: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = "HB_TEST_KEY"
    monkeypatch.setenv(variable, f"{KEY}\n")
    fake_server.script(reply(False))
    parity.run(make_generator(api_key=Secret.from_env_var(["HB_UNSET", variable])), "hi")
    flavor.check_request(fake_server.requests[0])
    monkeypatch.setenv(variable, f"{KEY}\u00e4")
    error = parity.raises(ConfigurationError, make_generator(api_key=Secret.from_env_var(variable)), "hi")
    assert_refused(error, f"environment variable {variable}")


def test_a_blank_key_counts_as_missing(make_openai: Any, parity: Any) -> None:
    error = parity.raises(ConfigurationError, make_openai(api_key=Secret.from_token(" \n")), "hi")
    assert "No API key for OpenAI" in str(error)


def test_azure_ad_token_is_stripped_or_refused(make_azure: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(reply(False))
    parity.run(make_azure(**no_credentials(azure_ad_token=Secret.from_token(f" {KEY}\n"))), "hi")
    assert fake_server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    bad = make_azure(**no_credentials(azure_ad_token=Secret.from_token(f"{KEY}\r\nX: y")))
    assert_refused(parity.raises(ConfigurationError, bad, "hi"), "azure_ad_token")
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_sync_token_provider_tokens_are_stripped_or_refused(
    make_azure: Any, fake_server: Any, parity: Any, stream: bool
) -> None:
    fake_server.script(reply(stream))
    good = make_azure(**no_credentials(azure_ad_token_provider=lambda: f"{KEY}\n"))
    parity.run(good, "hi", **streamed(stream))
    assert fake_server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    bad = make_azure(**no_credentials(azure_ad_token_provider=lambda: f"{KEY}\u00e4"))
    error = parity.raises(ConfigurationError, bad, "hi", **streamed(stream))
    assert_refused(error, "azure_ad_token_provider")
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_async_token_provider_tokens_are_stripped_or_refused(
    make_azure: Any, fake_server: Any, stream: bool
) -> None:
    async def padded() -> str:
        return f"\t{KEY} \n"

    async def broken() -> str:
        return f"{KEY}\n\nGET / HTTP/1.1"

    async def calls() -> None:
        kwargs: dict[str, Any] = {}
        if stream:

            async def callback(chunk: Any) -> None:
                pass

            kwargs["streaming_callback"] = callback
        await make_azure(**no_credentials(azure_ad_token_provider=padded)).run_async("hi", **kwargs)
        with pytest.raises(ConfigurationError) as info:
            await make_azure(**no_credentials(azure_ad_token_provider=broken)).run_async("hi", **kwargs)
        assert_refused(info.value, "azure_ad_token_provider")

    fake_server.script(reply(stream))
    asyncio.run(calls())
    assert [r.headers["authorization"] for r in fake_server.requests] == [f"Bearer {KEY}"]


def test_whitespace_only_azure_credentials_count_as_missing(
    make_azure: Any, fake_server: Any, parity: Any
) -> None:
    generator = make_azure(api_key=Secret.from_token("\n"), azure_ad_token=None)
    error = parity.raises(ConfigurationError, generator, "hi")
    assert "No credentials for Azure OpenAI" in str(error)
    assert fake_server.requests == []


def test_no_header_value_reaches_a_log_line_even_at_debug(
    make_generator: Any, fake_server: Any, parity: Any, caplog: pytest.LogCaptureFixture, http_backend: str
) -> None:
    caplog.set_level(logging.DEBUG)
    rejected = Reply.json({"error": {"message": "Incorrect API key"}}, status=401)
    busy = Reply.json({"error": {"message": "busy"}}, status=503, headers={"Retry-After": "0"})
    fake_server.script(reply(False), busy, rejected, reply(True))
    padded = make_generator(api_key=Secret.from_token(f"{KEY}\n"), max_retries=1)
    parity.run(padded, "hi")
    parity.raises(Exception, padded, "hi")  # a retry, then a 401
    parity.run(padded, "hi", streaming_callback=lambda chunk: None)
    for key in BAD_KEYS:
        parity.raises(ConfigurationError, make_generator(api_key=Secret.from_token(key)), "hi")
    assert len(fake_server.requests) == 4
    assert any(record.levelno == logging.DEBUG for record in caplog.records)  # DEBUG was on
    if http_backend == "httpx2":
        assert any(record.name.startswith("httpcore2") for record in caplog.records)
    for record in caplog.records:
        assert "SECRET" not in record.getMessage(), record.getMessage()


# ---- credentials echoed back by a server never reach an error --------------------------------------


def assert_redacted(error: Any, *secrets: str) -> None:
    shown = [str(error), repr(error), error.message, repr(error.args), repr(error.body)]
    for secret in secrets:
        for text in shown:
            assert secret not in text, text
    assert "[redacted]" in str(error)
    assert "[redacted]" in repr(error.body)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("as_json", [True, False])
def test_a_key_echoed_in_an_error_body_is_redacted(
    make_generator: Any, fake_server: Any, parity: Any, stream: bool, as_json: bool, http_backend: str
) -> None:
    fake_server.script(Reply.echo(401, as_json=as_json))
    error = parity.raises(Exception, make_generator(), "hi", **streamed(stream))
    assert error.status_code == 401
    assert_redacted(error, KEY)
    assert "rejected" in str(error)  # the rest of the server's answer is kept


@pytest.mark.parametrize(
    ("stream", "reply"),
    [
        (False, Reply.echo(200, as_json=False)),  # a 2xx body that is not JSON
        (False, Reply.echo(200)),  # a 2xx JSON body with an error instead of choices
        (True, Reply.echo(200, as_stream=True)),  # an error event inside a 200 stream
    ],
    ids=["text", "json-error", "stream-error-event"],
)
def test_a_key_echoed_after_a_2xx_is_redacted_too(
    make_generator: Any, fake_server: Any, parity: Any, stream: bool, reply: Reply, http_backend: str
) -> None:
    fake_server.script(reply)
    error = parity.raises(Exception, make_generator(), "hi", **streamed(stream))
    shown = [str(error), repr(error), error.message, repr(error.args), repr(getattr(error, "body", None))]
    for text in shown:
        assert KEY not in text, text
    assert "rejected" in str(error) + repr(getattr(error, "body", None))  # the rest is kept


def test_the_token_of_each_attempt_is_redacted(make_azure: Any, fake_server: Any, parity: Any) -> None:
    tokens = iter([f"ad-token-SECRET-{n}-0123456789" for n in range(3)])
    fake_server.script(Reply.echo(503), Reply.echo(403))
    generator = make_azure(**no_credentials(azure_ad_token_provider=lambda: next(tokens), max_retries=1))
    error = parity.raises(Exception, generator, "hi")
    assert error.status_code == 403
    assert_redacted(error, "SECRET")
    assert "Bearer [redacted]" in str(error)


def test_credentials_in_default_headers_are_redacted_too(
    make_azure: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(Reply.echo(400))
    generator = make_azure(default_headers={"Ocp-Apim-Subscription-Key": "apim-SECRET-55aa77"})
    error = parity.raises(Exception, generator, "hi")
    assert_redacted(error, "SECRET")
