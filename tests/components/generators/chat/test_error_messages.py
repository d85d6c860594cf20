"""An API error says what went wrong (``message``) apart from how to fix it (``hint``), so a front end
can replace the fix with its own; ``str(error)`` shows both, the hint once."""

from __future__ import annotations

from typing import Any

import pytest

from fake_server import Reply
from haybale.errors import APIConnectionError, APIStatusError, APITimeoutError
from haybale.local import free_port


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (401, "check the API key (is it set, current, and for this provider?)"),
        (404, "check the model / deployment name and the base URL"),
        (500, "the provider failed; retry later"),
    ],
)
def test_status_errors_keep_the_hint_apart(
    make_openai: Any, fake_server: Any, parity: Any, status: int, hint: str
) -> None:
    fake_server.script(Reply.json({"error": {"message": "nope"}}, status=status))
    error = parity.raises(APIStatusError, make_openai(), "hi")
    assert (error.message, error.hint) == ("nope", hint)
    assert str(error) == f"HTTP {status}: nope (hint: {hint}) | provider=openai"


def test_connection_errors_keep_the_hint_apart(make_openai: Any, parity: Any) -> None:
    error = parity.raises(
        APIConnectionError, make_openai(api_base_url=f"http://127.0.0.1:{free_port()}/v1"), "hi"
    )
    assert error.message.startswith("could not talk to http://127.0.0.1:")
    assert "running" not in error.message
    assert error.hint == "check that the server is running and that api_base_url is right"
    assert str(error).count("running") == 1


def test_timeouts_keep_the_hint_apart(make_openai: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.delay(5, Reply.json({})))
    error = parity.raises(APITimeoutError, make_openai(timeout=0.2), "hi")
    assert error.message.endswith("within timeout=0.2 s")
    assert error.hint is not None
    assert "OPENAI_TIMEOUT" in error.hint
    assert str(error).count("OPENAI_TIMEOUT") == 1
