"""Streams as iterators: ``ChatStream`` (sync) and ``AsyncChatStream`` (async).

Both yield one ``StreamingChunk`` per server chunk and, once exhausted, hold the final replies in
``.replies`` (and ``.reply``). The generator's callback path is just a loop over these, so the
callback and iteration APIs share one implementation. Leaving the ``with`` block early, an
exception, or cancelling the awaiting task closes the HTTP response.

Any failure after the stream opened (connection cut, idle stall, an error sent inside the stream,
a malformed chunk) raises a haybale ``APIError`` whose ``partial`` is the reply assembled from
everything received so far, i.e. exactly what the consumer has already seen.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from contextlib import AsyncExitStack, ExitStack
from types import TracebackType
from typing import TYPE_CHECKING

from haybale._wire.sse import DONE, SSEDecoder
from haybale._wire.stream import StreamAssembler
from haybale.errors import APIError, APIResponseError, APIStatusError

if TYPE_CHECKING:
    from haybale._wire.call import ChatClient
    from haybale._wire.request import ChatRequest
    from haybale.dataclasses import ChatMessage, StreamingChunk


class _StreamBase:
    def __init__(self, client: ChatClient, request: ChatRequest) -> None:
        self._client = client
        self._request = request
        self._assembler = StreamAssembler(client.endpoint, client.component_info)
        self.replies: list[ChatMessage] = []

    @property
    def reply(self) -> ChatMessage:
        """The final reply; available once the stream has been consumed to the end."""
        if not self.replies:
            raise RuntimeError("The stream has not been consumed yet: iterate over it to the end first.")
        return self.replies[0]

    def _failed(self, error: Exception) -> APIError:
        if not isinstance(error, APIError):
            error = APIResponseError(
                f"The stream failed: {type(error).__name__}: {error}", provider=self._client.endpoint.provider
            )
        if error.partial is None:
            error.partial = self._assembler.partial()
        return error

    def _check_closed_early(self) -> None:
        """Called when the body ended without ``[DONE]``: fine after a finish reason, else an error.

        Without this, a stream cut short would pass for a complete (maybe empty) reply.
        """
        assembler = self._assembler
        if assembler.finish_reason is not None:
            return
        provider = self._client.endpoint.provider
        if not assembler.received_anything:
            raise APIResponseError(
                "The server ended the stream without sending anything. llama.cpp does this when the "
                "prompt is longer than the model's context; other servers when they fail before the "
                "first token. Shorten the prompt, or retry without streaming to see the server's error.",
                provider=provider,
            )
        raise APIResponseError(
            "The stream ended before the reply was complete (no finish reason, no [DONE]); "
            "what arrived is in error.partial. Retry the request.",
            provider=provider,
        )

    def _done(self) -> None:
        self.replies = self._client.finish([self._assembler.message()], self._request)


class ChatStream(_StreamBase):
    """A streamed reply: a context manager and an iterator of ``StreamingChunk``."""

    def __init__(self, client: ChatClient, request: ChatRequest) -> None:
        super().__init__(client, request)
        self._chunks = self._generate()

    def __iter__(self) -> Iterator[StreamingChunk]:
        return self._chunks

    def __next__(self) -> StreamingChunk:
        return next(self._chunks)

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._chunks.close()

    def _open(self, stack: ExitStack) -> Iterator[str]:
        client, request = self._client, self._request
        transport, endpoint = client.transport, client.endpoint
        try:
            return stack.enter_context(
                transport.stream_lines(endpoint.url, request.payload, endpoint.headers)
            )
        except APIStatusError as error:
            retry = client.fallback_for(request, error)
            if retry is None:
                raise
        self._request = retry
        return stack.enter_context(transport.stream_lines(endpoint.url, retry.payload, endpoint.headers))

    def _generate(self) -> Generator[StreamingChunk, None, None]:
        decoder = SSEDecoder()
        decode, feed = decoder.feed, self._assembler.feed
        with ExitStack() as stack:
            # Failures while opening (an HTTP error, a token provider that raised) happen before
            # anything was streamed, so they are raised as they are, exactly as without streaming.
            lines = self._open(stack)
            try:
                for line in lines:
                    data = decode(line)
                    if data is None:
                        continue
                    if data == DONE:
                        break
                    yield from feed(data)
                else:
                    data = decoder.flush()
                    if data is not None and data != DONE:
                        yield from feed(data)
                    self._check_closed_early()
            except Exception as error:
                raise self._failed(error) from (None if isinstance(error, APIError) else error)
        self._done()


class AsyncChatStream(_StreamBase):
    """A streamed reply: an async context manager and an async iterator of ``StreamingChunk``."""

    def __init__(self, client: ChatClient, request: ChatRequest) -> None:
        super().__init__(client, request)
        self._chunks = self._generate()

    def __aiter__(self) -> AsyncIterator[StreamingChunk]:
        return self._chunks

    async def __anext__(self) -> StreamingChunk:
        return await self._chunks.__anext__()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._chunks.aclose()

    async def _open(self, stack: AsyncExitStack) -> AsyncIterator[str]:
        client, request = self._client, self._request
        transport, endpoint = client.transport, client.endpoint
        try:
            return await stack.enter_async_context(
                transport.stream_lines_async(endpoint.url, request.payload, endpoint.headers_async)
            )
        except APIStatusError as error:
            retry = client.fallback_for(request, error)
            if retry is None:
                raise
        self._request = retry
        return await stack.enter_async_context(
            transport.stream_lines_async(endpoint.url, retry.payload, endpoint.headers_async)
        )

    async def _generate(self) -> AsyncGenerator[StreamingChunk, None]:
        decoder = SSEDecoder()
        decode, feed = decoder.feed, self._assembler.feed
        async with AsyncExitStack() as stack:
            lines = await self._open(stack)  # failures while opening are raised as they are (see sync)
            try:
                async for line in lines:
                    data = decode(line)
                    if data is None:
                        continue
                    if data == DONE:
                        break
                    for chunk in feed(data):
                        yield chunk
                else:
                    data = decoder.flush()
                    if data is not None and data != DONE:
                        for chunk in feed(data):
                            yield chunk
                    self._check_closed_early()
            except Exception as error:
                raise self._failed(error) from (None if isinstance(error, APIError) else error)
        self._done()
