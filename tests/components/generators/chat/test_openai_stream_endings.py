"""How a stream may end: with [DONE], with a finish reason only, or cut short (an error, never a reply)."""

from __future__ import annotations

from typing import Any

import pytest

from fake_server import Reply
from haybale.errors import APIResponseError
from payloads import chunk

# Every test here runs on each HTTP backend (pyreqwest and httpx2).
pytestmark = pytest.mark.usefixtures("http_backend")


def test_an_empty_stream_is_an_error_not_an_empty_reply(
    make_openai: Any, fake_server: Any, parity: Any
) -> None:
    # llama-cpp-python answers 200 with an empty body when the prompt exceeds the context.
    fake_server.script(Reply.sse([], done=False))
    error = parity.raises(APIResponseError, make_openai(), "hi", streaming_callback=lambda c: None)
    assert "without sending anything" in str(error)
    assert error.hint == "shorten the prompt, or retry without streaming to see the server's error"
    assert "shorten the prompt" not in error.message.lower()  # said once, as the hint
    assert "context" in str(error)
    assert error.partial is None


def test_a_stream_that_stops_without_finish_reason_keeps_what_arrived(
    make_openai: Any, fake_server: Any, parity: Any
) -> None:
    fake_server.script(
        Reply.sse([chunk({"role": "assistant", "content": "Hal"}), chunk({"content": "f"})], done=False)
    )
    seen: list[str] = []
    error = parity.raises(
        APIResponseError, make_openai(), "hi", streaming_callback=lambda c: seen.append(c.content)
    )
    assert "ended before the reply was complete" in str(error)
    assert error.hint == "retry the request"
    assert error.partial is not None
    assert error.partial.text == "".join(seen) == "Half"


@pytest.mark.parametrize("done", [True, False], ids=["with-done", "finish-only"])
def test_a_finish_reason_completes_the_stream(
    make_openai: Any, fake_server: Any, parity: Any, done: bool
) -> None:
    events = [chunk({"role": "assistant", "content": "ok"}), chunk({}, "stop")]
    fake_server.script(Reply.sse(events, done=done))
    reply = parity.run(make_openai(), "hi", streaming_callback=lambda c: None)["replies"][0]
    assert reply.text == "ok"
    assert reply.meta["finish_reason"] == "stop"
