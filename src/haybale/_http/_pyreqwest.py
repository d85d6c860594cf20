"""The fast backend: ``pyreqwest`` (Rust reqwest and hyper on a Tokio runtime).

Timeouts follow httpx2's meaning of one number: connecting, waiting for a free connection and each
read (so a stalled stream times out after ``timeout`` seconds of silence) are each bounded by it.
Redirects are not followed unless asked, as with httpx2. A response is handed over as soon as its
headers arrive (no read-ahead buffer): a failure in the body then surfaces while reading it, after
the status is known, never as a failure to send that the transport would retry. A Tokio runtime
cannot run in a process forked after it started: building a client there raises
``BackendUnavailable``, and the transport falls back to httpx2 in that process.
"""

from __future__ import annotations

import atexit
import time
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from pyreqwest import exceptions as native
from pyreqwest.client import ClientBuilder, SyncClientBuilder
from pyreqwest.proxy import ProxyBuilder

from haybale._http._base import FailureKind, TransportFailure
from haybale._http._options import ClientSettings


class BackendUnavailable(Exception):
    """This backend cannot make a client in this process (its runtime did not survive a fork)."""


def _configure(builder: Any, settings: ClientSettings) -> Any:
    limit = timedelta(seconds=settings.timeout)
    builder = (
        builder.connect_timeout(limit)
        .read_timeout(limit)
        .pool_timeout(limit)
        .default_headers(dict(settings.headers))
        .follow_redirects(settings.follow_redirects)
        .max_connections(settings.max_connections)
        .http2(settings.http2)
    )
    if settings.max_keepalive is not None:
        builder = builder.pool_max_idle_per_host(settings.max_keepalive)
    if settings.keepalive_expiry is not None:
        builder = builder.pool_idle_timeout(timedelta(seconds=settings.keepalive_expiry))
    if settings.proxy:
        builder = builder.proxy(ProxyBuilder.all(settings.proxy))
    elif not settings.trust_env:
        builder = builder.no_proxy()  # reqwest reads HTTP(S)_PROXY / NO_PROXY unless told not to
    if settings.verify is False:
        builder = builder.danger_accept_invalid_certs(True)
    elif isinstance(settings.verify, str):
        builder = builder.add_root_certificate_pem(Path(settings.verify).read_bytes())
    if settings.cert is not None:
        cert, key = settings.cert
        identity = Path(cert).read_bytes() + (b"\n" + Path(key).read_bytes() if key else b"")
        builder = builder.identity_pem(identity)
    return builder


def _build(builder: Any) -> Any:
    try:
        return builder.build()
    except RuntimeError as exc:
        if "fork" in str(exc):
            raise BackendUnavailable(str(exc)) from exc
        raise


def _detail(exc: native.PyreqwestError) -> str:
    causes = getattr(exc, "details", None) or {}
    reasons = [cause.get("message", "") for cause in causes.get("causes") or ()]
    return "; ".join([exc.message, *[r for r in reasons if r]])


def _failure(exc: native.PyreqwestError, status: int | None = None, headers: Any = None) -> TransportFailure:
    detail = _detail(exc)
    kind: FailureKind
    if isinstance(exc, native.RequestTimeoutError):
        kind = "timeout"
    elif isinstance(exc, native.DecodeError) or _is_decoding(detail, headers):
        kind = "decoding"
    else:
        kind = "connection"
    return TransportFailure(kind, f"{type(exc).__name__}: {detail}", status=status, headers=headers)


def _is_decoding(detail: str, headers: Any) -> bool:
    # reqwest removes Content-Encoding once it decompresses, and reports a corrupt compressed body as
    # a body error, as it does a connection cut mid-body; only the cut says it was reading from the
    # connection. ``headers`` is None for failures before any answer arrived.
    if headers is None or "reading a body from connection" in detail:
        return False
    return "decoding" in detail or "body error" in detail


class SyncResponse:
    def __init__(self, request: Any, response: Any) -> None:
        self._request: Any = request  # the streamed request's context manager, exited by close()
        self._response = response
        self.status: int = response.status
        self.headers = cast(Mapping[str, str], response.headers)

    def read(self) -> bytes:
        try:
            return bytes(self._response.bytes())
        except native.PyreqwestError as exc:
            raise _failure(exc, self.status, self.headers) from exc

    def chunks(self) -> Iterator[bytes]:
        read_chunk = self._response.body_reader.read_chunk
        try:
            while (data := read_chunk()) is not None:
                yield bytes(data)
        except native.PyreqwestError as exc:
            raise _failure(exc, self.status, self.headers) from exc

    def close(self) -> None:
        request, self._request = self._request, None
        if request is not None:
            request.__exit__(None, None, None)


class AsyncResponse:
    def __init__(self, request: Any, response: Any) -> None:
        self._request: Any = request
        self._response = response
        self.status: int = response.status
        self.headers = cast(Mapping[str, str], response.headers)

    async def read(self) -> bytes:
        try:
            return bytes(await self._response.bytes())
        except native.PyreqwestError as exc:
            raise _failure(exc, self.status, self.headers) from exc

    async def chunks(self) -> AsyncIterator[bytes]:
        read_chunk = self._response.body_reader.read_chunk
        try:
            while (data := await read_chunk()) is not None:
                yield bytes(data)
        except native.PyreqwestError as exc:
            raise _failure(exc, self.status, self.headers) from exc

    async def close(self) -> None:
        request, self._request = self._request, None
        if request is not None:
            await request.__aexit__(None, None, None)


class SyncClient:
    def __init__(self, settings: ClientSettings) -> None:
        self._client = _build(_configure(SyncClientBuilder(), settings))

    def send(self, url: str, body: bytes, headers: Mapping[str, str], method: str = "POST") -> SyncResponse:
        # Always opened as a stream, so a body that fails to decode is reported with its status.
        request = self._client.request(method, url).headers(headers).body_bytes(body)
        request = request.streamed_read_buffer_limit(0).build_streamed()
        try:
            return SyncResponse(request, request.__enter__())
        except native.PyreqwestError as exc:
            raise _failure(exc) from exc

    def close(self) -> None:
        self._client.close()


class AsyncClient:
    def __init__(self, settings: ClientSettings) -> None:
        self._client: Any = _build(_configure(ClientBuilder(), settings))
        global _made_async_client
        _async_clients.add(self)
        _made_async_client = True

    async def send(
        self, url: str, body: bytes, headers: Mapping[str, str], method: str = "POST"
    ) -> AsyncResponse:
        request = self._client.request(method, url).headers(headers).body_bytes(body)
        request = request.streamed_read_buffer_limit(0).build_streamed()
        try:
            return AsyncResponse(request, await request.__aenter__())
        except native.PyreqwestError as exc:
            raise _failure(exc) from exc

    async def aclose(self) -> None:
        await self._client.close()


# An async client left for the interpreter's final teardown (never closed, or closed a moment before
# exit) lets Tokio's threads drop Python objects while Python 3.11/3.12 finalize, which aborts the
# process ("PyGILState_Release: thread state must be current"; seen in about 1 exit in 15). So at
# exit, while the interpreter still runs, the native clients are dropped and Tokio gets a moment to
# finish tearing their connections down.
_async_clients: weakref.WeakSet[AsyncClient] = weakref.WeakSet()
_made_async_client = False  # closed clients count too: their teardown may still be running at exit
_SETTLE_SECONDS = 0.05


@atexit.register
def _release_async_clients() -> None:
    if not _made_async_client:
        return
    for client in list(_async_clients):
        client._client = None
    time.sleep(_SETTLE_SECONDS)
