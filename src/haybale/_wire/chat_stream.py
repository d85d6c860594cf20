"""Streams as iterators: ``ChatStream`` (sync) and ``AsyncChatStream`` (async).

Both yield one ``StreamingChunk`` per server chunk and, once exhausted, hold the final replies in
``.replies`` (and ``.reply``). The generator's callback path is just a loop over these, so the
callback and iteration APIs share one implementation. Leaving the ``with`` block early, an
exception, or cancelling the awaiting task closes the HTTP response.

Any failure after the stream opened (connection cut, idle stall, an error sent inside the stream,
a malformed chunk, a surprise while assembling or finishing the reply) raises a haybale
``APIError`` whose ``partial`` is the reply assembled from everything received so far, i.e.
exactly what the consumer has already seen.

The chunk generators are functions of a ``_StreamState``, never of the stream object itself: a
generator that referenced its stream would form a reference cycle, and an abandoned stream (read
halfway, never closed) would then hold its connection until the cyclic garbage collector ran.
Without the cycle, dropping the last reference closes the generator and with it the connection.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from contextlib import AsyncExitStack, ExitStack
from types import TracebackType
from typing import TYPE_CHECKING

from haybale._wire.call import SentCredentials
from haybale._wire.sse import SSEDecoder
from haybale.errors import APIError, APIResponseError

if TYPE_CHECKING:
    from haybale._wire.call import ChatClient
    from haybale._wire.request import ChatRequest
    from haybale._wire.transport import AsyncLineStream, LineStream
    from haybale.dataclasses import ChatMessage, StreamingChunk


class _StreamState:
    """What a stream's chunk generator needs and produces; shared with the stream object."""

    __slots__ = ("assembler", "client", "credentials", "replies", "request")

    def __init__(self, client: ChatClient, request: ChatRequest) -> None:
        self.client = client
        self.request = request
        self.assembler = client.codec.assembler(client.endpoint, client.component_info)
        self.replies: list[ChatMessage] = []
        self.credentials = SentCredentials(client.endpoint)

    def failed(self, error: Exception) -> APIError:
        if not isinstance(error, APIError):
            error = APIResponseError(
                f"The stream failed: {type(error).__name__}: {error}", provider=self.client.endpoint.provider
            )
        if error.partial is None:
            error.partial = self.assembler.partial()
        return self.credentials.scrub(error)

    def check_closed_early(self) -> None:
        """Called when the body ended without its end mark (``[DONE]``): fine if the codec finds the
        reply whole (a finish reason arrived), else an error.

        Without this, a stream cut short would pass for a complete (maybe empty) reply.
        """
        assembler = self.assembler
        if self.client.codec.is_complete(assembler):
            return
        provider = self.client.endpoint.provider
        if not assembler.received_anything:
            raise APIResponseError(
                "The server ended the stream without sending anything. llama.cpp does this when the "
                "prompt is longer than the model's context; other servers when they fail before the "
                "first token.",
                provider=provider,
                hint="shorten the prompt, or retry without streaming to see the server's error",
            )
        raise APIResponseError(
            "The stream ended before the reply was complete (no finish reason, no [DONE]); "
            "what arrived is in error.partial.",
            provider=provider,
            hint="retry the request",
        )

    def finish(self) -> None:
        self.replies = self.client.finish([self.assembler.message()], self.request)


class _StreamBase:
    _state: _StreamState

    @property
    def replies(self) -> list[ChatMessage]:
        """The final replies; empty until the stream has been consumed to the end."""
        return self._state.replies

    @property
    def reply(self) -> ChatMessage:
        """The final reply; available once the stream has been consumed to the end."""
        if not self._state.replies:
            raise RuntimeError("The stream has not been consumed yet: iterate over it to the end first.")
        return self._state.replies[0]


class ChatStream(_StreamBase):
    """A streamed reply: a context manager and an iterator of ``StreamingChunk``."""

    def __init__(self, client: ChatClient, request: ChatRequest) -> None:
        self._state = _StreamState(client, request)
        self._chunks = _generate(self._state)

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


def _open(state: _StreamState, stack: ExitStack) -> LineStream:
    transport, url, headers = state.client.transport, state.client.url, state.credentials.headers
    try:
        lines, state.request = state.client.with_fallback(
            state.request,
            lambda sent: stack.enter_context(transport.stream_lines(url, sent.payload, headers)),
        )
    except APIError as error:
        state.credentials.scrub(error)
        raise
    return lines


def _generate(state: _StreamState) -> Generator[StreamingChunk, None, None]:
    decoder = SSEDecoder()
    decode, feed, is_end = decoder.feed, state.assembler.feed, state.client.codec.is_end
    with ExitStack() as stack:
        # Failures while opening (an HTTP error, a token provider that raised) happen before
        # anything was streamed, so they are raised as they are, exactly as without streaming.
        lines = _open(state, stack)
        try:
            for line in lines:
                data = decode(line)
                if data is None:
                    continue
                if is_end(data):
                    break
                yield from feed(data)
            else:
                data = decoder.flush()
                if data is not None and not is_end(data):
                    yield from feed(data)
                state.check_closed_early()
            state.finish()
        except Exception as error:
            raise state.failed(error) from (None if isinstance(error, APIError) else error)


class AsyncChatStream(_StreamBase):
    """A streamed reply: an async context manager and an async iterator of ``StreamingChunk``."""

    def __init__(self, client: ChatClient, request: ChatRequest) -> None:
        self._state = _StreamState(client, request)
        self._chunks = _generate_async(self._state)

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


async def _open_async(state: _StreamState, stack: AsyncExitStack) -> AsyncLineStream:
    transport, url, headers = state.client.transport, state.client.url, state.credentials.headers_async
    try:
        lines, state.request = await state.client.with_fallback_async(
            state.request,
            lambda sent: stack.enter_async_context(transport.stream_lines_async(url, sent.payload, headers)),
        )
    except APIError as error:
        state.credentials.scrub(error)
        raise
    return lines


async def _generate_async(state: _StreamState) -> AsyncGenerator[StreamingChunk, None]:
    decoder = SSEDecoder()
    decode, feed, is_end = decoder.feed, state.assembler.feed, state.client.codec.is_end
    async with AsyncExitStack() as stack:
        lines = await _open_async(state, stack)  # failures while opening are raised as they are (see sync)
        try:
            async for line in lines:
                data = decode(line)
                if data is None:
                    continue
                if is_end(data):
                    break
                for chunk in feed(data):
                    yield chunk
            else:
                data = decoder.flush()
                if data is not None and not is_end(data):
                    for chunk in feed(data):
                        yield chunk
                state.check_closed_early()
            state.finish()
        except Exception as error:
            raise state.failed(error) from (None if isinstance(error, APIError) else error)
