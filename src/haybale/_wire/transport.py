"""HTTP I/O for one generator: POST with retries, JSON answers, and streamed body lines.

It knows nothing about chat: callers hand it bytes and a headers callable, and get back parsed JSON
or lines. Headers are asked for again on every attempt so refreshed tokens are picked up. The bytes
move through a backend (``haybale._http``: pyreqwest by default, httpx2 for compatibility);
everything here is shared by both, so a fix lands once.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
)
from inspect import isawaitable
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import jiter

from haybale._http import (
    TransportFailure,
    check_keys,
    make_async_client,
    make_sync_client,
    settings_for,
)
from haybale._logging import get_logger
from haybale._wire import _http_errors as errs
from haybale._wire._retry import RetryPolicy
from haybale._wire.sse import LineSplitter
from haybale.errors import APIError, APIStatusError

if TYPE_CHECKING:
    import asyncio

    from haybale._http import AsyncClient, AsyncResponse, ClientSettings, Response, SyncClient

HeadersFn = Callable[[], Mapping[str, str]]
AsyncHeadersFn = Callable[[], Mapping[str, str] | Awaitable[Mapping[str, str]]]

logger = get_logger("haybale")

# After ``[DONE]`` the rest of a streamed body (usually just the chunked-encoding terminator) is read,
# so the connection goes back to the pool instead of being closed; a server that keeps sending (or
# stalls) past these bounds loses the connection instead of holding up the caller.
DRAIN_MAX_BYTES = 64 * 1024
DRAIN_MAX_SECONDS = 1.0

# Creating a client is rare and cheap; one lock for all transports keeps them copyable (a lock per
# instance cannot be deep-copied or pickled) while threads racing on a fresh generator share one client.
_CLIENT_LOCK = threading.Lock()


class Transport:
    """One per generator. Owns lazily created sync and async clients of the chosen backend."""

    def __init__(
        self,
        *,
        provider: str,
        timeout: float,
        max_retries: int,
        client_kwargs: Mapping[str, Any] | None = None,
        never_retry: Callable[[APIStatusError], bool] | None = None,
    ) -> None:
        self.provider = provider
        self.timeout = timeout
        self.client_kwargs = dict(client_kwargs or {})
        check_keys(self.client_kwargs)
        # A server's pause is honoured while all waiting stays within the call's timeout.
        self.retry = RetryPolicy(max_retries, budget=timeout, never_retry=never_retry)
        self._settings: ClientSettings | None = None
        self._client: SyncClient | None = None
        # An async client's connections belong to the event loop that opened them, so each loop gets
        # its own client: a script calling asyncio.run() twice, or threads running their own loops,
        # must never touch a pool whose loop is closed. Weak keys drop a client with its loop.
        self._async_clients: WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncClient] = WeakKeyDictionary()
        # Clients never cross a fork: a child process (gunicorn worker, multiprocessing, Ray worker)
        # makes its own instead of using connections and runtimes that belong to its parent.
        self._pid = os.getpid()
        self.backend: str | None = None  # the backend's name, once a client exists

    def __repr__(self) -> str:
        # client_kwargs may hold default headers with credentials: never show them.
        return (
            f"Transport(provider={self.provider!r}, timeout={self.timeout}, "
            f"max_retries={self.retry.max_retries})"
        )

    # -- clients ---------------------------------------------------------------------------------------

    def settings(self) -> ClientSettings:
        """The backend and its settings for this transport's ``client_kwargs`` (decided once)."""
        settings = self._settings
        if settings is None:
            settings = self._settings = settings_for(self.client_kwargs, timeout=self.timeout)
        return settings

    def _check_process(self) -> None:
        if self._pid != os.getpid():  # forked: forget the parent's clients without closing them
            self._pid = os.getpid()
            self._client = None
            self._async_clients = WeakKeyDictionary()

    def _sync_client(self) -> SyncClient:
        self._check_process()
        client = self._client
        if client is None:
            with _CLIENT_LOCK:
                client = self._client
                if client is None:
                    client, self.backend = make_sync_client(self.settings())
                    self._client = client
                    logger.debug("haybale: %s client uses the %s HTTP backend", self.provider, self.backend)
        return client

    def _async(self) -> AsyncClient:
        import asyncio

        self._check_process()
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            with _CLIENT_LOCK:  # threads may run loops of their own against one transport
                client = self._async_clients.get(loop)
                if client is None:
                    client, self.backend = make_async_client(self.settings())
                    self._async_clients[loop] = client
        return client

    def close(self) -> None:
        """Close the sync client (the async one needs ``aclose``); safe to call twice."""
        client, self._client = self._client, None
        if client is not None and self._pid == os.getpid():
            client.close()

    async def aclose(self) -> None:
        """Close the sync client and the running loop's async client; safe to call twice.

        Clients of other, finished loops cannot be closed from here; they are dropped.
        """
        import asyncio

        clients, self._async_clients = self._async_clients, WeakKeyDictionary()
        client = clients.get(asyncio.get_running_loop())
        if client is not None and self._pid == os.getpid():
            await client.aclose()
        self.close()

    # -- shared retry bookkeeping ----------------------------------------------------------------------

    def _failure(self, url: str, failure: TransportFailure) -> APIError:
        if failure.kind == "timeout":
            return errs.timeout_error(url, self.provider, self.timeout)
        if failure.kind == "decoding":
            return errs.decoding_error(failure.status, failure.headers, failure.detail, self.provider)
        return errs.connection_error(url, self.provider, failure.detail)

    def _status_failure(self, status: int, headers: Mapping[str, str], raw: bytes) -> APIStatusError:
        return errs.status_error(status, headers, raw, self.provider)

    def _next_delay(self, attempt: int, url: str, error: APIError, waited: float) -> float:
        """Seconds to wait before the next attempt, or raise ``error`` if the policy says stop."""
        delay = self.retry.delay(attempt, error, waited)
        if delay is None:
            raise error
        reason = f"HTTP {error.status_code}" if isinstance(error, APIStatusError) else type(error).__name__
        logger.info(
            "haybale: %s request to %s failed (%s); retry %d of %d in %.2f s",
            self.provider,
            errs.host_of(url),
            reason,
            attempt + 1,
            self.retry.max_retries,
            delay,
        )
        return delay

    # -- sync ------------------------------------------------------------------------------------------

    def _send(self, url: str, body: bytes, headers: HeadersFn) -> Response:
        """POST until a 2xx arrives (returned with its body unread) or retries run out."""
        client = self._sync_client()
        attempt, waited = 0, 0.0
        while True:
            try:
                response = client.send(url, body, headers())
            except TransportFailure as failure:
                error: APIError = self._failure(url, failure)
            else:
                if response.status < 300:
                    return response
                try:
                    raw = response.read()
                except TransportFailure as failure:
                    raw = f"(body unreadable: {failure.kind})".encode()
                finally:
                    response.close()
                error = self._status_failure(response.status, response.headers, raw)
            delay = self._next_delay(attempt, url, error, waited)
            time.sleep(delay)
            attempt, waited = attempt + 1, waited + delay

    def post_json(self, url: str, body: bytes, headers: HeadersFn) -> tuple[Any, Mapping[str, str]]:
        """POST, retrying transient failures; returns (parsed JSON, response headers)."""
        response = self._send(url, body, headers)
        try:
            raw = response.read()
        except TransportFailure as failure:
            raise self._failure(url, failure) from failure
        finally:
            response.close()
        return self._parse(raw, response.headers), response.headers

    def _parse(self, raw: bytes, headers: Mapping[str, str]) -> Any:
        try:
            return jiter.from_json(raw)
        except ValueError:
            raise errs.response_error(raw, headers, self.provider) from None

    def stream_lines(self, url: str, body: bytes, headers: HeadersFn) -> AbstractContextManager[LineStream]:
        """POST and yield the body's lines (no line endings); retries stop once a 2xx arrives.

        Leaving the block normally (the stream was read to its end, or to ``[DONE]``) reads what is
        left of the body within bounds, so the connection can be reused; leaving it with an
        exception, or abandoning it, closes the connection.
        """
        return self._stream(url, body, headers)

    @contextmanager
    def _stream(self, url: str, body: bytes, headers: HeadersFn) -> Iterator[LineStream]:
        response = self._send(url, body, headers)
        lines = LineStream(self, url, response)
        try:
            yield lines
        except BaseException:
            response.close()
            raise
        lines.drain()
        response.close()

    # -- async -----------------------------------------------------------------------------------------

    async def _send_async(self, url: str, body: bytes, headers: AsyncHeadersFn) -> AsyncResponse:
        import asyncio

        client = self._async()
        attempt, waited = 0, 0.0
        while True:
            try:
                asked = headers()
                response = await client.send(url, body, await asked if isawaitable(asked) else asked)
            except TransportFailure as failure:
                error: APIError = self._failure(url, failure)
            else:
                if response.status < 300:
                    return response
                try:
                    raw = await response.read()
                except TransportFailure as failure:
                    raw = f"(body unreadable: {failure.kind})".encode()
                finally:
                    await response.close()
                error = self._status_failure(response.status, response.headers, raw)
            delay = self._next_delay(attempt, url, error, waited)
            await asyncio.sleep(delay)
            attempt, waited = attempt + 1, waited + delay

    async def post_json_async(
        self, url: str, body: bytes, headers: AsyncHeadersFn
    ) -> tuple[Any, Mapping[str, str]]:
        """Async ``post_json``."""
        response = await self._send_async(url, body, headers)
        try:
            raw = await response.read()
        except TransportFailure as failure:
            raise self._failure(url, failure) from failure
        finally:
            await response.close()
        return self._parse(raw, response.headers), response.headers

    def stream_lines_async(
        self, url: str, body: bytes, headers: AsyncHeadersFn
    ) -> AbstractAsyncContextManager[AsyncLineStream]:
        """Async ``stream_lines``; cancelling the awaiting task closes the response."""
        return self._stream_async(url, body, headers)

    @asynccontextmanager
    async def _stream_async(
        self, url: str, body: bytes, headers: AsyncHeadersFn
    ) -> AsyncIterator[AsyncLineStream]:
        response = await self._send_async(url, body, headers)
        lines = AsyncLineStream(self, url, response)
        try:
            yield lines
        except BaseException:
            await response.close()
            raise
        await lines.drain()
        await response.close()


