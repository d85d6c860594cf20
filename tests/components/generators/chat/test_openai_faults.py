"""Faults: retries, exhausted retries, broken and stalled streams, errors inside a 200 stream.

Every test runs once per generator class (``make_generator``), each through its own endpoint.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fake_server import Reply
from haybale.dataclasses import StreamingChunk
from haybale.errors import (
    APIConnectionError,
    APIResponseError,
    APITimeoutError,
    AuthenticationError,
    InternalServerError,
    RateLimitError,
)
from payloads import completion

# Every test here runs on each HTTP backend (pyreqwest and httpx2).
pytestmark = pytest.mark.usefixtures("http_backend")


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "s", "model": "m-1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


TEXT_EVENTS = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Once "}),
    chunk({"content": "upon "}),
]


def stream_and_fail(parity: Any, generator: Any, error: type[Exception]) -> tuple[Any, str]:
    seen: list[StreamingChunk] = []
    raised = parity.raises(error, generator, "story", streaming_callback=seen.append)
    return raised, "".join(c.content for c in seen)


def test_429_with_retry_after_then_success(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(
        Reply.json({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "0"}),
        Reply.json(completion("finally")),
    )
    reply = parity.run(make_generator(max_retries=2), "hi")["replies"][0]
    assert reply.text == "finally"
    assert len(fake_server.requests) == 2


def test_429_streamed_then_success(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(
        Reply.json({"error": {"message": "slow down"}}, status=429, headers={"retry-after-ms": "1"}),
        Reply.sse([*TEXT_EVENTS, chunk({}, "stop")]),
    )
    reply = parity.run(make_generator(max_retries=1), "hi", streaming_callback=lambda c: None)["replies"][0]
    assert reply.text == "Once upon "
    assert len(fake_server.requests) == 2


def test_rate_limit_without_retries_left(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.json({"error": {"message": "quota"}}, status=429, headers={"Retry-After": "0"}))
    error = parity.raises(RateLimitError, make_generator(max_retries=0), "hi")
    assert error.status_code == 429
    assert "quota" in str(error)


def test_500_exhausts_retries_with_full_error_details(
    make_generator: Any, fake_server: Any, parity: Any, openai_key: str, flavor: Any
) -> None:
    failure = Reply.json(
        {"error": {"message": "upstream exploded"}}, status=500, headers={"x-request-id": "req_123"}
    )
    fake_server.script(failure, failure, failure)
    error = parity.raises(InternalServerError, make_generator(max_retries=2), "hi")
    assert len(fake_server.requests) == 3
    assert error.status_code == 500
    assert error.provider == flavor.name
    assert error.request_id == "req_123"
    assert "upstream exploded" in str(error)
    assert error.partial is None
    assert openai_key not in f"{error} {error!r} {error.body}"


def test_401_is_not_retried_and_never_leaks_the_key(
    make_generator: Any, fake_server: Any, parity: Any, openai_key: str
) -> None:
    fake_server.script(Reply.json({"error": {"message": "Incorrect API key provided"}}, status=401))
    error = parity.raises(AuthenticationError, make_generator(max_retries=3), "hi")
    assert len(fake_server.requests) == 1
    assert openai_key not in f"{error} {error!r} {error.body}"


def test_malformed_json_body(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.text('{"choices": [', content_type="application/json"))
    parity.raises(APIResponseError, make_generator(), "hi")


def test_connection_cut_mid_stream_keeps_the_partial_reply(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(Reply.sse([*TEXT_EVENTS, chunk({"content": "never"})], cut_after=3))
    error, seen_text = stream_and_fail(parity, make_generator(max_retries=3), APIConnectionError)
    assert seen_text == "Once upon "
    assert error.partial is not None
    assert error.partial.text == seen_text
    assert len(fake_server.requests) == 1  # a stream that started is never replayed


def test_stalled_stream_times_out_with_the_partial_reply(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(Reply.sse(TEXT_EVENTS, stall_after=3, stall_seconds=5.0))
    error, seen_text = stream_and_fail(parity, make_generator(timeout=0.5), APITimeoutError)
    assert error.partial is not None
    assert error.partial.text == seen_text == "Once upon "


def test_error_inside_a_200_stream(make_generator: Any, fake_server: Any, parity: Any) -> None:
    in_stream_error = {
        "id": "gen-1",
        "object": "chat.completion.chunk",
        "model": "m-1",
        "provider": "SomeProvider",
        "error": {"code": 502, "message": "Upstream provider disconnected"},
        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
    }
    fake_server.script(Reply.sse([*TEXT_EVENTS, in_stream_error]))
    error, seen_text = stream_and_fail(parity, make_generator(), APIResponseError)
    assert "Upstream provider disconnected" in str(error)
    assert error.partial.text == seen_text == "Once upon "
    assert error.body["error"]["code"] == 502


def test_malformed_json_chunk(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.sse([*TEXT_EVENTS, 'data: {"choices": [{"delta": \n\n']))
    error, seen_text = stream_and_fail(parity, make_generator(), APIResponseError)
    assert "not valid JSON" in str(error)
    assert error.partial.text == seen_text == "Once upon "


def test_callback_errors_propagate_unchanged(make_generator: Any, fake_server: Any, parity: Any) -> None:
    class Stop(Exception):
        pass

    def callback(chunk: StreamingChunk) -> None:
        if chunk.content == "upon ":
            raise Stop

    fake_server.script(Reply.sse([*TEXT_EVENTS, chunk({}, "stop")]), Reply.json(completion("after")))
    generator = make_generator()
    parity.raises(Stop, generator, "hi", streaming_callback=callback)
    assert parity.run(generator, "again")["replies"][0].text == "after"


def test_server_error_body_is_bounded_json(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.text("<html>Bad Gateway</html>", status=502, content_type="text/html"))
    error = parity.raises(InternalServerError, make_generator(), "hi")
    assert error.status_code == 502
    assert "Bad Gateway" in json.dumps(error.body) or "Bad Gateway" in str(error.body)
