"""A scripted OpenAI-compatible HTTP/1.1 server on 127.0.0.1 for protocol tests.

Usage::

    with FakeServer() as server:                      # or server.start() / server.stop()
        server.script(Reply.json(completion("hi")), Reply.sse(text_chunks(["a", "b"])))
        ...point a client at server.base_url ("http://127.0.0.1:<port>/v1")...
        server.requests[0].json                       # what the client sent

Every request (any method, any path) consumes the next scripted reply, FIFO. When the script is
empty and a responder is set (``server.respond_with(fn)``), ``fn(request)`` computes the reply from
the request instead: that is how thousands of requests get row-specific answers (see
``echo.Echo``). With neither, the server answers HTTP 500
``{"error": {"message": "fake server: no scripted reply left"}}`` so a test notices unexpected extra
requests. Each recorded request notes when it arrived (``received_at``, ``time.monotonic()``, which
is system-wide on Linux, so it compares with other processes' clocks) and how many requests the
server was handling at that moment, itself included (``in_flight``).

``server.disconnects`` counts replies the client abandoned (closed the connection while the server
was still sending or waiting); ``wait_for_disconnects`` waits for that count. ``server.connections``
counts the TCP connections clients opened.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class ClientGone(Exception):
    """The client closed the connection while a reply was in progress."""


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    target_host: str = ""  # the host named in an absolute-form request line: a request sent to a proxy
    received_at: float = 0.0
    in_flight: int = 0

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """One scripted answer; build it with the classmethods below."""

    serve: Callable[[_Handler], None]
    label: str = field(default="reply")

    @classmethod
    def json(cls, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        data = json.dumps(body).encode()
        return cls(lambda h: h.send_body(status, data, "application/json", headers), "json")

    @classmethod
    def text(
        cls,
        body: str | bytes,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str = "text/plain",
    ) -> Reply:
        data = body.encode() if isinstance(body, str) else body
        return cls(lambda h: h.send_body(status, data, content_type, headers), "text")

    @classmethod
    def sse(
        cls,
        events: list[dict[str, Any] | str],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        done: bool = True,
        delay: float = 0.0,
        cut_after: int | None = None,
        stall_after: int | None = None,
        stall_seconds: float = 5.0,
    ) -> Reply:
        """A chunked ``text/event-stream``: dict events become ``data: <json>``, str events go verbatim."""
        frames = [e if isinstance(e, str) else f"data: {json.dumps(e)}\n\n" for e in events]
        if done:
            frames.append("data: [DONE]\n\n")

        def serve(h: _Handler) -> None:
            h.start_chunked(status, headers)
            for index, frame in enumerate(frames):
                if index == cut_after:
                    return h.cut()
                if index == stall_after:
                    h.wait(stall_seconds)
                    return h.cut()
                if delay and index:
                    h.wait(delay)
                h.write_chunk(frame.encode())
            if cut_after is not None and cut_after >= len(frames):
                return h.cut()
            h.end_chunked()

        return cls(serve, "sse")

    @classmethod
    def echo(cls, status: int = 401, *, as_json: bool = True, as_stream: bool = False) -> Reply:
        """Answer ``status`` with the request's headers in the body, as a careless proxy does.

        JSON: ``{"error": {"message": "...<every header>...", "headers": {...}}}``; else plain text.
        ``as_stream``: that JSON as the one event of an event stream (an error inside a 200 stream).
        """

        def serve(h: _Handler) -> None:
            sent = dict(h.headers.items())
            listed = "; ".join(f"{name}: {value}" for name, value in sent.items())
            body = {"error": {"message": f"rejected request with {listed}", "headers": sent}}
            if as_stream:
                event = f"data: {json.dumps(body)}\n\n".encode()
                h.send_body(status, event, "text/event-stream", None)
            elif as_json:
                h.send_body(status, json.dumps(body).encode(), "application/json", None)
            else:
                h.send_body(status, f"rejected: {listed}".encode(), "text/plain", None)

        return cls(serve, "echo")

    @classmethod
    def drop(cls) -> Reply:
        """Read the request, then close the connection without answering."""
        return cls(lambda h: h.cut(), "drop")

    @classmethod
    def delay(cls, seconds: float, reply: Reply) -> Reply:
        """Wait ``seconds`` (noticing a client that gives up), then answer with ``reply``."""

        def serve(h: _Handler) -> None:
            h.wait(seconds)
            reply.serve(h)

        return cls(serve, f"delay({reply.label})")


_NOTHING_LEFT = Reply.json({"error": {"message": "fake server: no scripted reply left"}}, status=500)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms per reply.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.owner.note_connection()

    def handle_one(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        owner = self.server.owner
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            target_host=parts.netloc,
            received_at=time.monotonic(),
        )
        owner.record(request)
        try:
            owner.next_reply(request).serve(self)
            self.wfile.flush()
        except (ClientGone, BrokenPipeError, ConnectionResetError):
            owner.note_disconnect()
            self.close_connection = True
        finally:
            owner.done(request)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_one

    def send_body(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_chunked(self, status: int, headers: dict[str, str] | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    def cut(self) -> None:
        """Close the socket abruptly: no terminating chunk, no further answers on this connection."""
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def wait(self, seconds: float) -> None:
        """Sleep, but raise ClientGone as soon as the client closes the connection (or the server stops)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.server.owner.stopping.is_set():
                raise ClientGone
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                raise ClientGone


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # socketserver's default backlog (5) drops connections when dozens open at once (a batch with
    # concurrency 32 reconnecting after resets); the client then waits a SYN retransmit (1 s).
    request_queue_size = 256
    owner: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client dropping an idle keep-alive connection is normal; anything else is a bug here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeServer:
    """A real HTTP/1.1 server in a background thread, answering from a script (see module docstring)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context  # serve HTTPS with this context
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0
        self.connections = 0
        self.stopping = threading.Event()
        self.responder: Callable[[RecordedRequest], Reply] | None = None
        self._in_flight = 0
        self._queue: deque[Reply] = deque()
        self._lock = threading.Condition()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeServer is not started: call start() or use it as a context manager")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        if self.ssl_context is not None:
            self._httpd.socket = self.ssl_context.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *replies: Reply) -> None:
        """Queue replies; each incoming request consumes one, in order."""
        with self._lock:
            self._queue.extend(replies)

    def respond_with(self, responder: Callable[[RecordedRequest], Reply] | None) -> None:
        """Answer requests the script does not cover with ``responder(request)`` (None: stop)."""
        with self._lock:
            self.responder = responder

    def reset(self) -> None:
        """Forget scripted replies, the responder, recorded requests and the connection counts."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.disconnects = 0
            self.responder = None
            self.connections = 0

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._in_flight += 1
            request.in_flight = self._in_flight
            self.requests.append(request)

    def done(self, request: RecordedRequest) -> None:
        with self._lock:
            self._in_flight -= 1

    def next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            responder = self.responder
        # Outside the lock: a responder may take its time (and other requests must not wait for it).
        return responder(request) if responder is not None else _NOTHING_LEFT

    def note_connection(self) -> None:
        with self._lock:
            self.connections += 1

    def note_disconnect(self) -> None:
        with self._lock:
            self.disconnects += 1
            self._lock.notify_all()

    def wait_for_disconnects(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Wait until ``disconnects >= count``; returns whether it got there in time."""
        with self._lock:
            return self._lock.wait_for(lambda: self.disconnects >= count, timeout)
