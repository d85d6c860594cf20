"""A fast OpenAI-compatible chat server for the benchmarks.

The server must never be the bottleneck, so it speaks a minimal HTTP/1.1 (keep-alive, Content-Length
request bodies, chunked SSE replies) on a raw asyncio protocol, and every reply is encoded once at
start-up. Non-streaming requests get ``REPLY_TEXT``; streaming requests get ``--chunks`` content chunks
whose texts are ``stream_piece(i)``, then a finish chunk, a usage chunk and ``[DONE]``.

Run: ``python benchmarks/server.py --port 0 --chunks 20000`` (prints ``PORT <n>`` when ready).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys

REPLY_TEXT = "Hello from the benchmark server: the quick brown fox jumps over the lazy dog."
_CREATED = 1_700_000_000
_USAGE = {"prompt_tokens": 9, "completion_tokens": 17, "total_tokens": 26}


def stream_piece(i: int) -> str:
    """The text of streamed content chunk ``i`` (clients rebuild the expected reply from it)."""
    return f"w{i} "


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _completion_body() -> bytes:
    return _dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": _CREATED,
            "model": "bench",
            "system_fingerprint": "fp_bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": REPLY_TEXT, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _USAGE,
        }
    )


def _chunk(delta: dict[str, object], finish: str | None = None, choices: bool = True) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": _CREATED,
        "model": "bench",
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        if choices
        else [],
    }
    return body


def _sse_frame(payload: bytes) -> bytes:
    # One SSE event per HTTP chunk, as real servers flush them.
    event = b"data: " + payload + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(event), event)


def build_stream(chunks: int) -> bytes:
    """The whole chunked SSE response (headers included) for a streaming request."""
    frames = [_sse_frame(_dumps(_chunk({"role": "assistant", "content": ""})))]
    frames.extend(_sse_frame(_dumps(_chunk({"content": stream_piece(i)}))) for i in range(chunks))
    frames.append(_sse_frame(_dumps(_chunk({}, finish="stop"))))
    usage = _chunk({}, choices=False)
    usage["usage"] = _USAGE
    frames.append(_sse_frame(_dumps(usage)))
    frames.append(_sse_frame(b"[DONE]"))
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
        b"transfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n"
    )
    return head + b"".join(frames) + b"0\r\n\r\n"


def _fixed(status: str, body: bytes, content_type: bytes = b"application/json") -> bytes:
    return b"HTTP/1.1 %s\r\ncontent-type: %s\r\ncontent-length: %d\r\nconnection: keep-alive\r\n\r\n%s" % (
        status.encode(),
        content_type,
        len(body),
        body,
    )


class Replies:
    """Every response the server can send, encoded once."""

    def __init__(self, chunks: int) -> None:
        self.completion = _fixed("200 OK", _completion_body())
        self.stream = build_stream(chunks)
        self.health = _fixed("200 OK", b'{"ok":true}')
        self.not_found = _fixed("404 Not Found", b'{"error":{"message":"unknown path"}}')
        self.bad = _fixed("400 Bad Request", b'{"error":{"message":"bad request"}}')


class BenchProtocol(asyncio.Protocol):
    """One keep-alive connection: parse requests out of the byte stream and answer each."""

    def __init__(self, replies: Replies) -> None:
        self.replies = replies
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = _content_length(head)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(self._answer(head, body))
            if b"\nconnection: close" in head.lower():
                self.transport.close()
                self.transport = None

    def _answer(self, head: bytes, body: bytes) -> bytes:
        request_line = head.split(b"\r\n", 1)[0]
        if b" /health" in request_line:
            return self.replies.health
        if b" /stats" in request_line:
            # Read live (not pre-encoded): the orchestrator samples the server's own CPU per phase.
            usage = resource.getrusage(resource.RUSAGE_SELF)
            return _fixed("200 OK", _dumps({"cpu_s": usage.ru_utime + usage.ru_stime}))
        if b"/chat/completions" not in request_line:
            return self.replies.not_found
        try:
            request = json.loads(body)
        except ValueError:
            return self.replies.bad
        if not request.get("messages"):
            return self.replies.bad
        return self.replies.stream if request.get("stream") else self.replies.completion

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def _content_length(head: bytes) -> int:
    lower = head.lower()
    start = lower.find(b"\ncontent-length:")
    if start < 0:
        return 0
    stop = lower.find(b"\r\n", start + 1)
    return int(lower[start + 16 : stop if stop >= 0 else None])


async def serve(port: int, chunks: int) -> None:
    replies = Replies(chunks)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: BenchProtocol(replies), "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU core")
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    try:
        asyncio.run(serve(args.port, args.chunks))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
