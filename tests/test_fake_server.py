"""The fake server itself: scripting, recording and the raw bytes it sends."""

from __future__ import annotations

import http.client
import json
import socket

import httpx2
import pytest

from fake_server import FakeServer, Reply
from payloads import completion, text_chunks, tool_call_chunks


def raw_exchange(server: FakeServer, request: bytes) -> bytes:
    """Send raw bytes, read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


POST = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"


def test_replies_are_consumed_in_order_and_requests_recorded(fake_server: FakeServer) -> None:
    fake_server.script(Reply.json({"n": 1}), Reply.json({"n": 2}, status=201, headers={"x-request-id": "r2"}))
    with httpx2.Client() as client:
        first = client.post(f"{fake_server.base_url}/chat/completions?api-version=2024", json={"q": 1})
        second = client.get(f"{fake_server.base_url}/models", headers={"X-Custom": "Yes"})
    assert (first.status_code, first.json()) == (200, {"n": 1})
    assert (second.status_code, second.json(), second.headers["x-request-id"]) == (201, {"n": 2}, "r2")
    one, two = fake_server.requests
    assert (one.method, one.path, one.query, one.json) == (
        "POST",
        "/v1/chat/completions",
        {"api-version": "2024"},
        {"q": 1},
    )
    assert (two.method, two.path, two.headers["x-custom"], two.body) == ("GET", "/v1/models", "Yes", b"")


def test_empty_script_answers_500(fake_server: FakeServer) -> None:
    response = httpx2.post(f"{fake_server.base_url}/chat/completions", content=b"{}")
    assert response.status_code == 500
    assert response.json() == {"error": {"message": "fake server: no scripted reply left"}}


def test_reset_forgets_script_and_requests(fake_server: FakeServer) -> None:
    fake_server.script(Reply.json({}))
    httpx2.get(fake_server.base_url)
    fake_server.script(Reply.json({"unused": True}))
    fake_server.reset()
    assert fake_server.requests == []
    assert httpx2.get(fake_server.base_url).status_code == 500


def test_sse_sends_chunked_events_verbatim_and_done(fake_server: FakeServer) -> None:
    fake_server.script(Reply.sse([{"a": 1}, ": keep-alive\r\n\r\n"], headers={"x-extra": "1"}))
    answer = raw_exchange(fake_server, POST)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert b"x-extra: 1" in head
    assert b"Content-Type: text/event-stream" in head
    expected = [b'data: {"a": 1}\n\n', b": keep-alive\r\n\r\n", b"data: [DONE]\n\n"]
    assert body == b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in expected) + b"0\r\n\r\n"


def test_sse_without_done(fake_server: FakeServer) -> None:
    fake_server.script(Reply.sse([{"a": 1}], done=False))
    assert b"[DONE]" not in raw_exchange(fake_server, POST)


def test_cut_after_ends_without_the_terminating_chunk(fake_server: FakeServer) -> None:
    fake_server.script(Reply.sse([{"a": 1}, {"a": 2}], cut_after=1))
    answer = raw_exchange(fake_server, POST)
    assert b'data: {"a": 1}' in answer
    assert b'data: {"a": 2}' not in answer
    assert not answer.endswith(b"0\r\n\r\n")


def test_drop_closes_without_answering(fake_server: FakeServer) -> None:
    fake_server.script(Reply.drop())
    assert raw_exchange(fake_server, POST) == b""
    assert len(fake_server.requests) == 1


def test_text_reply_and_keep_alive(fake_server: FakeServer) -> None:
    fake_server.script(Reply.text("<html>down</html>", status=503, content_type="text/html"), Reply.json([]))
    connection = http.client.HTTPConnection("127.0.0.1", fake_server.port, timeout=5)
    connection.request("POST", "/v1/x", body=b"{}")
    first = connection.getresponse()
    assert (first.status, first.getheader("content-type"), first.read()) == (
        503,
        "text/html",
        b"<html>down</html>",
    )
    connection.request("POST", "/v1/x", body=b"{}")  # same socket: keep-alive works
    assert json.loads(connection.getresponse().read()) == []
    connection.close()


def test_delay_noticing_a_client_that_gives_up(fake_server: FakeServer) -> None:
    fake_server.script(Reply.delay(5.0, Reply.json({})))
    with pytest.raises(httpx2.ReadTimeout):
        httpx2.post(fake_server.base_url, content=b"{}", timeout=0.2)
    assert fake_server.wait_for_disconnects(1)


def test_context_manager_starts_and_stops() -> None:
    with FakeServer() as server:
        server.script(Reply.json({"own": True}))
        assert httpx2.get(server.base_url).json() == {"own": True}
        port = server.port
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"http://127.0.0.1:{port}/v1")
    with pytest.raises(RuntimeError, match="start"):
        _ = server.base_url


def test_payload_builders_mirror_the_wire_format() -> None:
    body = completion("Hi", n=2, usage={"total_tokens": 3}, reasoning_content="think", extra_message={"x": 1})
    assert body["object"] == "chat.completion"
    assert [c["index"] for c in body["choices"]] == [0, 1]
    message = body["choices"][0]["message"]
    assert (message["role"], message["content"], message["reasoning_content"], message["x"]) == (
        "assistant",
        "Hi",
        "think",
        1,
    )
    chunks = text_chunks(["a", "b"])
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == "ab"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] == 17
    calls = tool_call_chunks([("call_1", "weather", ['{"city"', ': "Paris"}'])], usage=None)
    assert calls[1]["choices"][0]["delta"]["tool_calls"][0]["id"] == "call_1"
    fragments = [c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for c in calls[1:-1]]
    assert "".join(fragments) == '{"city": "Paris"}'
    assert calls[-1]["choices"][0]["finish_reason"] == "tool_calls"
