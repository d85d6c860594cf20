"""The codec seam: the client speaks whatever protocol it is handed, over the same endpoint and transport."""

from __future__ import annotations

from typing import Any

from fake_server import FakeServer, Reply
from haybale._wire.call import ChatClient
from haybale._wire.codec import CHAT_COMPLETIONS, ChatCompletionsCodec
from haybale._wire.endpoint import OpenAIEndpoint
from haybale._wire.transport import Transport
from haybale.dataclasses import ChatMessage
from haybale.utils import Secret


class EchoProtocol(ChatCompletionsCodec):
    """A made-up protocol: another path, answers as ``{"output": text}``, streams end with ``END``."""

    path = "/echo"

    def parse_response(self, data: Any, endpoint: OpenAIEndpoint) -> list[ChatMessage]:
        return [ChatMessage.from_assistant(data["output"])]

    def is_end(self, data: str) -> bool:
        return data == "END"


def client(server: FakeServer, codec: Any) -> ChatClient:
    endpoint = OpenAIEndpoint(base_url=server.base_url, api_key=Secret.from_token("k"))
    transport = Transport(provider="openai", timeout=5, max_retries=0)
    return ChatClient(endpoint, transport, None, codec=codec)


def prepare(chat: ChatClient, stream: bool) -> Any:
    messages = [ChatMessage.from_user("hi")]
    return chat.prepare(
        messages, model="m", generation_kwargs={}, tools=[], tools_strict=False, stream=stream
    )


def test_the_codec_decides_the_path_and_the_parsing(fake_server: FakeServer) -> None:
    fake_server.script(Reply.json({"output": "echoed"}))
    chat = client(fake_server, EchoProtocol())
    assert [m.text for m in chat.complete(prepare(chat, stream=False))] == ["echoed"]
    assert fake_server.requests[0].path == "/v1/echo"
    chat.transport.close()


def test_the_codec_decides_where_a_stream_ends(fake_server: FakeServer) -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": None}]}
    after = {"choices": [{"index": 0, "delta": {"content": "never read"}, "finish_reason": "stop"}]}
    fake_server.script(Reply.sse([chunk, "data: END\n\n", after], done=False))
    chat = client(fake_server, EchoProtocol())
    with chat.stream(prepare(chat, stream=True)) as stream:
        assert [c.content for c in stream] == ["a"]
    assert stream.reply.text == "a"
    chat.transport.close()


def test_chat_completions_is_the_default() -> None:
    endpoint = OpenAIEndpoint(base_url="http://127.0.0.1:9/v1", api_key=Secret.from_token("k"))
    chat = ChatClient(endpoint, Transport(provider="openai", timeout=5, max_retries=0), None)
    assert chat.codec is CHAT_COMPLETIONS
    assert chat.url == "http://127.0.0.1:9/v1/chat/completions"
