"""Rate-limit facts and the request id: parsing (pure) and their place in a non-streamed reply's meta."""

from __future__ import annotations

from typing import Any

import pytest

from fake_server import Reply
from haybale._wire.rate_limits import parse_duration, parse_rate_limits, reply_meta
from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.utils import Secret
from payloads import completion, text_chunks


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("2m59.56s", 179.56),
        ("1h2m3.5s", 3723.5),
        ("7.66s", 7.66),
        ("500us", 0.0005),
        ("12", 12.0),
        ("0.25", 0.25),
        (" 3 ", 3.0),
        ("0s", 0.0),
    ],
)
def test_durations_in_go_form_or_plain_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "1x", "s", "1s2", "m1s", "-1", "-3s", "nan", "1 s"])
def test_unreadable_durations_are_none(text: str) -> None:
    assert parse_duration(text) is None


def test_parse_keeps_only_the_present_readable_facts() -> None:
    headers = {
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-reset-requests": "120ms",
        "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-tokens": "not-a-number",
        "x-ratelimit-reset-tokens": "6m0s",
    }
    assert parse_rate_limits(headers) == {
        "limit_requests": 500,
        "remaining_requests": 499,
        "reset_requests": pytest.approx(0.12),
        "limit_tokens": 30000,
        "reset_tokens": 360.0,
    }
    assert parse_rate_limits({"content-type": "application/json"}) == {}


def test_reply_meta_names_the_request_and_omits_what_is_absent() -> None:
    assert reply_meta({"x-request-id": "req-1", "x-ratelimit-remaining-tokens": "10"}) == {
        "rate_limit": {"remaining_tokens": 10},
        "request_id": "req-1",
    }
    assert reply_meta({"apim-request-id": "azure-2"}) == {"request_id": "azure-2"}
    assert reply_meta({}) == {}


def _generator(fake_server: Any) -> OpenAIChatGenerator:
    return OpenAIChatGenerator(
        api_key=Secret.from_token("k"), model="m", api_base_url=fake_server.base_url, max_retries=0
    )


LIMIT_HEADERS = {
    "x-request-id": "req-42",
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-remaining-requests": "59",
    "x-ratelimit-reset-requests": "1s",
    "x-ratelimit-remaining-tokens": "1000",
    "x-ratelimit-reset-tokens": "6m0s",
}


def test_a_non_streamed_reply_carries_rate_limits_and_request_id(fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.json(completion("hi"), headers=LIMIT_HEADERS))
    reply = parity.run(_generator(fake_server), "Hi")["replies"][0]
    assert reply.meta["request_id"] == "req-42"
    assert reply.meta["rate_limit"] == {
        "limit_requests": 60,
        "remaining_requests": 59,
        "reset_requests": 1.0,
        "remaining_tokens": 1000,
        "reset_tokens": 360.0,
    }
    assert reply.meta["usage"]["total_tokens"] == 17  # the body's meta is still all there


def test_without_such_headers_the_meta_has_neither_key(fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.json(completion("hi")))
    meta = parity.run(_generator(fake_server), "Hi")["replies"][0].meta
    assert "rate_limit" not in meta
    assert "request_id" not in meta


def test_streamed_replies_are_unchanged(fake_server: Any) -> None:
    fake_server.script(Reply.sse(text_chunks(["a"]), headers=LIMIT_HEADERS))
    reply = _generator(fake_server).run("Hi", streaming_callback=lambda chunk: None)["replies"][0]
    assert reply.text == "a"
    assert "rate_limit" not in reply.meta
