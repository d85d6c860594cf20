"""HTTP I/O for one generator: POST with retries, JSON answers, and streamed body lines.

This is the only module that talks to ``httpx2`` (imported lazily, when the first client is made).
It knows nothing about chat: callers hand it bytes and a headers callable, and get back parsed JSON
or lines. Headers are asked for again on every attempt so refreshed tokens are picked up.
"""

from __future__ import annotations

import logging
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

from haybale._wire import _http_errors as errs
from haybale._wire._retry import backoff_delay, status_is_retryable
from haybale._wire.sse import LineSplitter
from haybale.errors import APIError, APIStatusError

if TYPE_CHECKING:
    import asyncio

    import httpx2

HeadersFn = Callable[[], Mapping[str, str]]
AsyncHeadersFn = Callable[[], Mapping[str, str] | Awaitable[Mapping[str, str]]]

logger = logging.getLogger("haybale")

# The design doc measured httpcore2's per-request cost growing with the number of pooled keep-alive
# connections, so the defaults stay modest; client_kwargs["limits"] can raise them.
DEFAULT_LIMITS = {"max_connections": 100, "max_keepalive_connections": 20}

# After ``[DONE]`` the rest of a streamed body (usually just the chunked-encoding terminator) is read,
# so the connection goes back to the pool instead of being closed; a server that keeps sending (or
# stalls) past these bounds loses the connection instead of holding up the caller.
DRAIN_MAX_BYTES = 64 * 1024
DRAIN_MAX_SECONDS = 1.0

# Creating a client is rare and cheap; one lock for all transports keeps them copyable (a lock per
# instance cannot be deep-copied or pickled) while threads racing on a fresh generator share one client.
_CLIENT_LOCK = threading.Lock()


