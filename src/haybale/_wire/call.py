"""The shared orchestration of one chat call, used by ``run``, ``run_async`` and the stream API.

``ChatClient`` prepares requests, sends non-streamed ones, opens streams (see ``chat_stream``),
and post-processes replies (finish-reason warnings, structured-output validation). The sync and
async paths differ only in the single line that does I/O.

``stream_options`` policy: when we added ``stream_options`` ourselves (the caller did not set it)
and the server answers 400 or 422 with an error that mentions ``stream_options`` or
``include_usage``, the request is sent once more without it, and the client remembers not to add
it again. Errors that do not name the field are raised as they are, so a genuinely bad request is
never sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from haybale._wire.request import ChatRequest, build_request, tool_definitions
from haybale._wire.response import parse_completion
from haybale._wire.response_format import validate_reply_text
from haybale.errors import APIStatusError

if TYPE_CHECKING:
    from haybale._wire.chat_stream import AsyncChatStream, ChatStream
    from haybale._wire.endpoint import OpenAIEndpoint
    from haybale._wire.transport import Transport
    from haybale.dataclasses import ChatMessage, ComponentInfo
    from haybale.tools import Tool

logger = logging.getLogger(__name__)

_FINISH_WARNINGS = {
    "length": "The reply was cut off because it reached the token limit; raise max_tokens / "
    "max_completion_tokens in generation_kwargs to get complete replies.",
    "content_filter": "The reply was cut off or withheld by the provider's content filter; rephrase "
    "the request or review the content filter settings of your deployment.",
}


class ChatClient:
    """One per generator: endpoint + transport + the remembered ``stream_options`` verdict."""

    def __init__(
        self, endpoint: OpenAIEndpoint, transport: Transport, component_info: ComponentInfo | None
    ) -> None:
        self.endpoint = endpoint
        self.transport = transport
        self.component_info = component_info
        self.stream_options_rejected = False
        self._tools_cache: tuple[tuple[Tool, ...], bool, list[dict[str, Any]]] | None = None

    def prepare(
        self,
        messages: list[ChatMessage],
        *,
        model: str,
        generation_kwargs: Mapping[str, Any],
        tools: Sequence[Tool],
        tools_strict: bool,
        stream: bool,
    ) -> ChatRequest:
        return build_request(
            model=model,
            messages=messages,
            generation_kwargs=generation_kwargs,
            tools=self._tool_definitions(tools, tools_strict),
            stream=stream,
            include_usage=not self.stream_options_rejected,
            extra_body=self.endpoint.extra_body(),
        )

    def _tool_definitions(self, tools: Sequence[Tool], strict: bool) -> list[dict[str, Any]] | None:
        if not tools:
            return None
        # A generator usually sends the same Tool objects on every call: rebuild (and re-run the
        # strict conversion) only when the objects change. The cache holds the tools themselves,
        # so an identity match can never be a recycled id.
        cached = self._tools_cache
        if (
            cached is not None
            and cached[1] == strict
            and len(cached[0]) == len(tools)
            and all(a is b for a, b in zip(cached[0], tools, strict=True))
        ):
            return cached[2]
        definitions = tool_definitions(tools, strict)
        self._tools_cache = (tuple(tools), strict, definitions)
        return definitions

    def complete(self, request: ChatRequest) -> list[ChatMessage]:
        data, _ = self.transport.post_json(self.endpoint.url, request.payload, self.endpoint.headers)
        return self.finish(parse_completion(data, self.endpoint), request)

    async def complete_async(self, request: ChatRequest) -> list[ChatMessage]:
        data, _ = await self.transport.post_json_async(
            self.endpoint.url, request.payload, self.endpoint.headers_async
        )
        return self.finish(parse_completion(data, self.endpoint), request)

    def stream(self, request: ChatRequest) -> ChatStream:
        from haybale._wire.chat_stream import ChatStream

        return ChatStream(self, request)

    def stream_async(self, request: ChatRequest) -> AsyncChatStream:
        from haybale._wire.chat_stream import AsyncChatStream

        return AsyncChatStream(self, request)

    def retry_without_stream_options(self, request: ChatRequest, error: APIStatusError) -> ChatRequest | None:
        """The request to send again after ``error``, or None when the error must be raised."""
        if not request.added_stream_options or error.status_code not in (400, 422):
            return None
        text = f"{error.body} {error.message}".lower()
        if "stream_options" not in text and "include_usage" not in text:
            return None
        logger.info("The server rejected stream_options; retrying without it (usage will not be reported).")
        self.stream_options_rejected = True
        return request.without_stream_options()

    def finish(self, replies: list[ChatMessage], request: ChatRequest) -> list[ChatMessage]:
        """Warnings and structured-output validation shared by every path."""
        for reply in replies:
            meta = reply.meta
            warning = _FINISH_WARNINGS.get(meta.get("finish_reason") or "")
            if warning:
                logger.warning(warning)
            if request.response_model is not None and reply.text and not reply.tool_calls:
                error = validate_reply_text(request.response_model, reply.text)
                if error is not None:
                    meta["structured_output_error"] = error
        return replies
