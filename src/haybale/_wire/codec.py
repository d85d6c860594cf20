"""The protocol spoken over HTTP, as one object handed to the client.

``ChatClient`` (call.py) and the streams (chat_stream.py) drive a ``Codec``: where to POST (``path``,
joined to the endpoint's URL by the endpoint), how to build a request, how to parse an answer, how
to assemble a stream and how a stream ends. Chat Completions is the one codec today; another
protocol (OpenAI's Responses API) plugs in beside it over the same providers and transport.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from haybale._wire.request import ChatRequest, build_request
from haybale._wire.response import parse_completion
from haybale._wire.sse import DONE

# The shapes exist for the type checker only: building Protocol classes at run time costs import time.
if TYPE_CHECKING:
    from typing import Protocol

    from haybale._wire.endpoint import OpenAIEndpoint
    from haybale._wire.stream import StreamAssembler
    from haybale.dataclasses import ChatMessage, ComponentInfo, StreamingChunk

    class Assembler(Protocol):
        """Turns one stream's event payloads into chunks, and at the end into the reply."""

        @property
        def received_anything(self) -> bool: ...

        def feed(self, data: str) -> list[StreamingChunk]: ...

        def message(self) -> ChatMessage: ...

        def partial(self) -> ChatMessage | None: ...

    class Codec(Protocol):
        path: str

        def build_request(
            self,
            *,
            model: str,
            messages: list[ChatMessage],
            generation_kwargs: Mapping[str, Any],
            tools: list[dict[str, Any]] | None,
            stream: bool,
            include_usage: bool,
            extra_body: Mapping[str, Any] | None,
            json_schema: bool,
        ) -> ChatRequest: ...

        def parse_response(self, data: Any, endpoint: OpenAIEndpoint) -> list[ChatMessage]: ...

        def assembler(self, endpoint: OpenAIEndpoint, component_info: ComponentInfo | None) -> Assembler: ...

        def is_end(self, data: str) -> bool:
            """Whether an event payload marks the end of the stream."""
            ...

        def is_complete(self, assembler: Assembler) -> bool:
            """Whether a stream whose body ended without that mark still holds a whole reply."""
            ...


class ChatCompletionsCodec:
    """``POST /chat/completions``: OpenAI's Chat Completions, as every compatible server speaks it."""

    path = "/chat/completions"

    def build_request(self, **fields: Any) -> ChatRequest:
        return build_request(**fields)

    def parse_response(self, data: Any, endpoint: OpenAIEndpoint) -> list[ChatMessage]:
        return parse_completion(data, endpoint)

    def assembler(self, endpoint: OpenAIEndpoint, component_info: ComponentInfo | None) -> StreamAssembler:
        from haybale._wire.stream import StreamAssembler  # only streams pay for it (and for datetime)

        return StreamAssembler(endpoint, component_info)

    def is_end(self, data: str) -> bool:
        return data == DONE

    def is_complete(self, assembler: Assembler) -> bool:
        # Some servers never send [DONE]; a finish reason says the reply is whole all the same.
        from haybale._wire.stream import StreamAssembler

        return isinstance(assembler, StreamAssembler) and assembler.finish_reason is not None


CHAT_COMPLETIONS = ChatCompletionsCodec()
