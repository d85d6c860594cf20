"""Streams against shapes and usage patterns that broke them before: Mistral's content parts,
surprises while finishing a reply, abandoned streams, threads, and connection reuse."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from typing import Any

import pytest

from fake_server import Reply
from haybale.dataclasses import ChatMessage
from haybale.errors import APIResponseError
from haybale.tools import Tool
from payloads import chunk, completion, text_chunks

# Every test here runs on each HTTP backend (pyreqwest and httpx2).
pytestmark = pytest.mark.usefixtures("http_backend")

THINKING = [{"type": "text", "text": "The user greets; "}, {"type": "text", "text": "answer kindly."}]
MISTRAL_STREAM = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": [{"type": "thinking", "thinking": THINKING[:1]}]}),
    chunk({"content": [{"type": "thinking", "thinking": THINKING[1:]}]}),
    chunk({"content": [{"type": "text", "text": "Hello"}]}),
    chunk({"content": [{"type": "text", "text": " there"}, {"type": "reference", "reference_ids": [1]}]}),
    chunk({"content": " friend"}),
    chunk({}, "stop"),
]


def test_mistral_content_parts_streamed(make_generator: Any, fake_server: Any, parity: Any) -> None:
    fake_server.script(Reply.sse(MISTRAL_STREAM))
    chunks: list[Any] = []
    reply = parity.run(make_generator(), "hi", streaming_callback=chunks.append)["replies"][0]
    assert reply.text == "Hello there friend"
    assert reply.reasoning is not None
    assert reply.reasoning.reasoning_text == "The user greets; answer kindly."
    assert reply.meta["other_content_parts"] == [{"type": "reference", "reference_ids": [1]}]
    assert all(isinstance(c.content, str) for c in chunks)  # a list is never passed on as text
    assert "".join(c.content for c in chunks) == "Hello there friend"


def test_mistral_content_parts_not_streamed(make_generator: Any, fake_server: Any, parity: Any) -> None:
    content = [
        {"type": "thinking", "thinking": THINKING},
        {"type": "text", "text": "Hello there"},
        {"type": "reference", "reference_ids": [1]},
    ]
    fake_server.script(Reply.json(completion(content)))  # type: ignore[arg-type]
    reply = parity.run(make_generator(), "hi")["replies"][0]
    assert reply.text == "Hello there"
    assert reply.reasoning.reasoning_text == "The user greets; answer kindly."
    assert reply.meta["other_content_parts"] == [{"type": "reference", "reference_ids": [1]}]


def test_a_failure_while_finishing_the_reply_is_an_api_error_with_the_partial(
    make_generator: Any, fake_server: Any, parity: Any
) -> None:
    # The text arrives fine; then a tool call whose name is not a string makes building the final
    # reply fail. The caller must get a haybale error holding the text, not a bare TypeError.
    bad_call = {"index": 0, "id": "call_1", "function": {"name": ["get", "weather"], "arguments": "{}"}}
    fake_server.script(
        Reply.sse(
            [
                chunk({"role": "assistant", "content": "Hel"}),
                chunk({"content": "lo"}),
                chunk({"tool_calls": [bad_call]}),
                chunk({}, "tool_calls"),
            ]
        )
    )
    seen: list[str] = []
    error = parity.raises(
        APIResponseError, make_generator(), "hi", streaming_callback=lambda c: seen.append(c.content)
    )
    assert error.partial is not None
    assert error.partial.text == "".join(seen) == "Hello"
    assert isinstance(error.__cause__, TypeError)


def test_an_abandoned_stream_releases_its_connection_without_the_cycle_collector(
    make_openai: Any, fake_server: Any
) -> None:
    fake_server.script(Reply.sse([chunk({"content": str(i)}) for i in range(200)], delay=0.01))
    generator = make_openai()
    gc.disable()
    try:
        stream = generator.stream("hi")
        assert next(stream).content == "0"
        del stream  # iterated halfway, never closed, no `with`
        assert fake_server.wait_for_disconnects(1, timeout=3.0)
    finally:
        gc.enable()


class SlowWarmUpTool(Tool):
    """A tool whose warm-up takes a while (as connecting to a tool server does) and is counted."""

    def warm_up(self) -> None:
        self.warm_ups = getattr(self, "warm_ups", 0) + 1
        time.sleep(0.05)


def test_threads_racing_on_a_fresh_generator_warm_up_once_and_share_one_client(
    make_openai: Any, fake_server: Any
) -> None:
    threads = 8
    fake_server.script(*[Reply.json(completion(f"reply {i}")) for i in range(threads)])
    tool = SlowWarmUpTool(
        name="noop",
        description="does nothing",
        parameters={"type": "object", "properties": {}},
        function=dict,
    )
    generator = make_openai(tools=[tool])
    barrier = threading.Barrier(threads)
    clients: list[object] = []
    texts: list[str] = []

    def call() -> None:
        barrier.wait()
        generator.warm_up()
        clients.append(generator._client)
        texts.append(generator.run([ChatMessage.from_user("hi")])["replies"][0].text)

    workers = [threading.Thread(target=call) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert tool.warm_ups == 1
    assert len({id(client) for client in clients}) == 1
    assert sorted(texts) == sorted(f"reply {i}" for i in range(threads))


@pytest.mark.parametrize("iterate", [False, True], ids=["callback", "iterator"])
def test_fifty_streamed_calls_use_a_handful_of_connections(
    make_generator: Any, fake_server: Any, parity: Any, iterate: bool
) -> None:
    calls = 50
    fake_server.script(*[Reply.sse(text_chunks([f"n{i}"])) for i in range(calls)])
    generator = make_generator()

    def sync_reply() -> ChatMessage:
        if iterate:
            with generator.stream("hi") as stream:
                list(stream)
            return stream.reply
        return generator.run("hi", streaming_callback=lambda c: None)["replies"][0]

    async def async_reply() -> ChatMessage:
        if iterate:
            async with generator.stream_async("hi") as stream:
                async for _ in stream:
                    pass
            return stream.reply
        return (await generator.run_async("hi", streaming_callback=lambda c: None))["replies"][0]

    async def all_async() -> list[str]:  # one event loop: async clients belong to their loop
        return [(await async_reply()).text or "" for _ in range(calls)]

    texts = [sync_reply().text for _ in range(calls)] if parity.mode == "sync" else asyncio.run(all_async())
    assert texts == [f"n{i}" for i in range(calls)]
    assert fake_server.connections <= 3
