"""HTTP I/O for one generator: POST with retries, JSON answers, and streamed body lines.

This is the only module that talks to ``httpx2`` (imported lazily, when the first client is made).
It knows nothing about chat: callers hand it bytes and a headers callable, and get back parsed JSON
or lines. Headers are asked for again on every attempt so refreshed tokens are picked up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
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
        secrets_of: Callable[[Mapping[str, str]], Iterable[str]] | None = None,
    ) -> None:
        self.provider = provider
        self.timeout = timeout
        self.max_retries = max_retries
        self.client_kwargs = dict(client_kwargs or {})
        # Errors the caller knows to be final whatever their status (e.g. a server reporting a
        # validation error as 500): raised at once instead of after every retry.
        self.never_retry = never_retry
        # The credentials in one attempt's headers (the endpoint's ``secrets``, wired by ChatClient):
        # they are removed from every error built for that attempt.
        self.secrets_of = secrets_of
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
        if self._client is None:
            import httpx2

            self._client = httpx2.Client(**self._client_options())
        return self._client

    def _async(self) -> httpx2.AsyncClient:
        import asyncio

        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            import httpx2

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

    def _redacted(self, error: APIError, sent: Mapping[str, str]) -> APIError:
        return errs.redact(error, self.secrets_of(sent)) if self.secrets_of is not None else error

    def _next_delay(
        self, attempt: int, url: str, error: APIError, headers: Mapping[str, str] | None
    ) -> float:
        """Seconds to wait before the next attempt, or raise ``error`` if there is none."""
        if attempt >= self.max_retries:
            raise error
        if isinstance(error, APIStatusError) and (
            not status_is_retryable(error.status_code, headers or {})
            or (self.never_retry is not None and self.never_retry(error))
        ):
            raise error
        delay = backoff_delay(attempt, headers)
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

    def _send(self, url: str, body: bytes, headers: HeadersFn, stream: bool) -> httpx2.Response:
        """POST until a 2xx arrives (returned open when ``stream``) or retries run out."""
        import httpx2

        client = self._sync_client()
        attempt = 0
        while True:
            answer_headers: Mapping[str, str] | None = None
            sent: Mapping[str, str] = {}
            try:
                sent = headers()
                request = client.build_request("POST", url, content=body, headers=sent)
                response = client.send(request, stream=stream)
            except httpx2.TransportError as exc:
                error: APIError = self._failure(url, exc)
            else:
                if response.status_code < 300:
                    return response
                try:
                    raw = response.read()
                except httpx2.TransportError as exc:
                    raw = f"(body unreadable: {type(exc).__name__})".encode()
                finally:
                    response.close()
                answer_headers = response.headers
                error = errs.status_error(response.status_code, answer_headers, raw, self.provider)
            error = self._redacted(error, sent)
            time.sleep(self._next_delay(attempt, url, error, answer_headers))
            attempt += 1

    def post_json(self, url: str, body: bytes, headers: HeadersFn) -> tuple[Any, Mapping[str, str]]:
        """POST, retrying transient failures; returns (parsed JSON, response headers)."""
        response = self._send(url, body, headers, stream=False)
        return self._parse(response.content, response.headers), response.headers

    def _parse(self, raw: bytes, headers: Mapping[str, str]) -> Any:
        try:
            return jiter.from_json(raw)
        except ValueError:
            raise errs.response_error(raw, headers, self.provider) from None

    def stream_lines(
        self, url: str, body: bytes, headers: HeadersFn
    ) -> AbstractContextManager[Iterator[str]]:
        """POST and yield the body's lines (no line endings); retries stop once a 2xx arrives."""
        return self._stream(url, body, headers)

    @contextmanager
    def _stream(self, url: str, body: bytes, headers: HeadersFn) -> Iterator[Iterator[str]]:
        response = self._send(url, body, headers, stream=True)
        try:
            yield self._lines(url, response)
        finally:
            response.close()

    def _lines(self, url: str, response: httpx2.Response) -> Iterator[str]:
        import httpx2

        try:
            yield from response.iter_lines()
        except httpx2.TransportError as exc:
            raise self._failure(url, exc) from exc

    # -- async -----------------------------------------------------------------------------------------

    async def _send_async(
        self, url: str, body: bytes, headers: AsyncHeadersFn, stream: bool
    ) -> httpx2.Response:
        import asyncio

        import httpx2

        client = self._async()
        attempt = 0
        while True:
            answer_headers: Mapping[str, str] | None = None
            sent: Mapping[str, str] = {}
            try:
                asked = headers()
                sent = await asked if isawaitable(asked) else asked
                request = client.build_request("POST", url, content=body, headers=sent)
                response = await client.send(request, stream=stream)
            except httpx2.TransportError as exc:
                error: APIError = self._failure(url, exc)
            else:
                if response.status_code < 300:
                    return response
                try:
                    raw = await response.aread()
                except httpx2.TransportError as exc:
                    raw = f"(body unreadable: {type(exc).__name__})".encode()
                finally:
                    await response.aclose()
                answer_headers = response.headers
                error = errs.status_error(response.status_code, answer_headers, raw, self.provider)
            error = self._redacted(error, sent)
            await asyncio.sleep(self._next_delay(attempt, url, error, answer_headers))
            attempt += 1

    async def post_json_async(
        self, url: str, body: bytes, headers: AsyncHeadersFn
    ) -> tuple[Any, Mapping[str, str]]:
        """Async ``post_json``."""
        response = await self._send_async(url, body, headers, stream=False)
        return self._parse(response.content, response.headers), response.headers

    def stream_lines_async(
        self, url: str, body: bytes, headers: AsyncHeadersFn
    ) -> AbstractAsyncContextManager[AsyncIterator[str]]:
        """Async ``stream_lines``; cancelling the awaiting task closes the response."""
        return self._stream_async(url, body, headers)

    @asynccontextmanager
    async def _stream_async(
        self, url: str, body: bytes, headers: AsyncHeadersFn
    ) -> AsyncIterator[AsyncIterator[str]]:
        response = await self._send_async(url, body, headers, stream=True)
        try:
            yield self._alines(url, response)
        finally:
            await response.aclose()

    async def _alines(self, url: str, response: httpx2.Response) -> AsyncIterator[str]:
        import httpx2

        try:
            async for line in response.aiter_lines():
                yield line
        except httpx2.TransportError as exc:
            raise self._failure(url, exc) from exc
