"""The shared orchestration of one chat call, used by ``run``, ``run_async`` and the stream API.

``ChatClient`` prepares requests, sends non-streamed ones, opens streams (see ``chat_stream``),
and post-processes replies (finish-reason warnings, structured-output validation). The sync and
async paths differ only in the lines that do I/O.

Fallbacks for servers that refuse newer request fields (``fallback_for``): when the server answers
400, 422 or 500 (llama-cpp-python reports request validation errors as 500) with an error that
names the field, the request is sent once more in the older form (the transport does not retry such
an error: ``names_refused_field``) and the verdict is remembered in ``rejected`` so later requests
use that form at once:

- ``stream_options`` that we added ourselves (the caller did not set it) is dropped;
- a ``json_schema`` response format becomes ``{"type": "json_object", "schema": ...}``, which
  llama.cpp and other older servers constrain the same way.

Errors that do not name such a field are raised as they are, so a genuinely bad request is never
sent twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from haybale._logging import get_logger
from haybale._wire.codec import CHAT_COMPLETIONS
from haybale._wire.request import ChatRequest, tool_definitions
from haybale._wire.response_format import validate_reply_text
from haybale.errors import APIError, APIStatusError

if TYPE_CHECKING:
    from haybale._wire.chat_stream import AsyncChatStream, ChatStream
    from haybale._wire.codec import Codec
    from haybale._wire.endpoint import OpenAIEndpoint
    from haybale._wire.transport import Transport
    from haybale.dataclasses import ChatMessage, ComponentInfo
    from haybale.tools import Tool

logger = get_logger(__name__)

T = TypeVar("T")

_FINISH_WARNINGS = {
    "length": "The reply was cut off because it reached the token limit; raise max_tokens / "
    "max_completion_tokens in generation_kwargs to get complete replies.",
    "content_filter": "The reply was cut off or withheld by the provider's content filter; rephrase "
    "the request or review the content filter settings of your deployment.",
}


_REFUSABLE_FIELDS = ("stream_options", "include_usage", "json_schema")


def names_refused_field(error: APIStatusError) -> bool:
    """Whether ``error`` rejects one of the newer fields we have a fallback for.

    Such a rejection is deterministic, so the transport must not retry it (llama-cpp-python sends
    it as a 500, which would otherwise be retried with backoff before the fallback could run).
    """
    if error.status_code not in (400, 422, 500):
        return False
    text = _error_text(error)
    return any(field in text for field in _REFUSABLE_FIELDS)


def _error_text(error: APIStatusError) -> str:
    return f"{error.body} {error.message}".lower()


class SentCredentials:
    """The headers one call sent, attempt by attempt, and the credentials in them.

    Every error a call raises passes through ``scrub``: a server (or a proxy) may echo the request's
    key in an error status, in a 2xx body that is not a reply, or in an error event inside a 200
    stream, and the error must not carry it. The call is the one place that sees all of those (the
    transport builds some, the codec and the stream others) and every attempt's headers.
    """

    __slots__ = ("_endpoint", "_sent")

    def __init__(self, endpoint: OpenAIEndpoint) -> None:
        self._endpoint = endpoint
        self._sent: list[Mapping[str, str]] = []

    def headers(self) -> Mapping[str, str]:
        sent = self._endpoint.headers()
        self._sent.append(sent)
        return sent

    async def headers_async(self) -> Mapping[str, str]:
        sent = await self._endpoint.headers_async()
        self._sent.append(sent)
        return sent

    def scrub(self, error: APIError) -> APIError:
        """``error`` with every credential this call sent replaced (in place)."""
        from haybale._wire._http_errors import redact

        return redact(error, [value for sent in self._sent for value in self._endpoint.secrets(sent)])


class ChatClient:
    """One per generator: protocol (codec) + endpoint + transport + the remembered verdicts."""

    def __init__(
        self,
        endpoint: OpenAIEndpoint,
        transport: Transport,
        component_info: ComponentInfo | None,
        rejected: set[str] | None = None,
        codec: Codec = CHAT_COMPLETIONS,
    ) -> None:
        self.codec = codec
        self.endpoint = endpoint
        self.url = endpoint.url_for(codec.path)
        self.transport = transport
        self.component_info = component_info
        # Fields the server refused ("stream_options", "json_schema"); the generator passes in a
        # set it owns, so the verdicts outlive close() and a new client.
        self.rejected = rejected if rejected is not None else set()
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
        return self.codec.build_request(
            model=model,
            messages=messages,
            generation_kwargs=generation_kwargs,
            tools=self._tool_definitions(tools, tools_strict),
            stream=stream,
            include_usage="stream_options" not in self.rejected,
            extra_body=self.endpoint.extra_body(),
            json_schema="json_schema" not in self.rejected,
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
        post, url, credentials = self.transport.post_json, self.url, SentCredentials(self.endpoint)
        try:
            (data, answer_headers), request = self.with_fallback(
                request, lambda sent: post(url, sent.payload, credentials.headers)
            )
            return self.finish(self.codec.parse_response(data, self.endpoint), request, answer_headers)
        except APIError as error:
            credentials.scrub(error)
            raise

    async def complete_async(self, request: ChatRequest) -> list[ChatMessage]:
        post, url, credentials = self.transport.post_json_async, self.url, SentCredentials(self.endpoint)
        try:
            (data, answer_headers), request = await self.with_fallback_async(
                request, lambda sent: post(url, sent.payload, credentials.headers_async)
            )
            return self.finish(self.codec.parse_response(data, self.endpoint), request, answer_headers)
        except APIError as error:
            credentials.scrub(error)
            raise

    def with_fallback(self, request: ChatRequest, send: Callable[[ChatRequest], T]) -> tuple[T, ChatRequest]:
        """``send(request)``, and once more in the older form if the server refuses a newer field.

        Returns what ``send`` returned and the request that got it (see ``fallback_for``).
        """
        try:
            return send(request), request
        except APIStatusError as error:
            retry = self.fallback_for(request, error)
            if retry is None:
                raise
        return send(retry), retry

    async def with_fallback_async(
        self, request: ChatRequest, send: Callable[[ChatRequest], Awaitable[T]]
    ) -> tuple[T, ChatRequest]:
        """The async ``with_fallback``: the same decision (``fallback_for``), awaited I/O."""
        try:
            return await send(request), request
        except APIStatusError as error:
            retry = self.fallback_for(request, error)
            if retry is None:
                raise
        return await send(retry), retry

    def stream(self, request: ChatRequest) -> ChatStream:
        from haybale._wire.chat_stream import ChatStream

        return ChatStream(self, request)

    def stream_async(self, request: ChatRequest) -> AsyncChatStream:
        from haybale._wire.chat_stream import AsyncChatStream

        return AsyncChatStream(self, request)

    def fallback_for(self, request: ChatRequest, error: APIStatusError) -> ChatRequest | None:
        """The request to send again after ``error`` (see the module docstring), or None to raise it."""
        if not names_refused_field(error):
            return None
        text = _error_text(error)
        if request.added_stream_options and ("stream_options" in text or "include_usage" in text):
            logger.info(
                "The server rejected stream_options; retrying without it (usage will not be reported)."
            )
            self.rejected.add("stream_options")
            return request.without_stream_options()
        if request.uses_json_schema and "json_schema" in text:
            logger.info(
                "The server rejected response_format json_schema; retrying as json_object with the schema."
            )
            self.rejected.add("json_schema")
            return request.with_json_object_format()
        return None

    def finish(
        self, replies: list[ChatMessage], request: ChatRequest, headers: Mapping[str, str] | None = None
    ) -> list[ChatMessage]:
        """Warnings and structured-output validation shared by every path.

        With the response ``headers`` (non-streamed replies), each reply's meta also gets the
        server's ``rate_limit`` facts and ``request_id`` (see ``rate_limits.reply_meta``).
        """
        from_headers = None
        if headers is not None:
            # Imported here: it pulls in urllib.parse, which importing a generator must not.
            from haybale._wire.rate_limits import reply_meta

            from_headers = reply_meta(headers)
        for reply in replies:
            meta = reply.meta
            if from_headers:
                meta.update(from_headers)
            warning = _FINISH_WARNINGS.get(meta.get("finish_reason") or "")
            if warning:
                logger.warning(warning)
            if request.response_model is not None and reply.text and not reply.tool_calls:
                error = validate_reply_text(request.response_model, reply.text)
                if error is not None:
                    meta["structured_output_error"] = error
        return replies