class Transport:
    """One per generator. Owns a lazily created ``httpx2.Client`` and ``httpx2.AsyncClient``."""

    def __init__(
        self,
        *,
        provider: str,
        timeout: float,
        max_retries: int,
        client_kwargs: dict[str, Any] | None = None,
        never_retry: Callable[[APIStatusError], bool] | None = None,
    ) -> None:
        self.provider = provider
        self.timeout = timeout
        self.max_retries = max_retries
        self.client_kwargs = dict(client_kwargs or {})
        # Errors the caller knows to be final whatever their status (e.g. a server reporting a
        # validation error as 500): raised at once instead of after every retry.
        self.never_retry = never_retry
        self._client: httpx2.Client | None = None
        # An AsyncClient's connections belong to the event loop that opened them, so each loop gets
        # its own client: a script calling asyncio.run() twice, or threads running their own loops,
        # must never touch a pool whose loop is closed. Weak keys drop a client with its loop.
        self._async_clients: WeakKeyDictionary[asyncio.AbstractEventLoop, httpx2.AsyncClient] = (
            WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        # client_kwargs may hold default headers with credentials: never show them.
        return (
            f"Transport(provider={self.provider!r}, timeout={self.timeout}, max_retries={self.max_retries})"
        )

    # -- clients ---------------------------------------------------------------------------------------

    def _client_options(self) -> dict[str, Any]:
        import httpx2

        from haybale import __version__

        options = dict(self.client_kwargs)
        options.pop("timeout", None)
        limits = options.pop("limits", None)
        if isinstance(limits, Mapping):
            limits = httpx2.Limits(**limits)
        options["limits"] = limits or httpx2.Limits(**DEFAULT_LIMITS)
        options["timeout"] = httpx2.Timeout(self.timeout)
        options["headers"] = {"User-Agent": f"haybale/{__version__}", **(options.get("headers") or {})}
        return options

    def _sync_client(self) -> httpx2.Client:
        client = self._client
        if client is None:
            import httpx2

            with _CLIENT_LOCK:
                client = self._client
                if client is None:
                    client = self._client = httpx2.Client(**self._client_options())
        return client

    def _async(self) -> httpx2.AsyncClient:
        import asyncio

        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            import httpx2

            with _CLIENT_LOCK:  # threads may run loops of their own against one transport
                client = self._async_clients.get(loop)
                if client is None:
                    client = self._async_clients[loop] = httpx2.AsyncClient(**self._client_options())
        return client

    def close(self) -> None:
        """Close the sync client (the async one needs ``aclose``); safe to call twice."""
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        """Close the sync client and the running loop's async client; safe to call twice.

        Clients of other, finished loops cannot be closed from here; they are dropped.
        """
        import asyncio

        clients, self._async_clients = self._async_clients, WeakKeyDictionary()
        client = clients.get(asyncio.get_running_loop())
        if client is not None:
            await client.aclose()
        self.close()

    # -- shared retry bookkeeping ----------------------------------------------------------------------

    def _failure(self, url: str, exc: Exception) -> APIError:
        import httpx2

        if isinstance(exc, httpx2.TimeoutException):
            return errs.timeout_error(url, self.provider, self.timeout)
        return errs.connection_error(url, self.provider, exc)

    def _is_io_error(self, exc: Exception) -> bool:
        """Whether ``exc`` is a failure to move or decode bytes (mapped to an APIError, never raw)."""
        import httpx2

        return isinstance(exc, httpx2.TransportError | httpx2.DecodingError)

    def _io_error(self, url: str, exc: Exception, response: httpx2.Response | None = None) -> APIError:
        import httpx2

        if isinstance(exc, httpx2.DecodingError):
            status = response.status_code if response is not None else None
            headers = response.headers if response is not None else {}
            return errs.decoding_error(status, headers, exc, self.provider)
        return self._failure(url, exc)

    def _status_failure(self, response: httpx2.Response, raw: bytes) -> APIStatusError:
        return errs.status_error(response.status_code, response.headers, raw, self.provider)

    def _next_delay(self, attempt: int, url: str, error: APIError, waited: float) -> float:
        """Seconds to wait before the next attempt, or raise ``error`` if there is none.

        ``waited`` is the time this call has already spent waiting between attempts: a pause the
        server asks for is honoured only while the total stays within the call's budget (``timeout``).
        """
        if attempt >= self.max_retries:
            raise error
        delay: float | None = None
        if isinstance(error, APIStatusError):
            if not status_is_retryable(error.status_code, error.headers) or (
                self.never_retry is not None and self.never_retry(error)
            ):
                raise error
            delay = error.retry_after
            if delay is not None and waited + delay > self.timeout:
                raise error  # the server will not be ready within our budget: say so now
        if delay is None:
            delay = backoff_delay(attempt)
        reason = f"HTTP {error.status_code}" if isinstance(error, APIStatusError) else type(error).__name__
        logger.info(
            "haybale: %s request to %s failed (%s); retry %d of %d in %.2f s",
            self.provider,
            errs.host_of(url),
            reason,
            attempt + 1,
            self.max_retries,
            delay,
        )
        return delay

    # -- sync ------------------------------------------------------------------------------------------

    def _send(self, url: str, body: bytes, headers: HeadersFn) -> httpx2.Response:
        """POST until a 2xx arrives (returned with its body unread) or retries run out."""
        client = self._sync_client()
        attempt, waited = 0, 0.0
        while True:
            try:
                request = client.build_request("POST", url, content=body, headers=headers())
                response = client.send(request, stream=True)
            except Exception as exc:
                if not self._is_io_error(exc):
                    raise
                error: APIError = self._io_error(url, exc)
            else:
                if response.status_code < 300:
                    return response
                try:
                    raw = response.read()
                except Exception as exc:
                    if not self._is_io_error(exc):
                        raise
                    raw = f"(body unreadable: {type(exc).__name__})".encode()
                finally:
                    response.close()
                error = self._status_failure(response, raw)
            delay = self._next_delay(attempt, url, error, waited)
            time.sleep(delay)
            attempt, waited = attempt + 1, waited + delay

    def post_json(self, url: str, body: bytes, headers: HeadersFn) -> tuple[Any, Mapping[str, str]]:
        """POST, retrying transient failures; returns (parsed JSON, response headers)."""
        response = self._send(url, body, headers)
        try:
            raw = response.read()
        except Exception as exc:
            if not self._is_io_error(exc):
                raise
            raise self._io_error(url, exc, response) from exc
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

    async def _send_async(self, url: str, body: bytes, headers: AsyncHeadersFn) -> httpx2.Response:
        import asyncio

        client = self._async()
        attempt, waited = 0, 0.0
        while True:
            try:
                sent = headers()
                request = client.build_request(
                    "POST", url, content=body, headers=await sent if isawaitable(sent) else sent
                )
                response = await client.send(request, stream=True)
            except Exception as exc:
                if not self._is_io_error(exc):
                    raise
                error: APIError = self._io_error(url, exc)
            else:
                if response.status_code < 300:
                    return response
                try:
                    raw = await response.aread()
                except Exception as exc:
                    if not self._is_io_error(exc):
                        raise
                    raw = f"(body unreadable: {type(exc).__name__})".encode()
                finally:
                    await response.aclose()
                error = self._status_failure(response, raw)
            delay = self._next_delay(attempt, url, error, waited)
            await asyncio.sleep(delay)
            attempt, waited = attempt + 1, waited + delay

    async def post_json_async(
        self, url: str, body: bytes, headers: AsyncHeadersFn
    ) -> tuple[Any, Mapping[str, str]]:
        """Async ``post_json``."""
        response = await self._send_async(url, body, headers)
        try:
            raw = await response.aread()
        except Exception as exc:
            if not self._is_io_error(exc):
                raise
            raise self._io_error(url, exc, response) from exc
        finally:
            await response.aclose()
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
            await response.aclose()
            raise
        await lines.drain()
        await response.aclose()


class LineStream:
    """The lines of a streamed body, split by the SSE rules (``LineSplitter``); I/O errors mapped."""

    def __init__(self, transport: Transport, url: str, response: httpx2.Response) -> None:
        self._transport = transport
        self._url = url
        self._response = response
        self._chunks = response.iter_bytes()
        self._splitter = LineSplitter()

    def __iter__(self) -> Iterator[str]:
        feed = self._splitter.feed
        try:
            for data in self._chunks:
                yield from feed(data)
        except Exception as exc:
            if not self._transport._is_io_error(exc):
                raise
            raise self._transport._io_error(self._url, exc, self._response) from exc
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

    def __init__(self, transport: Transport, url: str, response: httpx2.Response) -> None:
        self._transport = transport
        self._url = url
        self._response = response
        self._chunks = response.aiter_bytes()
        self._splitter = LineSplitter()

    async def __aiter__(self) -> AsyncIterator[str]:
        feed = self._splitter.feed
        try:
            async for data in self._chunks:
                for line in feed(data):
                    yield line
        except Exception as exc:
            if not self._transport._is_io_error(exc):
                raise
            raise self._transport._io_error(self._url, exc, self._response) from exc
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
