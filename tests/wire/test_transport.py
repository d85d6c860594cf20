"""The HTTP transport against the scripted fake server, sync and async alike."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from fake_server import FakeServer, Reply
from haybale._wire.transport import Transport
from haybale.errors import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)

# Every test here runs on each HTTP backend (pyreqwest and httpx2).
pytestmark = pytest.mark.usefixtures("http_backend")

SECRET = "sk-live-SECRET-7c1e9d"
BODY = b'{"model": "gpt-test", "messages": []}'


@dataclass
class Outcome:
    """What one call produced: the lines (streams) or data, and the error if it failed."""

    data: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    error: APIError | None = None


class Mode:
    """Drives a transport through its sync or async API; each call gets a fresh transport."""

    def __init__(self, name: str) -> None:
        self.name = name

    def post(self, transport: Transport, url: str, headers: Any = None) -> Outcome:
        headers = headers or (lambda: {"Authorization": f"Bearer {SECRET}"})
        out = Outcome()
        if self.name == "sync":
            try:
                out.data, out.headers = transport.post_json(url, BODY, headers)
            except APIError as exc:
                out.error = exc
            finally:
                transport.close()
            return out

        async def go() -> None:
            try:
                out.data, out.headers = await transport.post_json_async(url, BODY, headers)
            except APIError as exc:
                out.error = exc
            finally:
                await transport.aclose()

        asyncio.run(go())
        return out

    def stream(self, transport: Transport, url: str, headers: Any = None) -> Outcome:
        headers = headers or (lambda: {"Authorization": f"Bearer {SECRET}"})
        out = Outcome()
        if self.name == "sync":
            try:
                with transport.stream_lines(url, BODY, headers) as lines:
                    for line in lines:
                        out.lines.append(line)
            except APIError as exc:
                out.error = exc
            finally:
                transport.close()
            return out

        async def go() -> None:
            try:
                async with transport.stream_lines_async(url, BODY, headers) as lines:
                    async for line in lines:
                        out.lines.append(line)
            except APIError as exc:
                out.error = exc
            finally:
                await transport.aclose()

        asyncio.run(go())
        return out


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> Mode:
    return Mode(request.param)


def make(max_retries: int = 0, timeout: float = 5.0, **client_kwargs: Any) -> Transport:
    return Transport(provider="openai", timeout=timeout, max_retries=max_retries, client_kwargs=client_kwargs)


def url(server: FakeServer) -> str:
    return f"{server.base_url}/chat/completions"


def test_success_returns_json_and_headers_and_sends_ours(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.json({"ok": [1, 2]}, headers={"x-request-id": "req-1"}))
    out = mode.post(make(), url(fake_server) + "?api-version=1", lambda: {"Authorization": "Bearer k"})
    assert out.error is None
    assert out.data == {"ok": [1, 2]}
    assert out.headers["x-request-id"] == "req-1"
    [seen] = fake_server.requests
    assert (seen.method, seen.path, seen.query) == ("POST", "/v1/chat/completions", {"api-version": "1"})
    assert seen.body == BODY
    assert seen.headers["authorization"] == "Bearer k"
    assert seen.headers["user-agent"].startswith("haybale/")


@pytest.mark.parametrize("retry_header", [{"Retry-After": "0"}, {"retry-after-ms": "1"}])
def test_429_is_retried_honouring_the_servers_delay(
    fake_server: FakeServer, mode: Mode, retry_header: dict[str, str]
) -> None:
    fake_server.script(
        Reply.json({"error": {"message": "slow"}}, status=429, headers=retry_header), Reply.json([1])
    )
    out = mode.post(make(max_retries=1), url(fake_server))
    assert out.data == [1]
    assert len(fake_server.requests) == 2


def test_500_exhausts_retries_and_reports_everything(fake_server: FakeServer, mode: Mode) -> None:
    failure = Reply.json(
        {"error": {"message": "engine overloaded"}},
        status=503,
        headers={"retry-after-ms": "0", "x-request-id": "req-503"},
    )
    fake_server.script(failure, failure, failure)
    out = mode.post(make(max_retries=2), url(fake_server))
    assert len(fake_server.requests) == 3
    error = out.error
    assert isinstance(error, InternalServerError)
    assert (error.status_code, error.provider, error.request_id) == (503, "openai", "req-503")
    assert error.body == {"error": {"message": "engine overloaded"}}
    assert "engine overloaded" in str(error)


@pytest.mark.parametrize(
    ("status", "error_type", "hint"),
    [
        (400, BadRequestError, "parameters"),
        (401, AuthenticationError, "API key"),
        (404, NotFoundError, "base URL"),
    ],
)
def test_other_4xx_fail_at_once_with_a_hint(
    fake_server: FakeServer, mode: Mode, status: int, error_type: type[APIError], hint: str
) -> None:
    fake_server.script(Reply.json({"error": {"message": "nope"}}, status=status), Reply.json({}))
    out = mode.post(make(max_retries=3), url(fake_server))
    assert len(fake_server.requests) == 1
    assert isinstance(out.error, error_type)
    assert "nope" in str(out.error)
    assert hint in str(out.error)


def test_x_should_retry_overrides_the_status_rule(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(
        Reply.json({"error": "x"}, status=400, headers={"x-should-retry": "true", "retry-after-ms": "0"}),
        Reply.json({"error": "y"}, status=500, headers={"x-should-retry": "false"}),
        Reply.json({}),
    )
    out = mode.post(make(max_retries=3), url(fake_server))
    assert len(fake_server.requests) == 2
    assert isinstance(out.error, InternalServerError)


def test_non_json_error_body_is_kept_as_text(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.text("<html>Bad gateway</html>", status=502, headers={"cf-ray": "ray-9"}))
    out = mode.post(make(), url(fake_server))
    assert isinstance(out.error, InternalServerError)
    assert out.error.body == "<html>Bad gateway</html>"
    assert out.error.request_id == "ray-9"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused(mode: Mode) -> None:
    port = closed_port()
    out = mode.post(make(), f"http://127.0.0.1:{port}/v1/chat/completions")
    assert isinstance(out.error, APIConnectionError)
    assert not isinstance(out.error, APITimeoutError)
    assert f"127.0.0.1:{port}" in str(out.error)
    assert "api_base_url" in str(out.error)


def test_dropped_connection_is_retried(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.drop(), Reply.json({"after": "drop"}))
    out = mode.post(make(max_retries=1), url(fake_server))
    assert out.data == {"after": "drop"}
    assert len(fake_server.requests) == 2


def test_malformed_json_is_a_response_error(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.text('{"choices": [', content_type="application/json"))
    out = mode.post(make(max_retries=2), url(fake_server))
    assert isinstance(out.error, APIResponseError)
    assert out.error.body == '{"choices": ['
    assert len(fake_server.requests) == 1


def test_slow_answer_is_a_timeout_naming_the_value(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.delay(5.0, Reply.json({})))
    out = mode.post(make(timeout=0.25), url(fake_server))
    assert isinstance(out.error, APITimeoutError)
    assert "0.25" in str(out.error)
    assert "timeout" in str(out.error)


def test_headers_callable_is_called_once_per_attempt(fake_server: FakeServer, mode: Mode) -> None:
    calls: list[int] = []

    def headers() -> dict[str, str]:
        calls.append(1)
        return {"Authorization": f"Bearer token-{len(calls)}"}

    limited = Reply.json({}, status=429, headers={"Retry-After": "0"})
    fake_server.script(limited, limited, Reply.json({"ok": 1}))
    out = mode.post(make(max_retries=2), url(fake_server), headers)
    assert out.data == {"ok": 1}
    assert len(calls) == 3
    assert [r.headers["authorization"] for r in fake_server.requests] == [
        f"Bearer token-{i}" for i in (1, 2, 3)
    ]


def test_async_headers_callable_may_be_awaitable(fake_server: FakeServer) -> None:
    async def headers() -> dict[str, str]:
        return {"Authorization": "Bearer from-async"}

    fake_server.script(Reply.json({}))
    assert Mode("async").post(make(), url(fake_server), headers).error is None
    assert fake_server.requests[0].headers["authorization"] == "Bearer from-async"


def test_secrets_never_reach_errors_or_logs(
    fake_server: FakeServer, mode: Mode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="haybale")
    failure = Reply.json({"error": {"message": "denied"}}, status=500, headers={"retry-after-ms": "0"})
    fake_server.script(failure, failure)
    errors = [mode.post(make(max_retries=1), url(fake_server)).error]
    errors.append(mode.post(make(), f"http://127.0.0.1:{closed_port()}/v1/x").error)
    assert "retry 1 of 1" in caplog.text
    for error in errors:
        assert error is not None
        for text in (str(error), repr(error), json.dumps(getattr(error, "body", None)), caplog.text):
            assert SECRET not in text


def test_client_kwargs_are_honoured_and_timeout_is_ours(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.delay(0.3, Reply.json({"late": True})))
    client_kwargs = {
        "headers": {"X-Team": "hay", "User-Agent": "custom/1"},
        "limits": {"max_connections": 2, "max_keepalive_connections": 1},
        "timeout": 0.01,  # ignored: the transport's own timeout wins
    }
    transport = Transport(provider="openai", timeout=5.0, max_retries=0, client_kwargs=client_kwargs)
    out = mode.post(transport, url(fake_server))
    assert out.data == {"late": True}
    seen = fake_server.requests[0].headers
    assert (seen["x-team"], seen["user-agent"]) == ("hay", "custom/1")


def test_invalid_limits_are_rejected_naming_the_field(fake_server: FakeServer) -> None:
    with pytest.raises(ConfigurationError, match="not_a_limit"):
        make(limits={"not_a_limit": 1}).post_json(url(fake_server), BODY, dict)


def test_repr_hides_client_kwargs() -> None:
    assert SECRET not in repr(make(headers={"Authorization": SECRET}))


# -- streams ------------------------------------------------------------------------------------------

EVENTS: list[dict[str, Any] | str] = [
    {"n": 1},
    ": OPENROUTER PROCESSING\n\n",
    'event: message\r\ndata: {"n": 2}\r\n\r\n',
    {"n": 3},
]
EXPECTED_LINES = [
    'data: {"n": 1}',
    "",
    ": OPENROUTER PROCESSING",
    "",
    "event: message",
    'data: {"n": 2}',
    "",
    'data: {"n": 3}',
    "",
    "data: [DONE]",
    "",
]


def test_stream_yields_every_line_verbatim(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.sse(EVENTS))
    out = mode.stream(make(), url(fake_server))
    assert out.error is None
    assert out.lines == EXPECTED_LINES


def test_stream_status_error_is_retried_before_the_stream_starts(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.json({"error": {"message": "busy"}}, status=429, headers={"Retry-After": "0"}))
    fake_server.script(Reply.sse([{"n": 1}], done=False))
    out = mode.stream(make(max_retries=1), url(fake_server))
    assert out.lines == ['data: {"n": 1}', ""]
    assert len(fake_server.requests) == 2


def test_stream_status_error_without_retries(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.json({"error": {"message": "quota"}}, status=429, headers={"Retry-After": "0"}))
    out = mode.stream(make(), url(fake_server))
    assert isinstance(out.error, RateLimitError)
    assert "quota" in str(out.error)
    assert "max_retries" in str(out.error)
    assert out.lines == []


def test_stream_cut_midway_delivers_lines_then_connection_error(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.sse([{"n": 1}, {"n": 2}, {"n": 3}], cut_after=2), Reply.json({}))
    out = mode.stream(make(max_retries=2), url(fake_server))
    assert out.lines == ['data: {"n": 1}', "", 'data: {"n": 2}', ""]
    assert isinstance(out.error, APIConnectionError)
    assert not isinstance(out.error, APITimeoutError)
    assert len(fake_server.requests) == 1  # no retry once the stream has started


def test_stream_stall_is_an_idle_timeout(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.sse([{"n": 1}, {"n": 2}], stall_after=1, stall_seconds=5.0))
    out = mode.stream(make(timeout=0.3), url(fake_server))
    assert out.lines == ['data: {"n": 1}', ""]
    assert isinstance(out.error, APITimeoutError)
    assert "0.3" in str(out.error)
    assert fake_server.wait_for_disconnects(1)


def test_leaving_the_with_block_early_closes_the_response(fake_server: FakeServer) -> None:
    fake_server.script(Reply.sse([{"n": i} for i in range(100)], delay=0.02))
    transport = make()
    with transport.stream_lines(url(fake_server), BODY, dict) as lines:
        first = next(iter(lines))
    assert first == 'data: {"n": 0}'
    assert fake_server.wait_for_disconnects(1)
    transport.close()


async def test_cancelling_the_async_stream_closes_the_response(fake_server: FakeServer) -> None:
    fake_server.script(Reply.sse([{"n": i} for i in range(100)], delay=0.02))
    transport = make()
    got_one = asyncio.Event()

    async def consume() -> None:
        async with transport.stream_lines_async(url(fake_server), BODY, dict) as lines:
            async for _ in lines:
                got_one.set()

    task = asyncio.create_task(consume())
    await got_one.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(fake_server.wait_for_disconnects, 1)
    await transport.aclose()


def test_importing_the_transport_imports_no_http_library() -> None:
    code = (
        "import sys, haybale._wire.transport; "
        "print(*[name in sys.modules for name in ('httpx2', 'pyreqwest', 'asyncio')])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False", "False"]


def test_close_is_idempotent() -> None:
    transport = make()
    transport.close()
    transport.close()
    asyncio.run(transport.aclose())


def test_async_calls_work_across_event_loops(fake_server: Any) -> None:
    # asyncio.run() twice on one transport: the second loop must not reuse the first loop's pool.
    fake_server.script(Reply.json({"n": 1}), Reply.json({"n": 2}))
    transport = Transport(provider="openai", timeout=5, max_retries=0)
    url = f"{fake_server.base_url}/chat/completions"
    for expected in (1, 2):
        data, _ = asyncio.run(transport.post_json_async(url, b"{}", lambda: {}))
        assert data == {"n": expected}


def test_never_retry_stops_retries_for_errors_the_caller_knows_are_final(fake_server: Any) -> None:
    fake_server.script(
        Reply.json({"error": {"message": "bad field"}}, status=500),
        Reply.json({"error": {"message": "flaky"}}, status=500),
        Reply.json({"ok": True}),
    )
    transport = Transport(
        provider="openai", timeout=5, max_retries=3, never_retry=lambda error: "bad field" in error.message
    )
    url = f"{fake_server.base_url}/chat/completions"
    with pytest.raises(InternalServerError, match="bad field"):
        transport.post_json(url, b"{}", dict)
    assert len(fake_server.requests) == 1
    data, _ = transport.post_json(url, b"{}", dict)  # another 500 is still retried
    assert data == {"ok": True}


# ---- bodies split and decoded by the SSE rules, whatever the headers say -------------------------


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_unicode_separators_inside_a_json_string_do_not_split_the_line(
    fake_server: FakeServer, mode: Mode, separator: str
) -> None:
    line = f'data: {{"content": "a{separator}b"}}'
    fake_server.script(Reply.text(f"{line}\n\n", content_type="text/event-stream"))
    out = mode.stream(make(), url(fake_server))
    assert out.error is None
    assert out.lines == [line, ""]


def test_the_body_is_utf8_whatever_charset_the_header_declares(fake_server: FakeServer, mode: Mode) -> None:
    body = 'data: {"content": "naïve café ☕"}\n\n'.encode()
    fake_server.script(Reply.text(body, content_type="text/event-stream; charset=iso-8859-1"))
    out = mode.stream(make(), url(fake_server))
    assert out.lines == ['data: {"content": "naïve café ☕"}', ""]


def test_a_leading_byte_order_mark_is_dropped(fake_server: FakeServer, mode: Mode) -> None:
    body = b'\xef\xbb\xbfdata: {"n": 1}\r\n\r\ndata: [DONE]\r\n\r\n'
    fake_server.script(Reply.text(body, content_type="text/event-stream"))
    out = mode.stream(make(), url(fake_server))
    assert out.lines == ['data: {"n": 1}', "", "data: [DONE]", ""]


# ---- undecodable bodies ----------------------------------------------------------------------------

CORRUPT_GZIP = {"Content-Encoding": "gzip", "x-request-id": "req-gz-1"}


def test_a_corrupt_gzip_body_is_a_response_error(fake_server: FakeServer, mode: Mode) -> None:
    fake_server.script(Reply.text(b"\x1f\x8b\x08\x00this is not gzip", headers=CORRUPT_GZIP))
    out = mode.post(make(max_retries=2), url(fake_server))
    assert isinstance(out.error, APIResponseError)
    assert out.error.status_code == 200
    assert out.error.request_id == "req-gz-1"
    assert "could not be decoded" in str(out.error)
    assert len(fake_server.requests) == 1  # a corrupt answer is not a network hiccup: no retry


def test_a_corrupt_gzip_stream_is_a_response_error(fake_server: FakeServer, mode: Mode) -> None:
    corrupt = b"\x1f\x8b\x08\x00this is not gzip"
    fake_server.script(Reply.text(corrupt, headers=CORRUPT_GZIP, content_type="text/event-stream"))
    out = mode.stream(make(), url(fake_server))
    assert isinstance(out.error, APIResponseError)
    assert out.error.status_code == 200
    assert out.error.request_id == "req-gz-1"


# ---- connections go back to the pool after a stream ------------------------------------------------


def test_consecutive_streams_reuse_their_connection(fake_server: FakeServer, mode: Mode) -> None:
    calls = 50
    fake_server.script(*[Reply.sse([{"n": i}]) for i in range(calls)])
    transport = make()

    def read_until_done(lines: list[str]) -> bool:
        return lines[-1] == "data: [DONE]"

    if mode.name == "sync":
        for _ in range(calls):
            with transport.stream_lines(url(fake_server), BODY, dict) as lines:
                seen = []
                for line in lines:  # stop at [DONE] as the chat stream does
                    seen.append(line)
                    if line == "data: [DONE]":
                        break
            assert read_until_done(seen)
        transport.close()
    else:

        async def go() -> None:
            for _ in range(calls):
                async with transport.stream_lines_async(url(fake_server), BODY, dict) as lines:
                    seen = []
                    async for line in lines:
                        seen.append(line)
                        if line == "data: [DONE]":
                            break
                assert read_until_done(seen)
            await transport.aclose()

        asyncio.run(go())
    assert len(fake_server.requests) == calls
    assert fake_server.connections <= 3


def test_a_body_that_never_ends_after_done_is_not_waited_for(fake_server: FakeServer, mode: Mode) -> None:
    # [DONE], then the server stalls without ending the body: the drain gives up, the call succeeds.
    fake_server.script(Reply.sse([{"n": 1}, "data: [DONE]\n\n", {"n": 2}], done=False, stall_after=2))
    out = Outcome()
    transport = make(timeout=0.5)
    try:
        with transport.stream_lines(url(fake_server), BODY, dict) as lines:
            for line in lines:
                out.lines.append(line)
                if line == "data: [DONE]":
                    break
    finally:
        transport.close()
    assert out.lines == ['data: {"n": 1}', "", "data: [DONE]"]


# ---- threads share one client ------------------------------------------------------------------------


def test_threads_racing_on_a_fresh_transport_share_one_client(fake_server: FakeServer) -> None:
    import threading
    import warnings

    threads = 8
    fake_server.script(*[Reply.json({"n": i}) for i in range(threads)])
    transport = make()
    barrier = threading.Barrier(threads)
    clients: list[object] = []

    def call() -> None:
        barrier.wait()
        transport.post_json(url(fake_server), BODY, dict)
        clients.append(transport._client)

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        workers = [threading.Thread(target=call) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert len(clients) == threads
    assert len({id(client) for client in clients}) == 1
    transport.close()


# ---- Retry-After --------------------------------------------------------------------------------------


def test_a_retry_after_beyond_the_budget_fails_at_once_and_carries_it(
    fake_server: FakeServer, mode: Mode
) -> None:
    fake_server.script(
        Reply.json({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "120"}),
        Reply.json({"ok": True}),
    )
    out = mode.post(make(max_retries=3, timeout=5), url(fake_server))
    assert isinstance(out.error, RateLimitError)
    assert out.error.retry_after == 120.0
    assert out.error.headers["retry-after"] == "120"
    assert len(fake_server.requests) == 1  # no knocking before the server is ready


def test_a_retry_after_within_the_budget_is_honoured(fake_server: FakeServer, mode: Mode) -> None:
    import time

    fake_server.script(
        Reply.json({"error": {"message": "slow down"}}, status=429, headers={"retry-after-ms": "400"}),
        Reply.json({"ok": True}),
    )
    started = time.monotonic()
    out = mode.post(make(max_retries=3, timeout=5), url(fake_server))
    assert out.error is None
    assert out.data == {"ok": True}
    assert time.monotonic() - started >= 0.4  # it waited what the server asked (not less)


def test_the_chosen_backend_is_the_one_used(fake_server: FakeServer, mode: Mode, http_backend: str) -> None:
    fake_server.script(Reply.json({"n": 1}))
    transport = make()
    assert mode.post(transport, url(fake_server)).data == {"n": 1}
    assert transport.backend == http_backend