class LineStream:
    """The lines of a streamed body, split by the SSE rules (``LineSplitter``); failures mapped."""

    def __init__(self, transport: Transport, url: str, response: Response) -> None:
        self._transport = transport
        self._url = url
        self._chunks = response.chunks()
        self._splitter = LineSplitter()

    def __iter__(self) -> Iterator[str]:
        feed = self._splitter.feed
        try:
            for data in self._chunks:
                yield from feed(data)
        except TransportFailure as failure:
            raise self._transport._failure(self._url, failure) from failure
        yield from self._splitter.flush()

    def drain(self) -> None:
        """Read the rest of the body within bounds; a failure here only costs the connection."""
        deadline = time.monotonic() + DRAIN_MAX_SECONDS
        budget = DRAIN_MAX_BYTES
        try:
            for data in self._chunks:
                budget -= len(data)
                if budget < 0 or time.monotonic() > deadline:
                    return
        except Exception:  # noqa: S110  # the reply is complete; the connection is closed instead
            pass


class AsyncLineStream:
    """Async ``LineStream``."""

    def __init__(self, transport: Transport, url: str, response: AsyncResponse) -> None:
        self._transport = transport
        self._url = url
        self._chunks = response.chunks()
        self._splitter = LineSplitter()

    async def __aiter__(self) -> AsyncIterator[str]:
        feed = self._splitter.feed
        try:
            async for data in self._chunks:
                for line in feed(data):
                    yield line
        except TransportFailure as failure:
            raise self._transport._failure(self._url, failure) from failure
        for line in self._splitter.flush():
            yield line

    async def drain(self) -> None:
        """Async ``LineStream.drain``, bounded in time by a timeout on the whole read."""
        import asyncio

        budget = DRAIN_MAX_BYTES
        try:
            async with asyncio.timeout(DRAIN_MAX_SECONDS):
                async for data in self._chunks:
                    budget -= len(data)
                    if budget < 0:
                        return
        except Exception:  # noqa: S110  # the reply is complete; the connection is closed instead
            pass
