"""The iteration API: stream() and stream_async() yield StreamingChunks, then hold the reply."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fake_server import Reply
from haybale.dataclasses import StreamingChunk
from haybale.errors import APIConnectionError

# Every test here runs on each HTTP backend (pyreqwest and httpx2).
pytestmark = pytest.mark.usefixtures("http_backend")


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "s", "model": "m-1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


EVENTS = [chunk({"content": "one "}), chunk({"content": "two"}), chunk({}, "stop")]


def test_sync_iteration_then_reply(make_openai: Any, fake_server: Any) -> None:
    fake_server.script(Reply.sse(EVENTS))
    with make_openai().stream("count") as stream:
        chunks = list(stream)
    assert all(isinstance(c, StreamingChunk) for c in chunks)
    assert "".join(c.content for c in chunks) == "one two"
    assert stream.reply.text == "one two"
    assert stream.replies == [stream.reply]
    assert stream.reply.meta["finish_reason"] == "stop"
    assert fake_server.requests[0].json["stream"] is True


async def test_async_iteration_then_reply(make_openai: Any, fake_server: Any) -> None:
    fake_server.script(Reply.sse(EVENTS))
    async with make_openai().stream_async("count", generation_kwargs={"temperature": 0}) as stream:
        chunks = [c async for c in stream]
    assert "".join(c.content for c in chunks) == "one two"
    assert stream.reply.text == "one two"
    assert fake_server.requests[0].json["temperature"] == 0


def test_reply_before_the_end_is_an_error(make_openai: Any, fake_server: Any) -> None:
    fake_server.script(Reply.sse(EVENTS))
    with make_openai().stream("count") as stream:
        next(stream)
        with pytest.raises(RuntimeError, match="not been consumed"):
            _ = stream.reply


def test_leaving_early_closes_and_the_generator_stays_usable(make_openai: Any, fake_server: Any) -> None:
    fake_server.script(Reply.sse(EVENTS, stall_after=1, stall_seconds=5.0), Reply.sse(EVENTS))
    generator = make_openai(timeout=3.0)
    with generator.stream("a") as stream:
        first = next(stream)
    assert first.content == "one "
    with generator.stream("b") as again:
        assert "".join(c.content for c in again) == "one two"


def test_iteration_and_callback_give_the_same_chunks(make_openai: Any, fake_server: Any) -> None:
    fake_server.script(Reply.sse(EVENTS), Reply.sse(EVENTS))
    generator = make_openai()
    with generator.stream("x") as stream:
        iterated = [(c.content, c.start, c.index, c.finish_reason) for c in stream]
    seen: list[StreamingChunk] = []
    reply = generator.run("x", streaming_callback=seen.append)["replies"][0]
    assert iterated == [(c.content, c.start, c.index, c.finish_reason) for c in seen]
    assert reply.text == stream.reply.text
    assert {**reply.meta, "completion_start_time": 0} == {**stream.reply.meta, "completion_start_time": 0}


def test_errors_while_iterating_carry_the_partial_reply(make_openai: Any, fake_server: Any) -> None:
    fake_server.script(Reply.sse(EVENTS, cut_after=1))
    received: list[str] = []

    def consume() -> None:
        with make_openai().stream("x") as stream:
            received.extend(c.content for c in stream)

    with pytest.raises(APIConnectionError) as info:
        consume()
    assert info.value.partial is not None
    assert info.value.partial.text == "".join(received) == "one "


def test_streaming_an_empty_conversation_is_rejected(make_openai: Any) -> None:
    with pytest.raises(ValueError, match="empty"):
        make_openai().stream([])


async def test_cancelling_run_async_closes_the_stream(make_openai: Any, fake_server: Any) -> None:
    fake_server.script(Reply.sse(EVENTS, stall_after=1, stall_seconds=5.0), Reply.sse(EVENTS))
    generator = make_openai(timeout=10.0)
    started = asyncio.Event()

    def callback(chunk: StreamingChunk) -> None:
        started.set()

    task = asyncio.create_task(generator.run_async("x", streaming_callback=callback))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    reply = (await generator.run_async("y", streaming_callback=callback))["replies"][0]
    assert reply.text == "one two"


def test_stream_classes_are_public(make_openai: Any, fake_server: Any) -> None:
    import haybale.components.generators.chat as chat

    fake_server.script(Reply.sse([chunk({"content": "a"}, "stop")]))
    with make_openai().stream("hi") as stream:
        assert isinstance(stream, chat.ChatStream)
        list(stream)

    async def go() -> None:
        fake_server.script(Reply.sse([chunk({"content": "b"}, "stop")]))
        async with make_openai().stream_async("hi") as stream:
            assert isinstance(stream, chat.AsyncChatStream)
            async for _ in stream:
                pass

    asyncio.run(go())
    assert {"ChatStream", "AsyncChatStream"} <= set(chat.__all__)
